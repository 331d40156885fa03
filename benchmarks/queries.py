"""Query-count benchmark: the SQL statements one echo turn costs, by kind.

    python benchmarks/queries.py

Runs one echo exchange through the runner (as `chinwag session send` does) and one Enter
in the headless TUI (Pilot), each on a fresh database, counting statements with
`sqlite3.Connection.set_trace_callback` the way tests/test_query_count.py does (the
counting rules are in tests/sql_trace.py). Prints the counts and writes the `## Queries`
section of RESULTS.md.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))
from results import machine_line, write_section  # noqa: E402
from sql_trace import KINDS, runner_turn, tui_turn  # noqa: E402

# the same turn before typed runner events and the one-statement hot paths (2026-12-01)
BEFORE = {"runner": (27, 19, 3, 13, 4), "TUI": (52, 21, 4, 13, 4)}


def main() -> None:
    with tempfile.TemporaryDirectory() as home:
        os.environ["CHINWAG_HOME"] = home  # never the real home
        os.environ["OLLAMA_HOST"] = "127.0.0.1:9"  # no discovery of a local model server
        runs = {"runner": asyncio.run(runner_turn(Path(home) / "runner.db")),
                "TUI": asyncio.run(tui_turn(Path(home) / "tui.db"))}
    lines = [machine_line(), "",
             "One echo turn (the prompt \"hello there\"), statements by kind; before → now. Re-run with "
             "`python benchmarks/queries.py`; tests/test_query_count.py holds the ceilings (half of before).", "",
             "| path | " + " | ".join(KINDS) + " | total |", "|---|" + "---:|" * (len(KINDS) + 1)]
    for name, counter in runs.items():
        figures = counter.figures()
        now = [figures[k] for k in KINDS]
        cells = [f"{b} → {n}" for b, n in zip(BEFORE[name], now, strict=True)]
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {sum(BEFORE[name])} → {sum(now)} |")
        print(name, figures)
    lines += ["", "Writes are INSERT/UPDATE/DELETE (a trigger's own statements are folded into the one that "
              "fired it); pragmas are the `synchronous` switches around the two durable commits (prompt, "
              "settle). `PRAGMA data_version`, the TUI's timer poll, is not counted."]
    write_section("Queries", "\n".join(lines))


if __name__ == "__main__":
    main()
