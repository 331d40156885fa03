"""Compaction marks: turns taken out of what the model sees, and the summary (or the note
/clear writes) that says so. Which turns the model sees is `storage.tree.select_context`."""

from __future__ import annotations

from chinwag.storage.base import StoreBase
from chinwag.storage.errors import StorageError
from chinwag.storage.models import Turn


class CompactionMixin(StoreBase):
    """Mixed into `Store`."""

    def mark_compacted(self, turn_ids: list[str]) -> None:
        with self.db.transaction() as conn:
            conn.executemany("UPDATE turns SET compacted = 1 WHERE id = ?", [(t,) for t in turn_ids])

    def add_compaction(self, session_id: str, role: str, text: str, turns: list[Turn], *, agent: str = "",
                       model: str = "", metadata: dict | None = None) -> Turn:
        """Take `turns` (the start of the active path's context) out of what the model sees
        and add the turn that says so (a summary, or the note /clear writes) after the head,
        in one transaction. Its `through` names the last of them on the path, so on another branch that
        shares only some of them they still count (`storage.tree.select_context`)."""
        if role not in ("summary", "system") or not turns:
            raise StorageError("a compaction takes at least one turn out and is recorded as a summary or system turn")
        # the context lists the summary first though it comes later on the path: the cut is
        # at the last other turn (a lone summary cuts at itself)
        through = max([t for t in turns if t.role != "summary"] or turns, key=lambda t: t.seq).id
        with self.db.transaction():
            self.mark_compacted([t.id for t in turns])
            return self.add_turn(session_id, role, text, agent=agent, model=model,
                                 metadata={**(metadata or {}), "through": through})

