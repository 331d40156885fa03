"""Pinned sessions in the sidebar at 100,000 sessions: the sidebar's first page (one statement:
the pinned rows by their partial index, then the page of the others) with none and with 10
pinned, the query plans, and the TUI to its first paint both ways.

    python benchmarks/session_pins.py [--runs N] [--python PATH]

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
            after, before = interleaved(lambda: store.list_sessions_pinned_first(limit=200),
                                        lambda: store.list_sessions(limit=200))
            parts = [
                ("  of which: the first page, the pinned ones first (one statement)", after),
                ("  the first page as before (no pins), timed alternately with it", before),
                ("  of which: the count (unchanged)", query_ms(lambda: store.count_sessions())),
            ]
            pinned_plan = plan(store, "SELECT * FROM (SELECT *, 0 AS part FROM sessions WHERE deleted_at IS NULL "
                                      "AND pinned_at IS NOT NULL) UNION ALL SELECT * FROM (SELECT *, 1 AS part FROM "
                                      "sessions WHERE deleted_at IS NULL AND pinned_at IS NULL ORDER BY "
                                      "last_activity_at DESC, id DESC LIMIT 200) ORDER BY part, pinned_at DESC")
            page_plan = plan(store, "SELECT * FROM sessions WHERE deleted_at IS NULL AND archived_at IS NULL "
                                    "AND pinned_at IS NULL ORDER BY last_activity_at DESC, id DESC LIMIT 200 OFFSET 200")
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
    lines += ["", f"Plans: the first page: `{pinned_plan}`; the next pages: `{page_plan}`."]
    print(lines[-1])
    write_section("Pinned sessions", "\n".join(lines))


if __name__ == "__main__":
    main()
