"""The processes Chinwag starts for ACP (agents and the terminals an agent opens), each in
a session of its own, so that ending one ends everything it spawned.

An agent is often a launcher (codex-acp's node script starts a native binary): signalling
only the launcher leaves the real program running with parent 1, still holding our pipes.
`start` puts the child in a new session (its pid is the process group id) and `terminate`
signals the whole group: SIGTERM, then SIGKILL for whatever is left after a grace period,
then reaps the child and closes its transport while the event loop still runs (a transport
collected after the loop closed prints "Exception ignored ... Event loop is closed").
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from pathlib import Path

TERM_GRACE = 2.0
POLL = 0.02
EXIT_POLL = 0.05


async def start(program: str, *args: str, **kwargs) -> asyncio.subprocess.Process:
    """`asyncio.create_subprocess_exec` in a new session (process group = its pid)."""
    return await asyncio.create_subprocess_exec(program, *args, start_new_session=True, **kwargs)


async def exited(process: asyncio.subprocess.Process) -> int:
    """The child's exit code once it exited. Unlike `process.wait()`, this does not also wait
    for its pipes to close, which never happens while something it spawned still holds them."""
    while process.returncode is None:
        await asyncio.sleep(EXIT_POLL)
    return process.returncode


def _members(pgid: int) -> bool:
    """Is any live (non-zombie) process left in the group?"""
    proc = Path("/proc")
    if proc.is_dir():
        for entry in proc.iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            fields = stat[stat.rfind(")") + 2:].split()  # after "pid (comm) ": state ppid pgrp ...
            if len(fields) > 2 and fields[2] == str(pgid) and fields[0] not in ("Z", "X"):
                return True
        return False
    try:  # no /proc (macOS): a group of zombies still counts as alive here, at worst we send SIGKILL
        os.killpg(pgid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def _signal(pgid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


async def _until_empty(pgid: int, timeout: float) -> bool:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while _members(pgid):
        if loop.time() >= deadline:
            return False
        await asyncio.sleep(POLL)
    return True


async def terminate(process: asyncio.subprocess.Process, grace: float = TERM_GRACE) -> None:
    """End the process and its whole group: SIGTERM, SIGKILL after `grace` s; reap; close."""
    pgid = process.pid
    if _members(pgid):
        _signal(pgid, signal.SIGTERM)
        if not await _until_empty(pgid, grace):
            _signal(pgid, signal.SIGKILL)
            await _until_empty(pgid, grace)
    with contextlib.suppress(Exception):
        await asyncio.wait_for(process.wait(), grace)
    close_transport(process)


def close_transport(process: asyncio.subprocess.Process) -> None:
    """Close the subprocess transport now (its pipes too), not when the GC finds it."""
    transport = getattr(process, "_transport", None)
    if transport is not None:
        with contextlib.suppress(Exception):
            transport.close()
