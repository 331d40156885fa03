"""The `chinwag` command: argument parsing and dispatch (the contract in DESIGN.md).

`chinwag` alone opens the TUI; `chinwag session ...`, `config ...`, `doctor` are headless.
User errors exit non-zero with one line on stderr, never a traceback. Heavy imports
(Textual, storage) happen only in the command that needs them, so `--version` is fast.
"""

from __future__ import annotations

import argparse
import sys

from chinwag.app.cli.common import CliError
from chinwag.app.config.schema import KINDS, MODES
from chinwag.app.errors import first_line

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_STOPPED = 0, 1, 2, 130


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, exit 2
        self.exit(EXIT_USAGE, f"chinwag: {message} (see `{self.prog} --help`)\n")


def _db_option(parser: argparse.ArgumentParser, top: bool = False) -> None:
    parser.add_argument(
        "--db", metavar="PATH", help="database file (default: $CHINWAG_HOME/chinwag.db)",
        **({} if top else {"default": argparse.SUPPRESS}),
    )


def build_parser() -> argparse.ArgumentParser:
    from chinwag.app import version

    parser = _Parser(prog="chinwag", description="Long, multi-turn conversations with LLMs and coding agents.")
    parser.add_argument("--version", action="version", version=f"chinwag {version()}")
    _db_option(parser, top=True)
    opening = parser.add_mutually_exclusive_group()
    opening.add_argument("--continue", dest="continue_", action="store_true", help="open the most recent session")
    opening.add_argument("--session", metavar="ID", help="open this session")
    opening.add_argument("--new", action="store_true", help="open a fresh session")
    commands = parser.add_subparsers(dest="command", parser_class=_Parser, metavar="COMMAND")

    session = commands.add_parser("session", help="manage sessions headless (scriptable)")
    _db_option(session)
    sub = session.add_subparsers(dest="action", parser_class=_Parser, metavar="ACTION", required=True)

    def add(name: str, help: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help, description=help)
        _db_option(p)
        return p

    p = add("start", "start a session and, with a prompt, run its first turn")
    p.add_argument("--agent", help="agent name or config profile")
    p.add_argument("--model", help="model for the agent")
    p.add_argument("--kind", choices=KINDS)
    p.add_argument("--title")
    p.add_argument("--workspace")
    p.add_argument("--mode", choices=MODES, default=None)
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="a setting for this session only (system_prompt, temperature, max_tokens, ...)")
    _turn_options(p)
    p.add_argument("prompt", nargs="?", help="opening prompt ('-' reads stdin)")

    p = add("send", "send a follow-up prompt to a session")
    p.add_argument("id")
    _turn_options(p)
    p.add_argument("prompt", help="the prompt ('-' reads stdin)")

    p = add("attach", "follow a session live (its running turn, or its last reply)")
    p.add_argument("id")
    p.add_argument("--plain", action="store_true", help="print to stdout instead of opening the TUI")

    p = add("list", "list sessions, newest activity first")
    scope = p.add_mutually_exclusive_group()
    scope.add_argument("--all", action="store_true", help="include archived sessions")
    scope.add_argument("--archived", action="store_true", help="only archived sessions")
    p.add_argument("--workspace")
    p.add_argument("--kind")
    p.add_argument("--limit", type=int, default=100)
    p.add_argument("--json", action="store_true")

    for name, help in (("show", "show a session's details and transcript"),):
        p = add(name, help)
        p.add_argument("id")
        p.add_argument("--json", action="store_true")

    p = add("search", "full-text search over every session")
    p.add_argument("query")
    p.add_argument("--limit", type=int, default=50)
    p.add_argument("--json", action="store_true")

    for name, help in (
        ("switch", "make a session the active one"),
        ("stop", "stop a session's running turn, wherever it runs"),
        ("archive", "archive a session"),
        ("restore", "restore an archived (or soft-deleted) session"),
    ):
        add(name, help).add_argument("id")

    p = add("rename", "rename a session")
    p.add_argument("id")
    p.add_argument("title")

    p = add("fork", "copy a session (up to a turn) into a new one")
    p.add_argument("id")
    p.add_argument("--at", metavar="TURN", help="last turn to copy (id or prefix)")
    p.add_argument("--title")

    p = add("compact", "summarize older turns to reclaim context")
    p.add_argument("id")
    p.add_argument("--window", type=int, default=None, help="recent turns to keep (default 4)")
    p.add_argument("instructions", nargs="*", help="what the summary should focus on")

    p = add("delete", "delete a session (soft; --force removes it for good)")
    p.add_argument("id")
    p.add_argument("--force", action="store_true")

    p = add("prune", "permanently delete archived sessions older than a cutoff")
    p.add_argument("--older-than", required=True, metavar="AGE", help="e.g. 30d, 12h, 2w")
    p.add_argument("--dry-run", action="store_true")

    p = add("export", "export a session as Markdown or JSON")
    p.add_argument("id")
    p.add_argument("--format", choices=["md", "json"], default="md")
    p.add_argument("-o", "--output", metavar="FILE")
    p.add_argument("--force", action="store_true", help="replace an existing FILE")

    p = add("import", "import a JSON export")
    p.add_argument("file", help="export file ('-' reads stdin)")
    p.add_argument("--as-new", action="store_true", help="import a copy with fresh session and turn ids")

    config = commands.add_parser("config", help="show configuration")
    config_sub = config.add_subparsers(dest="action", parser_class=_Parser, required=True, metavar="ACTION")
    p = config_sub.add_parser("show", help="effective values and where they come from")
    p.add_argument("--json", action="store_true")
    p.add_argument("--session", metavar="ID", help="the values one session gets (session > workspace > agent > global)")
    p.add_argument("--workspace", metavar="DIR", help="the values a new session in DIR gets (default: here)")
    _db_option(p)
    config_sub.add_parser("path", help="where config.toml lives")
    p = config_sub.add_parser("init", help="write a commented config.toml with provider and ACP agent presets")
    p.add_argument("--force", action="store_true", help="replace an existing file")

    p = commands.add_parser("serve", help="the app in a browser and a JSON API under /api")
    _db_option(p)
    p.add_argument("--host", help="address to bind (default 127.0.0.1; others are reachable from the network)")
    p.add_argument("--port", type=int, default=8470)
    p.add_argument("--show-token", action="store_true", help="print the API token and exit")
    p.add_argument("--api-only", action="store_true", help="serve only /api, not the browser app")

    p = commands.add_parser("doctor", help="check the database, schema and agents")
    _db_option(p)
    p.add_argument("--full", action="store_true", help="thorough integrity_check instead of quick_check (slower)")
    p.add_argument("--recover", metavar="OUT", help="copy what is readable of a damaged database into a new file OUT")
    p.add_argument("--force", action="store_true", help="with --recover: replace an existing OUT")
    return parser


