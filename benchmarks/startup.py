"""Start-up benchmark: `chinwag --version`, `chinwag session list`, and the TUI to its
first paint on an empty and on a 100,000-session database.

    python benchmarks/startup.py [--runs N] [--tui-runs N] [--instructions]

Targets (issue 7): < 150 ms, < 250 ms, < 500 ms. Fresh processes: the whole process for
the commands (median of --runs); for the TUI, from spawning it to the first frame that
shows the whole first screen (the sidebar's filter, the prompt, the sessions when there are
some; headless, 120x40), with the final frame of that idle screen beside it (Textual draws
the same screen up to twice more as the mounts settle): median of --tui-runs rounds in
which a bare Textual app, the empty database and 100,000 sessions take turns.
`--instructions` also counts the instructions to each first paint under valgrind, a figure
the machine's load hardly moves. Writes the `## Start-up` section of benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import peers  # noqa: E402
from results import machine_line, write_section  # noqa: E402


def timed(cmd: list[str], env: dict, runs: int) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def markers(rows: bool) -> str:
    """What the whole first screen shows: the sidebar's filter, the prompt and (`rows`) sessions."""
    return "\n".join(["filter sessions", "Message echo"] + (["○ session "] if rows else []))


def first_paints(python: Path, empty: Path, big: Path, runs: int) -> dict[str, tuple[float, float]]:
    """Spawn to the first frame showing the whole first screen (the sidebar's filter, the
    prompt and, with sessions, their rows) and to the final frame of that idle screen, for a
    bare Textual app (one Static: what this machine allows at best), the TUI on an empty
    database and on 100,000 sessions: medians of `runs` rounds, the three interleaved in each
    round so that they see the same machine (this one's speed moves by half within minutes).
    The peers benchmark's driver, which loads the TUI as `chinwag` does and notes each frame
    (benchmarks/peers.py)."""
    apps = {"floor": ["textual", "hello"], "empty": ["chinwag", markers(False), str(empty), ""],
            "big": ["chinwag", markers(True), str(big), ""]}
    complete: dict[str, list[float]] = {name: [] for name in apps}
    final: dict[str, list[float]] = {name: [] for name in apps}
    with tempfile.TemporaryDirectory() as home:
        (Path(home) / "chinwag").mkdir()
        for _ in range(runs):
            for name, app_args in apps.items():
                result = peers.run_once(python, app_args, Path(home), 60)
                if "seconds" not in result:
                    raise SystemExit(f"first paint failed ({name}): {result}")
                complete[name].append(result["first_complete_seconds"])
                final[name].append(result["seconds"])
    return {name: (statistics.median(complete[name]), statistics.median(final[name])) for name in apps}


