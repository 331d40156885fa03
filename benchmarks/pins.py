"""Pinned sessions in the sidebar at 100,000 sessions: the sidebar's first page (the pinned
rows read by their partial index, the page below them leaving them out) with none and with
10 pinned, the query plans, and the TUI to its first paint both ways.

    python benchmarks/pins.py [--runs N] [--python PATH]

Target (issue 16, with issue 7's): the TUI's first paint at 100,000 sessions stays < 500 ms.
Writes the `## Pinned sessions` section of benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import peers  # noqa: E402
from results import machine_line, write_section  # noqa: E402

SESSIONS = 100_000
PINNED = 10


class NoRunner:
    def is_running(self, session_id: str) -> bool:
        return False

    def running_sessions(self) -> set[str]:
        return set()


def sidebar_ms(store, runs: int) -> float:
    from chinwag.app.tui.controller import ChatController

    samples = []
    for _ in range(runs):
        controller = ChatController(store, NoRunner())
        start = time.perf_counter()
        controller.sidebar_rows()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1000


def query_ms(call, runs: int = 30) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1000


def interleaved(first, second, runs: int = 60) -> tuple[float, float]:
    """Medians of two calls timed in turn (a loaded machine slows both alike)."""
    samples: tuple[list[float], list[float]] = ([], [])
    for _ in range(runs):
        for call, into in ((first, samples[0]), (second, samples[1])):
            start = time.perf_counter()
            call()
            into.append(time.perf_counter() - start)
    return statistics.median(samples[0]) * 1000, statistics.median(samples[1]) * 1000


def plan(store, sql: str) -> str:
    return "; ".join(row["detail"] for row in store.db.query(f"EXPLAIN QUERY PLAN {sql}"))


def first_paint_ms(python: Path, db: Path, runs: int) -> float:
    samples = []
    with tempfile.TemporaryDirectory() as home:
        (Path(home) / "chinwag").mkdir()
        for _ in range(runs):
            result = peers.run_once(python, ["chinwag", "filter sessions", str(db), ""], Path(home), 60)
            if "seconds" not in result:
                raise SystemExit(f"first paint failed: {result}")
            samples.append(result["seconds"])
    return statistics.median(samples) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--python", type=Path, default=Path(sys.executable))
    args = parser.parse_args()
    from chinwag.storage import Store
    from storage import bulk_sessions

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "big.db"
        with Store(db) as store:
            bulk_sessions(store, SESSIONS)
            none_ms = sidebar_ms(store, 30)
            paint_none = first_paint_ms(args.python, db, args.runs)
            ids = [r["id"] for r in store.db.query("SELECT id FROM sessions ORDER BY last_activity_at LIMIT ?",
                                                   (PINNED,))]  # the oldest: deep in the pages
            for session_id in ids:
                store.set_session_pinned(session_id, True)
            pinned_ms = sidebar_ms(store, 30)
            after, before = interleaved(lambda: store.list_sessions(limit=200, pinned=False),
                                        lambda: store.list_sessions(limit=200))
            parts = [
                ("  of which: the pinned ids (partial index)", query_ms(store.pinned_session_ids)),
                ("  of which: the first page, pinned ones left out", after),
                ("  the page as before (pinned ones not left out), timed alternately with it", before),
                ("  of which: the count (unchanged)", query_ms(lambda: store.count_sessions())),
            ]
            pinned_plan = plan(store, "SELECT id FROM sessions WHERE pinned_at IS NOT NULL AND deleted_at IS NULL "
                                      "ORDER BY pinned_at DESC, id DESC")
            page_plan = plan(store, "SELECT * FROM sessions WHERE deleted_at IS NULL AND archived_at IS NULL "
                                    "AND pinned_at IS NULL ORDER BY last_activity_at DESC, id DESC LIMIT 200")
        paint_pinned = first_paint_ms(args.python, db, args.runs)

    rows = [
        ("sidebar first page (controller), none pinned", none_ms, None),
        (f"sidebar first page (controller), {PINNED} pinned", pinned_ms, None),
        *((name, ms, None) for name, ms in parts),
        ("TUI first paint, none pinned", paint_none, 500),
        (f"TUI first paint, {PINNED} pinned", paint_pinned, 500),
    ]
    load = os.getloadavg()[0]
    lines = [machine_line() + f" · load average {load:.1f} while measuring", "", f"{SESSIONS:,} sessions; the sidebar's rows in process (median of 30), the TUI "
             f"from spawn to the final frame of its first idle screen (median of {args.runs}, as "
             "benchmarks/startup.py times it).", "", "| what | time | target |", "|---|---:|---:|"]
    for name, ms, target in rows:
        verdict = "" if target is None else (f"< {target} ms ✓" if ms < target else f"< {target} ms ✗ MISSED")
        print(f"{name:<50} {ms:8.1f} ms  {verdict}")
        lines.append(f"| {name} | {ms:.1f} ms | {verdict} |")
    lines += ["", f"Plans: the pinned ones: `{pinned_plan}`; the page below them: `{page_plan}`."]
    print(lines[-1])
    write_section("Pinned sessions", "\n".join(lines))


if __name__ == "__main__":
    main()
