"""Workspace checkpoint benchmark: a 10,000-file / 200 MB workspace in a temp folder.

    python benchmarks/checkpoints.py [--files 10000] [--mb 200] [--runs 5]

Generates the workspace (100 folders of 100 files, 4-36 KB of code-like text each, plus a
`.gitignore` and an ignored `build/` folder), then times with `chinwag.app.core.checkpoints`:

- the first checkpoint (a fresh shadow repository; once per run, each run on a fresh
  CHINWAG_HOME, the files already in the page cache),
- an incremental checkpoint after 10 files changed,
- a restore of those 10 files (which checkpoints what it replaces first).

Prints the figures and writes the `## Checkpoints` section of RESULTS.md. Targets (issue 15):
first < 10 s, incremental < 0.5 s, restore < 0.5 s.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from results import machine_line, write_section  # noqa: E402

TARGETS = {"first": 10.0, "incremental": 0.5, "restore": 0.5}


class Clock:
    """Wall time, and the CPU time (user + system) of this process and the git it ran: on a
    shared machine the CPU time shows the cost when the wall time also holds the waiting."""

    def __enter__(self):
        self.wall, self.cpu = time.perf_counter(), self._cpu()
        return self

    def __exit__(self, *exc):
        self.wall, self.cpu = time.perf_counter() - self.wall, self._cpu() - self.cpu

    @staticmethod
    def _cpu() -> float:
        own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


WORDS = ("def class return self import from if else for in while try except with as yield lambda None True "
         "False value result items index count name path text data config session turn agent model").split()


def source_lines(rng: random.Random, count: int = 20_000) -> list[bytes]:
    """Lines that look (and compress) like code: indented identifiers, calls and numbers."""
    lines = []
    for _ in range(count):
        words = [rng.choice(WORDS) + (str(rng.randint(0, 999)) if rng.random() < 0.3 else "")
                 for _ in range(rng.randint(2, 10))]
        lines.append(b"    " * rng.randint(0, 3) + " ".join(words).encode() + b"\n")
    return lines


def generate(root: Path, files: int, total_mb: int, rng: random.Random) -> int:
    """Code-like text files whose sizes average total_mb / files; returns the bytes written."""
    average = total_mb * 1024 * 1024 // files
    pool = source_lines(rng)
    line = sum(map(len, pool)) // len(pool)
    written = 0
    folders = max(1, files // 100)
    (root / ".gitignore").write_text("build/\n*.o\n")
    (root / "build").mkdir()
    for n in range(20):
        (root / "build" / f"out{n}.o").write_bytes(rng.randbytes(50_000))
    for n in range(files):
        folder = root / f"pkg{n % folders:03d}"
        folder.mkdir(exist_ok=True)
        size = rng.randint(average // 5, average * 9 // 5)
        data = b"".join(rng.choices(pool, k=size // line))
        (folder / f"module{n:05d}.py").write_bytes(data)
        written += len(data)
    return written


def change(root: Path, rng: random.Random, count: int = 10) -> list[Path]:
    paths = sorted(root.glob("pkg*/module*.py"))
    chosen = rng.sample(paths, count)
    for path in chosen:
        with path.open("ab") as out:
            out.write(b"\n# changed " + rng.randbytes(8).hex().encode() + b"\n")
    return chosen


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--mb", type=int, default=200)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    rng = random.Random(15)
    figures: dict[str, list[float]] = {"first": [], "incremental": [], "restore": []}
    cpu: dict[str, list[float]] = {key: [] for key in figures}
    loads = []
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["CHINWAG_HOME"] = str(Path(tmp) / "home")  # never the real home
        from chinwag.app.core import checkpoints, shadow_git

        ws = Path(tmp) / "ws"
        ws.mkdir()
        started = time.perf_counter()
        size = generate(ws, args.files, args.mb, rng)
        print(f"generated {args.files:,} files, {size / 2**20:.0f} MB in {time.perf_counter() - started:.1f} s")
        limits = checkpoints.Limits(max_total_bytes=1024 * 2**20)
        for run in range(args.runs):
            os.environ["CHINWAG_HOME"] = str(Path(tmp) / f"home{run}")  # a fresh shadow repository
            loads.append(os.getloadavg()[0])
            with Clock() as clock:
                first = checkpoints.take(ws, label="first", limits=limits)
            assert first.id, first.skipped
            record(figures, cpu, "first", clock)
            change(ws, rng)
            with Clock() as clock:
                incremental = checkpoints.take(ws, label="incremental", limits=limits)
            assert incremental.id and incremental.id != first.id
            record(figures, cpu, "incremental", clock)
            change(ws, rng)  # 10 more files to put back
            with Clock() as clock:
                result = checkpoints.restore(ws, incremental.id, limits=limits)
            assert len(result.changed) == 10, result
            record(figures, cpu, "restore", clock)
            print(f"run {run + 1}: " + ", ".join(f"{k} {_s(v[-1])} (cpu {_s(cpu[k][-1])})" for k, v in figures.items()))
        shadow = shadow_git.shadow_dir(ws.resolve())
        used = sum(f.stat().st_size for f in shadow.rglob("*") if f.is_file())
    git = subprocess.run(["git", "--version"], capture_output=True, text=True).stdout.strip()
    lines = [machine_line() + f" · {git}", "",
             f"A generated workspace of {args.files:,} text files ({size / 2**20:.0f} MB, in {args.files // 100} "
             "folders, plus an ignored `build/`), checkpointed into a fresh shadow repository; median of "
             f"{args.runs} runs (min–max), and the median CPU time (user + system, git's included). The "
             f"machine was shared: load average {min(loads):.1f}–{max(loads):.1f} on its {os.cpu_count()} cores "
             "while it ran. Re-run with `python benchmarks/checkpoints.py`.", "",
             "| step | wall, median | min–max | CPU, median | target |", "|---|---:|---:|---:|---:|"]
    names = {"first": "first checkpoint", "incremental": "incremental, 10 files changed",
             "restore": "restore of 10 files (a checkpoint of what it replaces first)"}
    for key, values in figures.items():
        median = statistics.median(values)
        lines.append(f"| {names[key]} | {_s(median)} | {_s(min(values))}–{_s(max(values))} | "
                     f"{_s(statistics.median(cpu[key]))} | < {_s(TARGETS[key])} |")
    lines += ["", f"The shadow repository holds {used / 2**20:.0f} MB for those {size / 2**20:.0f} MB (zlib level 1; a "
              "first checkpoint goes into one pack, later ones into loose objects)."]
    print("\n".join(lines))
    write_section("Checkpoints", "\n".join(lines))


def record(figures: dict, cpu: dict, key: str, clock: Clock) -> None:
    figures[key].append(clock.wall)
    cpu[key].append(clock.cpu)


def _s(seconds: float) -> str:
    return f"{seconds:.2f} s" if seconds >= 1 else f"{seconds * 1000:.0f} ms"


if __name__ == "__main__":
    main()
