"""The slash-command registry and parser: the single source for the prompt's popup, the
command palette and the App's dispatch. Pure Python (no Textual).
"""

from __future__ import annotations

import difflib
import shlex
from dataclasses import dataclass, field

from chinwag.app.config import schema
from chinwag.app.config.schema import MODE_HELP, MODES, Scope


@dataclass(frozen=True)
class Command:
    """A slash command as the registry lists it: name, help, usage and the key that does the same."""

    name: str
    description: str
    usage: str = ""
    takes_args: bool = False
    arg_kind: str | None = None
    binding: str | None = None  # the id of the key binding that does the same (its key is read from the app)
    group: str = "session"
    source: str = "chinwag"  # "chinwag" or "agent" (commands an agent advertises)

    def __post_init__(self):
        if not self.usage:
            object.__setattr__(self, "usage", f"/{self.name}")


COMMANDS: tuple[Command, ...] = (
    Command("help", "list every command and key", group="app", binding="help"),
    Command("status", "session ids, agent, model, mode, state, tokens, database", group="app"),
    Command("history", "your recent prompts (Up in the prompt recalls them)", group="app"),
    Command("transcript", "the whole session as one readable document", group="app"),
    Command("runs", "agent turns with status, tokens and duration", group="turn"),
    Command("stats", "turns, tokens and cost per day, model and agent (last 30 days), as plots",
            "/stats [--since 30d|all] [--by day|model|agent]", takes_args=True, arg_kind="stats", group="app"),
    Command("cancel", "cancel the running turn, keeping its partial reply", group="turn", binding="cancel_turn"),
    Command("compact", "summarize older turns to free context", "/compact [--window N] [--yes] [--undo] [instructions]",
            takes_args=True, group="turn"),
    Command("context", "what fills the context window: a bar, the biggest turns, what /compact would free",
            group="turn"),
    Command("stop", "stop this session's running work and drop queued prompts", group="turn"),
    Command("detach", "leave the turn running in the background, go to the sessions", group="turn"),
    Command("quit", "quit Chinwag (asks if a turn is running)", group="app", binding="quit"),
    Command("new", "start a new session, titled TITLE if given", "/new [TITLE]", takes_args=True, group="session",
            binding="new_session"),
    Command("sessions", "browse and search sessions in the sidebar", group="session", binding="focus_sidebar"),
    Command("switch", "open another session by title or id", "/switch SESSION", takes_args=True, arg_kind="session"),
    Command("rename", "rename this session", "/rename TITLE", takes_args=True),
    Command("fork", "copy this session into a new one and open it"),
    Command("archive", "archive this session"),
    Command("restore", "restore this session from the archive"),
    Command("delete", "delete this session (asks first)"),
    Command("pin-session", "pin this session to the top of the sidebar, or unpin it"),
    Command("export", "write this session to a file", "/export [md|json] [PATH] [--force]", takes_args=True, arg_kind="export_format"),
    Command("rewind", "go back to before a prompt: conversation and files (shows what changes, asks)",
            "/rewind [--undo]", takes_args=True),
    Command("branches", "list this session's branches; Enter jumps to one"),
    Command("clear", "forget the context: earlier turns stay visible but are no longer sent", group="turn"),
    Command("model", "switch the model for the next turns", "/model NAME", takes_args=True, arg_kind="model"),
    Command("agent", "switch the agent for the next turns (no name: list them)", "/agent [NAME]", takes_args=True,
            arg_kind="agent"),
    Command("mode", "permission mode for tool use (no mode: show it and the choices)", f"/mode [{'|'.join(MODES)}]",
            takes_args=True, arg_kind="mode"),
    Command("theme", "switch the colour theme (no name: list them)", "/theme [NAME]", takes_args=True,
            arg_kind="theme", group="app"),
    Command("set", "show or override a setting for this session only",
            "/set [KEY [VALUE|--reset]]", takes_args=True, arg_kind="setting"),
)

ARG_CHOICES: dict[str, list[tuple[str, str, str]]] = {
    "setting": [(key, spec.help, key) for key, spec in schema.keys(Scope.SESSION).items()],
    "export_format": [("md", "Markdown document", "md"), ("json", "lossless JSON (re-importable)", "json")],
    "mode": [(mode.value, help, mode.value) for mode, help in MODE_HELP.items()],
    "stats": [("--by day", "one bar per UTC day (the default)", "--by day"),
              ("--by model", "one bar per model", "--by model"), ("--by agent", "one bar per agent", "--by agent"),
              ("--since 7d", "the last 7 days (a number and s, m, h, d or w)", "--since 7d"),
              ("--since 90d", "the last 90 days", "--since 90d"), ("--since all", "everything", "--since all")],
}


@dataclass
class ParsedCommand:
    """A typed slash command split into its name, arguments and --options."""

    name: str
    args: str = ""
    argv: list[str] = field(default_factory=list)
    options: dict[str, str] = field(default_factory=dict)
    rest: str = ""


def _split(text: str) -> list[str]:
    try:
        return shlex.split(text)
    except ValueError:  # unbalanced quotes: fall back to whitespace
        return text.split()


def parse_slash(text: str) -> ParsedCommand | None:
    """`/compact --window 3 keep API notes` -> name, options {"window": "3"}, rest. Never raises."""
    if not isinstance(text, str):
        return None
    stripped = text.strip()
    if not stripped.startswith("/"):
        return None
    head, _, args = stripped[1:].partition(" ")
    if not head and args:
        head, _, args = args.strip().partition(" ")
    name = head.strip().lower()
    args = args.strip()
    argv = _split(args)
    options: dict[str, str] = {}
    rest_words: list[str] = []
    i = 0
    while i < len(argv):
        word = argv[i]
        if word.startswith("--") and len(word) > 2 and not rest_words:
            key, eq, value = word[2:].partition("=")
            if eq:
                options[key] = value
            elif i + 1 < len(argv) and not argv[i + 1].startswith("--"):
                options[key] = argv[i + 1]
                i += 1
            else:
                options[key] = ""
        else:
            rest_words.append(word)
        i += 1
    rest = args
    if options and rest_words:
        # keep the user's own spacing for free text after the flags
        first = rest_words[0]
        at = args.find(first)
        rest = args[at:] if at >= 0 else " ".join(rest_words)
    elif options:
        rest = ""
    return ParsedCommand(name=name, args=args, argv=argv, options=options, rest=rest.strip())


def nearest(name: str, n: int = 3, commands=COMMANDS) -> list[str]:
    names = [c.name for c in commands]
    close = difflib.get_close_matches(name.lower(), names, n=n, cutoff=0.5)
    if not close:
        close = [c for c in names if c.startswith(name[:2].lower())][:n] if name else []
    return close
