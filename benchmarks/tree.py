"""Tree benchmark: what the conversation as a tree costs a 10,000-turn session.

    python benchmarks/tree.py [--before REV] [--quick]

Measured on a flat 10,000-turn session and on one of 10,000 turns whose tree has 100
branches (the active path ~9,800 turns, 100 side branches of 2 turns hanging along it):
opening the store and loading the transcript's first page (`ChatController.open`, the
query the TUI's first paint waits for), the real app's first paint (`App.run_test`), what
the model is sent (`context_turns`) and the status bar's context size (`context_size`),
switching the sibling at turn 10 (the newest tip under it plus its first page, and the whole
`checkout` with its write), and `session branches`. With `--before REV` the flat figures
are measured again on that commit's code (a `git archive` of it, before the tree), and the
migration of a database that code wrote (10 sessions x 10,000 turns) is timed.

Every measurement runs in a fresh subprocess, the three sessions in turn, nine rounds (the
median of each figure is shown). Targets (issue 15): the branched session
opens as fast as the flat one (within noise); switching sibling at turn 10 < 50 ms.
Writes the `## Tree` section of benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
from results import machine_line, write_section  # noqa: E402

TURNS = 10_000
BRANCHES = 100

CHILD = r"""
import asyncio, json, statistics, sys, time
from chinwag.storage import Store
from chinwag.app.demo import build_synthetic_session
from chinwag.app.tui.controller import ChatController

def median_ms(fn, runs=7):
    fn()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)

def build_branched(store, turns, branches):
    # the main line first (as build_synthetic_session), then 2-turn branches beside
    # replies spread along it, written the way edits and regenerations write them
    side = 2 * branches
    sid = build_synthetic_session(store, turns - side, title="branched")
    path = store.list_turns(sid)
    step = len(path) // branches
    head = store.get_session(sid).head
    for n in range(branches):
        prompt = path[n * step + 1]  # an agent turn: its sibling prompt follows the same parent
        user, reply = store.begin_exchange(sid, f"branch {n}", agent="echo", model="", parent=prompt.id, owner_pid=1)
        store.finish_turn(reply.id, "complete", text=f"reply on branch {n}")
    store.checkout(sid, head)
    return sid

def open_ms(db, sid):
    def run():
        store = Store(db)
        ChatController(store, runner=None).open(sid)
        store.close()
    return median_ms(run)

def measure(db, sid, tree):
    out = {"open": open_ms(db, sid)}
    with Store(db) as store:
        out["context_turns"] = median_ms(lambda: store.context_turns(sid))
        out["context_size"] = median_ms(lambda: store.context_size(sid))
        out["sent"] = len(store.context_turns(sid))
        if tree:
            out["branches"] = median_ms(lambda: store.branches(sid))
            out["tips"] = len(store.branches(sid))
            out["total"] = len(store.list_turns(sid, all_branches=True))
    return out

def switch(db, sid):
    # two siblings at turn 10: a short branch and the main line (9,990 turns below it)
    with Store(db) as store:
        path = store.list_turns(sid)
        main_line = path[9]
        head = store.get_session(sid).head
        user, reply = store.begin_exchange(sid, "a sibling at turn 10", agent="echo", model="", parent=path[8].id,
                                           owner_pid=1)
        store.finish_turn(reply.id, "complete", text="short")
        def compute(turn_id):
            tip = store.newest_tip(sid, turn_id)
            return store.turns_to(sid, tip, limit=60)
        to_main = median_ms(lambda: compute(main_line.id))
        to_short = median_ms(lambda: compute(user.id))
        flips = iter(range(10**6))
        full = median_ms(lambda: store.checkout(sid, main_line.id if next(flips) % 2 else user.id))
        return {"to_main": to_main, "to_short": to_short, "checkout": full,
                "below": len(store.turn_ids_to(sid, head)) - 9}

