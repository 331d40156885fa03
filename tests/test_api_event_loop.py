"""The API server's event loop never waits on SQLite or on library imports, over a real
uvicorn server on 127.0.0.1: every SQL statement of a whole API workout runs off the
loop's thread; a database locked by another process delays no unrelated request; and a
provider's libraries are first imported in a worker thread, not on the loop."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

from api_server import ApiServer

from chinwag.app.config.loader import Config

SLOW = Config(agents={"echo": {"kind": "echo", "delay": 0.02, "chunk": 2}})
TESTS = Path(__file__).parent


def wait_for_turn(api, session_id, predicate, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        turns = api.call("GET", f"/api/sessions/{session_id}")[1]["turns"]
        if turns and predicate(turns[-1]):
            return turns[-1]
        time.sleep(0.05)
    raise AssertionError("the turn did not get there in time")


def test_no_sql_statement_of_the_api_runs_on_the_event_loop_thread(db_path):
    threads: set[int] = set()
    with ApiServer(db_path, SLOW) as api:
        api.app.state.store.db.conn.set_trace_callback(lambda _sql: threads.add(threading.get_ident()))
        _, created = api.call("POST", "/api/sessions", {"title": "workout", "prompt": "one two three"})
        sid = created["session"]["id"]
        wait_for_turn(api, sid, lambda t: t["status"] == "complete")
        subscriber = threading.Thread(target=lambda: api.events(sid, timeout=30), daemon=True)
        subscriber.start()
        time.sleep(0.3)  # the stream is open before the turn starts
        assert api.call("POST", f"/api/sessions/{sid}/messages", {"prompt": "four five six"})[0] == 202
        subscriber.join(30)
        assert not subscriber.is_alive()
        api.call("POST", f"/api/sessions/{sid}/messages", {"prompt": "seven " * 200})
        wait_for_turn(api, sid, lambda t: t["text"])
        assert api.call("POST", f"/api/sessions/{sid}/cancel")[0] == 200
        wait_for_turn(api, sid, lambda t: t["status"] == "stopped")
        for method, path, body in [("GET", "/api/sessions", None), ("PATCH", f"/api/sessions/{sid}", {"title": "t"}),
                                   ("GET", "/api/search?q=four", None),
                                   ("POST", f"/api/sessions/{sid}/compact", {"window": 0}),
                                   ("DELETE", f"/api/sessions/{sid}", None)]:
            assert api.call(method, path, body)[0] < 500, path
        loop_thread = api.thread.ident
        assert threads, "the trace saw no statement"
        assert loop_thread not in threads


def test_a_locked_database_does_not_stall_unrelated_requests(db_path):
    """Another process holds the write lock while a turn streams: the runner's next write
    waits for it, and a request that needs no database still answers before the lock is
    released (by order of events, not by timing)."""
    with ApiServer(db_path, SLOW) as api:
        _, created = api.call("POST", "/api/sessions", {"title": "locked", "prompt": "word " * 400})
        sid = created["session"]["id"]
        wait_for_turn(api, sid, lambda t: t["text"])  # streaming, writing every 0.1 s
        other = sqlite3.connect(db_path, isolation_level=None, check_same_thread=False)
        other.execute("BEGIN EXCLUSIVE")
        order: list[str] = []

        def release() -> None:
            time.sleep(2)
            order.append("released")
            other.execute("COMMIT")

        releaser = threading.Thread(target=release)
        releaser.start()
        try:
            time.sleep(0.5)  # the runner is now waiting for the lock
            status, document = api.call("GET", "/api/openapi.json")
            order.append("answered")
        finally:
            releaser.join()
            other.close()
        assert status == 200 and document["openapi"]
        assert order == ["answered", "released"]
        assert wait_for_turn(api, sid, lambda t: t["status"] != "streaming")["status"] == "complete"


SCRIPT = textwrap.dedent("""
    import json, sys, threading, time
    sys.path.insert(0, sys.argv[1])
    first = {}

    class Spy:  # which thread imports a provider library first
        def find_spec(self, name, path=None, target=None):
            if name in ("pydantic_ai", "openai") and name not in first:
                first[name] = threading.current_thread().name
            return None

    sys.meta_path.insert(0, Spy())
    from api_server import ApiServer
    from fake_llm import FakeLLM
    from chinwag.app.config.loader import Config

    with FakeLLM() as fake:
        config = Config(agents={"fake": {"kind": "openai", "base_url": fake.url + "/v1", "model": "fake-small",
                                         "local": True, "timeout": 5}})
        with ApiServer(sys.argv[2], config) as api:
            api.thread.name = "event-loop"
            assert not first, first  # nothing imported them yet
            _, created = api.call("POST", "/api/sessions", {"agent": "fake", "prompt": "hello"})
            sid = created["session"]["id"]
            for _ in range(300):
                turns = api.call("GET", "/api/sessions/" + sid)[1]["turns"]
                if turns[-1]["status"] != "streaming":
                    break
                time.sleep(0.05)
    print(json.dumps({"first": first, "status": turns[-1]["status"], "text": turns[-1]["text"]}))
""")


def test_provider_libraries_load_off_the_event_loop(tmp_path, chinwag_home):
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(TESTS), str(tmp_path / "fresh.db")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["status"] == "complete" and "Hello" in result["text"]
    assert set(result["first"]) == {"pydantic_ai", "openai"}
    assert "event-loop" not in result["first"].values(), result["first"]


async def test_a_cancelled_offloaded_call_finishes_before_the_caller_sees_the_cancel():
    """So a stream's next write can never overtake one still running in its thread."""
    import asyncio

    from chinwag.app.core.offload import in_thread

    entered, finished = threading.Event(), []

    def write() -> None:
        entered.set()
        time.sleep(0.3)
        finished.append("written")

    task = asyncio.ensure_future(in_thread(write))
    await asyncio.to_thread(entered.wait, 10)
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        finished.append("cancel seen")
    assert finished == ["written", "cancel seen"]
