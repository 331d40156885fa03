"""Live ACP agent processes, one per Chinwag session, kept between turns.

A process is shut down on `/stop`, archive, quit (`close_all`), or after `idle_timeout`
seconds without a turn. This module imports nothing heavy: callers that never used an
ACP agent (the TUI on quit, a CLI command) can call `close_all()` for free.
"""

from __future__ import annotations

import asyncio
import contextlib

_live: dict[str, object] = {}  # chinwag session id -> AcpProcess
_idle: dict[str, asyncio.TimerHandle] = {}


def get(session_id: str):
    process = _live.get(session_id)
    if process is not None and not process.alive:
        _live.pop(session_id, None)
        return None
    return process


def put(session_id: str, process) -> None:
    _live[session_id] = process
    touch(session_id, None)


def touch(session_id: str, idle_timeout: float | None) -> None:
    """(Re)arm the idle timer; None disarms it (a turn is running)."""
    timer = _idle.pop(session_id, None)
    if timer is not None:
        timer.cancel()
    if idle_timeout and session_id in _live:
        loop = asyncio.get_running_loop()
        _idle[session_id] = loop.call_later(idle_timeout, lambda: asyncio.ensure_future(close(session_id)))


def live_sessions() -> list[str]:
    return [sid for sid, process in _live.items() if process.alive]


async def close(session_id: str) -> bool:
    touch(session_id, None)
    process = _live.pop(session_id, None)
    if process is None:
        return False
    with contextlib.suppress(Exception):
        await process.close()
    return True


async def close_all() -> None:
    for session_id in list(_live):
        await close(session_id)
