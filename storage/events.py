"""The append-only event log: one row per thing that happened in a session."""

from __future__ import annotations

import json

from chinwag.storage.errors import StorageError
from chinwag.storage.models import EVENT_TYPES, Event, storable


class EventsMixin:
    """Mixed into `Store`; expects `self.db` and `self.clock`."""

    def append_event(self, session_id: str, type: str, data: dict | None = None, *, turn_id: str | None = None) -> int:
        if type not in EVENT_TYPES:
            raise StorageError(f"unknown event type {type!r}")
        with self.db.transaction() as conn:
            cursor = conn.execute(
                "INSERT INTO events (session_id, turn_id, type, data, created_at) VALUES (?, ?, ?, ?, ?)",
                (session_id, turn_id, type, storable(json.dumps(data or {}, ensure_ascii=False)), self.clock.stamp()),
            )
            return cursor.lastrowid

    def list_events(self, session_id: str, *, after_id: int = 0, limit: int = 10_000) -> list[Event]:
        rows = self.db.query(
            "SELECT * FROM events WHERE session_id = ? AND id > ? ORDER BY id LIMIT ?",
            (session_id, after_id, limit),
        )
        return [Event.from_row(r) for r in rows]