def _turn_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--no-stream", action="store_true", help="print the reply when it is complete")
    p.add_argument("--detach", action="store_true", help="run the turn in a background worker, print the id")
    p.add_argument("--json", action="store_true", help="print the settled turn as JSON")


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        from chinwag.app.config import paths

        paths.tighten_home(lambda line: print(line, file=sys.stderr))
        if args.command == "session":
            from chinwag.app.cli.session import run_session_command

            return run_session_command(args)
        if args.command == "config":
            from chinwag.app.cli.misc import run_config_command

            return run_config_command(args)
        if args.command == "serve":
            from chinwag.app.api.serve import run_serve

            return run_serve(args)
        if args.command == "doctor":
            from chinwag.app.cli.misc import run_doctor

            return run_doctor(args)
        from chinwag.app.cli.misc import run_tui

        return run_tui(args)
    except KeyboardInterrupt:
        print("chinwag: interrupted", file=sys.stderr)
        return EXIT_STOPPED
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:  # user-facing errors: one line, no traceback
        message = _user_message(exc)
        if message is None:
            raise
        print(f"chinwag: {message}", file=sys.stderr)
        return EXIT_ERROR


def _user_message(exc: Exception) -> str | None:
    from chinwag.app.agents.base import AgentError
    from chinwag.app.config.loader import ConfigError
    from chinwag.storage.errors import StorageError

    if isinstance(exc, (CliError, StorageError, ConfigError, AgentError)):
        return first_line(exc)
    if isinstance(exc, OSError):
        return f"{exc.strerror or exc}" + (f": {exc.filename}" if exc.filename else "")
    return None


if __name__ == "__main__":
    sys.exit(main())
