"""Checking a database file for damage and recovering what is readable into a new file.

`check` runs `PRAGMA quick_check` (or the slower, thorough `integrity_check`).
`recover` writes a new file: with the sqlite3 CLI's `.recover` when it is installed and
its result is a sound Chinwag database, otherwise by copying every readable row, table
by table, into a fresh copy of Chinwag's schema (skipping past damaged pages). The
damaged file is only ever read; the new file appears only once it is complete.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from chinwag.storage.db import classify, connect, read_only_uri
from chinwag.storage.errors import StorageError
from chinwag.storage.schema import MIGRATIONS, SCHEMA_VERSION

MAX_ROWID = 2**63 - 1


def check(conn: sqlite3.Connection, *, full: bool = False, limit: int = 20) -> list[str]:
    """The problems SQLite finds ([] when the file is sound)."""
    pragma = "integrity_check" if full else "quick_check"
    try:
        rows = [row[0] for row in conn.execute(f"PRAGMA {pragma}({limit})").fetchall()]
    except (StorageError, sqlite3.DatabaseError) as exc:
        return [str(exc.__cause__ or exc)]
    if rows == ["ok"]:
        return []
    # One row may hold several newline-separated findings under a "*** in database main ***" heading.
    return [line for row in rows for line in str(row).splitlines() if line.strip() and not line.startswith("***")]


@dataclass
class Recovery:
    """How a damaged database was recovered and how many rows of each table came through."""

    method: str
    rows: dict[str, int] = field(default_factory=dict)  # rows in the new file, per table
    skipped: int = 0  # damaged regions stepped over (Python copy only)
    note: str = ""  # why the sqlite3 CLI was not used


def recover(source: Path, out: Path, *, force: bool = False) -> Recovery:
    source, out = Path(source), Path(out)
    if not source.exists():
        raise StorageError(f"database {source} does not exist")
    if out.exists() and out.resolve() == source.resolve():
        raise StorageError(f"{out} is the damaged database itself: recover into a new file")
    if out.exists() and not force:
        raise StorageError(f"{out} exists; --force replaces it")
    if not out.parent.is_dir():
        raise StorageError(f"cannot write {out}: no directory {out.parent}")
    partial = out.with_name(out.name + ".partial")
    _remove(partial)
    cli = shutil.which("sqlite3")
    result: Recovery | None = None
    note = "the sqlite3 command is not installed"
    if cli:
        try:
            result = Recovery("sqlite3 .recover", rows=_recover_with_cli(cli, source, partial))
        except StorageError as exc:
            note = f"sqlite3 .recover did not give a sound database ({exc})"
            _remove(partial)
    try:
        if result is None:
            result = _copy_readable(source, partial)
            result.note = note
        os.chmod(partial, 0o600)
        os.replace(partial, out)
    except (OSError, sqlite3.DatabaseError) as exc:
        raise StorageError(f"cannot write {out}: {getattr(exc, 'strerror', None) or exc}") from exc
    finally:
        _remove(partial)
    return result


def _remove(path: Path) -> None:
    for name in (path.name, path.name + "-journal", path.name + "-wal", path.name + "-shm"):
        path.with_name(name).unlink(missing_ok=True)


def _chinwag_rows(path: Path) -> dict[str, int]:
    """Row counts of a sound Chinwag database; StorageError if it is not one."""
    conn = sqlite3.connect(str(path))
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
        if classify(version, names) != "chinwag":
            raise StorageError(f"the result has no Chinwag schema (user_version {version})")
        problems = check(conn)
        if problems:
            raise StorageError(f"the result fails quick_check: {problems[0]}")
        return {name: conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] for name in _tables(conn)}
    except sqlite3.DatabaseError as exc:
        raise StorageError(str(exc)) from exc
    finally:
        conn.close()


def _recover_with_cli(cli: str, source: Path, partial: Path) -> dict[str, int]:
    dump = subprocess.Popen([cli, "-readonly", read_only_uri(source), ".recover"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert dump.stdout is not None and dump.stderr is not None  # both are pipes
    load = subprocess.run([cli, str(partial)], stdin=dump.stdout, capture_output=True, text=True)
    dump.stdout.close()
    dump_errors = dump.stderr.read().decode("utf-8", "replace")
    dump.stderr.close()
    dump.wait()
    errors = (dump_errors + load.stderr).strip()
    if dump.returncode or load.returncode or "error" in errors.lower():
        raise StorageError(errors.splitlines()[0] if errors else f"exit status {dump.returncode or load.returncode}")
    return _chinwag_rows(partial)


def _tables(conn: sqlite3.Connection) -> list[str]:
    """Chinwag's ordinary tables (not full-text indexes or their shadow tables)."""
    rows = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").fetchall()
    virtual = [name for name, sql in rows if (sql or "").upper().startswith("CREATE VIRTUAL")]
    return [name for name, sql in rows
            if name not in virtual and not any(name.startswith(v + "_") for v in virtual) and name != "lost_and_found"]


