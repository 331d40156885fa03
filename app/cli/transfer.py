"""`chinwag session export|import`: a session out to Markdown, JSON or one HTML page (always
through `files.safe_write`), and a JSON export back in. They join the `session` group
(registered at the end of `session.py`).
"""

from __future__ import annotations

import sys
from dataclasses import asdict
from pathlib import Path

import click

from chinwag.app.cli import common
from chinwag.app.cli.base import db_option
from chinwag.app.cli.common import CliError
from chinwag.app.cli.exit_codes import ExitCode
from chinwag.app.cli.session import session, session_id_argument, with_store
from chinwag.app.core import pricing
from chinwag.storage import Store, files
from chinwag.storage.models import Turn


@session.command("export")
@db_option
@session_id_argument
@click.option("--format", "format_", type=click.Choice(["md", "json", "html"]), default="md", show_default=True)
@click.option("-o", "--output", metavar="FILE", help="write to FILE instead of stdout")
@click.option("--force", is_flag=True, help="replace an existing FILE")
@click.option("--all-branches", is_flag=True, help="every branch of the tree, not only the active one")
@with_store
def cmd_export(store: Store, *, session_id: str, format_: str, output: str | None, force: bool,
               all_branches: bool) -> int:
    """export a session (its active branch) as Markdown, JSON or one self-contained HTML page"""
    if format_ == "html":
        text = _export_html(store, session_id, all_branches=all_branches)
    else:
        text = (store.export_json(session_id, all_branches=all_branches) if format_ == "json"
                else store.export_markdown(session_id, all_branches=all_branches))
    if not output or output == "-":
        sys.stdout.write(text if format_ != "md" else common.terminal_safe(text))
        return ExitCode.OK
    target = files.safe_write(Path(output), text, force=force)
    print(f"wrote {target}", file=sys.stderr)
    return ExitCode.OK


def _export_html(store: Store, session_id: str, *, all_branches: bool = False) -> str:
    """The HTML page of a session, in the theme's colours and the widgets' glyphs, with costs."""
    from chinwag.app.core.export_html import Look, render  # lazy: only an HTML export pays for the renderer
    from chinwag.widgets import glyphs, theme  # lazy: and for the theme (Textual's colours)

    document = store.export_session(session_id, all_branches=all_branches)
    themes = {t.name: t.to_color_system().generate() for t in theme.chinwag_themes()}
    dark, light = themes[theme.DARK_NAME], themes[theme.LIGHT_NAME]
    look = Look(dark={**asdict(theme.DARK), "background": dark["background"], "foreground": dark["foreground"]},
                light={**asdict(theme.LIGHT), "background": light["background"], "foreground": light["foreground"]},
                turn_status=glyphs.TURN_STATUS, tool_status=glyphs.TOOL_STATUS)
    pricer = pricing.Pricer(common.prices_config())
    turns = [Turn.from_row(t) for t in document["turns"] if t["role"] == "agent"]
    costs = {t.id: pricer.turn_cost(t).text() for t in turns}
    session_cost = pricing.session_cost(store, document["session"]["id"], common.prices_config())
    return render(document, look, costs=costs, session_cost=f"cost {session_cost.text()}")


@session.command("import")
@db_option
@click.argument("file")
@click.option("--as-new", is_flag=True, help="import a copy with fresh session and turn ids")
@with_store
def cmd_import(store: Store, *, file: str, as_new: bool) -> int:
    """import a JSON export

    FILE '-' reads it from stdin."""
    if file == "-":
        text = sys.stdin.read()
    else:
        try:
            text = Path(file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CliError(f"cannot read {file}: {getattr(exc, 'strerror', None) or exc}") from exc
    imported = store.import_session(text, as_new=as_new)
    common.out(imported.id)
    return ExitCode.OK
