"""Full-text search over turn text and session titles (SQLite FTS5).

User input is never passed to FTS5 as syntax: every word becomes a quoted phrase, so
`"`, `*`, `AND`, `NEAR(` or unbalanced quotes are searched for literally.
"""

from __future__ import annotations

from chinwag.storage.base import StoreBase
from chinwag.storage.models import SearchHit


def fts_query(text: str, *, prefix: bool = False) -> str | None:
    """Turn free text into a safe FTS5 query (all words must match); None when empty."""
    cleaned = "".join(" " if ord(c) < 32 or ord(c) == 127 else c for c in (text or ""))
    words = [w for w in cleaned.split() if w.replace('"', "").strip()]
    if not words:
        return None
    phrases = ['"' + w.replace('"', '""') + '"' for w in words]
    if prefix:
        phrases[-1] += " *"
    return " ".join(phrases)


class SearchMixin(StoreBase):
    """Mixed into `Store`."""

    def search(self, text: str, *, limit: int = 50, prefix: bool = False, include_archived: bool = True,
               session_id: str | None = None) -> list[SearchHit]:
        """Newest matching turns first, then sessions whose title matches (of one session
        when `session_id` is given)."""
        query = fts_query(text, prefix=prefix)
        if query is None:
            return []
        archived = "" if include_archived else " AND s.archived_at IS NULL"
        one = () if session_id is None else (session_id,)
        if one:
            archived += " AND s.id = ?"
        turn_rows = self.db.query(
            f"""SELECT s.id AS session_id, s.title AS session_title, t.id AS turn_id, t.role AS role,
                       snippet(turns_fts, 0, '[', ']', '…', 12) AS snippet, t.created_at AS created_at
                FROM turns_fts
                JOIN turns t ON t.pk = turns_fts.rowid
                JOIN sessions s ON s.id = t.session_id
                WHERE turns_fts MATCH ? AND s.deleted_at IS NULL{archived}
                ORDER BY turns_fts.rowid DESC LIMIT ?""",
            (query, *one, limit),
        )
        title_rows = self.db.query(
            f"""SELECT s.id AS session_id, s.title AS session_title, NULL AS turn_id, NULL AS role,
                       s.title AS snippet, s.last_activity_at AS created_at
                FROM sessions_fts f JOIN sessions s ON s.pk = f.rowid
                WHERE sessions_fts MATCH ? AND s.deleted_at IS NULL{archived}
                ORDER BY s.last_activity_at DESC LIMIT ?""",
            (query, *one, limit),
        )
        hits = [SearchHit(**r) for r in title_rows] + [SearchHit(**r) for r in turn_rows]
        return hits[:limit]

    def search_session_ids(self, text: str, *, limit: int = 200, include_archived: bool = True) -> list[str]:
        """Distinct sessions matching by title or text, for a type-to-filter sidebar."""
        seen: list[str] = []
        for hit in self.search(text, limit=limit, prefix=True, include_archived=include_archived):
            if hit.session_id not in seen:
                seen.append(hit.session_id)
        return seen
