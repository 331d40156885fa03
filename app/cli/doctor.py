"""`chinwag doctor`: the database, schema, integrity and agents at a glance, and
`--recover` to copy what is readable of a damaged database into a new file."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from chinwag.app import version
from chinwag.app.agents import list_agents
from chinwag.app.cli import common
from chinwag.app.cli.base import Command, db_option
from chinwag.app.cli.config import keys_problem
from chinwag.app.cli.exit_codes import ExitCode
from chinwag.app.config import paths
from chinwag.storage import Store, db, repair
from chinwag.storage.errors import DatabaseDamaged
from chinwag.storage.schema import SCHEMA_VERSION


@click.command("doctor", cls=Command)
@db_option
@click.option("--full", is_flag=True, help="thorough integrity_check instead of quick_check (slower)")
@click.option("--recover", metavar="OUT", help="copy what is readable of a damaged database into a new file OUT")
@click.option("--force", is_flag=True, help="with --recover: replace an existing OUT")
def doctor(*, full: bool, recover: str | None, force: bool) -> int:
    """check the database, schema and agents"""
    db_path = common.db_path()
    if recover:
        return _recover(db_path, Path(recover), force=force)
    print(f"chinwag {version()} (Python {sys.version.split()[0]})")
    print(f"home:     {paths.home() or '(platform dirs; set CHINWAG_HOME to override)'}")
    print(f"config:   {paths.config_path()}" + ("" if paths.config_path().exists() else " (not present)"))
    ok = True
    try:
        cfg = common.config()
    except Exception as exc:
        print(f"config:   ERROR {exc}")
        cfg, ok = None, False
    print(f"database: {db_path}")
    try:
        store = common.open_store()
    except DatabaseDamaged:
        store = None
    try:
        if store is not None:
            try:
                _rows(store)
            except DatabaseDamaged:
                print("rows:     unreadable")
        ok = _integrity(store, db_path, full=full) and ok
    finally:
        if store is not None:
            store.close()
    if cfg is not None:
        problem = keys_problem(cfg)
        if problem:
            print(f"keys:     ERROR {problem}")
            ok = False
        print("agents:")
        for info in list_agents(cfg):
            mark = "ok " if info.available else "-- "
            source = "built in" if info.builtin else "config"
            print(f"  {mark}{info.name:<16} {info.kind:<10} {source:<9} {info.model:<16} {info.detail}")
    return ExitCode.OK if ok else ExitCode.ERROR


def _rows(store: Store) -> None:
    print(f"schema:   version {store.db.schema_version} (this chinwag: {SCHEMA_VERSION})"
          + ("  read-only: browsing only" if store.readonly else ""))
    sessions = store.count_sessions(filter="all")
    print(f"sessions: {sessions:,}  running turns: {len(store.running_session_ids())}")
    print("rows:     " + "  ".join(f"{k} {v:,}" for k, v in store.db.table_counts().items()))
    if store.recovered:
        print(f"recovered {len(store.recovered)} interrupted turn(s)")


def _integrity(store: Store | None, db_path: Path, *, full: bool) -> bool:
    conn = store.db.conn if store is not None else db.connect(db_path, readonly=True)
    try:
        problems = repair.check(conn, full=full)
    finally:
        if store is None:
            conn.close()
    name = "integrity_check" if full else "quick_check"
    if not problems:
        print(f"integrity: ok ({name})")
        return True
    print(f"integrity: DAMAGED ({name}: {len(problems)} problem(s)); first: {common.terminal_safe(problems[0])}")
    print(f"  recover: chinwag doctor --db {db_path} --recover NEW.db  copies every readable row into NEW.db "
          "(this file is only read); check it with `chinwag --db NEW.db session list`, then move it into place")
    return False


def _recover(db_path: Path, out: Path, *, force: bool) -> int:
    result = repair.recover(db_path, out, force=force)
    if result.note:
        print(f"note: {result.note}; copied what is readable with Python's sqlite3 instead")
    print(f"recovered {db_path} into {out} ({result.method})")
    print("rows:     " + "  ".join(f"{k} {v:,}" for k, v in result.rows.items()))
    if result.skipped:
        print(f"skipped:  {result.skipped} damaged region(s) that could not be read")
    print(f"next:     check it with `chinwag --db {out} session list`; keep {db_path} until you are sure")
    return ExitCode.OK
