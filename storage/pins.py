"""Pins: a pinned turn is sent to the model verbatim and never summarized; a pinned session
sits at the top of the session list. Both are plain columns (schema 4) so the context and
the sidebar read them without parsing JSON; each change is recorded as an event.
"""

from __future__ import annotations

from chinwag.storage.base import StoreBase
from chinwag.storage.enums import EventType
from chinwag.storage.models import Session, Turn


class PinsMixin(StoreBase):
    def set_turn_pinned(self, turn_id: str, pinned: bool) -> Turn:
        """Pin or unpin one turn (by its full id); returns the turn as stored."""
        turn = self.get_turn(turn_id)
        if turn.pinned != pinned:
            with self.db.transaction() as conn:
                conn.execute("UPDATE turns SET pinned = ? WHERE id = ?", (int(pinned), turn.id))
                self.append_event(turn.session_id, EventType.PIN, {"pinned": pinned}, turn_id=turn.id)
        return self.get_turn(turn.id)

    def pinned_turn_ids(self, session_id: str) -> set[str]:
        rows = self.db.query("SELECT id FROM turns WHERE session_id = ? AND pinned = 1", (session_id,))
        return {r["id"] for r in rows}

    def set_session_pinned(self, id_or_prefix: str, pinned: bool) -> Session:
        """Pin a session to the top of the list (ordered by when it was pinned) or unpin it."""
        session = self.get_session(id_or_prefix)
        if (session.pinned_at is not None) != pinned:
            with self.db.transaction() as conn:
                conn.execute("UPDATE sessions SET pinned_at = ? WHERE id = ?",
                             (self.clock.stamp() if pinned else None, session.id))
                self.append_event(session.id, EventType.PIN, {"pinned": pinned})
        return self.get_session(session.id)

    def pinned_session_ids(self) -> list[str]:
        """Pinned sessions that are not deleted, the most recently pinned first."""
        rows = self.db.query("SELECT id FROM sessions WHERE pinned_at IS NOT NULL AND deleted_at IS NULL "
                             "ORDER BY pinned_at DESC, id DESC")
        return [r["id"] for r in rows]

