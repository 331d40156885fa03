"""Shared helpers for benchmark scripts: describe the machine, and replace one `## Name`
section of benchmarks/RESULTS.md without touching the others.
"""

from __future__ import annotations

import os
import platform
import re
import sqlite3
from datetime import date
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
HEADER = "# Benchmark results\n\nRe-run any section with the script named in it. Figures are medians unless said.\n"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def machine_line() -> str:
    return (f"{date.today().isoformat()} · {os.cpu_count()} cores · {cpu_model()} · "
            f"Python {platform.python_version()} · SQLite {sqlite3.sqlite_version}")


def write_section(name: str, body: str) -> None:
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else HEADER
    section = f"## {name}\n\n{body.rstrip()}\n"
    pattern = re.compile(rf"^## {re.escape(name)}\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(text):
        text = pattern.sub(lambda _: section + "\n", text, count=1)
    else:
        text = text.rstrip() + "\n\n" + section
    RESULTS.write_text(text.rstrip() + "\n", encoding="utf-8")
