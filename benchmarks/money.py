"""Money in the TUI (issue 16): what pricing adds to opening a session, and its parts.

    python benchmarks/money.py [--runs N]

- first paint of a 10,000-turn session with the costs (headers and status bar) and without
  them (the cost glue switched off in the child), interleaved runs: the difference is what
  the costs add to the open path (target: no regression);
- pricing one page of 60 settled turns (first time, then cached), and a session's cost from
  SQL sums at 1,000 and 10,000 turns (why a long session's is read in a worker);
- loading genai-prices' table (a fresh process; it runs in a worker thread, never at start-up).

Writes the `## Money (TUI)` section of benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from results import machine_line, write_section  # noqa: E402

OPEN_CHILD = r"""
import asyncio, json, sys, time
from chinwag.app.config.loader import Config
from chinwag.app.tui.app import ChinwagApp
from chinwag.app.tui.money import MoneyMixin
from chinwag.storage import Store

if sys.argv[3] == "off":
    MoneyMixin.on_mount = lambda self: None  # no pricer, no status cost: the screen as before

async def main(db, sid):
    store = Store(db)
    t0 = time.perf_counter()
    app = ChinwagApp(store=store, config=Config(), session_id=sid, animate=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        first = time.perf_counter() - t0
    print(json.dumps({"first_paint": first}))

asyncio.run(main(sys.argv[1], sys.argv[2]))
"""

TABLE_CHILD = r"""
import json, time
from chinwag.app.core import cost_book
t0 = time.perf_counter()
cost_book.warm()
print(json.dumps({"load": time.perf_counter() - t0}))
"""


def run_child(code: str, *args: str) -> dict:
    env = dict(os.environ, TEXTUAL_ANIMATIONS="none")
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, timeout=600)
    if out.returncode != 0:
        raise SystemExit(f"benchmark child failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def priced_session(store, turns: int) -> str:
    """A session of `turns` turns whose replies are priced at a profile's own prices."""
    from chinwag.app.demo import build_synthetic_session

    sid = build_synthetic_session(store, turns)
    with store.db.transaction() as conn:
        conn.execute("UPDATE turns SET agent = 'mine', model = 'local-7b', "
                     "metadata = json_set(metadata, '$.price', json('{\"input\": 2.0, \"output\": 10.0}')) "
                     "WHERE session_id = ? AND role = 'agent'", (sid,))
    return sid


def timed(fn, repeat: int = 5) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    from chinwag.app.config.loader import Config
    from chinwag.app.core.cost_book import CostBook
    from chinwag.storage import Store

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["CHINWAG_HOME"] = tmp
        sizes = {}
        for n in (1000, 10_000):
            db = Path(tmp) / f"m{n}.db"
            with Store(db) as store:
                sizes[n] = (db, priced_session(store, n))
        db, sid = sizes[10_000]
        on, off = [], []
        for _ in range(args.runs):  # interleaved: the machine's load falls on both alike
            on.append(run_child(OPEN_CHILD, str(db), sid, "on")["first_paint"])
            off.append(run_child(OPEN_CHILD, str(db), sid, "off")["first_paint"])
        with Store(db) as store:
            page = store.list_turns(sid, limit=60)
            first = timed(lambda: CostBook(Config()).texts(page))
            book = CostBook(Config())
            book.texts(page)
            cached = timed(lambda: book.texts(page))
            session = {}
        for n, (path, session_id) in sizes.items():
            with Store(path) as store:
                session[n] = timed(lambda store=store, session_id=session_id: CostBook(Config()).session_cost(
                    store, session_id))
        table = statistics.median(run_child(TABLE_CHILD)["load"] for _ in range(3))
    rows = [
        ("first paint, 10,000-turn session, with costs", statistics.median(on)),
        ("first paint, 10,000-turn session, costs off", statistics.median(off)),
        ("price a page of 60 turns (first time)", first),
        ("price a page of 60 turns (cached, as on a re-render or poll)", cached),
        ("a session's cost from SQL sums, 1,000 turns (read at once)", session[1000]),
        ("a session's cost from SQL sums, 10,000 turns (read in a worker)", session[10_000]),
        ("load genai-prices' table (in a worker thread, when a cost needs it)", table),
    ]
    lines = [machine_line(), "", f"Medians; first paints: {args.runs} interleaved fresh processes each "
             "(headless 120x40, spawn excluded, as benchmarks/transcript.py times them).", "",
             "| what | time |", "|---|---:|"]
    for name, seconds in rows:
        print(f"{name:<72} {seconds * 1000:8.2f} ms")
        lines.append(f"| {name} | {seconds * 1000:.2f} ms |")
    lines += ["", "Target: opening a session costs no more with the costs than without (the difference is "
              "within run-to-run noise); nothing of the price table at start-up."]
    write_section("Money (TUI)", "\n".join(lines))


if __name__ == "__main__":
    main()
