"""Opening the database file safely, the one path every entry point uses: create 0600,
refuse non-SQLite, foreign (not Chinwag's) or newer files unchanged, open read-only
where the file or its directory cannot be written, report damaged pages as one line,
set pragmas (WAL, busy timeout, foreign keys) and run forward migrations.

Nothing here ever overwrites a file it could not recognise as a Chinwag database.
"""

from __future__ import annotations

import functools
import os
import re
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from chinwag.storage import files
from chinwag.storage.errors import (
    DatabaseDamaged,
    DatabaseLocked,
    DatabaseTooNew,
    DiskFull,
    ForeignDatabase,
    NotADatabase,
    ReadOnlyDatabase,
    StorageError,
)
from chinwag.storage.schema import MIGRATIONS, SCHEMA_VERSION

if TYPE_CHECKING:
    import sqlite_utils

SQLITE_HEADER = b"SQLite format 3\x00"
BUSY_TIMEOUT_MS = 10_000
CORE_TABLES = frozenset({"sessions", "turns", "events"})  # the contract's tables (DESIGN.md)
_DAMAGE_CODES = {11, 26}  # SQLITE_CORRUPT, SQLITE_NOTADB (primary codes)


def damaged_message(path: Path) -> str:
    return f"the database {path} is damaged: run `chinwag doctor`"


def _is_damage(exc: sqlite3.DatabaseError) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in _DAMAGE_CODES
    return "malformed" in str(exc) or "not a database" in str(exc)


def _reporting_damage(method):
    def wrapper(self, *args):
        try:
            return method(self, *args)
        except sqlite3.DatabaseError as exc:
            if _is_damage(exc):
                raise DatabaseDamaged(damaged_message(self.connection.path)) from exc
            raise

    return wrapper


class _Cursor(sqlite3.Cursor):
    """Turns SQLite's corruption errors into `DatabaseDamaged` wherever a row is read:
    rows are stepped lazily, so damage can surface in a fetch as well as in execute."""

    execute = _reporting_damage(sqlite3.Cursor.execute)
    executemany = _reporting_damage(sqlite3.Cursor.executemany)
    executescript = _reporting_damage(sqlite3.Cursor.executescript)
    fetchone = _reporting_damage(sqlite3.Cursor.fetchone)
    fetchmany = _reporting_damage(sqlite3.Cursor.fetchmany)
    fetchall = _reporting_damage(sqlite3.Cursor.fetchall)
    __next__ = _reporting_damage(sqlite3.Cursor.__next__)


class Connection(sqlite3.Connection):
    """A sqlite3 connection whose every statement reports damage as one clear error."""

    path: Path

    def cursor(self, factory=None):
        return super().cursor(factory or _Cursor)

    def execute(self, *args):
        return self.cursor().execute(*args)

    def executemany(self, *args):
        return self.cursor().executemany(*args)

    def executescript(self, *args):
        return self.cursor().executescript(*args)


def read_only_uri(path: Path) -> str:
    """`immutable=1` unless another process may be using the file (a -shm, or a -wal
    with content): then SQLite must read the WAL and honour its locks."""
    wal, shm = (path.with_name(path.name + suffix) for suffix in ("-wal", "-shm"))
    live = shm.exists() or (wal.exists() and wal.stat().st_size > 0)
    return f"file:{quote(str(path.absolute()))}?{'mode=ro' if live else 'mode=ro&immutable=1'}"


def connect(path: Path, *, readonly: bool = False) -> Connection:
    """Open `path`; nothing is read yet beyond the header.

    Read-only opens are immutable when no other process uses the file, so SQLite creates
    no -wal/-shm beside a file it may not write (and needs none).
    """
    try:
        if not readonly:
            conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False, factory=Connection)
        else:
            conn = sqlite3.connect(read_only_uri(path), uri=True, isolation_level=None, check_same_thread=False,
                                   factory=Connection)
        conn.path = path
        return conn
    except sqlite3.DatabaseError as exc:
        raise NotADatabase(f"{path} is not a usable SQLite database ({exc}); left untouched") from exc


def _check_header(path: Path) -> None:
    try:
        with open(path, "rb") as handle:
            head = handle.read(16)
    except PermissionError as exc:
        raise StorageError(f"cannot read database {path}: permission denied") from exc
    if head and head != SQLITE_HEADER:
        raise NotADatabase(f"{path} is not a SQLite database (left untouched)")


def _check_folder(path: Path) -> None:
    """A new database goes in a folder that exists: a mistyped `--db` must not leave a trail
    of new folders and an empty database behind (the default home is made by its owner,
    `chinwag.app.config.paths`)."""
    if not path.parent.is_dir():
        what = "is not a folder" if path.parent.exists() else "does not exist"
        raise StorageError(f"cannot create database {path}: the folder {path.parent} {what}")


def _create_file(path: Path) -> None:
    try:
        files.touch_private(path)
    except OSError as exc:
        raise StorageError(f"cannot create database {path}: {exc.strerror}") from exc


def _can_write(path: Path) -> bool:
    """Whether SQLite can write here: the file, and the directory for its -wal and -shm."""
    directory = path.parent if path.parent.exists() else None
    if directory is not None and not os.access(directory, os.W_OK | os.X_OK):
        return False
    return not path.exists() or os.access(path, os.W_OK)


