"""Pins benchmark: what pinned turns cost what the model is sent, on a 10,000-turn session.

    python benchmarks/pins.py [--before REV] [--quick] [--rounds N]

Measured on one 10,000-turn session (`build_synthetic_session`) in three states: whole (no
compaction), compacted (all but the last 4 turns summarized), and compacted with 10 pinned
turns spread along it; for each, `context_turns` (what the runner sends) and
`context_size` (the status bar's meter, read after every turn), and `undo_compaction` on
the compacted one. With `--before REV` the same figures on that commit's code (before pins
counted in the context). Every figure is measured in a fresh subprocess, the states in
turn, `--rounds` times (the median is shown). Writes the `## Pins` section of RESULTS.md.
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
PINS = 10

CHILD = r"""
import json, shutil, statistics, sys, time
from chinwag.storage import Store
from chinwag.app.demo import build_synthetic_session

def median_ms(fn, runs=7):
    fn()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)

command, db = sys.argv[1], sys.argv[2]
if command == "build":
    turns, pins = int(sys.argv[3]), int(sys.argv[4])
    out = {}
    for state in ("whole", "compacted", "pinned"):
        path = f"{db}.{state}"
        with Store(path) as store:
            sid = build_synthetic_session(store, turns)
            if state == "pinned":
                ids = [t.id for t in store.list_turns(sid)]
                for n in range(pins):
                    store.db.conn.execute("UPDATE turns SET pinned = 1 WHERE id = ?", (ids[n * len(ids) // pins],))
            if state != "whole":
                context = store.context_turns(sid)
                store.add_compaction(sid, "summary", "a summary", context[:-4])
        out[state] = sid
    print(json.dumps(out))
elif command == "measure":
    sid = sys.argv[3]
    with Store(db) as store:
        out = {"context_turns": median_ms(lambda: store.context_turns(sid)),
               "context_size": median_ms(lambda: store.context_size(sid)),
               "sent": len(store.context_turns(sid))}
    if hasattr(Store, "undo_compaction") and db.endswith(".compacted"):
        copy = db + ".undo"
        shutil.copy(db, copy)
        with Store(copy) as store:
            start = time.perf_counter()
            store.undo_compaction(sid)
            out["undo"] = (time.perf_counter() - start) * 1000
    print(json.dumps(out))
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--before", metavar="REV", help="also measure on this commit's code")
    parser.add_argument("--quick", action="store_true", help="10x smaller, for a smoke test")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    turns = TURNS // (10 if args.quick else 1)
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        codes: dict[str, Path | None] = {"now": None}
        if args.before:
            codes["before"] = old_code(args.before, tmp_path)
        sessions = {name: child("build", str(tmp_path / name), str(turns), str(PINS), code_root=code)
                    for name, code in codes.items()}
        samples: dict[tuple[str, str], list[dict]] = {}
        for _ in range(args.rounds):
            for name, code in codes.items():
                for state, sid in sessions[name].items():
                    samples.setdefault((name, state), []).append(
                        child("measure", str(tmp_path / f"{name}.{state}"), sid, code_root=code))
    rows = ["| session (10,000 turns) | code | `context_turns` | `context_size` | turns sent | undo |",
            "|---|---|---|---|---|---|"]
    for (name, state), values in samples.items():
        med = {key: statistics.median(v[key] for v in values) for key in values[0]}
        undo = f"{med['undo']:,.1f} ms" if "undo" in med else ""
        rows.append(f"| {state} | {name} | {med['context_turns']:,.1f} ms | {med['context_size']:,.1f} ms | "
                    f"{med['sent']:,.0f} | {undo} |")
    body = "\n".join([
        f"`python benchmarks/pins.py{' --before ' + args.before if args.before else ''}` · {machine_line()}",
        "",
        f"{turns:,} turns; *compacted*: all but the last 4 summarized; *pinned*: compacted with {PINS} pinned "
        "turns spread along it (sent after the summary). *undo*: `undo_compaction` of the compacted one "
        "(every summarized turn comes back). Pinned turns before the cut are read by their own arm of the "
        "query (a scan of the path before the cut for `pinned`), so the compacted context costs a few ms "
        "more than before, far below the whole session's.",
        "",
        *rows,
    ])
    print(body)
    if not args.quick:
        write_section("Pins", body)


if __name__ == "__main__":
    main()
