"""Transcript benchmark: open time and memory of the real app on 100 / 1,000 / 10,000-turn
sessions, and streaming 5,000 deltas into the TUI (wall time, longest UI stall).

    python benchmarks/transcript.py [--quick]

Each measurement runs in a fresh subprocess (so RSS is the app's own), headless via
`App.run_test(size=(120, 40))`, timed from creating the app to the first idle screen.
Writes the `## Transcript` section of benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from results import machine_line, write_section  # noqa: E402

OPEN_CHILD = r"""
import asyncio, json, resource, sys, time
from chinwag.app.config.loader import Config
from chinwag.app.tui.app import ChinwagApp
from chinwag.storage import Store

async def main(db, sid):
    store = Store(db)
    t0 = time.perf_counter()
    app = ChinwagApp(store=store, config=Config(), session_id=sid, animate=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        first = time.perf_counter() - t0
        await pilot.press("ctrl+t")
        t1 = time.perf_counter()
        for _ in range(10):
            await pilot.press("pageup")
        await pilot.pause()
        scroll = (time.perf_counter() - t1) / 10
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"first_paint": first, "rss_mb": rss, "pageup": scroll}))

asyncio.run(main(sys.argv[1], sys.argv[2]))
"""

STREAM_CHILD = r"""
import asyncio, json, resource, sys, time
from chinwag.app.config.loader import Config
from chinwag.app.tui.app import ChinwagApp
from chinwag.storage import Store

DELTAS = int(sys.argv[2])

async def main(db):
    store = Store(db)
    config = Config(agents={"echo": {"kind": "echo", "delay": 0, "chunk": 1}})
    app = ChinwagApp(store=store, config=config, animate=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        sid = app.chat.session.id
        stalls = []
        stop = False
        async def ticker():
            last = time.perf_counter()
            while not stop:
                await asyncio.sleep(0.01)
                now = time.perf_counter()
                stalls.append(now - last - 0.01)
                last = now
        tick = asyncio.create_task(ticker())
        prompt = "x" * (DELTAS - 60)
        app.runner  # made at the first Enter: once, not part of streaming (app/tui/warmup.py)
        await asyncio.sleep(0.5)  # and the warm-up's imports done, as before any prompt a person types
        cpu0 = time.process_time()
        t0 = time.perf_counter()
        await app.runner.send(sid, prompt)
        await pilot.pause()
        wall = time.perf_counter() - t0
        cpu = time.process_time() - cpu0
        stop = True
        await tick
        turn = [t for t in store.list_turns(sid) if t.role == "agent"][-1]
        writes = store.db.query_one("SELECT count(*) AS n FROM events WHERE session_id = ?", (sid,))["n"]
    print(json.dumps({"wall": wall, "cpu": cpu, "max_stall_ms": max(stalls) * 1000, "chars": len(turn.text),
                      "status": turn.status}))

asyncio.run(main(sys.argv[1]))
"""


def run_child(code: str, *args: str) -> dict:
    env = dict(os.environ, TEXTUAL_ANIMATIONS="none")
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, timeout=600)
    if out.returncode != 0:
        raise SystemExit(f"benchmark child failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def build(db: Path, turns: int) -> str:
    from chinwag.app.demo import build_synthetic_session
    from chinwag.storage import Store

    with Store(db) as store:
        return build_synthetic_session(store, turns)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    sizes = [100, 1000] if args.quick else [100, 1000, 10000]
    runs = 1 if args.quick else args.runs
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["CHINWAG_HOME"] = tmp
        for n in sizes:
            db = Path(tmp) / f"t{n}.db"
            sid = build(db, n)
            samples = [run_child(OPEN_CHILD, str(db), sid) for _ in range(runs)]
            first = statistics.median(s["first_paint"] for s in samples)
            rss = statistics.median(s["rss_mb"] for s in samples)
            pageup = statistics.median(s["pageup"] for s in samples)
            rows.append((n, first, rss, pageup))
            print(f"open {n:>6,} turns: first paint {first * 1000:7.0f} ms   RSS {rss:6.1f} MB   PageUp {pageup * 1000:5.1f} ms")
        deltas = 1000 if args.quick else 5000
        stream = run_child(STREAM_CHILD, str(Path(tmp) / "stream.db"), str(deltas))
        print(f"stream {deltas:,} deltas: {stream['wall']:.2f} s wall, {stream['cpu']:.2f} s CPU, "
              f"longest stall {stream['max_stall_ms']:.0f} ms, status {stream['status']}")
    base = rows[0][1]
    lines = [
        machine_line(),
        "",
        "| turns | first paint | vs 100 turns | peak RSS | PageUp |",
        "|---:|---:|---:|---:|---:|",
    ]
    for n, first, rss, pageup in rows:
        lines.append(f"| {n:,} | {first * 1000:.0f} ms | {first / base:.2f}x | {rss:.0f} MB | {pageup * 1000:.1f} ms |")
    lines += [
        "",
        f"Streaming {deltas:,} one-character deltas at full speed through the runner into the TUI: "
        f"{stream['wall']:.2f} s wall, {stream['cpu']:.2f} s CPU, longest event-loop stall "
        f"{stream['max_stall_ms']:.0f} ms.",
        "",
        "Targets (issue 4): first paint of 10,000 turns < 0.5 s and < 2x the 100-turn figure; memory bounded.",
    ]
    write_section("Transcript", "\n".join(lines))


if __name__ == "__main__":
    main()
