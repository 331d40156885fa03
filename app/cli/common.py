"""Shared pieces of the headless commands: the database path and opening the store,
reading prompts, printing text safely to a terminal, parsing ages like `30d`, JSON output.
"""

from __future__ import annotations

import sys
from dataclasses import asdict, is_dataclass
from datetime import timedelta
from pathlib import Path

from chinwag.app.cli.base import given_db
from chinwag.app.config import paths
from chinwag.app.config.loader import Config, ConfigError, load_config
from chinwag.app.core import ages

_CONTROL = {c: f"^{chr(c + 64)}" for c in range(32) if c not in (9, 10)}
_CONTROL[127] = "^?"
_CONTROL.update({c: f"\\x{c:02x}" for c in range(128, 160)})
MAX_PROMPT_BYTES = 16 * 1024 * 1024


class CliError(Exception):
    """A user-facing failure: printed as one line, exit status 1."""


def terminal_safe(text: str) -> str:
    """Make text printable without letting it drive the terminal (ANSI, control chars)."""
    text = text.encode("utf-8", "replace").decode("utf-8")
    return text.translate(_CONTROL)


def db_path() -> Path:
    """The database this command line names (`--db`, before or after the subcommand), else the default."""
    return paths.db_path(given_db())


def out(text: str = "") -> None:
    """A line on stdout, made terminal-safe."""
    sys.stdout.write(terminal_safe(text) + "\n")


def open_store(*, recover: bool = True):
    from chinwag.storage import Store  # lazy: commands that need no database load none

    return Store(db_path(), recover=recover)


def config() -> Config:
    return load_config()


def prices_config() -> Config:
    """The config the prices of turns settled without a price record come from: a config.toml
    that does not load costs those turns their prices, not the command its answer."""
    try:
        return load_config()
    except ConfigError:
        return Config()


def read_prompt(value: str | None) -> str | None:
    if value != "-":
        return value
    data = sys.stdin.buffer.read(MAX_PROMPT_BYTES + 1)
    if len(data) > MAX_PROMPT_BYTES:
        raise CliError(f"prompt on stdin is larger than {MAX_PROMPT_BYTES // (1024 * 1024)} MB")
    text = data.decode("utf-8", "replace")
    if not text.strip():
        raise CliError("empty prompt on stdin")
    return text


def parse_age(text: str) -> timedelta:
    try:
        return ages.parse_age(text)
    except ValueError as exc:
        raise CliError(str(exc)) from None


def print_json(data) -> None:
    def default(value):
        if is_dataclass(value):
            return asdict(value)
        raise TypeError(type(value).__name__)

    from chinwag.storage import safe_json  # lazy: only --json output

    sys.stdout.write(safe_json.dumps(data, default=default) + "\n")


def fit(text: str, cells: int) -> str:
    """Text made terminal-safe and exactly `cells` columns wide, measured as the terminal
    draws it (CJK and emoji take two columns, combining marks none): padded, or cut with
    an ellipsis. Every column of a table goes through here, so wide titles stay aligned."""
    from rich.cells import cell_len, set_cell_size  # lazy: Rich's width tables, only tables need them

    text = terminal_safe(text)
    if cell_len(text) <= cells:
        return set_cell_size(text, cells)
    return set_cell_size(set_cell_size(text, cells - 1).rstrip() + "…", cells)


def short_age(stamp: str, now) -> str:
    from chinwag.storage.clock import parse_ts  # lazy: only listings print ages

    seconds = max(0, int((now - parse_ts(stamp)).total_seconds()))
    for size, unit in ((86400 * 365, "y"), (86400, "d"), (3600, "h"), (60, "m")):
        if seconds >= size:
            return f"{seconds // size}{unit} ago"
    return "just now"
