"""What the runner tells its host (the TUI, `chinwag session send`, the API, a worker) while
a turn lives: one frozen dataclass per kind of change, delivered through the runner's
`on_event` callback. Hosts `match` on the class; nothing here touches the database.

    TurnStarted -> TurnText* / ToolChanged* / PermissionAsked* / CommandsChanged*
                -> TurnSettled -> (CompactionStarted -> CompactionFinished)? -> TitleChanged?

and, for a coding agent's turn, CheckpointTaken whenever its workspace checkpoint is done
(taken alongside the request; at the latest just after TurnSettled).
`/compact` (no turn) tells the same CompactionStarted -> CompactionFinished through the
`emit` it is given.

Events that carry the live turn (`LiveTurnEvent`) hold a copy of it as it is at that
moment, with the tool calls so far: a host can render either without reading anything.
"""

from __future__ import annotations

from dataclasses import dataclass

from chinwag.app.agents.base import Permission
from chinwag.storage.models import ToolCall, Turn


@dataclass(frozen=True)
class LiveTurnEvent:
    """A change to the live agent turn: `turn` as it now is, and its tool calls."""

    session_id: str
    turn: Turn
    tool_calls: tuple[ToolCall, ...] = ()


@dataclass(frozen=True)
class TurnStarted(LiveTurnEvent):
    """The reply (`turn`, streaming) is open; `user` is the prompt's turn committed with it
    (None when the runner was handed an already-open reply: a worker, `session send`)."""

    user: Turn | None = None


@dataclass(frozen=True)
class TurnText(LiveTurnEvent):
    """More text or thinking arrived (at most every `notify_interval` seconds)."""


@dataclass(frozen=True)
class ToolChanged(LiveTurnEvent):
    """A tool call started, changed or ended; a plan changed; a permission was answered."""


@dataclass(frozen=True)
class PermissionAsked(LiveTurnEvent):
    """The agent waits for an answer to `request` (shown in `turn.metadata["permission"]`)."""

    request: Permission | None = None


@dataclass(frozen=True)
class TurnSettled(LiveTurnEvent):
    """The turn is over (`turn.status`: complete, stopped, error or interrupted), as stored."""


@dataclass(frozen=True)
class CommandsChanged:
    """The agent's own slash commands for this session: (name, description)."""

    session_id: str
    commands: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class TitleChanged:
    """The session got a new title (an automatic one after its first exchange, or a rename)."""

    session_id: str
    title: str


@dataclass(frozen=True)
class CompactionStarted:
    """Compaction began: automatic after a settled turn (`auto`), or `/compact`. The session
    is busy until CompactionFinished; `started_at` (a store timestamp) gives the elapsed time."""

    session_id: str
    auto: bool = True
    started_at: str = ""
    turns: int = 0  # how many turns it summarizes


@dataclass(frozen=True)
class CompactionFinished:
    """Compaction ended; `compacted` is False when it was skipped, failed or `cancelled`, or
    when its summary was only `proposed` (for review: nothing written yet)."""

    session_id: str
    compacted: bool
    cancelled: bool = False
    proposed: bool = False


@dataclass(frozen=True)
class CheckpointTaken:
    """The workspace was checkpointed before the prompt `turn_id` ran (`checkpoint_id`, in
    `ms`), or was not (`skipped`: why, shown as "no checkpoint: …")."""

    session_id: str
    turn_id: str
    checkpoint_id: str = ""
    ms: int = 0
    skipped: str = ""


RunnerEvent = (TurnStarted | TurnText | ToolChanged | PermissionAsked | TurnSettled | CommandsChanged
               | TitleChanged | CompactionStarted | CompactionFinished | CheckpointTaken)
