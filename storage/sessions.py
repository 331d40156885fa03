"""Session operations: create, resolve ids by prefix, list, rename, fork, archive,
restore, soft delete (the trash) and permanent delete, prune, state changes, the active
session, and drafts.

A draft is the empty session the TUI opens so there is somewhere to type (at launch, on
Ctrl+N, after deleting the open one). It is not listed anywhere until it has a turn, and
the next launch or Ctrl+N in the same workspace reuses it instead of making another. The
draft ids live in the `kv` table (`empty_session:<id>`), so no schema change and nothing in the
session's own data. A session made by name (`chinwag session start`, the API) is listed
at once, turns or not.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta

from chinwag.storage.base import StoreBase
from chinwag.storage.clock import format_ts
from chinwag.storage.enums import EventType, SessionKind, SessionState, TurnStatus
from chinwag.storage.errors import AmbiguousId, NotFound, SessionBusy, StorageError
from chinwag.storage.models import Session, storable
from chinwag.storage.states import check_transition

LIST_FILTERS = ("active", "archived", "all", "deleted")  # "deleted": the trash
DEFAULT_TITLE = "New session"
MAX_TITLE = 200  # characters; a longer title is cut with an ellipsis on every way in


@dataclass
class Pruned:
    """What a prune removed from the trash for good, and which archived sessions it moved there."""

    removed: list[Session]
    trashed: list[Session]


def clean_title(title: str | None) -> str:
    """A title as stored: one line (runs of whitespace folded), storable, at most MAX_TITLE."""
    title = storable(" ".join((title or "").split()))
    return title if len(title) <= MAX_TITLE else title[: MAX_TITLE - 1].rstrip() + "…"


_UPDATABLE = ("agent", "model", "mode", "kind", "workspace")
DRAFT_KEY = "empty_session:"  # not "draft:", which holds the prompt text typed in a session
# A draft with no turn yet is left out of every listing; once it has a turn it is a session like any other.
# the draft keys joined to their sessions (CROSS JOIN: led by the few keys, never a scan of
# every session); a WHERE clause over kv, for more conditions with AND
_DRAFTS = (f"kv CROSS JOIN sessions ON sessions.id = substr(kv.key, {len(DRAFT_KEY) + 1}) "
           f"WHERE kv.key >= '{DRAFT_KEY}' AND kv.key < '{DRAFT_KEY}\uffff'")
_NOT_A_DRAFT = f"(turn_count > 0 OR NOT EXISTS (SELECT 1 FROM kv WHERE kv.key = '{DRAFT_KEY}' || sessions.id))"


class SessionsMixin(StoreBase):
    """Mixed into `Store`."""

    # -- create / read ---------------------------------------------------------------
    def create_session(
        self,
        *,
        title: str | None = None,
        kind: str = SessionKind.GENERAL,
        workspace: str = "",
        agent: str = "echo",
        model: str = "",
        mode: str = "ask",
        config: dict | None = None,
        metadata: dict | None = None,
        parent_id: str | None = None,
    ) -> Session:
        kind = SessionKind.check(kind, "session kind")
        now = self.clock.stamp()
        session_id = self.new_id()
        title = clean_title(title)
        with self.db.transaction() as conn:
            conn.execute(
                """INSERT INTO sessions (id, title, title_source, kind, workspace, agent, model, mode,
                   state, created_at, updated_at, last_activity_at, parent_id, config, metadata)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'init', ?, ?, ?, ?, ?, ?)""",
                (
                    session_id,
                    title or DEFAULT_TITLE,
                    "user" if title else "default",
                    kind,
                    workspace,
                    agent,
                    model,
                    mode,
                    now,
                    now,
                    now,
                    parent_id,
                    json.dumps(config or {}),
                    json.dumps(metadata or {}),
                ),
            )
            self.set_state(session_id, SessionState.READY)
        return self.get_session(session_id)

    def draft_session(self, *, workspace: str = "", title: str | None = None, **fields) -> Session:
        """The empty session the TUI opens: this workspace's unused draft when there is one
        (brought up to date with `fields`: agent, model, kind, mode), else a new draft."""
        title = clean_title(title)
        with self.db.transaction() as conn:
            conn.execute(
                f"DELETE FROM kv WHERE key >= '{DRAFT_KEY}' AND key < '{DRAFT_KEY}\uffff' AND NOT EXISTS (SELECT 1 "
                f"FROM sessions WHERE sessions.id = substr(kv.key, {len(DRAFT_KEY) + 1}) AND turn_count = 0)"
            )  # drafts that got a turn (or were removed) are drafts no more
            row = conn.execute(
                # CROSS JOIN: from the few draft keys to their sessions, never a scan of every
                # session of the workspace (150 ms at 100,000 sessions, 0.2 ms this way)
                f"""SELECT sessions.id FROM {_DRAFTS} AND workspace = ?
                    AND deleted_at IS NULL AND archived_at IS NULL
                    ORDER BY sessions.created_at DESC LIMIT 1""",
                (workspace,),
            ).fetchone()
            if row is None:
                session = self.create_session(title=title, workspace=workspace, **fields)
                conn.execute("INSERT OR REPLACE INTO kv (key, value) VALUES (?, '1')", (DRAFT_KEY + session.id,))
                return session
            changes = {name: fields[name] for name in ("agent", "model", "kind", "mode") if name in fields}
            if "kind" in changes:
                changes["kind"] = SessionKind.check(changes["kind"], "session kind")
            for name, value in changes.items():
                conn.execute(f"UPDATE sessions SET {name} = ? WHERE id = ?", (value, row[0]))
            conn.execute(
                "UPDATE sessions SET title = ?, title_source = ? WHERE id = ?",
                (title or DEFAULT_TITLE, "user" if title else "default", row[0]),
            )
            self._touch(conn, row[0], activity=True)
        return self.get_session(row[0])

    def is_draft(self, session_id: str) -> bool:
        """An empty session the TUI opened, not listed until it has a turn."""
        row = self.db.query_one(
            "SELECT turn_count FROM sessions JOIN kv ON kv.key = ? || sessions.id WHERE sessions.id = ?",
            (DRAFT_KEY, session_id),
        )
        return row is not None and row["turn_count"] == 0

    def resolve_session_id(self, id_or_prefix: str, *, include_deleted: bool = False) -> str:
        prefix = (id_or_prefix or "").strip().upper()
        if not prefix:
            raise NotFound("empty session id")
        deleted = "" if include_deleted else " AND deleted_at IS NULL"
        rows = self.db.query(
            f"SELECT id FROM sessions WHERE id >= ? AND id < ?{deleted} ORDER BY id LIMIT 6",
            (prefix, prefix + "\uffff"),
        )
        exact = [r["id"] for r in rows if r["id"] == prefix]
        if exact:
            return exact[0]
        if not rows:
            raise NotFound(f"no session matches id {id_or_prefix!r}")
        if len(rows) > 1:
            raise AmbiguousId(id_or_prefix, [r["id"] for r in rows])
        return rows[0]["id"]

    def get_session(self, id_or_prefix: str, *, include_deleted: bool = False) -> Session:
        # A whole id (every caller but a typed prefix) is one indexed read; a prefix resolves first.
        deleted = "" if include_deleted else " AND deleted_at IS NULL"
        row = self.db.query_one(f"SELECT * FROM sessions WHERE id = ?{deleted}", ((id_or_prefix or "").strip().upper(),))
        if row is None:
            session_id = self.resolve_session_id(id_or_prefix, include_deleted=include_deleted)
            row = self.db.query_one("SELECT * FROM sessions WHERE id = ?", (session_id,))
            if row is None:  # deleted by another process since it was resolved
                raise NotFound(f"no session matches id {id_or_prefix!r}")
        return Session.from_row(row)

    def list_sessions(
        self,
        *,
        filter: str = "active",
        workspace: str | None = None,
        kind: str | None = None,
        limit: int = 100,
        offset: int = 0,
        pinned: bool | None = None,
    ) -> list[Session]:
        """A page of sessions, the most recently active first (`pinned`: only the pinned ones, or
        only the others, as the sidebar pages them below its pinned rows)."""
        where, params = self._list_where(filter, workspace, kind)
        if pinned is not None:
            where += " AND pinned_at IS NOT NULL" if pinned else " AND pinned_at IS NULL"
        rows = self.db.query(
            f"SELECT * FROM sessions WHERE {where} ORDER BY last_activity_at DESC, id DESC LIMIT ? OFFSET ?",
            (*params, limit, offset),
        )
        return [Session.from_row(r) for r in rows]

    def list_sessions_pinned_first(self, *, filter: str = "active", workspace: str | None = None,
                                   limit: int = 100) -> list[Session]:
        """The pinned sessions of the view (the most recently pinned first, by their partial index),
        then the first `limit` of the others, in one statement (the sidebar's first page; the next
        pages are `list_sessions(pinned=False, offset=...)`)."""
        where, params = self._list_where(filter, workspace, None)
        rows = self.db.query(
            f"SELECT * FROM (SELECT *, 0 AS part FROM sessions WHERE {where} AND pinned_at IS NOT NULL) "
            f"UNION ALL SELECT * FROM (SELECT *, 1 AS part FROM sessions WHERE {where} AND pinned_at IS NULL "
            "ORDER BY last_activity_at DESC, id DESC LIMIT ?) "
            "ORDER BY part, pinned_at DESC, last_activity_at DESC, id DESC",
            (*params, *params, limit),
        )
        return [Session.from_row({k: v for k, v in r.items() if k != "part"}) for r in rows]

    def count_sessions(self, *, filter: str = "active", workspace: str | None = None, kind: str | None = None) -> int:
        # The sessions of the view less its drafts, counted from the few draft keys: the draft
        # test per row (a kv lookup for each of 100,000 sessions) made the count 3x slower.
        where, params = self._list_where(filter, workspace, kind, drafts=True)
        return self.db.query(
            f"SELECT (SELECT count(*) FROM sessions WHERE {where}) - (SELECT count(*) FROM {_DRAFTS} "
            f"AND turn_count <= 0 AND {where}) AS n", params + params)[0]["n"]

    @staticmethod
    def _list_where(filter: str, workspace: str | None, kind: str | None, *, drafts: bool = False) -> tuple[str, tuple]:
        """The WHERE clause of a view (`drafts`: with the drafts in it, which listings leave out)."""
        if filter not in LIST_FILTERS:
            raise StorageError(f"unknown list filter {filter!r} (choose from {', '.join(LIST_FILTERS)})")
        clauses = ["deleted_at IS NOT NULL" if filter == "deleted" else "deleted_at IS NULL"]
        if not drafts:
            clauses.append(_NOT_A_DRAFT)
        params: list = []
        if filter == "active":
            clauses.append("archived_at IS NULL")
        elif filter == "archived":
            clauses.append("archived_at IS NOT NULL")
        if workspace is not None:
            clauses.append("workspace = ?")
            params.append(workspace)
        if kind is not None:
            clauses.append("kind = ?")
            params.append(kind)
        return " AND ".join(clauses), tuple(params)

    # -- update ----------------------------------------------------------------------
    def _touch(self, conn, session_id: str, *, activity: bool = False) -> None:
        now = self.clock.stamp()
        if activity:
            conn.execute(
                "UPDATE sessions SET updated_at = ?, last_activity_at = ? WHERE id = ?", (now, now, session_id)
            )
        else:
            conn.execute("UPDATE sessions SET updated_at = ? WHERE id = ?", (now, session_id))

    def rename_session(self, id_or_prefix: str, title: str, *, source: str = "user") -> Session:
        title = clean_title(title)
        if not title:
            raise StorageError("a title cannot be empty")
        session = self.get_session(id_or_prefix)
        if source != "user" and session.title_source == "user":
            return session  # a generated title never overwrites the user's
        with self.db.transaction() as conn:
            conn.execute(
                "UPDATE sessions SET title = ?, title_source = ? WHERE id = ?", (title, source, session.id)
            )
            self._touch(conn, session.id)
            self.append_event(session.id, EventType.SESSION_CHANGE, {"title": title, "source": source})
        return self.get_session(session.id)

    def update_session(self, id_or_prefix: str, **changes) -> Session:
        """Change agent, model, mode, kind or workspace; each change is recorded as an event."""
        session = self.get_session(id_or_prefix)
        unknown = set(changes) - set(_UPDATABLE) - {"metadata", "config"}
        if unknown:
            raise StorageError(f"cannot update {', '.join(sorted(unknown))}")
        if "kind" in changes:
            changes["kind"] = SessionKind.check(changes["kind"], "session kind")
        with self.db.transaction() as conn:
            for name, value in changes.items():
                stored = json.dumps(value) if name in ("metadata", "config") else value
                conn.execute(f"UPDATE sessions SET {name} = ? WHERE id = ?", (stored, session.id))
            self._touch(conn, session.id)
            self.append_event(session.id, EventType.SESSION_CHANGE, changes)
        return self.get_session(session.id)

    def merge_session_metadata(self, id_or_prefix: str, values: dict) -> Session:
        """Merge keys into a session's metadata in one transaction; the event records only
        the keys that were given (not the whole, possibly large, metadata)."""
        session = self.get_session(id_or_prefix)
        with self.db.transaction() as conn:
            row = conn.execute("SELECT metadata FROM sessions WHERE id = ?", (session.id,)).fetchone()
            merged = {**json.loads(row[0] or "{}"), **values}
            conn.execute("UPDATE sessions SET metadata = ? WHERE id = ?", (json.dumps(merged), session.id))
            self._touch(conn, session.id)
            self.append_event(session.id, EventType.SESSION_CHANGE, {"metadata": values})
        return self.get_session(session.id)

    def set_state(self, session_id: str, new_state: str, *, reason: str = "") -> None:
        """Move a session along the state machine; an invalid transition changes nothing."""
        with self.db.transaction() as conn:
            row = conn.execute("SELECT state FROM sessions WHERE id = ?", (session_id,)).fetchone()
            if row is None:
                raise NotFound(f"no session {session_id}")
            current = row[0]
            if current == new_state:
                return
            check_transition(current, new_state)
            conn.execute("UPDATE sessions SET state = ? WHERE id = ?", (new_state, session_id))
            data = {"from": current, "to": new_state}
            if reason:
                data["reason"] = reason
            self.append_event(session_id, EventType.STATE_CHANGE, data)

    # -- archive / delete --------------------------------------------------------------
    def _refuse_if_busy(self, session: Session, action: str) -> None:
        if self.running_turn(session.id) is not None:
            raise SessionBusy(f"session {session.id} has a running turn; stop it before you {action} it")

    def archive_session(self, id_or_prefix: str) -> Session:
        session = self.get_session(id_or_prefix)
        if session.archived:
            return session
        self._refuse_if_busy(session, "archive")
        with self.db.transaction() as conn:
            conn.execute("UPDATE sessions SET archived_at = ? WHERE id = ?", (self.clock.stamp(), session.id))
            self._touch(conn, session.id)
            self.append_event(session.id, EventType.SESSION_CHANGE, {"archived": True})
        return self.get_session(session.id)

    def restore_session(self, id_or_prefix: str) -> Session:
        """Back in the list: out of the trash and out of the archive."""
        session = self.get_session(id_or_prefix, include_deleted=True)
        if not session.archived and not session.deleted:
            return session
        with self.db.transaction() as conn:
            conn.execute("UPDATE sessions SET archived_at = NULL, deleted_at = NULL WHERE id = ?", (session.id,))
            self._touch(conn, session.id)
            change = {name: False for name, was in (("archived", session.archived), ("deleted", session.deleted)) if was}
            self.append_event(session.id, EventType.SESSION_CHANGE, change)
        return self.get_session(session.id)

    def delete_session(self, id_or_prefix: str, *, force: bool = False) -> Session:
        """Soft delete (hidden, recoverable) or, with force, remove it and everything it owns."""
        session = self.get_session(id_or_prefix, include_deleted=force)
        self._refuse_if_busy(session, "delete")
        with self.db.transaction() as conn:
            if force:
                conn.execute("DELETE FROM sessions WHERE id = ?", (session.id,))
                if self.get_active_session_id() == session.id:
                    conn.execute("DELETE FROM kv WHERE key = 'active_session'")
            else:
                conn.execute("UPDATE sessions SET deleted_at = ? WHERE id = ?", (self.clock.stamp(), session.id))
                self.append_event(session.id, EventType.SESSION_CHANGE, {"deleted": True})
        return session

    def undelete_session(self, id_or_prefix: str) -> Session:
        session = self.get_session(id_or_prefix, include_deleted=True)
        with self.db.transaction() as conn:
            conn.execute("UPDATE sessions SET deleted_at = NULL WHERE id = ?", (session.id,))
            self.append_event(session.id, EventType.SESSION_CHANGE, {"deleted": False})
        return self.get_session(session.id)

    def prune_sessions(self, older_than: timedelta, *, dry_run: bool = False) -> Pruned:
        """Empty the trash of sessions deleted before now - older_than (removed for good), and
        move sessions archived before it into the trash (where the next prune finds them):
        nothing leaves for good without having been in the trash."""
        cutoff = format_ts(self.clock.now() - older_than)
        removed = [Session.from_row(r) for r in self.db.query(
            "SELECT * FROM sessions WHERE deleted_at IS NOT NULL AND deleted_at < ? ORDER BY deleted_at", (cutoff,),
        )]
        trashed = [Session.from_row(r) for r in self.db.query(
            "SELECT * FROM sessions WHERE archived_at IS NOT NULL AND archived_at < ? AND deleted_at IS NULL "
            "ORDER BY archived_at", (cutoff,),
        )]
        trashed = [s for s in trashed if self.running_turn(s.id) is None]
        if not dry_run:
            with self.db.transaction():
                for session in removed:
                    self.delete_session(session.id, force=True)
                for session in trashed:
                    self.delete_session(session.id)
        return Pruned(removed, trashed)

    # -- fork ------------------------------------------------------------------------
    def fork_session(self, id_or_prefix: str, *, upto_turn_id: str | None = None, title: str | None = None) -> Session:
        """A new session with a copy of the path to a given turn (any branch's: an id, a
        prefix or `@N`; default the head), that turn included."""
        source = self.get_session(id_or_prefix)
        tip = self.resolve_turn(source.id, upto_turn_id).id if upto_turn_id else source.head
        turns = [t for t in self.turns_to(source.id, tip) if t.status != TurnStatus.STREAMING]
        with self.db.transaction():
            fork = self.create_session(
                title=title or f"{source.title} (fork)",
                kind=source.kind,
                workspace=source.workspace,
                agent=source.agent,
                model=source.model,
                mode=source.mode,
                config=source.config,
                metadata=source.metadata,
                parent_id=source.id,
            )
            renamed: dict[str, str] = {}
            for turn in turns:
                renamed[turn.id] = self.copy_turn(turn, fork.id, renamed=renamed).id
            self.append_event(fork.id, EventType.SESSION_CHANGE, {"forked_from": source.id, "turns": len(turns)})
        return self.get_session(fork.id)

    # -- active session ----------------------------------------------------------------
    def get_active_session_id(self) -> str | None:
        row = self.db.query_one("SELECT value FROM kv WHERE key = 'active_session'")
        if not row:
            return None
        exists = self.db.query_one(
            "SELECT 1 AS ok FROM sessions WHERE id = ? AND deleted_at IS NULL", (row["value"],)
        )
        return row["value"] if exists else None

    def set_active_session_id(self, session_id: str) -> None:
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT INTO kv (key, value) VALUES ('active_session', ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (session_id,),
            )

    def most_recent_session_id(self) -> str | None:
        rows = self.list_sessions(limit=1)
        return rows[0].id if rows else None
