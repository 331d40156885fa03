"""The database schema as numbered forward migrations (the index + 1 is the version).

`PRAGMA user_version` holds the number of migrations applied. Each migration is a list
of SQL statements run in one transaction with the version bump. Never edit a released
migration: append a new one.
"""

from __future__ import annotations

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
]

SCHEMA_VERSION = len(MIGRATIONS)
