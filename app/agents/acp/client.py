"""The client side an ACP agent talks to: session updates, permission requests, and the
file-system and terminal methods, all confined to the session's workspace.

Updates and permission requests are handed to `sink` (the running turn's event queue) as
Chinwag events; between turns they are dropped (e.g. history replayed by `session/load`).
Permission modes: `bypass` allows, `readonly` rejects anything that edits, deletes,
moves or executes (and file writes and terminals are refused outright), `ask` hands the
request to whoever watches the turn and waits for the answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Callable
from pathlib import Path

from acp import RequestError
from acp.schema import (
    AllowedOutcome,
    CreateTerminalResponse,
    DeniedOutcome,
    KillTerminalResponse,
    ReadTextFileResponse,
    ReleaseTerminalResponse,
    RequestPermissionResponse,
    TerminalExitStatus,
    TerminalOutputResponse,
    WaitForTerminalExitResponse,
    WriteTextFileResponse,
)

from chinwag.app.agents.acp import process_group
from chinwag.app.agents.acp.environment import agent_environment
from chinwag.app.agents.acp.mapping import UpdateMapper
from chinwag.app.agents.base import FileWritten, Permission
from chinwag.app.config.schema import Mode
from chinwag.storage import files
from chinwag.storage.errors import StorageError

WRITING_KINDS = {"edit", "delete", "move", "execute"}
OUTPUT_LIMIT = 1_000_000
KEEP_LIMIT = 64 * 1024 * 1024  # a file an agent overwrites is kept (for undo) up to this size


def _refuse(message: str) -> RequestError:
    """A JSON-RPC error the agent sees with our reason as its message."""
    return RequestError(-32602, message, {"reason": message})


def _previous(target: Path) -> tuple[bytes | None, bool]:
    """What a file holds before it is overwritten (None: it does not exist), and whether it
    could be kept (not too large, readable)."""
    try:
        if target.stat().st_size > KEEP_LIMIT:
            return None, False
        return target.read_bytes(), True
    except FileNotFoundError:
        return None, True
    except OSError:  # unreadable, or a folder (the write then fails with its own message)
        return None, False


class Terminal:
    def __init__(self, process: asyncio.subprocess.Process, limit: int):
        self.process = process
        self.limit = limit
        self.output = bytearray()
        self.truncated = False
        self.reader = asyncio.ensure_future(self._read())

    async def _read(self) -> None:
        assert self.process.stdout is not None
        while chunk := await self.process.stdout.read(65536):
            self.output += chunk
            if len(self.output) > self.limit:
                del self.output[: len(self.output) - self.limit]
                self.truncated = True

    async def stop(self) -> None:
        """The command and its whole process group (kill/release may come while it runs)."""
        await process_group.terminate(self.process)
        if not self.reader.done():  # the rest of its output, if it comes at once
            with contextlib.suppress(Exception):
                await asyncio.wait_for(asyncio.shield(self.reader), 1)
            self.reader.cancel()

    def exit_status(self) -> TerminalExitStatus | None:
        code = self.process.returncode
        if code is None:
            return None
        return TerminalExitStatus(exit_code=code if code >= 0 else None, signal=None if code >= 0 else str(-code))


class ChinwagClient:
    def __init__(self, workspace: str, mode: Callable[[], str], env: dict[str, str] | None = None):
        self.workspace = Path(workspace or os.getcwd()).resolve()
        self.mode = mode
        self.env = agent_environment({}) if env is None else env  # the agent's own: secrets filtered
        self.sink: Callable[[object], None] | None = None
        self.mapper = UpdateMapper()
        self.terminals: dict[str, Terminal] = {}
        self._next_terminal = 0
        self.gate = None  # the turn's workspace checkpoint, which changes wait for (see _changes_may_start)

    # -- wiring ---------------------------------------------------------------------------
    def begin_turn(self, sink: Callable[[object], None]) -> None:
        self.sink = sink
        self.mapper = UpdateMapper()

    def end_turn(self, sink=None) -> list:
        """Stop delivering to `sink` (if it is still the current one); settle open calls."""
        if sink is not None and self.sink is not sink:
            return []
        self.sink = None
        return self.mapper.close_open_calls()

    def on_connect(self, conn) -> None:
        self.conn = conn

    async def _changes_may_start(self) -> None:
        """A write, a terminal or a permission request waits until the turn's workspace
        checkpoint is done, so it holds the files as they were before the prompt."""
        gate = self.gate
        if gate is not None and not gate.done():
            with contextlib.suppress(Exception):
                await asyncio.shield(gate)

    # -- updates --------------------------------------------------------------------------
    async def session_update(self, session_id: str, update, **kwargs) -> None:
        if self.sink is None:
            return
        for event in self.mapper.map(update):
            self.sink(event)

    async def request_permission(self, options, session_id: str, tool_call, **kwargs) -> RequestPermissionResponse:
        choices = tuple((o.option_id, o.name, str(o.kind)) for o in options)
        kind = str(getattr(tool_call, "kind", None) or "other")
        title = getattr(tool_call, "title", None) or "a tool call"
        call_id = getattr(tool_call, "tool_call_id", "")
        await self._changes_may_start()
        mode = self.mode()
        if mode in (Mode.BYPASS, Mode.READONLY):
            wanted = ("allow_once", "allow_always") if mode == Mode.BYPASS or kind not in WRITING_KINDS \
                else ("reject_once", "reject_always")
            chosen = next((o for o, _, k in choices if k in wanted), None)
            if self.sink:
                self.sink(Permission(call_id, title, kind, choices, decided=chosen or "cancelled", by=f"mode:{mode}"))
            return self._outcome(chosen)
        if self.sink is None:  # nobody is watching a turn: never allow silently
            return self._outcome(None)
        future = asyncio.get_running_loop().create_future()
        self.sink(Permission(call_id, title, kind, choices, answer=future))
        try:
            chosen = await future
        except asyncio.CancelledError:
            chosen = None
        return self._outcome(chosen)

    @staticmethod
    def _outcome(option_id: str | None) -> RequestPermissionResponse:
        if option_id:
            return RequestPermissionResponse(outcome=AllowedOutcome(outcome="selected", option_id=option_id))
        return RequestPermissionResponse(outcome=DeniedOutcome(outcome="cancelled"))

    # -- file system ------------------------------------------------------------------------
    def _inside(self, path: str) -> Path:
        target = Path(path)
        target = (target if target.is_absolute() else self.workspace / target).resolve()
        if target != self.workspace and self.workspace not in target.parents:
            raise _refuse(f"{path} is outside the session's workspace {self.workspace}")
        return target

    async def read_text_file(self, path: str, session_id: str, limit: int | None = None, line: int | None = None,
                             **kwargs) -> ReadTextFileResponse:
        target = self._inside(path)
        try:
            text = target.read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            raise _refuse(f"cannot read {path}: {exc.strerror or exc}") from None
        if line or limit:
            lines = text.splitlines(keepends=True)
            start = max(0, (line or 1) - 1)
            text = "".join(lines[start: start + limit if limit else None])
        return ReadTextFileResponse(content=text)

    async def write_text_file(self, content: str, path: str, session_id: str, **kwargs) -> WriteTextFileResponse:
        if self.mode() == Mode.READONLY:
            raise _refuse(f"the session is read-only: writing {path} was refused")
        target = self._inside(path)
        await self._changes_may_start()
        try:
            files.check_not_protected(target)  # an agent never writes onto Chinwag's open database
        except StorageError as exc:
            raise _refuse(str(exc)) from None
        data = content.encode("utf-8")
        before, kept = _previous(target)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        except OSError as exc:
            raise _refuse(f"cannot write {path}: {exc.strerror or exc}") from None
        if self.sink is not None:  # recorded per tool call (the agent may name it in _meta)
            call = str(kwargs.get("toolCallId") or kwargs.get("tool_call_id") or "") or self.mapper.current_call()
            self.sink(FileWritten(call, str(self.workspace), target.relative_to(self.workspace).as_posix(),
                                  before, data, kept))
        return WriteTextFileResponse()

    # -- terminals ------------------------------------------------------------------------------
    async def create_terminal(self, command: str, session_id: str, args=None, cwd=None, env=None,
                              output_byte_limit=None, **kwargs) -> CreateTerminalResponse:
        if self.mode() == Mode.READONLY:
            raise _refuse(f"the session is read-only: running {command!r} was refused")
        workdir = self._inside(cwd) if cwd else self.workspace
        await self._changes_may_start()
        environment = dict(self.env)
        for variable in env or []:
            environment[variable.name] = variable.value
        try:
            process = await process_group.start(
                command, *(args or []), cwd=str(workdir), env=environment, stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
            )
        except OSError as exc:
            raise _refuse(f"cannot run {command!r}: {exc.strerror or exc}") from None
        self._next_terminal += 1
        terminal_id = f"term-{self._next_terminal}"
        self.terminals[terminal_id] = Terminal(process, int(output_byte_limit or OUTPUT_LIMIT))
        return CreateTerminalResponse(terminal_id=terminal_id)

    def _terminal(self, terminal_id: str) -> Terminal:
        terminal = self.terminals.get(terminal_id)
        if terminal is None:
            raise _refuse(f"unknown terminal {terminal_id!r}")
        return terminal

    async def terminal_output(self, session_id: str, terminal_id: str, **kwargs) -> TerminalOutputResponse:
        terminal = self._terminal(terminal_id)
        return TerminalOutputResponse(output=terminal.output.decode("utf-8", errors="replace"),
                                      truncated=terminal.truncated, exit_status=terminal.exit_status())

    async def wait_for_terminal_exit(self, session_id: str, terminal_id: str, **kwargs) -> WaitForTerminalExitResponse:
        terminal = self._terminal(terminal_id)
        await process_group.exited(terminal.process)
        with contextlib.suppress(Exception):  # output still coming from what it left running is not waited for
            await asyncio.wait_for(asyncio.shield(terminal.reader), 1)
        status = terminal.exit_status()
        return WaitForTerminalExitResponse(exit_code=status.exit_code if status else None,
                                           signal=status.signal if status else None)

    async def kill_terminal(self, session_id: str, terminal_id: str, **kwargs) -> KillTerminalResponse:
        await self._terminal(terminal_id).stop()
        return KillTerminalResponse()

    async def release_terminal(self, session_id: str, terminal_id: str, **kwargs) -> ReleaseTerminalResponse:
        terminal = self.terminals.pop(terminal_id, None)
        if terminal is not None:
            await terminal.stop()
        return ReleaseTerminalResponse()

    async def aclose(self) -> None:
        """End every terminal the agent opened, with whatever they started."""
        terminals = list(self.terminals.values())
        self.terminals.clear()
        await asyncio.gather(*(terminal.stop() for terminal in terminals), return_exceptions=True)
