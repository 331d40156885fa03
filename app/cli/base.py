"""The Click pieces every command module shares: the group and command classes, the `--db`
option (accepted before and after a subcommand), mutually exclusive options, and `guarded`,
which turns a failure the user can act on into one stderr line and an `ExitCode`.

Kept light (Click only): `chinwag --version` imports this and nothing heavier.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import click

from chinwag.app.cli.exit_codes import ExitCode

F = TypeVar("F", bound=Callable[..., Any])
_DB = "chinwag.db"  # key in ctx.meta, which every context of one invocation shares


def _remember_db(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    # contexts are parsed outside in (chinwag, session, list), so the innermost --db wins
    if value is not None:
        ctx.meta[_DB] = value


def db_option(command: F) -> F:
    return click.option("--db", metavar="PATH", expose_value=False, callback=_remember_db,
                        help="database file (default: $CHINWAG_HOME/chinwag.db)")(command)


def given_db() -> str | None:
    """The `--db` given anywhere on this command line, or None."""
    context = click.get_current_context(silent=True)
    return context.meta.get(_DB) if context is not None else None


def guarded(run: Callable[[], int | None]) -> int:
    """Run a command's handler: Chinwag's folders tightened first; a user-facing failure
    becomes one line on stderr (never a traceback), Ctrl+C exits 130, a closed pipe 0."""
    try:
        from chinwag.app.config import paths  # lazy: `chinwag --version`/`--help` load neither config nor storage

        paths.tighten_home(lambda line: print(line, file=sys.stderr))
        return int(run() or ExitCode.OK)
    except KeyboardInterrupt:
        print("chinwag: interrupted", file=sys.stderr)
        return ExitCode.STOPPED
    except BrokenPipeError:
        return ExitCode.OK
    except Exception as exc:
        message = _user_message(exc)
        if message is None:
            raise
        print(f"chinwag: {message}", file=sys.stderr)
        return ExitCode.ERROR


def _user_message(exc: Exception) -> str | None:
    from chinwag.app.agents.base import AgentError  # lazy: only when a command fails
    from chinwag.app.cli.common import CliError  # lazy: only when a command fails
    from chinwag.app.config.loader import ConfigError  # lazy: only when a command fails
    from chinwag.app.errors import first_line  # lazy: only when a command fails
    from chinwag.storage.errors import StorageError  # lazy: only when a command fails

    if isinstance(exc, (CliError, StorageError, ConfigError, AgentError)):
        return first_line(exc)
    if isinstance(exc, OSError):
        return f"{exc.strerror or exc}" + (f": {exc.filename}" if exc.filename else "")
    return None


class _Exclusive:
    """`exclusive=[("all_", "archived")]`: parameters that cannot be given together
    (argparse's mutually exclusive groups), refused as the command line parses, so before
    anything is opened."""

    params: list[click.Parameter]

    def __init__(self, *args: Any, exclusive: Sequence[Sequence[str]] = (), **kwargs: Any) -> None:
        self.exclusive = [tuple(names) for names in exclusive]
        super().__init__(*args, **kwargs)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        rest: list[str] = super().parse_args(ctx, args)  # type: ignore[misc]
        spelled = {param.name: param.opts[0] for param in self.params if param.opts}
        for names in self.exclusive:
            used = [spelled[name] for name in names if ctx.params.get(name)]
            if len(used) > 1:
                raise click.UsageError(f"{used[0]} and {used[1]} cannot be used together", ctx)
        return rest


class Command(_Exclusive, click.Command):
    """A leaf command: its handler runs `guarded`, after every argument has parsed."""

    def invoke(self, ctx: click.Context) -> Any:
        invoke = super().invoke
        return guarded(lambda: invoke(ctx))


class Group(_Exclusive, click.Group):
    """A command group whose commands are `Command`s; a missing command is a usage error."""

    command_class = Command
    group_class = type  # nested groups are of this class too

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("no_args_is_help", False)  # `chinwag session` alone: one line, exit 2
        super().__init__(*args, **kwargs)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(self.commands)  # in the order they are defined, as the help reads best
