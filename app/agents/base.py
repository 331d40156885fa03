"""The agent interface: a backend turns context messages into an async stream of events.

Agents never touch the database; the runner consumes the stream and persists it.
Cancellation is task cancellation: the runner cancels the task iterating `stream()`,
and the agent's generator must clean up in `finally` (close sockets, kill processes).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import asyncio


@dataclass(frozen=True)
class Message:
    """One message of the context sent to a model: its role and text (`record`: how the provider itself
    returned it)."""

    role: str  # "system" | "user" | "assistant"
    text: str
    record: str = ""  # the provider's own JSON record of an assistant reply, for exact replay


@dataclass(frozen=True)
class TextDelta:
    """More reply text, as streamed."""

    text: str


@dataclass(frozen=True)
class ThinkingDelta:
    """More reasoning text, as streamed (shown folded)."""

    text: str


@dataclass(frozen=True)
class ToolCallStart:
    """A tool call began (`parent_id`: the call it runs under, for nested trees)."""

    call_id: str
    name: str
    args: str = ""
    parent_id: str | None = None


@dataclass(frozen=True)
class ToolCallUpdate:
    """More output of a running tool call."""

    call_id: str
    output: str = ""


@dataclass(frozen=True)
class ToolCallEnd:
    """A tool call ended, completed or failed, with its final output."""

    call_id: str
    status: str = "completed"  # completed | failed
    output: str = ""


@dataclass(frozen=True)
class Usage:
    """Token counts the model reported for the turn (`estimated`: counted here, not reported)."""

    input_tokens: int
    output_tokens: int
    estimated: bool = False
    cached_tokens: int = 0
    reasoning_tokens: int = 0


@dataclass(frozen=True)
class Record:
    """The provider's own record of the reply (JSON), stored on the turn for exact replay."""

    provider: str
    data: str


@dataclass(frozen=True)
class Done:
    """The turn ended normally (`stop_reason` as the model gave it)."""

    stop_reason: str = "end_turn"


@dataclass(frozen=True)
class Failed:
    """The turn failed with `message`; `sent` says whether the request reached the model."""

    message: str
    sent: bool = True  # False: the request never reached the server or agent, so it used no tokens


@dataclass(frozen=True)
class PlanUpdate:
    """The agent's plan, replaced as a whole: (content, status) with status
    pending | in_progress | completed."""

    entries: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class CommandsUpdate:
    """Slash commands the agent offers in this session: (name, description)."""

    commands: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class SessionMeta:
    """Facts about the agent's side of the session to keep on the session (e.g. its own
    session id and capabilities), merged into the session's metadata."""

    values: dict


@dataclass(frozen=True)
class Permission:
    """A permission request. `decided` is set when the mode answered it without asking;
    otherwise `answer` is a future the runner resolves with the chosen option id (or None
    to cancel) once someone chose."""

    call_id: str
    title: str
    kind: str
    options: tuple[tuple[str, str, str], ...]  # (option_id, name, kind)
    decided: str | None = None
    by: str = ""  # "mode:bypass", "mode:readonly", ...
    answer: asyncio.Future[str | None] | None = None


@dataclass(frozen=True)
class FileWritten:
    """The agent wrote a file through Chinwag (ACP `fs/write_text_file`): what it held before
    and after, so the tool call that wrote it can be undone on its own."""

    call_id: str  # the tool call it belongs to ("" when none was open)
    workspace: str
    path: str  # relative to the workspace, with "/"
    before: bytes | None  # None: the file did not exist
    after: bytes
    before_kept: bool = True  # False: it was too large to keep, so this write cannot be undone


AgentEvent = (TextDelta | ThinkingDelta | ToolCallStart | ToolCallUpdate | ToolCallEnd | Usage | Record
              | PlanUpdate | CommandsUpdate | SessionMeta | Permission | FileWritten | Done | Failed)


@dataclass
class AgentInfo:
    """What `chinwag doctor` and the `/agent` popup show about an agent."""

    name: str
    kind: str
    model: str = ""
    available: bool = True
    detail: str = ""
    models: list[str] = field(default_factory=list)
    builtin: bool = False  # one of Chinwag's own profiles, not one from config.toml


class Agent(Protocol):
    """An agent that changes files may also have `files_gate` (None until the runner sets it):
    an awaitable its changes through Chinwag wait for, the workspace checkpoint of the turn."""

    name: str
    model: str

    def stream(self, messages: list[Message], *, purpose: str = "chat") -> AsyncIterator[AgentEvent]:
        """Yield events for one reply. `purpose` is "chat", "summary" or "title"."""
        ...


class AgentError(Exception):
    """A configuration or availability problem with an agent, told in one line."""


def estimate_tokens(text: str) -> int:
    """A rough, deterministic token estimate (~4 characters a token)."""
    if not text:
        return 0
    return max(1, (len(text) + 3) // 4)


def estimate_messages(messages: list[Message]) -> int:
    return sum(estimate_tokens(m.text) + 4 for m in messages)
