"""The closed sets of values the database stores as text: session kinds and states, turn
roles and statuses, tool call statuses and event types.

Each is a `StrEnum`, so a member *is* its string: it goes into SQLite and JSON as plain
text and compares equal to the text read back, and nothing outside storage has to change.
Storage validates against these (new rows, state changes, imported exports); they are the
one place each set is spelled.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Self

from chinwag.storage.errors import StorageError


class Choice(StrEnum):
    """A StrEnum whose members are the allowed values of one column."""

    @classmethod
    def values(cls) -> tuple[str, ...]:
        return tuple(member.value for member in cls)

    @classmethod
    def check(cls, value: object, what: str) -> Self:
        """The member for `value`, or StorageError naming the choices (`what`: "turn role")."""
        if isinstance(value, str):
            try:
                return cls(value)
            except ValueError:
                pass
        raise StorageError(f"unknown {what} {value!r} (choose from {', '.join(cls.values())})")


class SessionKind(Choice):
    PROJECT = "project"
    LEAD = "lead"
    CAMPAIGN = "campaign"
    GENERAL = "general"


class SessionState(Choice):
    """The session state machine's states (`storage.states` has the transitions)."""

    INIT = "init"
    READY = "ready"
    BUSY = "busy"
    IDLE = "idle"
    ERROR = "error"


class TurnRole(Choice):
    USER = "user"
    AGENT = "agent"
    SYSTEM = "system"
    SUMMARY = "summary"


class TurnStatus(Choice):
    STREAMING = "streaming"
    COMPLETE = "complete"
    STOPPED = "stopped"
    ERROR = "error"
    INTERRUPTED = "interrupted"


# a settled turn has one of these; only `streaming` turns are written to
FINAL_STATUSES = frozenset(TurnStatus) - {TurnStatus.STREAMING}


class ToolStatus(Choice):
    PENDING = "pending"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"


class EventType(Choice):
    USER_MESSAGE = "user_message"
    AGENT_RESPONSE = "agent_response"
    TOOL_CALL = "tool_call"
    TOOL_RESULT = "tool_result"
    GENERATION_START = "generation_start"
    GENERATION_END = "generation_end"
    HEARTBEAT = "heartbeat"
    STATE_CHANGE = "state_change"
    COMPACTION = "compaction"
    SESSION_CHANGE = "session_change"
    TURN_INTERRUPTED = "turn_interrupted"
    PLAN = "plan"
    PERMISSION_REQUEST = "permission_request"
    PERMISSION_ANSWER = "permission_answer"
    CHECKPOINT = "checkpoint"  # the workspace was checkpointed before a prompt ran (or why not)
    FILE_WRITE = "file_write"  # an agent wrote a file through Chinwag: its content before and after
    BRANCH_CREATED = "branch_created"  # a turn added beside others of the same parent (edit, regenerate)
    HEAD_MOVED = "head_moved"  # the active branch changed (checkout)
    REWIND = "rewind"  # the head went back to before a prompt (or an undo of that)
    PIN = "pin"  # a turn or a session was pinned or unpinned
