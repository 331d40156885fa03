"""Compaction marks: turns taken out of what the model sees, and the summary (or the note
/clear writes) that says so, and taking the latest of them back (`undo_compaction`). Which
turns the model sees is `storage.tree.select_context`."""

from __future__ import annotations

from chinwag.storage.base import StoreBase
from chinwag.storage.enums import EventType
from chinwag.storage.errors import NotFound, SessionBusy, StorageError
from chinwag.storage.models import Turn
from chinwag.storage.tree import _BOUNDS, _HEAD, _KEPT, _ON_PATH, _UNDONE, _seg


class NothingToUndo(NotFound):
    """No compaction on the active path is left to undo."""


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
        shares only some of them they still count (`storage.tree.select_context`). Pinned
        turns among them are still sent, so they are not marked compacted."""
        if role not in ("summary", "system") or not turns:
            raise StorageError("a compaction takes at least one turn out and is recorded as a summary or system turn")
        # the context lists the summary first though it comes later on the path: the cut is
        # at the last other turn (a lone summary cuts at itself)
        through = max([t for t in turns if t.role != "summary"] or turns, key=lambda t: t.seq).id
        with self.db.transaction():
            self.mark_compacted([t.id for t in turns if not (t.pinned and t.role != "summary")])
            return self.add_turn(session_id, role, text, agent=agent, model=model,
                                 metadata={**(metadata or {}), "through": through})

    def last_compaction(self, session_id: str) -> Turn | None:
        """The latest compaction marker on the active path that is not undone (a summary or
        the note /clear wrote), or None."""
        rows = self.db.query(
            f"""{_seg(_HEAD)} SELECT t.* FROM turns t WHERE {_ON_PATH} AND t.role IN ('summary', 'system')
                AND NOT {_UNDONE} ORDER BY t.seq DESC LIMIT 1""",
            {"sid": session_id, "limit": -1})
        return Turn.from_row(rows[0]) if rows else None

    def undo_compaction(self, session_id: str) -> tuple[Turn, int]:
        """Take back the latest compaction on the active path: its marker stays as history
        (`undone`, never sent again), the turns it took out are sent again (their compacted
        flags cleared) and an earlier summary holds again. Returns the marker and how many
        turns came back. NothingToUndo when there is none; refused while a turn runs."""
        with self.db.transaction() as conn:
            if self.running_turn(session_id) is not None:
                raise SessionBusy(f"session {session_id} has a running turn; undo the compaction after it ends")
            marker = self.last_compaction(session_id)
            if marker is None:
                raise NothingToUndo(f"nothing to undo: no compaction on the active branch of session {session_id}")
            self.merge_turn_metadata(marker.id, {"undone": True, "undone_at": self.clock.stamp()})
            # what it took out is what the context now holds before it (an earlier summary included)
            conn.execute(
                f"""{_seg(_HEAD)}{_BOUNDS}
                    UPDATE turns SET compacted = 0 WHERE id IN (SELECT t.id FROM turns t
                        WHERE {_ON_PATH} AND {_KEPT} AND t.compacted = 1 AND t.seq < :marker)""",
                {"sid": session_id, "limit": -1, "marker": marker.seq})
            revived = conn.execute("SELECT changes()").fetchone()[0]  # (rowcount is -1 after a WITH)
            self.append_event(session_id, EventType.COMPACTION, {"undo": marker.id, "revived": revived},
                              turn_id=marker.id)
        return self.get_turn(marker.id), revived
