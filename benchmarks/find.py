"""Find benchmark: Ctrl+F in a 10,000-turn session.

    python benchmarks/find.py [--runs N]

A synthetic session of 10,000 turns (2,500 replies with two tool calls each) plus 20 side
branches of 2 turns. Measured:
- the search itself (`app.core.find.Finder`): the first read of the session's text (done
  in the background when the bar opens), then per query the first hit (`limit=1`) and all
  hits counted (capped at 10,000), median of N runs;
- in the app (Pilot, 120x40): from a keystroke (the bar's input changing) to the marked
  current hit on screen (`_find_found` done: the search ran in its thread, the transcript
  moved to the hit; with more than 100 hits the ones near the view come first) and to all
  hits counted, one fresh query each, median of N (the rare phrase's hit is 9,997 turns
  back: the transcript shows a page around it in place of the loaded turns).
Targets (issue 16): first hit < 50 ms after the keystroke, all hits counted < 200 ms.
With `--before REV`, the transcript's open (10,000 turns) and streaming (1,000 deltas)
figures of benchmarks/transcript.py are measured on this code and on REV's, interleaved
(find paints its marks over the transcript's lines: no regression wanted there).
Writes the `## Find` section of benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from results import machine_line, write_section  # noqa: E402

from chinwag.app.config.loader import Config  # noqa: E402
from chinwag.app.core.find import Finder  # noqa: E402
from chinwag.app.demo import build_synthetic_session  # noqa: E402
from chinwag.storage import Store  # noqa: E402

TURNS = 10_000
BRANCHES = 20
QUERIES = [  # (label, query, regex)
    ("a rare phrase (1 hit, turn 3)", "Question 3:", False),
    ("a common word", "interact", False),
    ("one letter (capped)", "e", False),
    ("case-sensitive", "Question 99", False),
    ("regex", r"mod_\d+5\.py", True),
    ("no match", "zebra crossing", False),
]


def build(path: Path) -> str:
    with Store(path) as store:
        sid = build_synthetic_session(store, TURNS - 2 * BRANCHES, title="find")
        turns = store.list_turns(sid)
        head = store.head_of(sid)
        step = len(turns) // BRANCHES
        for n in range(BRANCHES):
            parent = turns[n * step + 1]
            _, reply = store.begin_exchange(sid, f"side question {n}", agent="echo", model="", parent=parent.id,
                                            owner_pid=1)
            store.finish_turn(reply.id, "complete", text=f"a side answer about the interact loop {n}")
        store.checkout(sid, head)
    return sid


def median_ms(fn, runs: int) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def core(path: Path, sid: str, runs: int) -> tuple[float, list[tuple[str, float, float, str]]]:
    with Store(path) as store:
        cold = []
        for _ in range(runs):
            finder = Finder(store, sid)
            start = time.perf_counter()
            finder.search("")
            cold.append((time.perf_counter() - start) * 1000)
        rows = []
        for label, query, regex in QUERIES:
            result = finder.search(query, regex)
            count = f"{result.on_path:,}{'+' if result.capped else ''} + {result.other:,} other"
            first = median_ms(lambda q=query, r=regex: finder.search(q, r, limit=1), runs)
            every = median_ms(lambda q=query, r=regex: finder.search(q, r), runs)
            rows.append((label, first, every, count))
    return statistics.median(cold), rows


async def in_app(path: Path, sid: str, runs: int) -> tuple[list[tuple[str, float, float]], tuple[float, float]]:
    from chinwag.app.tui.app import ChinwagApp
    from chinwag.app.tui.find import FindMixin
    from chinwag.widgets.find_bar import FindBar

    done: list[tuple[float, bool]] = []  # (when, a first page only)
    found = FindMixin._find_found

    def timed(self, state, generation, result):
        found(self, state, generation, result)
        if generation == state.generation:
            done.append((time.perf_counter(), result.partial))

    FindMixin._find_found = timed
    store = Store(path)
    try:
        app = ChinwagApp(store=store, config=Config(), session_id=sid, animate=False)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("ctrl+f")
            while not app.screen.query(FindBar) or app.chat._find is None:
                await pilot.pause(0.01)
            await asyncio.sleep(1.0)  # the first read of the text, in the background
            bar = app.screen.query_one(FindBar)

            async def keystroke(query: str, regex: bool) -> tuple[float, float]:
                """(ms to the first hit on screen, ms to all counted)."""
                bar.regex = regex
                await pilot.pause(0.05)
                done.clear()
                start = time.perf_counter()
                bar.input.value = query
                while not done or done[-1][1]:
                    await asyncio.sleep(0.001)
                return (done[0][0] - start) * 1000, (done[-1][0] - start) * 1000

            rows = []
            for label, query, regex in QUERIES:
                samples = []
                for _ in range(runs):
                    bar.input.value = ""
                    await pilot.pause(0.05)
                    samples.append(await keystroke(query, regex))
                rows.append((label, statistics.median(s[0] for s in samples), statistics.median(s[1] for s in samples)))
    finally:
        FindMixin._find_found = found
        store.close()
    return rows


def transcript_ab(rev: str, rounds: int) -> list[str]:
    """benchmarks/transcript.py's open and streaming children on REV's code and on this one."""
    import os
    import subprocess

    from transcript import OPEN_CHILD, STREAM_CHILD
    from tree import old_code

    def child(code: str, root: Path | None, *args: str) -> dict:
        env = dict(os.environ, TEXTUAL_ANIMATIONS="none")
        if root is not None:
            env["PYTHONPATH"] = str(root)
        out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, env=env,
                             timeout=600, check=False)
        if out.returncode != 0:
            raise SystemExit(f"benchmark child failed:\n{out.stderr[-3000:]}")
        import json
        return json.loads(out.stdout.strip().splitlines()[-1])

    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        os.environ["CHINWAG_HOME"] = str(tmp)
        before_root = old_code(rev, tmp)
        db = tmp / "open.db"
        with Store(db) as store:
            sid = build_synthetic_session(store, TURNS)
        samples: dict[str, list[dict]] = {"before": [], "after": []}
        for n in range(rounds):
            for label, root in (("before", before_root), ("after", None)):
                opened = child(OPEN_CHILD, root, str(db), sid)
                streamed = child(STREAM_CHILD, root, str(tmp / f"stream-{label}-{n}.db"), "1000")
                samples[label].append({"first": opened["first_paint"] * 1000, "wall": streamed["wall"],
                                       "stall": streamed["max_stall_ms"]})
    med = {label: {key: statistics.median(s[key] for s in rows) for key in rows[0]} for label, rows in samples.items()}
    return ["", f"No regression in the transcript (benchmarks/transcript.py's children, {rounds} interleaved rounds, "
            f"median; before: `{rev}`):", "",
            "| | first paint, 10,000 turns | stream 1,000 deltas: wall | longest stall |", "|---|---:|---:|---:|",
            *(f"| {label} | {m['first']:.0f} ms | {m['wall']:.2f} s | {m['stall']:.0f} ms |" for label, m in med.items())]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--before", metavar="REV", help="also compare the transcript's figures with REV's code")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "find.db"
        sid = build(path)
        cold, rows = core(path, sid, args.runs)
        app_rows = asyncio.run(in_app(path, sid, args.runs))
    lines = [machine_line(), "",
             f"A session of {TURNS:,} turns ({BRANCHES} side branches of 2 turns; 2,490 replies with 2 tool calls). "
             f"Median of {args.runs}. Re-run with `python benchmarks/find.py`.", "",
             "| query | hits | search: first hit | search: all counted | app: keystroke → first hit shown "
             "| app: → all counted |",
             "|---|---:|---:|---:|---:|---:|"]
    in_app_ms = {label: (a, b) for label, a, b in app_rows}
    for label, first, every, count in rows:
        a, b = in_app_ms[label]
        note = " (a page around it shown)" if label == QUERIES[0][0] else ""
        lines.append(f"| {label} | {count} | {first:.1f} ms | {every:.1f} ms | {a:.1f} ms{note} | {b:.1f} ms |")
    lines += ["", f"The first read of the session's text (when the bar opens, in a thread): {cold:.0f} ms; after "
              "it a keystroke reads only what changed (new and streaming turns).",
              "Targets (issue 16): first hit < 50 ms after the keystroke, all hits counted < 200 ms."]
    if args.before:
        lines += transcript_ab(args.before, rounds=3)
    body = "\n".join(lines)
    print(body)
    write_section("Find", body)


if __name__ == "__main__":
    main()