async def paint(db, sid):
    from chinwag.app.config.loader import Config
    from chinwag.app.tui.app import ChinwagApp
    store = Store(db)
    t0 = time.perf_counter()
    app = ChinwagApp(store=store, config=Config(), session_id=sid, animate=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        first = time.perf_counter() - t0
    store.close()
    return first * 1000

async def app_switch(db, sid):
    # the real app on the branched session with a short sibling at turn 10 (the head's
    # branch): `[` on it shows the main line (9,990 turns below), `]` the short one again;
    # timed from the key's action to the transcript's first line painted after it
    from chinwag.app.config.loader import Config
    from chinwag.app.tui.app import ChinwagApp
    with Store(db) as store:
        path = store.list_turns(sid)
        if len(store.children(sid, path[8].id)) < 2:  # `switch` may have added it already
            user, reply = store.begin_exchange(sid, "a sibling at turn 10", agent="echo", model="",
                                               parent=path[8].id, owner_pid=1)
            store.finish_turn(reply.id, "complete", text="short")
        main, user = store.children(sid, path[8].id)[:2]
        main_line = main.id
        store.checkout(sid, user.id)
    store = Store(db)
    app = ChinwagApp(store=store, config=Config(), session_id=sid, animate=False)
    out = {"to_main": [], "to_short": []}
    async with app.run_test(size=(120, 40)) as pilot:
        transcript = app.chat.transcript
        painted = []
        render = transcript.render_line
        def timed(y):
            if not painted:
                painted.append(time.perf_counter())
            return render(y)
        transcript.render_line = timed
        for _ in range(7):
            for step, key, target in ((-1, "to_main", main_line), (1, "to_short", user.id)):
                transcript.focus()
                transcript.selected_turn_id = user.id if step < 0 else main_line
                await pilot.pause()
                painted.clear()
                start = time.perf_counter()
                transcript.action_sibling(step)
                deadline = start + 10
                while not painted or transcript.turn_ids[9] != target:
                    if painted and transcript.turn_ids[9] != target:
                        painted.clear()  # a frame before the switch was made
                    if time.perf_counter() > deadline:
                        raise SystemExit(f"no switch to {target}: {app.chat.notices.texts}")
                    await asyncio.sleep(0)
                out[key].append((painted[0] - start) * 1000)
                await pilot.pause()
    store.close()
    return {key: statistics.median(values[1:]) for key, values in out.items()}

command, db = sys.argv[1], sys.argv[2]
if command == "build-flat":
    with Store(db) as store:
        print(json.dumps({"sid": build_synthetic_session(store, int(sys.argv[3]))}))
elif command == "build-branched":
    with Store(db) as store:
        print(json.dumps({"sid": build_branched(store, int(sys.argv[3]), int(sys.argv[4]))}))
elif command == "build-legacy":
    with Store(db) as store:
        for n in range(int(sys.argv[4])):
            build_synthetic_session(store, int(sys.argv[3]), title=f"legacy {n}")
    print(json.dumps({}))
elif command == "migrate":
    t0 = time.perf_counter()
    Store(db).close()
    print(json.dumps({"ms": (time.perf_counter() - t0) * 1000}))
elif command == "measure":
    print(json.dumps(measure(db, sys.argv[3], sys.argv[4] == "tree")))
elif command == "switch":
    print(json.dumps(switch(db, sys.argv[3])))
elif command == "app-switch":
    print(json.dumps(asyncio.run(app_switch(db, sys.argv[3]))))
elif command == "paint":
    print(json.dumps({"ms": asyncio.run(paint(db, sys.argv[3]))}))
"""


def child(*args: str, code_root: Path | None = None) -> dict:
    env = {**os.environ, "CHINWAG_ECHO_DELAY": "0"}
    if code_root is not None:  # that commit's code first on the path (the editable finder comes last)
        env["PYTHONPATH"] = str(code_root)
    with tempfile.TemporaryDirectory() as home:
        env["CHINWAG_HOME"] = home
        result = subprocess.run([sys.executable, "-c", CHILD, *args], capture_output=True, text=True, env=env,
                                check=False)
    if result.returncode != 0:
        raise SystemExit(f"child {args[0]} failed:\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def old_code(rev: str, into: Path) -> Path:
    """`rev`'s app/, storage/ and widgets/ as the `chinwag` namespace, under `into`."""
    archive = into / "src.tar"
    with open(archive, "wb") as handle:
        subprocess.run(["git", "-C", str(REPO), "archive", rev, "app", "storage", "widgets"], stdout=handle, check=True)
    source = into / "src"
    with tarfile.open(archive) as tar:
        tar.extractall(source, filter="data")
    root = into / "root" / "chinwag"
    root.mkdir(parents=True)
    for part in ("app", "storage", "widgets"):
        (root / part).symlink_to(source / part)
    return root.parent


def median_of(samples: list[dict]) -> dict:
    return {key: statistics.median(s[key] for s in samples) for key in samples[0]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--before", metavar="REV", help="also measure the flat session on this commit's code")
    parser.add_argument("--quick", action="store_true", help="10x smaller, for a smoke test")
    parser.add_argument("--rounds", type=int, default=9, help="interleaved rounds (the median is shown)")
    args = parser.parse_args()
    turns = TURNS // (10 if args.quick else 1)
    branches = BRANCHES // (10 if args.quick else 1)
    paints = 3 if args.quick else args.rounds
    rows: list[tuple[str, str, str, str]] = []  # measurement, flat, branched, before (flat)
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        flat_db, tree_db = tmp_path / "flat.db", tmp_path / "tree.db"
        flat = child("build-flat", str(flat_db), str(turns))["sid"]
        tree = child("build-branched", str(tree_db), str(turns), str(branches))["sid"]
        runs = [("flat", flat_db, flat, None), ("tree", tree_db, tree, None)]
        migrate_ms = None
        if args.before:
            root = old_code(args.before, tmp_path)
            old_db = tmp_path / "old.db"
            runs.append(("before", old_db, child("build-flat", str(old_db), str(turns), code_root=root)["sid"], root))
            legacy = tmp_path / "legacy.db"
            child("build-legacy", str(legacy), str(turns), "10", code_root=root)
            migrate_ms = child("migrate", str(legacy))["ms"]
        # interleaved rounds, the median of each figure: the machine's load drifts meanwhile
        samples: dict[str, list[dict]] = {name: [] for name, *_ in runs}
        for _ in range(paints):
            for name, db, sid, code in runs:
                figures = child("measure", str(db), sid, "tree" if name == "tree" else "flat", code_root=code)
                figures["paint"] = child("paint", str(db), sid, code_root=code)["ms"]
                samples[name].append(figures)
        f, t = median_of(samples["flat"]), median_of(samples["tree"])
        before = median_of(samples["before"]) if args.before else {}
        s = child("switch", str(tree_db), tree)
        a = child("app-switch", str(tree_db), tree)

    def ms(values: dict, key: str) -> str:
        return f"{values[key]:,.1f} ms" if key in values else ""

    for label, key in (("store open + first page (`ChatController.open`)", "open"),
                       ("first paint of the app (`App.run_test`, 120x40)", "paint"),
                       ("what the model is sent (`context_turns`)", "context_turns"),
                       ("the status bar's context size (`context_size`)", "context_size")):
        rows.append((label, ms(f, key), ms(t, key), ms(before, key)))
    rows.append(("`session branches` (every tip, its length and last prompt)", "", ms(t, "branches"), ""))
    lines = [machine_line(), "",
             f"A {turns:,}-turn session, flat and with {branches} branches ({t['total']:,} turns, {t['tips']} tips, "
             f"{t['sent']:,} on the active path)."
             + (f" Before: commit `{args.before}` (turns ordered by seq, no tree)." if args.before else ""), "",
             "| measurement | flat | 100 branches | flat, before |", "|---|---:|---:|---:|"]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    verdict = "✓" if max(s["to_main"], s["to_short"]) < 50 else "✗ MISSED"
    lines += ["",
              f"Switching the sibling at turn 10 (newest tip under it + the first page of its path; target < 50 ms) "
              f"{verdict}: to the main line ({s['below']:,} turns below) {s['to_main']:.1f} ms, to a short branch "
              f"{s['to_short']:.1f} ms; the whole `checkout` (with its write and event) {s['checkout']:.1f} ms."]
    app_verdict = "✓" if max(a["to_main"], a["to_short"]) < 50 else "✗ MISSED"
    lines.append(f"In the real app (`[` / `]` on the block at turn 10, from the key's action to the transcript's "
                 f"first painted line of the new path; target < 50 ms) {app_verdict}: to the main line "
                 f"{a['to_main']:.1f} ms (its first page; the rest loads on scrolling down), back to the short "
                 f"branch {a['to_short']:.1f} ms.")
    if migrate_ms is not None:
        lines.append(f"Migrating a database of 10 x {turns:,} turns written by `{args.before}` (schema 2 -> 3, "
                     f"parent links, heads, compaction marks): {migrate_ms:,.0f} ms, once.")
    if args.quick:
        lines.append("\n(quick run: sizes 10x smaller than the targets name)")
    print("\n".join(lines))
    write_section("Tree", "\n".join(lines))


if __name__ == "__main__":
    main()
