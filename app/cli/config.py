"""`chinwag config ...`: where the config file lives, what each setting resolves to, and
writing a commented starting file."""

from __future__ import annotations

import os

import click

from chinwag.app.cli import common
from chinwag.app.cli.base import Group, db_option
from chinwag.app.cli.exit_codes import ExitCode
from chinwag.app.config import paths
from chinwag.app.config.template import DEFAULT_CONFIG
from chinwag.storage import files


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
    from chinwag.app.agents.settings import effective, section_settings, shown  # here: `config path` stays light

    cfg = common.config()
    session = None
    if session_id:
        store = common.open_store()
        try:
            session = store.get_session(session_id)
        finally:
            store.close()
    workspace = workspace or (session.workspace if session else cfg.defaults.get("workspace") or os.getcwd())
    values = {**effective(cfg, session=session, workspace=workspace), **section_settings(cfg)}
    if as_json:
        common.print_json({
            "path": str(cfg.path) if cfg.path else None,
            "workspace": workspace,
            "session": session.id if session else None,
            "effective": {key: {"value": shown(key, s.value), "origin": s.origin} for key, s in sorted(values.items())},
        })
        return ExitCode.OK
    print(f"# config file: {cfg.path or str(paths.config_path()) + ' (not present; built-in defaults)'}")
    print(f"# for {'session ' + session.id if session else 'a new session in ' + workspace}")
    for key, setting in sorted(values.items()):
        print(f"{key} = {shown(key, setting.value)!r}  # {setting.origin}")
    return ExitCode.OK


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
