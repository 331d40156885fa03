"""Where blocking work (SQLite calls, library imports) runs for async code: `inline` on
the event loop, as the TUI and the CLI do (one user, short calls, no extra thread hops),
or `in_thread`, as the API server does, where one client's busy wait on a locked
database must not stall every other client on the same loop.

Code that may run in either host takes an `Offload` and awaits every blocking call
through it: `await offload(store.get_turn, turn_id)`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

Offload = Callable[..., Awaitable[Any]]


async def inline(fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
    """Call `fn` right here (never yields to the loop)."""
    return fn(*args, **kwargs)


async def in_thread(fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
    """Call `fn` in a worker thread; the loop serves others meanwhile.

    Like an inline call, a started call finishes before its caller sees a cancellation:
    a thread cannot be interrupted, and the caller's next write (e.g. the next batch of a
    stream) must not overtake one still running."""
    call = asyncio.ensure_future(asyncio.to_thread(fn, *args, **kwargs))
    cancelled = False
    while not call.done():
        try:
            await asyncio.wait([call])
        except asyncio.CancelledError:
            cancelled = True
    if cancelled:
        if not call.cancelled():
            call.exception()  # retrieved: the caller gets its cancellation, not this outcome
        raise asyncio.CancelledError
    return call.result()


def prepare_agent(agent) -> None:
    """An agent's blocking set-up before its first stream (a provider imports its client
    libraries: seconds on a cold start). Agents without one need nothing."""
    prepare = getattr(agent, "prepare", None)
    if prepare is not None:
        prepare()
