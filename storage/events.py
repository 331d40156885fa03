"""The append-only event log: one row per thing that happened in a session."""

from __future__ import annotations

import json

from chinwag.storage.base import StoreBase
from chinwag.storage.enums import EventType
from chinwag.storage.models import Event, storable


class EventsMixin(StoreBase):
    """Mixed into `Store`."""

    def append_event(self, session_id: str, type: str, data: dict | None = None, *, turn_id: str | None = None) -> int:
        type = EventType.check(type, "event type")
        with self.db.transaction() as conn:
            cursor = conn.execute(
                "INSERT INTO events (session_id, turn_id, type, data, created_at) VALUES (?, ?, ?, ?, ?)",
                (session_id, turn_id, type, storable(json.dumps(data or {}, ensure_ascii=False)), self.clock.stamp()),
            )
            return cursor.lastrowid or 0  # never None after an INSERT

    def list_events(self, session_id: str, *, after_id: int = 0, limit: int = 10_000) -> list[Event]:
        rows = self.db.query(
            "SELECT * FROM events WHERE session_id = ? AND id > ? ORDER BY id LIMIT ?",
            (session_id, after_id, limit),
        )
        return [Event.from_row(r) for r in rows]
