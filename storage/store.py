"""`Store`: the one object the rest of Chinwag uses to read and write the database.

It combines the operation mixins (sessions, turns, tool calls, compaction marks, the tree,
pins, events, search, transfer) over one
`Database` connection, with an injectable clock and id source for deterministic tests.
Opening a store also marks turns orphaned by a dead process as `interrupted`.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from chinwag.storage.clock import Clock, UlidFactory
from chinwag.storage.compaction import CompactionMixin
from chinwag.storage.db import Database
from chinwag.storage.events import EventsMixin
from chinwag.storage.models import Session, Turn, storable
from chinwag.storage.pins import PinsMixin
from chinwag.storage.search import SearchMixin
from chinwag.storage.sessions import SessionsMixin
from chinwag.storage.tool_calls import ToolCallsMixin
from chinwag.storage.transfer import TransferMixin
from chinwag.storage.tree import TreeMixin
from chinwag.storage.turns import TurnsMixin

DRAFT_PREFIX = "draft:"  # kv key of a session's draft: draft:<session id>


class Store(SessionsMixin, TurnsMixin, ToolCallsMixin, CompactionMixin, TreeMixin, PinsMixin, EventsMixin,
            SearchMixin, TransferMixin):
    def __init__(
        self,
        path: str | os.PathLike,
        *,
        clock: Clock | None = None,
        new_id: Callable[[], str] | None = None,
        readonly: bool | None = None,
        recover: bool = True,
    ):
        self.db = Database(path, readonly=readonly)
        self.clock = clock or Clock()
        self.new_id = new_id or UlidFactory()
        self.recovered: list[Turn] = []
        if recover and not self.db.readonly:
            self.recovered = self.recover_interrupted()

    @property
    def path(self):
        return self.db.path

    @property
    def readonly(self) -> bool:
        return self.db.readonly

    def data_version(self) -> int:
        return self.db.data_version()

    def change_stamp(self) -> tuple[int, int]:
        return self.db.change_stamp()

    # -- prompt history (shared across sessions) ----------------------------------------
    def add_prompt_history(self, text: str, *, keep: int = 1000) -> None:
        if not text.strip():
            return
        text = storable(text)  # a pasted lone surrogate must not lose the prompt
        with self.db.transaction() as conn:
            last = conn.execute("SELECT text FROM prompt_history ORDER BY id DESC LIMIT 1").fetchone()
            if last and last[0] == text:
                return
            conn.execute("INSERT INTO prompt_history (text, created_at) VALUES (?, ?)", (text, self.clock.stamp()))
            conn.execute(
                "DELETE FROM prompt_history WHERE id <= (SELECT MAX(id) FROM prompt_history) - ?", (keep,)
            )

    def prompt_history(self, limit: int = 1000) -> list[str]:
        rows = self.db.query("SELECT text FROM prompt_history ORDER BY id DESC LIMIT ?", (limit,))
        return [r["text"] for r in reversed(rows)]

    # -- drafts: a session's unsent prompt text, in the kv table (no migration) ----------
    def draft(self, session_id: str) -> str:
        row = self.db.query_one("SELECT value FROM kv WHERE key = ?", (DRAFT_PREFIX + session_id,))
        return row["value"] if row and row["value"] else ""

    def save_draft(self, session_id: str, text: str) -> None:
        """Keep `text` as the session's draft; an empty (or blank) text removes it."""
        key = DRAFT_PREFIX + session_id
        with self.db.transaction() as conn:
            if text.strip():
                conn.execute("INSERT INTO kv (key, value) VALUES (?, ?) "
                             "ON CONFLICT(key) DO UPDATE SET value = excluded.value", (key, storable(text)))
            else:
                conn.execute("DELETE FROM kv WHERE key = ?", (key,))

    def delete_session(self, id_or_prefix: str, *, force: bool = False) -> Session:
        """As `SessionsMixin.delete_session`; deleting for good takes the draft with it."""
        session = super().delete_session(id_or_prefix, force=force)
        if force:
            self.save_draft(session.id, "")
        return session

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