def _copy_readable(source: Path, partial: Path) -> Recovery:
    src = connect(source, readonly=True)
    try:
        try:
            version = src.execute("PRAGMA user_version").fetchone()[0]
            src.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except (StorageError, sqlite3.DatabaseError) as exc:
            raise StorageError(f"the schema of {source} is unreadable, so no table can be found: nothing copied") from exc
        if not 1 <= version <= SCHEMA_VERSION:
            raise StorageError(f"{source} has schema version {version}: this Chinwag can only recover 1..{SCHEMA_VERSION}")
        dst = sqlite3.connect(str(partial), isolation_level=None)
        try:
            dst.execute("BEGIN")
            for statements in MIGRATIONS[:version]:
                for statement in statements:
                    dst.execute(statement)
            dst.execute(f"PRAGMA user_version = {version}")
            result = Recovery("row-by-row copy (Python sqlite3)")
            for table in _tables(dst):
                copied, skipped = _copy_table(src, dst, table)
                result.rows[table] = copied
                result.skipped += skipped
            dst.execute("COMMIT")
        finally:
            dst.close()
        return result
    finally:
        src.close()


def _copy_table(src, dst, table: str) -> tuple[int, int]:
    columns = [row[1] for row in dst.execute(f'PRAGMA table_info("{table}")')]
    names = ", ".join(f'"{c}"' for c in columns)
    select = f'SELECT rowid, {names} FROM "{table}" WHERE rowid > ? ORDER BY rowid'
    insert = f'INSERT OR IGNORE INTO "{table}" ({names}) VALUES ({", ".join("?" for _ in columns)})'
    last, copied, skipped = -(2**63), 0, 0
    while True:
        try:
            for row in src.execute(select, (last,)):
                last = row[0]
                dst.execute(insert, row[1:])
                copied += 1
            return copied, skipped
        except (StorageError, sqlite3.DatabaseError):
            skipped += 1
            resume = _next_readable(src, table, last)
            if resume is None:
                return copied, skipped
            last = resume


def _readable_after(src, table: str, rowid: int) -> bool:
    try:
        src.execute(f'SELECT rowid FROM "{table}" WHERE rowid > ? ORDER BY rowid LIMIT 1', (rowid,)).fetchall()
        return True
    except (StorageError, sqlite3.DatabaseError):
        return False


def _next_readable(src, table: str, last: int) -> int | None:
    """The smallest rowid bound past `last` from which the table can be read again:
    seek ahead in growing steps until a seek no longer lands on a damaged page, then
    narrow the gap so that as few readable rows as possible are skipped."""
    step = 1
    while last + step < MAX_ROWID and not _readable_after(src, table, last + step):
        step *= 2
    if last + step >= MAX_ROWID:
        return None
    bad, good = last + step // 2, last + step
    while good - bad > 1:
        middle = (bad + good) // 2
        if _readable_after(src, table, middle):
            good = middle
        else:
            bad = middle
    return good
