"""Chinwag as ACP sees it (pure functions and one small per-turn class, no I/O):

- what `initialize` advertises, the permission modes as ACP session modes, the slash
  commands offered, a session as `SessionInfo`;
- a client's prompt (text, resource links, embedded context) as the text of a user turn;
- stored turns as the `session/update`s that replay them (`session/load`), a live turn's
  runner events as the updates that stream it (`LiveTurn`), and stored events as the updates
  of the HTTP event stream (`event_updates`).

Tool-call ids are `TURN:CALL` (an agent's call ids repeat from turn to turn; ACP's must not).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable

from acp import PROTOCOL_VERSION
from acp.helpers import (
    plan_entry,
    start_tool_call,
    text_block,
    tool_content,
    update_agent_message_text,
    update_agent_thought_text,
    update_available_commands,
    update_current_mode,
    update_plan,
    update_tool_call,
    update_user_message_text,
)
from acp.schema import (
    AgentCapabilities,
    AvailableCommand,
    AvailableCommandInput,
    Implementation,
    InitializeResponse,
    McpCapabilities,
    PromptCapabilities,
    SessionCapabilities,
    SessionInfo,
    SessionInfoUpdate,
    SessionListCapabilities,
    SessionMode,
    SessionModeState,
    StopReason,
    ToolCallStatus,
    UnstructuredCommandInput,
)

from chinwag.app import version
from chinwag.app.config.schema import MODE_HELP, Mode
from chinwag.app.core.commands import COMMANDS
from chinwag.storage.models import Session, ToolCall, Turn

OFFERED = ("compact", "model", "status")  # Chinwag's commands that make sense from a client
MODE_NAMES = {Mode.ASK: "Ask", Mode.BYPASS: "Bypass", Mode.READONLY: "Read-only"}
TOOL_STATUS: dict[str, ToolCallStatus] = {"running": "in_progress", "pending": "pending", "completed": "completed",
                                          "failed": "failed"}


def implementation() -> Implementation:
    return Implementation(name="chinwag", title="Chinwag", version=version())


def initialize_response(requested: int) -> InitializeResponse:
    """What is real: load, list, text prompts with embedded context; no login for local profiles."""
    return InitializeResponse(
        protocol_version=min(requested, PROTOCOL_VERSION),
        agent_capabilities=AgentCapabilities(
            load_session=True,
            prompt_capabilities=PromptCapabilities(image=False, audio=False, embedded_context=True),
            mcp_capabilities=McpCapabilities(http=False, sse=False),
            session_capabilities=SessionCapabilities(list=SessionListCapabilities()),
        ),
        auth_methods=[],
        agent_info=implementation(),
    )


def mode_state(mode: str) -> SessionModeState:
    return SessionModeState(current_mode_id=mode, available_modes=[
        SessionMode(id=m.value, name=MODE_NAMES[m], description=MODE_HELP[m]) for m in Mode])


def offered_commands(agent_commands: Iterable[tuple[str, str]] = ()) -> list[AvailableCommand]:
    """Chinwag's offered commands, then the underlying agent's own (as the TUI's popup lists them)."""
    out = []
    for command in COMMANDS:
        if command.name in OFFERED:
            hint = command.usage.removeprefix(f"/{command.name}").strip()
            out.append(AvailableCommand(name=command.name, description=command.description, input=(
                AvailableCommandInput(root=UnstructuredCommandInput(hint=hint)) if hint else None)))
    taken = {c.name for c in COMMANDS}
    for name, description in agent_commands:
        if str(name) not in taken:
            out.append(AvailableCommand(name=str(name), description=str(description) or "agent command",
                                        input=AvailableCommandInput(root=UnstructuredCommandInput(hint="input"))))
    return out


def agent_commands(session: Session) -> list[tuple[str, str]]:
    """The commands the session's own agent advertised (an ACP agent under Chinwag)."""
    return [(str(n), str(d)) for n, d in (session.metadata or {}).get("agent_commands") or []]


def commands_update(agent_commands: Iterable[tuple[str, str]] = ()):
    return update_available_commands(offered_commands(agent_commands))


def absolute(workspace: str) -> str:
    return os.path.abspath(os.path.expanduser(workspace or os.getcwd()))


def session_info(session: Session) -> SessionInfo:
    return SessionInfo(session_id=session.id, cwd=absolute(session.workspace), title=session.title,
                       updated_at=session.last_activity_at)


def title_update(title: str, when: str = "") -> SessionInfoUpdate:
    return SessionInfoUpdate(session_update="session_info_update", title=title, updated_at=when or None)


def mode_update(mode: str):
    return update_current_mode(mode)


# -- prompts ------------------------------------------------------------------------------------
def block_text(block) -> str:
    kind = getattr(block, "type", "")
    if kind == "text":
        return block.text
    if kind == "resource_link":
        return f"[{block.name or block.uri}]({block.uri})"
    if kind == "resource":
        resource = block.resource
        text = getattr(resource, "text", None)
        return f"[binary resource {resource.uri}]" if text is None else f"```{resource.uri}\n{text.rstrip()}\n```"
    return f"[{kind or 'content'} omitted: Chinwag takes text]"


def prompt_text(blocks: Iterable) -> str:
    """A prompt's blocks as one text, the user's own text exactly as sent: an embedded resource
    gets a paragraph of its own, other pieces that would run together a space between them."""
    text, after_resource = "", False
    for block in blocks:
        piece, resource = block_text(block), getattr(block, "type", "") == "resource"
        if text and piece:
            if resource or after_resource:
                text = text.rstrip("\n") + "\n\n"
            elif not text[-1].isspace() and not piece[0].isspace():
                text += " "
        text += piece
        after_resource = resource
    return text


# -- turns as updates ---------------------------------------------------------------------------
def tool_call_id(turn_id: str, call_id: str) -> str:
    return f"{turn_id}:{call_id}"


def call_content(call: ToolCall):
    return [tool_content(text_block(call.output))] if call.output else None


def call_start(call: ToolCall):
    return start_tool_call(tool_call_id(call.turn_id, call.id), call.name, kind="other",
                           status=TOOL_STATUS.get(call.status, "in_progress"), content=call_content(call),
                           raw_input=call.args or None)


def call_progress(call: ToolCall):
    return update_tool_call(tool_call_id(call.turn_id, call.id), status=TOOL_STATUS.get(call.status, "in_progress"),
                            content=call_content(call))


def plan_of(turn: Turn):
    entries = (turn.metadata or {}).get("plan")
    if not entries:
        return None
    return update_plan([plan_entry(str(content), status=status if status in ("pending", "in_progress", "completed")
                                   else "pending") for content, status in entries])


def ending_note(turn: Turn) -> str:
    if turn.status == "error":
        return f"\n\n(Chinwag: this turn ended with an error: {turn.error or 'unknown error'})"
    if turn.status == "interrupted":
        return "\n\n(Chinwag: this turn was interrupted)"
    return ""


def history_updates(turns: Iterable[Turn], calls: dict[str, list[ToolCall]]) -> list:
    """Stored turns as the updates that show them again (`session/load`), in order."""
    out: list = []
    for turn in turns:
        if turn.role == "user":
            out.append(update_user_message_text(turn.text))
            continue
        if turn.role == "summary":
            out.append(update_agent_message_text(f"(summary of the earlier turns)\n\n{turn.text}"))
            continue
        if turn.role == "system":
            out.append(update_agent_message_text(f"(Chinwag) {turn.text}"))
            continue
        if turn.thinking:
            out.append(update_agent_thought_text(turn.thinking))
        out += [call_start(call) for call in calls.get(turn.id, [])]
        plan = plan_of(turn)
        if plan is not None:
            out.append(plan)
        text = turn.text + ending_note(turn)
        if text:
            out.append(update_agent_message_text(text))
    return out


class LiveTurn:
    """A running turn's runner events as updates: only what is new since the last event
    (thinking, text, tool calls started or changed, the plan), in the order it happened."""

    def __init__(self) -> None:
        self.text = 0
        self.thinking = 0
        self.calls: dict[str, tuple[str, int]] = {}
        self.plan: list | None = None

    def updates(self, turn: Turn, calls: Iterable[ToolCall]) -> list:
        out: list = []
        if len(turn.thinking) > self.thinking:
            out.append(update_agent_thought_text(turn.thinking[self.thinking:]))
            self.thinking = len(turn.thinking)
        if len(turn.text) > self.text:
            out.append(update_agent_message_text(turn.text[self.text:]))
            self.text = len(turn.text)
        for call in calls:
            seen, now = self.calls.get(call.id), (call.status, len(call.output))
            if seen is None:
                out.append(call_start(call))
            elif seen != now:
                out.append(call_progress(call))
            self.calls[call.id] = now
        plan = (turn.metadata or {}).get("plan")
        if plan and plan != self.plan:
            self.plan = plan
            update = plan_of(turn)
            if update is not None:
                out.append(update)
        return out


def event_updates(name: str, data: dict, read_turn: Callable[[str], Turn]) -> list:
    """A stored event (or the event stream's `delta` / `turn_end`) as updates, for the HTTP
    stream; events with no ACP counterpart give none."""
    turn_id = data.get("turn_id") or ""
    if name == "user_message" and turn_id:
        return [update_user_message_text(read_turn(turn_id).text)]
    if name == "delta":
        return [update_agent_message_text(str(data.get("text", "")))]
    if name == "tool_call" and turn_id:
        call = ToolCall(str(data.get("call_id", "")), turn_id, "", str(data.get("name") or "tool"),
                        args=str(data.get("args") or ""))
        return [call_start(call)]
    if name == "tool_result" and turn_id:
        call = ToolCall(str(data.get("call_id", "")), turn_id, "", "", status=str(data.get("status") or "completed"),
                        output=str(data.get("output") or ""))
        return [call_progress(call)]
    if name == "plan" and turn_id:
        return [update_plan([plan_entry(str(content), status=status) for content, status in data.get("entries", [])
                             if status in ("pending", "in_progress", "completed")])]
    if name == "session_change" and "title" in data:
        return [title_update(str(data["title"]), str(data.get("created_at") or ""))]
    if name == "session_change" and data.get("mode") in set(Mode):
        return [mode_update(str(data["mode"]))]
    if name == "turn_end" and turn_id:
        turn = read_turn(turn_id)
        out = [update_agent_thought_text(turn.thinking)] if turn.thinking else []  # the stream carries text only
        note = ending_note(turn)
        return out + ([update_agent_message_text(note)] if note else [])
    return []


def stop_reason(status: str) -> StopReason:
    return "end_turn" if status == "complete" else "cancelled"
