"""Regenerate the README screenshots from the real app on demo data.

    python screenshots/make.py          # writes screenshots/*.svg (and *.png with cairosvg)

Deterministic: a fixed clock, fixed ids, fixed terminal sizes, animations off.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent


def demo_store(path: Path):
    from chinwag.app.demo import DEMO_NOW, build_demo
    from chinwag.storage.clock import FixedClock

    store = build_demo(path)
    store.clock = FixedClock(DEMO_NOW)
    return store, None


def agent_store(path: Path):
    from chinwag.app.demo import build_agent_at_work

    return build_agent_at_work(path)


async def shoot(name: str, size: tuple[int, int], steps, build=demo_store) -> Path:
    from datetime import timedelta

    from chinwag.app.demo import DEMO_NOW
    from chinwag.app.tui.app import ChinwagApp

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["CHINWAG_HOME"] = tmp
        os.environ["CHINWAG_ECHO_DELAY"] = "0"
        store, session_id = build(Path(tmp) / "chinwag.db")
        app = ChinwagApp(store=store, animate=False, session_id=session_id,
                         now=lambda: DEMO_NOW + timedelta(seconds=14))
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            for step in steps:
                await step(pilot)
                await pilot.pause()
            await pilot.pause(0.1)
            target = HERE / f"{name}.svg"
            target.write_text(app.export_screenshot(title="chinwag"), encoding="utf-8")
        store.close()
    try:
        import cairosvg

        cairosvg.svg2png(url=str(target), write_to=str(target.with_suffix(".png")))
    except Exception as exc:  # PNG is a convenience; the SVG is what the README uses
        print(f"(no PNG for {name}: {exc})", file=sys.stderr)
    print(f"wrote {target}")
    return target


async def type_text(pilot, text: str) -> None:
    for char in text:
        await pilot.press(char)


async def main() -> None:
    async def nothing(pilot):
        return None

    async def popup(pilot):
        await type_text(pilot, "/co")

    async def narrow(pilot):
        return None

    await shoot("conversation", (120, 36), [nothing])
    await shoot("popup", (120, 36), [popup])
    await shoot("narrow", (80, 24), [narrow])
    await shoot("coding-agent", (110, 30), [nothing], build=agent_store)


if __name__ == "__main__":
    asyncio.run(main())
