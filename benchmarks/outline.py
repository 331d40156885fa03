"""Outline and jump benchmark on a 10,000-turn session (issue 16).

    python benchmarks/outline.py [--before REV] [--runs N]

In the real app (`App.run_test(size=(120, 40))`, a fresh subprocess per round): the
outline's rows alone (`app.core.outline.outline`: three statements and the rows), Ctrl+O to
the outline's first frame, one filter keystroke, Enter on a prompt far above the loaded
page (`Question 21:`, its turns loaded in one read) and on one in it, `{` across a page
boundary, and `g` (all 10,000 turns loaded, the first shown). Each key is timed from the
press to the app idle again (the new frame painted). Also the first paint of the session
(`--before REV`: the same on that commit's code, as benchmarks/tree.py does), since block
headers now carry times and gap markers. Median of the rounds. Targets: the outline opens
< 100 ms, a jump < 50 ms to the new frame. Writes the `## Outline` section of RESULTS.md.
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
from tree import old_code  # noqa: E402

TURNS = 10_000

CHILD = r"""
import asyncio, json, sys, time
from chinwag.app.config.loader import Config
from chinwag.app.tui.app import ChinwagApp
from chinwag.storage import Store

async def paint(db, sid):
    store = Store(db)
    t0 = time.perf_counter()
    app = ChinwagApp(store=store, config=Config(), session_id=sid, animate=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        return {"paint": (time.perf_counter() - t0) * 1000}

async def timed(pilot, *keys):
    t0 = time.perf_counter()
    await pilot.press(*keys)
    await pilot.pause()
    return (time.perf_counter() - t0) * 1000

async def outline_figures(db, sid):
    from chinwag.app.core.outline import outline
    store = Store(db)
    app = ChinwagApp(store=store, config=Config(), session_id=sid, animate=False)
    figures = {}
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        t0 = time.perf_counter()
        rows = outline(store, sid)
        figures["rows"] = (time.perf_counter() - t0) * 1000
        figures["row_count"] = len(rows)
        figures["idle"] = await timed(pilot)  # what the press-and-wait costs with nothing to do
        figures["open"] = await timed(pilot, "ctrl+o")
        await pilot.press(*"Question 21")
        await pilot.pause()
        figures["keystroke"] = await timed(pilot, ":")
        figures["jump_far"] = await timed(pilot, "enter")
        assert app.chat.transcript.selected_turn_id == store.turn_ids_to(sid, store.head_of(sid))[20]
        await pilot.press("ctrl+o", *"Question 9991:")
        await pilot.pause()
        figures["jump_near"] = await timed(pilot, "enter")
    app = ChinwagApp(store=store, config=Config(), session_id=sid, animate=False)  # the first page only again
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+t")
        transcript = app.chat.transcript
        transcript.jump_to(transcript.turn_ids[0])
        loaded = len(transcript.turn_ids)
        figures["prompt_across_page"] = await timed(pilot, "left_curly_bracket")
        assert len(transcript.turn_ids) > loaded
        figures["top"] = await timed(pilot, "g")
        assert len(transcript.turn_ids) == """ + str(TURNS) + r"""
    return figures

db, sid, what = sys.argv[1], sys.argv[2], sys.argv[3]
print(json.dumps(asyncio.run(paint(db, sid) if what == "paint" else outline_figures(db, sid))))
"""


def child(*args: str, code_root: Path | None = None) -> dict:
    env = {**os.environ, "TEXTUAL_ANIMATIONS": "none"}
    if code_root is not None:  # that commit's code first on the path (the editable finder comes last)
        env["PYTHONPATH"] = str(code_root)
    with tempfile.TemporaryDirectory() as home:
        env["CHINWAG_HOME"] = home
        result = subprocess.run([sys.executable, "-c", CHILD, *args], capture_output=True, text=True, env=env,
                                check=False, timeout=600)
    if result.returncode != 0:
        raise SystemExit(f"child {args[2]} failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--before", metavar="REV", help="also measure the first paint on this commit's code")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    from chinwag.app.demo import build_synthetic_session
    from chinwag.storage import Store

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "outline.db"
        with Store(db) as store:
            sid = build_synthetic_session(store, TURNS)
        root = old_code(args.before, Path(tmp)) if args.before else None
        samples, paints, before = [], [], []
        for _ in range(args.runs):
            samples.append(child(str(db), sid, "outline"))
            paints.append(child(str(db), sid, "paint")["paint"])
            if root is not None:
                before.append(child(str(db), sid, "paint", code_root=root)["paint"])
    figures = {key: statistics.median(s[key] for s in samples) for key in samples[0]}
    names = [("idle", "baseline: waiting for the app to be idle, no key"), ("rows", "the outline's rows (3 statements + the rows)"), ("open", "Ctrl+O to the outline's frame"),
             ("keystroke", "a filter keystroke"), ("jump_far", "Enter: a jump to turn 21 (9,900 turns loaded first)"),
             ("jump_near", "Enter: a jump inside the loaded page"),
             ("prompt_across_page", "`{` across a page boundary (a page loaded)"),
             ("top", "`g`: the first turn (all 10,000 turns loaded)")]
    load = os.getloadavg()[0]
    lines = [machine_line() + f" · load average {load:.1f} at the end (the machine is shared)", "",
             f"A {TURNS:,}-turn session ({figures['row_count']:,} outline rows: 5,000 prompts, 5,000 tool calls) in the "
             f"real app at 120x40, median of {args.runs} rounds, each key timed from the press to the app idle "
             "again (its frame painted). Re-run with `python benchmarks/outline.py`.", "",
             "| measurement | ms |", "|---|---:|"]
    for key, label in names:
        print(f"{label}: {figures[key]:.1f} ms")
        lines.append(f"| {label} | {figures[key]:.1f} |")
    paint = statistics.median(paints)
    lines.append(f"| first paint of the session (times, gap markers) | {paint:.0f} |")
    if before:
        lines.append(f"| first paint, before (`{args.before}`) | {statistics.median(before):.0f} |")
    print(f"first paint {paint:.0f} ms" + (f", before {statistics.median(before):.0f} ms" if before else ""))
    lines += ["", "Targets (issue 16): the outline of 10,000 turns opens < 100 ms; outline jumps < 50 ms to the new "
              "frame.", "",
              "A jump far above the loaded pages loads every turn between (one read, `ChatController.older_through`) "
              "and makes a block for each: its cost grows with the distance. Meeting 50 ms there needs a transcript "
              "window that can also load *newer* turns on the way down (set a page around the target, not everything "
              "below it); the transcript only loads older pages today."]
    write_section("Outline", "\n".join(lines))


if __name__ == "__main__":
    main()