def instructions(python: Path, args: list[str]) -> int | None:
    """Instructions the process runs from its start to the first frame that shows every marker,
    counted by valgrind's callgrind (None without valgrind). Unlike wall time, this count
    hardly moves with the machine's load (0.1 % run to run here, where wall time moves by
    half): it tells whether a change made start-up do more work. Under callgrind the app runs
    ~50x slower, so the few timers that fire meanwhile add a little."""
    if shutil.which("valgrind") is None:
        return None
    with tempfile.TemporaryDirectory() as home:
        (Path(home) / "chinwag").mkdir()
        env = dict(peers.child_env(Path(home)), CHINWAG_BENCH_EXIT_AT_FIRST="1")
        out = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", str(python), "-c",
                              peers.DRIVER, args[0], repr(time.monotonic()), *args[1:]],
                             cwd=home, env=env, capture_output=True, text=True, timeout=1800)
    found = re.search(r"Collected : (\d+)", out.stderr)
    return int(found.group(1)) if found else None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--tui-runs", type=int, default=15, help="rounds of the three first paints (interleaved)")
    parser.add_argument("--instructions", action="store_true",
                        help="also count the instructions to the first paint under valgrind (~2 minutes)")
    parser.add_argument("--python", type=Path, help="run chinwag with this interpreter instead of a fresh "
                        "`pip install .` (see benchmarks/peers.py) under ~/.cache/chinwag-peers")
    args = parser.parse_args()
    python = args.python or peers.ensure_chinwag(Path.home() / ".cache" / "chinwag-peers")
    from chinwag.storage import Store
    from storage import bulk_sessions  # the storage benchmark's bulk loader

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, CHINWAG_HOME=tmp)
        chinwag = [str(python), "-m", "chinwag.app.cli.main"]
        rows.append(("chinwag --version", timed(chinwag + ["--version"], env, args.runs), 0.150))
        empty = Path(tmp) / "chinwag.db"
        Store(empty).close()
        rows.append(("chinwag session list (empty)", timed(chinwag + ["session", "list"], env, args.runs), 0.250))
        big = Path(tmp) / "big.db"
        with Store(big) as store:
            bulk_sessions(store, 100_000)
        rows.append(("chinwag session list (100,000 sessions)",
                     timed(chinwag + ["session", "list", "--db", str(big)], env, args.runs), 0.250))
        paints = first_paints(python, empty, big, args.tui_runs)
        rows.append(("bare Textual app (one Static), for scale", paints["floor"][0], None))
        rows.append(("TUI first paint, empty database", paints["empty"][0], 0.500))
        rows.append(("  its final frame (the same screen redrawn)", paints["empty"][1], None))
        rows.append(("TUI first paint, 100,000 sessions", paints["big"][0], 0.500))
        rows.append(("  its final frame (the same screen redrawn)", paints["big"][1], None))
        rows.append(("chinwag --help", timed(chinwag + ["--help"], env, args.runs), 0.150))
        base = timed([str(python), "-c", "import chinwag.app.cli.main"], env, args.runs)
        providers = timed([str(python), "-c", "import chinwag.app.cli.main, chinwag.app.agents.providers.models"],
                          env, args.runs)
        rows.append(("provider layer import (pydantic-ai + SDKs), paid at first model use only",
                     providers - base, None))
        counted = []
        if args.instructions:
            for name, app_args in (("bare Textual app (one Static)", ["textual", "hello"]),
                                   ("TUI, empty database", ["chinwag", markers(False), str(empty), ""]),
                                   ("TUI, 100,000 sessions", ["chinwag", markers(True), str(big), ""])):
                count = instructions(python, app_args)
                print(f"instructions to the first paint, {name}: {count or 0:,}")
                counted.append((name, count))
    lines = [machine_line(), "", "Fresh processes (interpreter start included): whole commands, median of "
             f"{args.runs}; the TUI from spawn to the first frame showing the whole first screen, its final "
             f"frame beside, median of {args.tui_runs} rounds in which the bare Textual app and the two "
             "databases take turns (headless, the driver of benchmarks/peers.py).", "",
             "| command | time | target | |", "|---|---:|---:|---|"]
    for name, seconds, target in rows:
        if target is None:
            note = "not at start-up" if "provider" in name else "for scale" if "final frame" in name else "the floor"
            print(f"{name:<45} {seconds * 1000:7.0f} ms  ({note})")
            lines.append(f"| {name} | {seconds * 1000:.0f} ms | {note} | {'✓' if 'provider' in name else ''} |")
            continue
        verdict = "✓" if seconds < target else "✗ MISSED"
        print(f"{name:<45} {seconds * 1000:7.0f} ms  (target < {target * 1000:.0f} ms) {verdict}")
        lines.append(f"| {name} | {seconds * 1000:.0f} ms | < {target * 1000:.0f} ms | {verdict} |")
    if counted and all(count for _, count in counted):
        floor_count = counted[0][1]
        lines += ["", "Instructions from the process's start to that first paint, counted by valgrind's callgrind "
                  "(`--instructions`; they hardly move with the machine's load, wall time does):", "",
                  "| first paint | instructions | over the bare Textual app |", "|---|---:|---:|"]
        lines += [f"| {name} | {count / 1e9:.3f} G | {(count - floor_count) / 1e9:+.3f} G |" for name, count in counted]
    write_section("Start-up", "\n".join(lines))


if __name__ == "__main__":
    main()
