"""The append-only event log: one row per thing that happened in a session."""

from __future__ import annotations

import json

from chinwag.storage.base import StoreBase
from chinwag.storage.enums import EventType
from chinwag.storage.models import Event, storable

PendingEvent = tuple[str, dict | None, str | None, str]  # type, data, turn_id, created_at


class EventsMixin(StoreBase):
    """Mixed into `Store`."""

    def append_event(self, session_id: str, type: str, data: dict | None = None, *, turn_id: str | None = None) -> int:
        with self.db.transaction() as conn:
            return self._insert_events(conn, session_id, [self._event(type, data, turn_id)])

    def _event(self, type: str, data: dict | None = None, turn_id: str | None = None) -> PendingEvent:
        """An event to insert, stamped now (when it happened, not when it is written)."""
        type = EventType.check(type, "event type")
        return type, data, turn_id, self.clock.stamp()

    def _insert_events(self, conn, session_id: str, events: list[PendingEvent]) -> int:
        """Inside a write transaction: append events in order, in one statement; returns the last id."""
        rows: list = []
        for type, data, turn_id, stamp in events:
            rows += [session_id, turn_id, type, storable(json.dumps(data or {}, ensure_ascii=False)), stamp]
        marks = ", ".join(["(?, ?, ?, ?, ?)"] * len(events))
        cursor = conn.execute(f"INSERT INTO events (session_id, turn_id, type, data, created_at) VALUES {marks}", rows)
        return cursor.lastrowid

    def list_events(self, session_id: str, *, after_id: int = 0, limit: int = 10_000) -> list[Event]:
        rows = self.db.query(
            "SELECT * FROM events WHERE session_id = ? AND id > ? ORDER BY id LIMIT ?",
            (session_id, after_id, limit),
        )
        return [Event.from_row(r) for r in rows]
