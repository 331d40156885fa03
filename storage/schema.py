"""The database schema as numbered forward migrations (the index + 1 is the version).

`PRAGMA user_version` holds the number of migrations applied. Each migration is a list
of SQL statements run in one transaction with the version bump. Never edit a released
migration: append a new one.
"""

from __future__ import annotations


# Of migration 5 (released: never change them): a turn row's price record and cached tokens, read from its metadata.
def _price(row: str) -> str:
    return f"(CASE WHEN json_valid({row}.metadata) THEN json_extract({row}.metadata, '$.price') END)"


def _cached(row: str) -> str:
    return f"(CASE WHEN json_valid({row}.metadata) THEN json_extract({row}.metadata, '$.cached_tokens') END)"


MIGRATIONS: list[list[str]] = [
    # 1: sessions, turns, tool calls, events, key/value state, full-text search.
    [
        """
        CREATE TABLE sessions (
            pk INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            title TEXT NOT NULL DEFAULT '',
            title_source TEXT NOT NULL DEFAULT 'default',
            kind TEXT NOT NULL DEFAULT 'general',
            workspace TEXT NOT NULL DEFAULT '',
            agent TEXT NOT NULL DEFAULT 'echo',
            model TEXT NOT NULL DEFAULT '',
            mode TEXT NOT NULL DEFAULT 'ask',
            state TEXT NOT NULL DEFAULT 'init',
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            last_activity_at TEXT NOT NULL,
            archived_at TEXT,
            deleted_at TEXT,
            parent_id TEXT,
            config TEXT NOT NULL DEFAULT '{}',
            metadata TEXT NOT NULL DEFAULT '{}',
            turn_count INTEGER NOT NULL DEFAULT 0,
            input_tokens INTEGER NOT NULL DEFAULT 0,
            output_tokens INTEGER NOT NULL DEFAULT 0
        )
        """,
        "CREATE INDEX sessions_activity ON sessions(last_activity_at DESC, id DESC)",
        "CREATE INDEX sessions_workspace ON sessions(workspace, last_activity_at DESC)",
        "CREATE INDEX sessions_archived ON sessions(archived_at) WHERE archived_at IS NOT NULL",
        """
        CREATE TABLE turns (
            pk INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
            seq INTEGER NOT NULL,
            role TEXT NOT NULL,
            text TEXT NOT NULL DEFAULT '',
            status TEXT NOT NULL DEFAULT 'complete',
            agent TEXT NOT NULL DEFAULT '',
            model TEXT NOT NULL DEFAULT '',
            thinking TEXT NOT NULL DEFAULT '',
            input_tokens INTEGER NOT NULL DEFAULT 0,
            output_tokens INTEGER NOT NULL DEFAULT 0,
            tokens_estimated INTEGER NOT NULL DEFAULT 0,
            compacted INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL,
            started_at TEXT,
            finished_at TEXT,
            error TEXT,
            owner_pid INTEGER,
            heartbeat_at TEXT,
            stop_requested INTEGER NOT NULL DEFAULT 0,
            metadata TEXT NOT NULL DEFAULT '{}',
            UNIQUE (session_id, seq)
        )
        """,
        "CREATE INDEX turns_streaming ON turns(status) WHERE status = 'streaming'",
        """
        CREATE TABLE tool_calls (
            pk INTEGER PRIMARY KEY,
            id TEXT NOT NULL,
            turn_id TEXT NOT NULL REFERENCES turns(id) ON DELETE CASCADE,
            session_id TEXT NOT NULL,
            parent_id TEXT,
            seq INTEGER NOT NULL DEFAULT 0,
            name TEXT NOT NULL,
            args TEXT NOT NULL DEFAULT '',
            status TEXT NOT NULL DEFAULT 'running',
            output TEXT NOT NULL DEFAULT '',
            started_at TEXT NOT NULL,
            finished_at TEXT,
            UNIQUE (turn_id, id)
        )
        """,
        """
        CREATE TABLE events (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
            turn_id TEXT,
            type TEXT NOT NULL,
            data TEXT NOT NULL DEFAULT '{}',
            created_at TEXT NOT NULL
        )
        """,
        "CREATE INDEX events_session ON events(session_id, id)",
        """
        CREATE TRIGGER events_no_update BEFORE UPDATE ON events
        BEGIN SELECT RAISE(ABORT, 'events are append-only'); END
        """,
        """
        CREATE TRIGGER events_no_delete BEFORE DELETE ON events
        WHEN EXISTS (SELECT 1 FROM sessions WHERE id = OLD.session_id)
        BEGIN SELECT RAISE(ABORT, 'events are append-only'); END
        """,
        "CREATE TABLE kv (key TEXT PRIMARY KEY, value TEXT)",
        # Full text over finished turns (a streaming turn is indexed once it settles,
        # so a long stream does not re-index its growing text on every flush).
        "CREATE VIRTUAL TABLE turns_fts USING fts5(text, content='turns', content_rowid='pk')",
        """
        CREATE TRIGGER turns_fts_insert AFTER INSERT ON turns WHEN NEW.status != 'streaming'
        BEGIN INSERT INTO turns_fts(rowid, text) VALUES (NEW.pk, NEW.text); END
        """,
        """
        CREATE TRIGGER turns_fts_update_old AFTER UPDATE OF text, status ON turns
        WHEN OLD.status != 'streaming'
        BEGIN INSERT INTO turns_fts(turns_fts, rowid, text) VALUES ('delete', OLD.pk, OLD.text); END
        """,
        """
        CREATE TRIGGER turns_fts_update_new AFTER UPDATE OF text, status ON turns
        WHEN NEW.status != 'streaming'
        BEGIN INSERT INTO turns_fts(rowid, text) VALUES (NEW.pk, NEW.text); END
        """,
        """
        CREATE TRIGGER turns_fts_delete AFTER DELETE ON turns WHEN OLD.status != 'streaming'
        BEGIN INSERT INTO turns_fts(turns_fts, rowid, text) VALUES ('delete', OLD.pk, OLD.text); END
        """,
        "CREATE VIRTUAL TABLE sessions_fts USING fts5(title, content='sessions', content_rowid='pk')",
        """
        CREATE TRIGGER sessions_fts_insert AFTER INSERT ON sessions
        BEGIN INSERT INTO sessions_fts(rowid, title) VALUES (NEW.pk, NEW.title); END
        """,
        """
        CREATE TRIGGER sessions_fts_update AFTER UPDATE OF title ON sessions
        BEGIN
            INSERT INTO sessions_fts(sessions_fts, rowid, title) VALUES ('delete', OLD.pk, OLD.title);
            INSERT INTO sessions_fts(rowid, title) VALUES (NEW.pk, NEW.title);
        END
        """,
        """
        CREATE TRIGGER sessions_fts_delete AFTER DELETE ON sessions
        BEGIN INSERT INTO sessions_fts(sessions_fts, rowid, title) VALUES ('delete', OLD.pk, OLD.title); END
        """,
    ],
    # 2: persisted prompt history (shared by every session, newest last).
    [
        """
        CREATE TABLE prompt_history (
            id INTEGER PRIMARY KEY,
            text TEXT NOT NULL,
            created_at TEXT NOT NULL
        )
        """,
    ],
    # 3: the conversation as a tree. A turn follows its parent (NULL: a root); a session's
    # head is the tip of its active branch (NULL: nothing yet, or rewound before the first
    # prompt). Every session so far is one branch in `seq` order, its last turn the head.
    # `parent_seq` (the parent's seq, kept by a trigger for any writer) lets a path be read
    # as a few seq ranges: a turn whose parent is not the turn added just before it starts
    # a new range (`storage.tree`), and those few turns are indexed.
    # A compaction marker (summary, or the system turn /clear writes) gets `through`: the
    # last turn it took out of the context (exact per branch, unlike the shared flag).
    [
        "ALTER TABLE turns ADD COLUMN parent_id TEXT",
        "ALTER TABLE turns ADD COLUMN parent_seq INTEGER",
        "ALTER TABLE sessions ADD COLUMN head TEXT",
        """
        UPDATE turns SET parent_id = (
            SELECT p.id FROM turns p WHERE p.session_id = turns.session_id AND p.seq < turns.seq
            ORDER BY p.seq DESC LIMIT 1)
        """,
        """
        UPDATE turns SET parent_seq = (
            SELECT p.seq FROM turns p WHERE p.session_id = turns.session_id AND p.seq < turns.seq
            ORDER BY p.seq DESC LIMIT 1)
        """,
        """
        CREATE TRIGGER turns_parent_seq AFTER INSERT ON turns
        WHEN NEW.parent_id IS NOT NULL AND NEW.parent_seq IS NULL
        BEGIN
            UPDATE turns SET parent_seq = (SELECT p.seq FROM turns p WHERE p.id = NEW.parent_id) WHERE pk = NEW.pk;
        END
        """,
        "CREATE INDEX turns_breaks ON turns(session_id, seq) WHERE parent_seq IS NOT seq - 1",
        "CREATE INDEX turns_break_parents ON turns(session_id, parent_seq) WHERE parent_seq IS NOT seq - 1",
        "CREATE INDEX turns_markers ON turns(session_id, seq) WHERE role IN ('summary', 'system')",
        """
        UPDATE sessions SET head = (SELECT t.id FROM turns t WHERE t.session_id = sessions.id ORDER BY t.seq DESC LIMIT 1)
        """,
        # a summary kept its last `kept` context turns: `through` is the one before them
        """
        CREATE TEMP TABLE context_rank AS
        SELECT id, session_id, seq, ROW_NUMBER() OVER (PARTITION BY session_id ORDER BY seq) AS n
        FROM turns WHERE role != 'summary' AND status != 'streaming'
        """,
        "CREATE INDEX temp.context_rank_seq ON context_rank(session_id, seq)",
        "CREATE INDEX temp.context_rank_n ON context_rank(session_id, n)",
        """
        UPDATE turns SET metadata = json_set(metadata, '$.through', (
            SELECT r.id FROM context_rank r WHERE r.session_id = turns.session_id AND r.n = (
                SELECT MAX(q.n) FROM context_rank q WHERE q.session_id = turns.session_id AND q.seq < turns.seq
            ) - json_extract(turns.metadata, '$.kept')))
        WHERE role = 'summary' AND json_valid(metadata) AND json_type(metadata, '$.kept') = 'integer'
        """,
        "DROP TABLE temp.context_rank",
        # the note /clear wrote took out every turn before it
        """
        UPDATE turns SET metadata = json_set(metadata, '$.through', (
            SELECT c.id FROM turns c WHERE c.session_id = turns.session_id AND c.seq < turns.seq
            AND c.role != 'summary' AND c.status != 'streaming' ORDER BY c.seq DESC LIMIT 1))
        WHERE role = 'system' AND json_valid(metadata) AND EXISTS (
            SELECT 1 FROM turns c WHERE c.session_id = turns.session_id AND c.seq < turns.seq AND c.compacted = 1
            AND c.role != 'summary')
        """,
        # children of a turn in creation order (siblings, the newest tip under a turn)
        "CREATE INDEX turns_children ON turns(session_id, parent_id, seq)",
    ],
    # 4: pins. A pinned turn is sent verbatim and never summarized; a pinned session sits at
    # the top of the sidebar (`pinned_at`: when, which orders the pinned ones; the few pinned
    # sessions are read through their own partial index, the rest as before).
    [
        "ALTER TABLE turns ADD COLUMN pinned INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE sessions ADD COLUMN pinned_at TEXT",
        "CREATE INDEX sessions_pinned ON sessions(pinned_at) WHERE pinned_at IS NOT NULL",
    ],
    # 5: what statistics read of a turn's metadata, as plain columns: `price` (the JSON text of
    # the price record it settled with) and `cached_tokens`, so an index of plain columns covers
    # `chinwag stats` on any SQLite (before 3.41 an indexed JSON expression is read from the row).
    # Triggers keep them equal to the metadata whoever writes a turn (settling, import, fork ...).
    # The statistics indexes are still built on first use (storage/stats.py); the expression
    # index an earlier `chinwag stats` built, and its time index for old SQLites, are dropped.
    [
        "ALTER TABLE turns ADD COLUMN price TEXT",
        "ALTER TABLE turns ADD COLUMN cached_tokens INTEGER",
        f"""UPDATE turns SET price = {_price("turns")}, cached_tokens = {_cached("turns")}
            WHERE metadata != '{{}}' AND ({_price("turns")} IS NOT NULL OR {_cached("turns")} IS NOT NULL)""",
        *(f"""
        CREATE TRIGGER turns_usage_{event} AFTER {event.upper()}{of} ON turns
        WHEN NEW.price IS NOT {_price("NEW")} OR NEW.cached_tokens IS NOT {_cached("NEW")}
        BEGIN UPDATE turns SET price = {_price("NEW")}, cached_tokens = {_cached("NEW")} WHERE pk = NEW.pk; END
        """ for event, of in (("insert", ""), ("update", " OF metadata"))),
        "DROP INDEX IF EXISTS turns_usage",
        "DROP INDEX IF EXISTS turns_by_time",
    ],
]

SCHEMA_VERSION = len(MIGRATIONS)
