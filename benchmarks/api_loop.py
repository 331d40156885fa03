"""API event-loop stalls: how long a request that needs no database (`/api/openapi.json`)
waits while (a) the server's first provider turn loads its libraries, and (b) another
process holds the database's write lock for 2 s during a streaming turn.

    python benchmarks/api_loop.py

Each case runs in a fresh interpreter (cold imports), against a real uvicorn server on
127.0.0.1 and the fake OpenAI-compatible server of the tests. Probes run every 10 ms;
the figure is the slowest probe. Writes the `## API event loop` section of RESULTS.md.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from results import machine_line, write_section  # noqa: E402

CASE = textwrap.dedent("""
    import json, sqlite3, sys, tempfile, threading, time, urllib.request
    from pathlib import Path
    sys.path.insert(0, sys.argv[1])
    from api_server import ApiServer
    from fake_llm import FakeLLM, Reply
    from chinwag.app.config.loader import Config

    case = sys.argv[2]
    worst, stop = [0.0], threading.Event()

    def probe(url):
        while not stop.is_set():
            started = time.monotonic()
            urllib.request.urlopen(urllib.request.Request(url + "/api/openapi.json",
                                   headers={"Authorization": "Bearer " + api.token}), timeout=60).read()
            worst[0] = max(worst[0], time.monotonic() - started)
            time.sleep(0.01)

    def wait(sid, done):
        while True:
            turns = api.call("GET", "/api/sessions/" + sid)[1]["turns"]
            if done(turns[-1]):
                return turns[-1]
            time.sleep(0.02)

    home = Path(tempfile.mkdtemp())
    with FakeLLM() as fake:
        fake.script(Reply(chunks=["word "] * 200, delay=0.01))
        config = Config(agents={"fake": {"kind": "openai", "base_url": fake.url + "/v1", "model": "fake-small",
                                         "local": True, "timeout": 30}})
        with ApiServer(home / "bench.db", config) as api:
            prober = threading.Thread(target=probe, args=(api.url,), daemon=True)
            if case == "first-turn":
                prober.start()
                started = time.monotonic()
                sid = api.call("POST", "/api/sessions", {"agent": "fake", "prompt": "hi"})[1]["session"]["id"]
                wait(sid, lambda t: t["status"] != "streaming")
            else:
                sid = api.call("POST", "/api/sessions", {"agent": "fake", "prompt": "hi"})[1]["session"]["id"]
                wait(sid, lambda t: t["status"] != "streaming")  # libraries loaded
                api.call("POST", "/api/sessions/" + sid + "/messages", {"prompt": "again"})
                wait(sid, lambda t: t["role"] == "agent" and t["text"])
                prober.start()
                other = sqlite3.connect(home / "bench.db", isolation_level=None)
                other.execute("BEGIN EXCLUSIVE")
                time.sleep(2)
                other.execute("COMMIT")
                wait(sid, lambda t: t["status"] != "streaming")
            stop.set()
            prober.join()
    print(json.dumps({"worst_ms": round(worst[0] * 1000)}))
""")


def run(case: str) -> int:
    done = subprocess.run([sys.executable, "-c", CASE, str(HERE.parent / "tests"), case],
                          capture_output=True, text=True, timeout=300)
    if done.returncode:
        raise SystemExit(done.stderr[-3000:])
    return json.loads(done.stdout.strip().splitlines()[-1])["worst_ms"]


def main() -> None:
    first = run("first-turn")
    locked = run("locked")
    body = (f"{machine_line()}\n\n"
            "| slowest `/api/openapi.json` while ... | ms |\n|---|---|\n"
            f"| the first provider turn loads its libraries | {first} |\n"
            f"| another process holds the write lock for 2 s during a turn | {locked} |\n")
    print(body)
    write_section("API event loop", body)


if __name__ == "__main__":
    main()
