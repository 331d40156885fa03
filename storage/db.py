"""Opening the database file safely: create 0600, refuse non-SQLite or newer files,
set pragmas (WAL, busy timeout, foreign keys) and run forward migrations.

Nothing here ever overwrites a file it could not recognise as a Chinwag database.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from chinwag.storage.errors import (
    DatabaseLocked,
    DatabaseTooNew,
    DiskFull,
    NotADatabase,
    ReadOnlyDatabase,
    StorageError,
)
from chinwag.storage.schema import MIGRATIONS, SCHEMA_VERSION

SQLITE_HEADER = b"SQLite format 3\x00"
BUSY_TIMEOUT_MS = 10_000


def _check_header(path: Path) -> None:
    try:
        with open(path, "rb") as handle:
            head = handle.read(16)
    except PermissionError as exc:
        raise StorageError(f"cannot read database {path}: permission denied") from exc
    if head and head != SQLITE_HEADER:
        raise NotADatabase(f"{path} is not a SQLite database (left untouched)")


def _create_file(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        return
    except OSError as exc:
        raise StorageError(f"cannot create database {path}: {exc.strerror}") from exc
    os.close(fd)


def _user_version(conn: sqlite3.Connection) -> int:
    return conn.execute("PRAGMA user_version").fetchone()[0]


class Database:
    """One connection to the Chinwag database with explicit transactions.

    `conn` is in autocommit mode; `transaction()` opens `BEGIN IMMEDIATE` (so a writer
    waits for the lock up front instead of failing mid-way) and nests as savepoints.
    """

    def __init__(self, path: str | os.PathLike, *, readonly: bool | None = None, migrate: bool = True):
        self.path = Path(path)
        exists = self.path.exists() and self.path.stat().st_size > 0
        if exists:
            _check_header(self.path)
        if readonly is None:
            readonly = exists and not os.access(self.path, os.W_OK)
        if readonly and not exists:
            raise StorageError(f"database {self.path} does not exist")
        if not readonly and not self.path.exists():
            _create_file(self.path)
        self.readonly = readonly
        self._lock = threading.RLock()
        self._depth = 0
        try:
            if readonly:
                conn = sqlite3.connect(
                    f"file:{self.path}?mode=ro", uri=True, isolation_level=None, check_same_thread=False
                )
            else:
                conn = sqlite3.connect(str(self.path), isolation_level=None, check_same_thread=False)
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            version = _user_version(conn)
        except sqlite3.DatabaseError as exc:
            raise NotADatabase(f"{self.path} is not a usable SQLite database ({exc}); left untouched") from exc
        if version > SCHEMA_VERSION:
            conn.close()
            raise DatabaseTooNew(
                f"{self.path} has schema version {version}, newer than this Chinwag "
                f"understands ({SCHEMA_VERSION}); upgrade Chinwag (file left untouched)"
            )
        self.conn = conn
        self._utils = None
        try:
            conn.execute("PRAGMA foreign_keys = ON")
            if not readonly:
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA synchronous = NORMAL")
                if migrate:
                    self._migrate(version)
            elif version < SCHEMA_VERSION:
                raise ReadOnlyDatabase(
                    f"{self.path} is read-only and needs an upgrade (schema {version} -> {SCHEMA_VERSION})"
                )
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise NotADatabase(f"{self.path} is corrupt or unreadable ({exc}); left untouched") from exc

    def _migrate(self, version: int) -> None:
        for number in range(version + 1, SCHEMA_VERSION + 1):
            with self.transaction():
                # Re-check under the write lock: another process may have migrated.
                if _user_version(self.conn) >= number:
                    continue
                for statement in MIGRATIONS[number - 1]:
                    self.conn.execute(statement)
                self.conn.execute(f"PRAGMA user_version = {number}")

    @property
    def utils(self):
        """A sqlite-utils view of the same connection (imported lazily: it is slow to import)."""
        if self._utils is None:
            import sqlite_utils

            self._utils = sqlite_utils.Database(self.conn)
        return self._utils

    def table_counts(self) -> dict[str, int]:
        return {name: self.utils[name].count for name in ("sessions", "turns", "tool_calls", "events")}

    @property
    def schema_version(self) -> int:
        return _user_version(self.conn)

    @contextmanager
    def transaction(self, *, durable: bool = False) -> Iterator[sqlite3.Connection]:
        """Run the block in one write transaction (nested blocks become savepoints).

        `durable` commits with synchronous=FULL: the WAL is fsynced at COMMIT, so an OS crash
        or power loss cannot take it back (the user's prompt, each settled turn). Others stay
        on NORMAL (synced at the next checkpoint: streaming batches). SQLite cannot change the
        level inside a transaction, so a nested block is as durable as its outermost one.
        """
        if self.readonly:
            raise ReadOnlyDatabase(f"{self.path} is open read-only; nothing was changed")
        with self._lock:
            if self._depth:
                name = f"sp{self._depth}"
                self.conn.execute(f"SAVEPOINT {name}")
                self._depth += 1
                try:
                    yield self.conn
                except BaseException:
                    # SQLITE_FULL (and a few others) roll the whole transaction back by
                    # themselves: then there is no savepoint left to return to.
                    if self.conn.in_transaction:
                        self.conn.execute(f"ROLLBACK TO {name}")
                        self.conn.execute(f"RELEASE {name}")
                    raise
                else:
                    self.conn.execute(f"RELEASE {name}")
                finally:
                    self._depth -= 1
                return
            if durable:
                self.conn.execute("PRAGMA synchronous = FULL")
            try:
                try:
                    self.conn.execute("BEGIN IMMEDIATE")
                except sqlite3.OperationalError as exc:
                    raise _translate(exc, self.path) from exc
                self._depth = 1
                try:
                    yield self.conn
                    self.conn.execute("COMMIT")
                except BaseException as exc:
                    if self.conn.in_transaction:  # not when SQLite already rolled back
                        self.conn.execute("ROLLBACK")
                    if isinstance(exc, sqlite3.OperationalError):
                        raise _translate(exc, self.path) from exc
                    raise
                finally:
                    self._depth = 0
            finally:
                if durable:
                    self.conn.execute("PRAGMA synchronous = NORMAL")

    def query(self, sql: str, params: tuple | dict = ()) -> list[dict]:
        with self._lock:
            cursor = self.conn.execute(sql, params)
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, row)) for row in cursor.fetchall()]

    def query_one(self, sql: str, params: tuple | dict = ()) -> dict | None:
        rows = self.query(sql, params)
        return rows[0] if rows else None

    def data_version(self) -> int:
        """Changes whenever another connection commits: cheap change detection."""
        with self._lock:
            return self.conn.execute("PRAGMA data_version").fetchone()[0]

    def close(self) -> None:
        with self._lock:
            self.conn.close()


def _translate(exc: sqlite3.OperationalError, path: Path) -> StorageError:
    code = (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF  # primary code of an extended one
    text = str(exc)
    if code == sqlite3.SQLITE_READONLY or "readonly" in text or "read-only" in text:
        return ReadOnlyDatabase(f"{path} is read-only; nothing was changed")
    if code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED) or "locked" in text or "busy" in text:
        return DatabaseLocked(f"{path} is locked by another process for too long; try again")
    if code == sqlite3.SQLITE_FULL or ("disk" in text and "full" in text):
        return DiskFull(f"the disk holding {path} is full; nothing was changed")
    return StorageError(f"database error on {path}: {text}")
