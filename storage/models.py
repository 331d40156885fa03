"""Typed rows of the Chinwag database: sessions, turns, tool calls and events.

These are plain dataclasses with no behaviour beyond conversion from a row dict, so
every layer (CLI, runner, widgets) can pass them around without touching SQLite.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from typing import Any

from chinwag.storage.clock import parse_ts
from chinwag.storage.enums import SessionKind, SessionState, ToolStatus, TurnStatus

SESSION_KINDS = SessionKind.values()  # plain strings, for a Literal in the API


def storable(text: str | None) -> str:
    """Text SQLite can store: lone surrogates (broken UTF-16 from a provider) become U+FFFD."""
    if not text:
        return text or ""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def _loads(value: Any) -> Any:
    if value is None or isinstance(value, (dict, list)):
        return value if value is not None else {}
    try:
        return json.loads(value)
    except (TypeError, ValueError):
        return {}


_FIELD_NAMES: dict[type, frozenset[str]] = {}  # per row class: `fields()` costs more than the rest of a row's conversion


def _from_row(cls, row: dict, json_fields: tuple[str, ...] = (), bool_fields: tuple[str, ...] = ()):
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = frozenset(f.name for f in fields(cls))
    data = {k: v for k, v in row.items() if k in names}
    for name in json_fields:
        if name in data:
            data[name] = _loads(data[name])
    for name in bool_fields:
        if name in data:
            data[name] = bool(data[name])
    return cls(**data)


@dataclass
class Session:
    """A row of `sessions`: a conversation, its agent, model, workspace and state."""

    id: str
    title: str
    kind: str = SessionKind.GENERAL.value
    workspace: str = ""
    agent: str = "echo"
    model: str = ""
    mode: str = "ask"
    state: str = SessionState.INIT.value
    title_source: str = "default"  # default | auto | user
    created_at: str = ""
    updated_at: str = ""
    last_activity_at: str = ""
    archived_at: str | None = None
    deleted_at: str | None = None
    parent_id: str | None = None
    config: dict = field(default_factory=dict)
    metadata: dict = field(default_factory=dict)
    turn_count: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    head: str | None = None  # the tip of the active branch (None: no turns on it)
    pinned_at: str | None = None  # pinned to the top of the sidebar since (None: not pinned)

    @classmethod
    def from_row(cls, row: dict) -> Session:
        return _from_row(cls, row, json_fields=("config", "metadata"))

    @property
    def archived(self) -> bool:
        return self.archived_at is not None

    @property
    def deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def pinned(self) -> bool:
        """Listed among the pinned sessions at the top of the sidebar (a pin means nothing in the trash)."""
        return self.pinned_at is not None and self.deleted_at is None


@dataclass
class Turn:
    """A row of `turns`: one message of a session (user, agent, system or summary) with its status and
    tokens."""

    id: str
    session_id: str
    seq: int
    role: str
    text: str = ""
    status: str = TurnStatus.COMPLETE.value
    agent: str = ""
    model: str = ""
    thinking: str = ""
    input_tokens: int = 0
    output_tokens: int = 0
    tokens_estimated: bool = False
    compacted: bool = False
    created_at: str = ""
    started_at: str | None = None
    finished_at: str | None = None
    error: str | None = None
    owner_pid: int | None = None
    heartbeat_at: str | None = None
    stop_requested: bool = False
    metadata: dict = field(default_factory=dict)
    parent_id: str | None = None  # the turn this one follows (None: a root of the tree)
    pinned: bool = False  # sent verbatim, never summarized

    @classmethod
    def from_row(cls, row: dict) -> Turn:
        return _from_row(
            cls,
            row,
            json_fields=("metadata",),
            bool_fields=("tokens_estimated", "compacted", "stop_requested", "pinned"),
        )

    @property
    def through(self) -> str | None:
        """A compaction marker's last turn taken out of the context (`storage.tree`)."""
        value = self.metadata.get("through") if isinstance(self.metadata, dict) else None
        return value if isinstance(value, str) else None

    @property
    def undone(self) -> bool:
        """A compaction marker taken back (`--undo`): kept as history, no longer a marker."""
        return isinstance(self.metadata, dict) and self.metadata.get("undone") is True

    @property
    def duration_s(self) -> float | None:
        if not self.started_at or not self.finished_at:
            return None
        return max(0.0, (parse_ts(self.finished_at) - parse_ts(self.started_at)).total_seconds())


@dataclass
class ToolCall:
    """A row of `tool_calls`: one call an agent turn made, nested under `parent_id`."""

    id: str
    turn_id: str
    session_id: str
    name: str
    parent_id: str | None = None
    seq: int = 0
    args: str = ""
    status: str = ToolStatus.RUNNING.value
    output: str = ""
    started_at: str = ""
    finished_at: str | None = None

    @classmethod
    def from_row(cls, row: dict) -> ToolCall:
        return _from_row(cls, row)


@dataclass
class Event:
    """A row of `events`: something that happened to a session, with its data."""

    id: int
    session_id: str
    type: str
    turn_id: str | None = None
    data: dict = field(default_factory=dict)
    created_at: str = ""

    @classmethod
    def from_row(cls, row: dict) -> Event:
        return _from_row(cls, row, json_fields=("data",))


@dataclass
class SearchHit:
    """A match of the full-text search across sessions, with a snippet."""

    session_id: str
    session_title: str
    turn_id: str | None
    role: str | None
    snippet: str
    created_at: str
