"""`chinwag config`, `chinwag doctor`, and opening the TUI from the command line."""

from __future__ import annotations

import os
import sys

from chinwag.app.cli import common
from chinwag.app.config import paths


def run_config_command(args) -> int:
    if args.action == "path":
        print(paths.config_path())
        return 0
    if args.action == "init":
        return _config_init(args)
    from chinwag.app.agents.settings import effective, section_settings, shown

    cfg = common.config()
    session = None
    if args.session:
        store = common.open_store(args)
        try:
            session = store.get_session(args.session)
        finally:
            store.close()
    workspace = args.workspace or (session.workspace if session else cfg.defaults.get("workspace") or os.getcwd())
    values = {**effective(cfg, session=session, workspace=workspace), **section_settings(cfg)}
    if args.json:
        common.print_json({
            "path": str(cfg.path) if cfg.path else None,
            "workspace": workspace,
            "session": session.id if session else None,
            "effective": {key: {"value": shown(key, s.value), "origin": s.origin} for key, s in sorted(values.items())},
        })
        return 0
    print(f"# config file: {cfg.path or str(paths.config_path()) + ' (not present; built-in defaults)'}")
    print(f"# for {'session ' + session.id if session else 'a new session in ' + workspace}")
    for key, setting in sorted(values.items()):
        print(f"{key} = {shown(key, setting.value)!r}  # {setting.origin}")
    return 0


def _config_init(args) -> int:
    from chinwag.app.config.template import DEFAULT_CONFIG

    from chinwag.storage import files

    path = paths.config_path()
    paths.ensure_private_dir(path.parent)
    files.safe_write(path, DEFAULT_CONFIG, force=args.force, protected=(paths.db_path(getattr(args, "db", None)),))
    print(f"wrote {path}")
    return 0


def run_doctor(args) -> int:
    from chinwag.app import version
    from chinwag.app.agents import list_agents
    from chinwag.storage.errors import DatabaseDamaged

    db_path = paths.db_path(getattr(args, "db", None))
    if args.recover:
        return _doctor_recover(db_path, args)
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
        store = common.open_store(args)
    except DatabaseDamaged:
        store = None
    try:
        if store is not None:
            try:
                _doctor_rows(store)
            except DatabaseDamaged:
                print("rows:     unreadable")
        ok = _doctor_integrity(store, db_path, full=args.full) and ok
    finally:
        if store is not None:
            store.close()
    if cfg is not None:
        print("agents:")
        for info in list_agents(cfg):
            mark = "ok " if info.available else "-- "
            print(f"  {mark}{info.name:<16} {info.kind:<10} {info.model:<16} {info.detail}")
    return 0 if ok else 1


def _doctor_rows(store) -> None:
    from chinwag.storage.schema import SCHEMA_VERSION

    print(f"schema:   version {store.db.schema_version} (this chinwag: {SCHEMA_VERSION})"
          + ("  read-only: browsing only" if store.readonly else ""))
    sessions = store.count_sessions(filter="all")
    print(f"sessions: {sessions:,}  running turns: {len(store.running_session_ids())}")
    print("rows:     " + "  ".join(f"{k} {v:,}" for k, v in store.db.table_counts().items()))
    if store.recovered:
        print(f"recovered {len(store.recovered)} interrupted turn(s)")


def _doctor_integrity(store, db_path, *, full: bool) -> bool:
    from chinwag.storage import db, repair

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


def _doctor_recover(db_path, args) -> int:
    from pathlib import Path

    from chinwag.storage import repair

    out = Path(args.recover)
    result = repair.recover(db_path, out, force=args.force)
    if result.note:
        print(f"note: {result.note}; copied what is readable with Python's sqlite3 instead")
    print(f"recovered {db_path} into {out} ({result.method})")
    print("rows:     " + "  ".join(f"{k} {v:,}" for k, v in result.rows.items()))
    if result.skipped:
        print(f"skipped:  {result.skipped} damaged region(s) that could not be read")
    print(f"next:     check it with `chinwag --db {out} session list`; keep {db_path} until you are sure")
    return 0


def run_tui(args) -> int:
    path = paths.db_path(args.db)
    if args.session:
        store = common.open_store(args)
        try:
            session_id = store.get_session(args.session).id
        finally:
            store.close()
        return launch_tui(path, session_id=session_id)
    return launch_tui(path, continue_=args.continue_, new=args.new)


def load_tui_app():
    """The TUI's App class, imported with garbage collection held until its first paint."""
    from chinwag.app.tui import gc_policy

    gc_policy.hold()
    from chinwag.app.tui.app import ChinwagApp

    return ChinwagApp


def launch_tui(db_path, *, session_id: str | None = None, continue_: bool = False, new: bool = False) -> int:
    in_browser = os.environ.get("TEXTUAL_DRIVER", "").endswith("WebDriver")  # chinwag serve
    if (not sys.stdin.isatty() or not sys.stdout.isatty()) and not in_browser:
        if not os.environ.get("CHINWAG_FORCE_TUI"):
            raise common.CliError("the TUI needs a terminal; use `chinwag session ...` for scripts")
    from chinwag.storage import Store

    # Open (and classify) the database before Textual takes the screen, so a refusal is one line.
    store = Store(db_path)
    try:
        app = load_tui_app()(db_path=db_path, store=store, session_id=session_id, continue_=continue_, new=new)
        app.run()
    finally:
        store.close()
    if app.startup_error:
        raise common.CliError(app.startup_error)
    return app.return_code or 0

