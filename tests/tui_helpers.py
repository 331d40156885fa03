"""What the Pilot tests share: the echo configs, a factory of apps over the test database
(each with its own store, closed after the test), waiting for a condition, and sending a
prompt the way a user does (text in the prompt, Enter)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterator

from chinwag.app.config.loader import Config
from chinwag.storage import Store

SLOW = Config(agents={"echo": {"kind": "echo", "delay": 0.02, "chunk": 2}})
FAST = Config(agents={"echo": {"kind": "echo", "delay": 0, "chunk": 16}})


@contextlib.contextmanager
def app_factory(db_path, default: Config = FAST) -> Iterator[Callable]:
    """`make(config=default, **options) -> (ChinwagApp, Store)`; the stores close on exit."""
    from chinwag.app.tui.app import ChinwagApp  # lazy: storage-only test files never load Textual

    stores: list[Store] = []

    def make(config: Config | None = None, **kwargs):
        store = Store(db_path)
        stores.append(store)
        return ChinwagApp(store=store, config=config or default, animate=False, **kwargs), store

    try:
        yield make
    finally:
        for store in stores:
            store.close()


async def wait_for(pilot, condition: Callable[[], object], timeout: float = 15.0, step: float = 0.05) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError("condition not met in time")
        await pilot.pause(step)


async def submit(pilot, app, text: str) -> None:
    app.chat.prompt.text = text
    await pilot.pause()
    app.chat.prompt.focus_input()
    await pilot.press("enter")
    await pilot.pause()


async def page_down_to_the_end(pilot, transcript, presses: int = 400) -> None:
    """PgDn until the transcript shows the path's newest turn at the bottom (pages load on the way)."""
    for _ in range(presses):
        if not transcript.has_newer and transcript.scroll_offset.y >= transcript.max_scroll_y:
            break
        await pilot.press("pagedown")
    await pilot.pause()
