"""`StoreBase`: what the operation mixins of `Store` share, declared once.

`Store.__init__` sets the attributes. The methods are the ones a mixin calls on another
(turns read sessions, sessions copy turns, everyone appends events); they are declared
for the type checker only, which also checks that the mixin defining each one matches.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import sqlite3

    from chinwag.storage.clock import Clock
    from chinwag.storage.db import Database
    from chinwag.storage.events import PendingEvent
    from chinwag.storage.models import Event, Session, ToolCall, Turn


class StoreBase:
    db: Database
    clock: Clock
    new_id: Callable[[], str]

    if TYPE_CHECKING:
        # events
        def append_event(
            self, session_id: str, type: str, data: dict | None = None, *, turn_id: str | None = None
        ) -> int: ...
        def list_events(self, session_id: str, *, after_id: int = 0, limit: int = 10_000) -> list[Event]: ...
        def _event(self, type: str, data: dict | None = None, turn_id: str | None = None) -> PendingEvent: ...
        def _insert_events(self, conn: sqlite3.Connection, session_id: str, events: list[PendingEvent]) -> int: ...

        # sessions
        def get_session(self, id_or_prefix: str, *, include_deleted: bool = False) -> Session: ...
        def rename_session(self, id_or_prefix: str, title: str, *, source: str = "user") -> Session: ...
        def set_state(self, session_id: str, new_state: str, *, reason: str = "") -> None: ...

        # turns
        def get_turn(self, turn_id: str) -> Turn: ...
        def list_turns(
            self, session_id: str, *, limit: int | None = None, before_seq: int | None = None,
            after_seq: int | None = None,
        ) -> list[Turn]: ...
        def copy_turn(self, turn: Turn, session_id: str) -> Turn: ...
        def running_turn(self, session_id: str) -> Turn | None: ...
        def list_tool_calls(self, turn_ids: list[str]) -> list[ToolCall]: ...