def _user_version(conn: sqlite3.Connection) -> int:
    return conn.execute("PRAGMA user_version").fetchone()[0]


@functools.cache  # every open asks; the regexes over every migration cost ~0.5 ms
def tables_for(version: int) -> frozenset[str]:
    """The tables Chinwag's migrations 1..version create."""
    names: set[str] = set()
    for statements in MIGRATIONS[:version]:
        for statement in statements:
            names.update(re.findall(r"CREATE\s+(?:VIRTUAL\s+)?TABLE\s+(\w+)", statement, re.IGNORECASE))
    return frozenset(names)


def classify(version: int, names: set[str]) -> str:
    """`new`, `chinwag`, `newer` or `foreign`, from `user_version` and the schema's names
    (every table, index, view and trigger in sqlite_master)."""
    if version == 0 and not names:
        return "new"
    if version > SCHEMA_VERSION:
        return "newer" if CORE_TABLES <= names else "foreign"
    if version >= 1 and tables_for(version) <= names:
        return "chinwag"
    return "foreign"


class Database:
    """One connection to the Chinwag database with explicit transactions.

    `conn` is in autocommit mode; `transaction()` opens `BEGIN IMMEDIATE` (so a writer
    waits for the lock up front instead of failing mid-way) and nests as savepoints.
    Opening classifies the file first, reading only: empty -> create, Chinwag's ->
    migrate forward, newer or foreign -> refuse with the file unchanged, damaged -> one
    line, not writable (file or directory) -> open read-only for browsing.
    """

    def __init__(self, path: str | os.PathLike, *, readonly: bool | None = None, migrate: bool = True):
        self.path = Path(path)
        exists = self.path.exists() and self.path.stat().st_size > 0
        if exists:
            _check_header(self.path)
        elif not self.path.exists():
            _check_folder(self.path)
        if readonly is None:
            readonly = not _can_write(self.path)
        if readonly and not exists:
            state = "is empty" if self.path.exists() else "does not exist"
            raise StorageError(f"database {self.path} {state} and cannot be created (read-only location)")
        if not readonly and not self.path.exists():
            _create_file(self.path)
        self.readonly = readonly
        self._lock = threading.RLock()
        self._depth = 0
        conn = connect(self.path, readonly=readonly)
        try:
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            version = _user_version(conn)
            names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
        except DatabaseDamaged:
            conn.close()
            raise
        except sqlite3.OperationalError as exc:
            conn.close()
            if readonly:  # a -wal with changes beside a read-only file: SQLite cannot make its -shm
                raise ReadOnlyDatabase(
                    f"{self.path} is read-only and SQLite cannot read its -wal here ({exc}): "
                    "open it once where it is writable"
                ) from exc
            raise NotADatabase(f"{self.path} is not a usable SQLite database ({exc}); left untouched") from exc
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise NotADatabase(f"{self.path} is not a usable SQLite database ({exc}); left untouched") from exc
        kind = classify(version, names)
        if kind == "foreign":
            conn.close()
            shown = ", ".join(sorted(names)[:3]) + (", ..." if len(names) > 3 else "") if names else "no tables"
            raise ForeignDatabase(
                f"{self.path} is a SQLite database but not Chinwag's (user_version {version}; {shown}); "
                "left untouched: pass --db to choose another file"
            )
        if kind == "newer":
            conn.close()
            raise DatabaseTooNew(
                f"{self.path} has schema version {version}, newer than this Chinwag "
                f"understands ({SCHEMA_VERSION}); upgrade Chinwag (file left untouched)"
            )
        self.conn = conn
        self._utils: sqlite_utils.Database | None = None
        self._closed = False
        files.protect(self.path)  # no export or other safe_write may land on this file
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
        except DatabaseDamaged:
            conn.close()
            files.unprotect(self.path)
            raise
        except sqlite3.DatabaseError as exc:
            conn.close()
            files.unprotect(self.path)
            raise NotADatabase(f"{self.path} is corrupt or unreadable ({exc}); left untouched") from exc
        except StorageError:
            conn.close()
            files.unprotect(self.path)
            raise

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
    def utils(self) -> sqlite_utils.Database:
        """A sqlite-utils view of the same connection (imported lazily: it is slow to import)."""
        if self._utils is None:
            import sqlite_utils  # lazy: start-up

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
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def query_one(self, sql: str, params: tuple | dict = ()) -> dict | None:
        rows = self.query(sql, params)
        return rows[0] if rows else None

    def data_version(self) -> int:
        """Changes whenever another connection commits: cheap change detection."""
        with self._lock:
            return self.conn.execute("PRAGMA data_version").fetchone()[0]

    def change_stamp(self) -> tuple[int, int]:
        """Moves whenever anything was written, by another connection (`data_version`) or
        this one (its total of changed rows): a cache of a read is good while it stays."""
        with self._lock:
            return self.conn.execute("PRAGMA data_version").fetchone()[0], self.conn.total_changes

    def close(self) -> None:
        with self._lock:
            self.conn.close()
            if not self._closed:
                files.unprotect(self.path)
            self._closed = True


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
