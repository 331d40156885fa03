"""The `chinwag` command (the contract in DESIGN.md): the root Click group.

`chinwag` alone opens the TUI; `chinwag session ...`, `config ...`, `serve`, `doctor` are
headless, one module each (`app/cli/<name>.py`), imported only when named, so `--version`
loads neither Textual nor storage. A usage error is one stderr line naming the `--help` to
read, exit 2; a failure the user can act on is one line, exit 1 (`base.guarded`).
"""

from __future__ import annotations

import importlib
import sys

import click

from chinwag.app.cli.base import Group, db_option, guarded
from chinwag.app.cli.exit_codes import ExitCode

# each module app/cli/<name>.py defines a command of its name; its summary is repeated here so
# that `chinwag --help` imports none of them (a test keeps the two in step)
COMMANDS = {
    "session": "manage sessions headless (scriptable)",
    "config": "show configuration",
    "serve": "the app in a browser and a JSON API under /api",
    "doctor": "check the database, schema and agents",
    "acp": "serve sessions as an ACP agent on stdio (Zed, Toad, any ACP client)",
    "stats": "turns, tokens and cost per day, model or agent",
}


class Root(Group):
    """The top-level group: its commands load lazily, from their own modules."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        return getattr(importlib.import_module(f"chinwag.app.cli.{cmd_name}"), cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Commands"):
            formatter.write_dl(list(COMMANDS.items()))


def _print_version(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    from chinwag.app import version  # lazy: only --version

    click.echo(f"chinwag {version()}")
    ctx.exit()


@click.group(cls=Root, invoke_without_command=True, exclusive=[("continue_", "session_id", "new")],
             context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--version", is_flag=True, expose_value=False, is_eager=True, callback=_print_version,
              help="print the version and exit")
@db_option
@click.option("--continue", "continue_", is_flag=True, help="open the most recent session")
@click.option("--session", "session_id", metavar="ID", help="open this session")
@click.option("--new", is_flag=True, help="open a fresh session")
@click.pass_context
def cli(ctx: click.Context, *, continue_: bool, session_id: str | None, new: bool) -> int | None:
    """Long, multi-turn conversations with LLMs and coding agents."""
    if ctx.invoked_subcommand is not None:
        return None
    from chinwag.app.cli.misc import run_tui  # lazy: only `chinwag` alone starts the TUI

    return guarded(lambda: run_tui(session_id=session_id, continue_=continue_, new=new))


def usage_line(error: click.UsageError) -> str:
    """One line: what was wrong, and the help of the command it was wrong for."""
    from chinwag.app.errors import first_line  # lazy: only when a command fails

    message = first_line(error.format_message(), "bad usage").rstrip(".")
    where = error.ctx.command_path if error.ctx is not None else "chinwag"
    return f"chinwag: {message[:1].lower()}{message[1:]} (see `{where} --help`)"


def main(argv: list[str] | None = None) -> int:
    try:
        return int(cli.main(args=argv, prog_name="chinwag", standalone_mode=False) or ExitCode.OK)
    except click.UsageError as error:
        print(usage_line(error), file=sys.stderr)
        return ExitCode.USAGE
    except click.ClickException as error:
        print(f"chinwag: {error.format_message()}", file=sys.stderr)
        return error.exit_code
    except click.Abort:  # Ctrl+C while Click itself was reading the command line
        print("chinwag: interrupted", file=sys.stderr)
        return ExitCode.STOPPED


if __name__ == "__main__":
    sys.exit(main())
