"""`chinwag config ...`: where the config file lives, what each setting resolves to, and
writing a commented starting file."""

from __future__ import annotations

import os
import sys

import click

from chinwag.app.cli import common
from chinwag.app.cli.base import Group, db_option
from chinwag.app.cli.exit_codes import ExitCode
from chinwag.app.config import paths
from chinwag.app.config.template import DEFAULT_CONFIG
from chinwag.storage import files

# Two settings are both called `kind` in config.toml: shown apart, with where each is set.
SHOWN_AS = {"kind": "agent_kind", "defaults.kind": "session_kind"}
SET_AS = {"agent_kind": " · what the agent talks to: [agents.NAME] kind",
          "session_kind": " · the kind of a session: [defaults] kind for new ones"}


@click.group(cls=Group)
def config() -> None:
    """show configuration"""


@config.command("show")
@db_option
@click.option("--json", "as_json", is_flag=True, help="print JSON")
@click.option("--session", "session_id", metavar="ID",
              help="the values one session gets (session > workspace > agent > global)")
@click.option("--workspace", metavar="DIR", help="the values a new session in DIR gets (default: here)")
def cmd_show(*, as_json: bool, session_id: str | None, workspace: str | None) -> int:
    """effective values and where they come from"""
    from chinwag.app.agents.settings import (  # lazy: `config path` stays light
        Setting,
        effective,
        section_settings,
        shown,
    )

    cfg = common.config()
    session = None
    if session_id:
        store = common.open_store()
        try:
            session = store.get_session(session_id)
        finally:
            store.close()
    workspace = workspace or (session.workspace if session else cfg.defaults.get("workspace") or os.getcwd())
    values = {SHOWN_AS.get(key, key): setting for key, setting in
              {**effective(cfg, session=session, workspace=workspace), **section_settings(cfg)}.items()}
    if session is not None:
        values["session_kind"] = Setting(session.kind, "session")
    problem = keys_problem(cfg)
    if as_json:
        common.print_json({
            "path": str(cfg.path) if cfg.path else None,
            "workspace": workspace,
            "session": session.id if session else None,
            "effective": {key: {"value": shown(key, s.value), "origin": s.origin} for key, s in sorted(values.items())},
        })
    else:
        print(f"# config file: {cfg.path or str(paths.config_path()) + ' (not present; built-in defaults)'}")
        print(f"# for {'session ' + session.id if session else 'a new session in ' + workspace}")
        for key, setting in sorted(values.items()):
            print(f"{key} = {shown(key, setting.value)!r}  # {setting.origin}{SET_AS.get(key, '')}")
    if problem:
        print(f"chinwag: {problem}", file=sys.stderr)
        return ExitCode.ERROR
    return ExitCode.OK


def keys_problem(cfg) -> str | None:
    """The `[keys]` entries that name no binding (the TUI ignores them), as one line."""
    if not cfg.keys:
        return None
    from chinwag.app.tui.keymap import keymap_problem  # lazy: Textual, only when [keys] needs checking

    return keymap_problem(cfg.keys, cfg.path)


@config.command("path")
def cmd_path() -> int:
    """where config.toml lives"""
    print(paths.config_path())
    return ExitCode.OK


@config.command("init")
@click.option("--force", is_flag=True, help="replace an existing file")
def cmd_init(*, force: bool) -> int:
    """write a commented config.toml with provider and ACP agent presets"""
    path = paths.config_path()
    paths.ensure_private_dir(path.parent)
    files.safe_write(path, DEFAULT_CONFIG, force=force, protected=(common.db_path(),))
    print(f"wrote {path}")
    return ExitCode.OK
