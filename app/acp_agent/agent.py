"""The ACP agent methods on Chinwag's own store and runner: an ACP session *is* a Chinwag
session (its id is the session id), and a prompt is a turn run by `Runner.send` exactly as
the TUI runs one, so what is stored cannot tell the two apart.

- `session/new`: cwd -> workspace, the agent and model as a new TUI session gets them
  (`--agent` overrides the cascade, `--mode` the permission mode); MCP servers given are
  kept in the session's metadata (names and commands, never env or header values).
- `session/prompt`: busy sessions refused; Chinwag's `/compact`, `/model` and `/status`
  answered here; anything else becomes a turn, streamed as updates (`mapping.LiveTurn`)
  through the host's `Outbox`; the answer carries the stop reason and the turn's usage.
- `session/cancel` stops the turn (the runner keeps the partial text, status `stopped`);
  `session/set_mode` sets ask/bypass/readonly; `session/load` replays the stored history;
  `session/list` pages through the sessions.

Hosts: `stdio.py` (live updates, permission questions forwarded to the client) and the
HTTP endpoint (`chinwag.app.api.acp`: no outbox, the updates are read from the database).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, cast

from acp import RequestError
from acp.helpers import update_agent_message_text
from acp.schema import (
    ListSessionsResponse,
    LoadSessionResponse,
    NewSessionResponse,
    PermissionOption,
    PermissionOptionKind,
    PromptResponse,
    SetSessionModeResponse,
    ToolCallUpdate,
    ToolKind,
    Usage,
    UsageUpdate,
)

from chinwag.app.acp_agent import commands, mapping
from chinwag.app.acp_agent.rpc import busy, invalid
from chinwag.app.agents.acp.environment import is_secret
from chinwag.app.agents.base import Permission
from chinwag.app.agents.settings import effective, new_session_choice, new_session_kind
from chinwag.app.config.loader import Config
from chinwag.app.config.schema import MODES, Mode
from chinwag.app.core.events import CommandsChanged, LiveTurnEvent, RunnerEvent, TitleChanged, TurnSettled
from chinwag.app.core.offload import Offload, inline
from chinwag.app.core.runner import Runner
from chinwag.storage import NotFound, Store
from chinwag.storage.models import Session, Turn
from chinwag.storage.tokens import UNREPORTED

log = logging.getLogger("chinwag.acp_agent")
PAGE = 50
TOOL_KINDS = {"read", "edit", "delete", "move", "search", "execute", "think", "fetch", "switch_mode", "other"}
OPTION_KINDS = {"allow_once", "allow_always", "reject_once", "reject_always"}


def tool_kind(kind: str) -> ToolKind:
    return cast(ToolKind, kind if kind in TOOL_KINDS else "other")


def option_kind(kind: str) -> PermissionOptionKind:
    """The option's kind as ACP has them (an agent's own names fall back by their meaning)."""
    if kind in OPTION_KINDS:
        return cast(PermissionOptionKind, kind)
    return "allow_once" if "allow" in kind else "reject_once"


class Outbox:
    """`session/update`s sent in the order they were made, by one task; `flush` waits
    until all made so far are out (a prompt's answer follows its last chunk)."""

    def __init__(self, send: Callable[[str, Any], Awaitable[None]]):
        self._send = send
        self._queue: asyncio.Queue = asyncio.Queue()
        self._task: asyncio.Task | None = None

    def put(self, session_id: str, update: Any) -> None:
        self._queue.put_nowait((session_id, update))
        if self._task is None or self._task.done():
            self._task = asyncio.ensure_future(self._pump())

    async def _pump(self) -> None:
        while not self._queue.empty():
            session_id, update = self._queue.get_nowait()
            try:
                await self._send(session_id, update)
            except Exception as exc:  # the client went away: nothing to tell it any more
                log.warning("session/update not sent: %s", exc)
            finally:
                self._queue.task_done()

    async def flush(self) -> None:
        await self._queue.join()


def mcp_record(server: Any) -> dict:
    """An MCP server as kept for later: what it is and how it starts, without env or header
    values, and with the value after a secret-looking flag (`--api-key X`) left out."""
    data = server.model_dump(mode="json", by_alias=True, exclude_none=True)
    record = {k: v for k, v in data.items() if k in ("type", "name", "command", "url")}
    args, hide = [], False
    for arg in map(str, data.get("args") or []):
        if hide:
            args.append("(hidden)")
            hide = False
            continue
        name, eq, _ = arg.lstrip("-").partition("=")
        secret = is_secret(name.replace("-", "_"))
        args.append(f"{arg.split('=', 1)[0]}=(hidden)" if eq and secret else arg)
        hide = arg.startswith("-") and not eq and secret
    if "args" in data:
        record["args"] = args
    for key in ("env", "headers"):
        if data.get(key):
            record[key] = [item["name"] for item in data[key]]
    return record


class ChinwagAgent:
    """One client's view of the database: its runner set by the host (`attach`)."""

    def __init__(self, store: Store, config: Config, *, agent_name: str = "", mode: str = "",
                 offload: Offload = inline, outbox: Outbox | None = None):
        self.store, self.config, self.offload, self.outbox = store, config, offload, outbox
        self.agent_name = agent_name  # `--agent`: the agent of the sessions made here ("" = the cascade's)
        self.mode = mode  # `--mode`: their permission mode ("" = ask, as in the TUI)
        self.runner: Runner | None = None
        self.client: Any = None  # stdio: the connection to ask the client for permission on
        self._live: dict[str, mapping.LiveTurn] = {}
        self._prompting: set[str] = set()

    def attach(self, runner: Runner) -> None:
        self.runner = runner

    def _offer_commands(self, session: Session) -> None:
        """Sent once the answer that opened the session is out (the client knows the session then)."""
        update = mapping.commands_update(mapping.agent_commands(session))
        asyncio.get_running_loop().call_soon(self.push, session.id, update)

    async def _flush(self) -> None:
        if self.outbox is not None:
            await self.outbox.flush()

    # -- what the runner tells (stdio: live updates) -----------------------------------------
    def push(self, session_id: str, update: Any) -> None:
        if self.outbox is not None:
            self.outbox.put(session_id, update)

    def on_runner_event(self, event: RunnerEvent) -> None:
        match event:
            case LiveTurnEvent():
                live = self._live.setdefault(event.turn.id, mapping.LiveTurn())
                for update in live.updates(event.turn, event.tool_calls):
                    self.push(event.session_id, update)
                if isinstance(event, TurnSettled):
                    self._live.pop(event.turn.id, None)
            case TitleChanged():
                self.push(event.session_id, mapping.title_update(event.title, self.store.clock.stamp()))
            case CommandsChanged():
                self.push(event.session_id, mapping.commands_update(event.commands))

    def on_permission(self, session_id: str, request: Permission) -> None:
        """`ask` mode: the question goes to the client (`session/request_permission`)."""
        asyncio.ensure_future(self._ask(session_id, request))

    async def _ask(self, session_id: str, request: Permission) -> None:
        assert self.runner is not None
        chosen = None
        try:
            options = [PermissionOption(option_id=option, name=name, kind=option_kind(kind))
                       for option, name, kind in request.options]
            answer = await self.client.request_permission(
                session_id=session_id, options=options,
                tool_call=ToolCallUpdate(tool_call_id=request.call_id, title=request.title,
                                         kind=tool_kind(request.kind)))
            chosen = getattr(answer.outcome, "option_id", None)
        except Exception as exc:  # no answer is a refusal
            log.warning("permission question not answered: %s", exc)
        if self.runner.pending_permission(session_id) is request:
            self.runner.answer_permission(session_id, chosen, by="acp client")

    # -- helpers --------------------------------------------------------------------------
    async def session(self, session_id: str) -> Session:
        try:
            return await self.offload(self.store.get_session, session_id)
        except NotFound:
            raise invalid(f"no session matches id {session_id!r}", sessionId=session_id) from None

    async def _after_turn(self, before: Session) -> None:
        """What changed with the turn: the title taken from the first prompt, and the context
        so far against the model's window (`usage_update`, where the window is known)."""

        def read() -> tuple[Session, int, int]:
            session = self.store.get_session(before.id)
            values = effective(self.config, session=session, probe=False)
            window = int(cast("int | float | str", values["context_window"].value or 0))
            return session, self.store.context_size(session.id), window

        session, used, size = await self.offload(read)
        if session.title != before.title:
            self.push(session.id, mapping.title_update(session.title, session.updated_at))
        if size > 0:
            self.push(session.id, UsageUpdate(session_update="usage_update", used=used, size=size))

    # -- the protocol -------------------------------------------------------------------------
    async def initialize(self, protocol_version: int, client_capabilities=None, client_info=None, **kwargs):
        if client_info is not None:
            log.info("ACP client %s %s connected", client_info.name, client_info.version)
        return mapping.initialize_response(protocol_version)

    async def authenticate(self, method_id: str, **kwargs):
        raise invalid(f"no auth method {method_id!r}: Chinwag needs no login (provider keys come from its "
                      "environment)")

    async def new_session(self, cwd: str, mcp_servers=None, additional_directories=None, **kwargs):
        workspace = cwd or str(self.config.defaults.get("workspace") or "") or mapping.absolute("")
        metadata = {"acp_mcp_servers": [mcp_record(s) for s in mcp_servers]} if mcp_servers else None
        title = kwargs.get("title")

        def create() -> Session:
            choice = new_session_choice(self.config, workspace, agent=self.agent_name)
            return self.store.create_session(title=title if isinstance(title, str) else None, agent=choice.agent,
                                             model=choice.model, kind=new_session_kind(self.config),
                                             workspace=workspace, mode=self.mode or Mode.ASK.value,
                                             metadata=metadata)

        session = await self.offload(create)
        self._offer_commands(session)
        return NewSessionResponse(session_id=session.id, modes=mapping.mode_state(session.mode))

    async def load_session(self, cwd: str, session_id: str, mcp_servers=None, **kwargs):
        session = await self.session(session_id)
        if mcp_servers:
            await self.offload(self.store.merge_session_metadata, session.id,
                               {"acp_mcp_servers": [mcp_record(m) for m in mcp_servers]})
        if self.outbox is None:  # over HTTP the replay is the event stream's, from its start
            return LoadSessionResponse(modes=mapping.mode_state(session.mode), field_meta={
                "chinwag": {"replay": f"GET /api/acp?sessionId={session.id}&last_event_id=0"}})

        def history():
            turns = self.store.list_turns(session.id)
            calls: dict[str, list] = {}
            ids = [t.id for t in turns if t.role == "agent"]
            for start in range(0, len(ids), 500):
                for call in self.store.list_tool_calls(ids[start:start + 500]):
                    calls.setdefault(call.turn_id, []).append(call)
            return turns, calls

        for update in mapping.history_updates(*await self.offload(history)):
            self.push(session.id, update)
        await self._flush()
        self._offer_commands(session)
        return LoadSessionResponse(modes=mapping.mode_state(session.mode))

    async def list_sessions(self, cwd: str | None = None, cursor: str | None = None, **kwargs):
        offset = 0
        if cursor:
            if not cursor.isdigit():
                raise invalid(f"invalid cursor {cursor!r}: give back a nextCursor from session/list")
            offset = int(cursor)
        rows = await self.offload(self.store.list_sessions, workspace=cwd or None, limit=PAGE + 1, offset=offset)
        more = len(rows) > PAGE
        return ListSessionsResponse(sessions=[mapping.session_info(s) for s in rows[:PAGE]],
                                    next_cursor=str(offset + PAGE) if more else None)

    async def set_session_mode(self, mode_id: str, session_id: str, **kwargs):
        session = await self.session(session_id)
        if mode_id not in MODES:
            raise invalid(f"unknown mode {mode_id!r} (modes: {', '.join(MODES)})", modeId=mode_id)
        await self.offload(self.store.update_session, session.id, mode=mode_id)
        return SetSessionModeResponse()

    async def cancel(self, session_id: str, **kwargs) -> None:
        assert self.runner is not None
        try:
            session = await self.session(session_id)
        except RequestError:
            log.warning("session/cancel for an unknown session %r", session_id)
            return
        if self.runner.cancel(session.id):
            return
        running = await self.offload(self.store.running_turn, session.id)
        if running is not None:  # running in another process (the TUI, a worker): it polls for this
            await self.offload(self.store.request_stop, running.id)

    async def prompt(self, prompt, session_id: str, **kwargs):
        assert self.runner is not None
        session = await self.session(session_id)
        text = mapping.prompt_text(prompt)
        if not text.strip():
            raise invalid("the prompt is empty: send at least one text block")
        if session.id in self._prompting or self.runner.is_running(session.id):
            raise busy(session.id)
        self._prompting.add(session.id)
        try:
            await self.offload(self.store.add_prompt_history, text)  # as the TUI's prompt does
            output = await commands.run(self, session, text)
            if output is not None:
                self.push(session.id, update_agent_message_text(output))
                await self._flush()
                return PromptResponse(stop_reason="end_turn", field_meta={"chinwag": {"output": output}})
            turn = await self.runner.send(session.id, text)
            await self._after_turn(session)
            await self._flush()
        finally:
            self._prompting.discard(session.id)
        return answer(turn)


def answer(turn: Turn) -> PromptResponse:
    """The settled turn as the prompt's answer; a failed turn is a JSON-RPC error (its text so
    far was streamed and is kept)."""
    meta = {"chinwag": {"turnId": turn.id, "status": turn.status}}
    if turn.status == "error":
        raise RequestError(-32603, f"the turn failed: {turn.error or 'unknown error'}",
                           {"turnId": turn.id, "status": turn.status})
    usage = None
    if (turn.metadata or {}).get("usage") != UNREPORTED:
        usage = Usage(input_tokens=turn.input_tokens, output_tokens=turn.output_tokens,
                      total_tokens=turn.input_tokens + turn.output_tokens,
                      field_meta={"estimated": turn.tokens_estimated})
    return PromptResponse(stop_reason=mapping.stop_reason(turn.status), usage=usage, field_meta=meta)
