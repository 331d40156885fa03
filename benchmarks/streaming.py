"""Streaming benchmark: an agent emitting 20,000 deltas at full speed into the real TUI.

    python benchmarks/streaming.py [--deltas N] [--pace SECONDS]

Measures the agent's own pace alone, then the same stream through the runner into the
app (headless, 120x40): wall time, CPU, database writes, and the longest event-loop
stall seen by a 10 ms ticker. Targets (issue 7): no stall > 50 ms; the stream finishes
within 10% of the agent's own pace. Writes the `## Streaming` section of RESULTS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from results import machine_line, write_section  # noqa: E402

from chinwag.app.agents.base import Done, TextDelta, Usage  # noqa: E402
from chinwag.app.config import Config  # noqa: E402
from chinwag.app.tui_app import ChinwagApp  # noqa: E402
from chinwag.storage import Store  # noqa: E402


class Firehose:
    """Yields `deltas` small Markdown-ish deltas, sleeping `pace` seconds between them."""

    name, model = "firehose", "bench"

    def __init__(self, deltas: int, pace: float):
        self.deltas, self.pace = deltas, pace

    async def stream(self, messages, *, purpose="chat"):
        if purpose != "chat":  # no title or summary requests: only the stream is measured
            yield Done()
            return
        for i in range(self.deltas):
            await asyncio.sleep(self.pace)
            yield TextDelta("\n\n" if i % 40 == 39 else f"w{i % 97} ")
        yield Usage(10, self.deltas, estimated=True)
        yield Done()


async def agent_alone(deltas: int, pace: float) -> float:
    start = time.perf_counter()
    async for _ in Firehose(deltas, pace).stream([]):
        pass
    return time.perf_counter() - start


async def through_tui(db: Path, deltas: int, pace: float) -> dict:
    store = Store(db)
    writes = 0
    original = store.append_stream

    def counting(*args, **kwargs):
        nonlocal writes
        writes += 1
        return original(*args, **kwargs)

    store.append_stream = counting
    app = ChinwagApp(store=store, config=Config(), animate=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        app.runner._agent_factory = lambda name, model: Firehose(deltas, pace)
        stalls: list[float] = []
        done = False

        async def ticker():
            last = time.perf_counter()
            while not done:
                await asyncio.sleep(0.01)
                now = time.perf_counter()
                stalls.append(now - last - 0.01)
                last = now

        tick = asyncio.create_task(ticker())
        cpu0, start = time.process_time(), time.perf_counter()
        turn = await app.runner.send(app.session.id, "go")
        await pilot.pause()
        wall, cpu = time.perf_counter() - start, time.process_time() - cpu0
        done = True
        await tick
    store.close()
    return {"wall": wall, "cpu": cpu, "stall_ms": max(stalls) * 1000, "writes": writes, "status": turn.status,
            "chars": len(turn.text)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--deltas", type=int, default=20_000)
    parser.add_argument("--pace", type=float, default=0.0, help="seconds between deltas (0 = full speed)")
    parser.add_argument("--runs", type=int, default=3, help="pairs of runs; the median pair is reported")
    args = parser.parse_args()
    pairs = []
    for _ in range(max(1, args.runs)):  # the agent alone, then through the TUI, back to back
        alone = asyncio.run(agent_alone(args.deltas, args.pace))
        with tempfile.TemporaryDirectory() as tmp:
            result = asyncio.run(through_tui(Path(tmp) / "s.db", args.deltas, args.pace))
        pairs.append((result["wall"] / alone - 1 if alone else 0, alone, result))
        print(f"  run: alone {alone:.2f} s, through the TUI {result['wall']:.2f} s ({pairs[-1][0]:+.1%}), "
              f"stall {result['stall_ms']:.0f} ms")
    pairs.sort(key=lambda pair: pair[0])
    overhead, alone, result = pairs[len(pairs) // 2]
    result["stall_ms"] = max(pair[2]["stall_ms"] for pair in pairs)  # the worst stall of all runs
    print(f"agent alone: {alone:.2f} s for {args.deltas:,} deltas")
    print(f"through the TUI: {result['wall']:.2f} s wall ({overhead:+.0%}), {result['cpu']:.2f} s CPU, "
          f"{result['writes']} database writes, longest stall {result['stall_ms']:.0f} ms, turn {result['status']}")
    stall_ok = "✓" if result["stall_ms"] <= 50 else "✗ MISSED"
    pace_ok = "✓" if overhead <= 0.10 else "✗ MISSED"
    lines = [
        machine_line(), "",
        f"{args.deltas:,} deltas, {args.pace * 1000:.0f} ms apart, into the headless app (120x40) with animations on; "
        f"the median of {len(pairs)} back-to-back pairs (agent alone, then through the TUI); the stall is the "
        "worst of all runs.", "",
        "| measurement | figure | target | |", "|---|---:|---:|---|",
        f"| agent's own pace | {alone:.2f} s | | |",
        f"| through runner + TUI | {result['wall']:.2f} s ({overhead:+.1%}) | within +10% | {pace_ok} |",
        f"| CPU | {result['cpu']:.2f} s | | |",
        f"| database writes | {result['writes']} | batched | |",
        f"| longest event-loop stall | {result['stall_ms']:.0f} ms | ≤ 50 ms | {stall_ok} |",
    ]
    write_section("Streaming", "\n".join(lines))


if __name__ == "__main__":
    main()
