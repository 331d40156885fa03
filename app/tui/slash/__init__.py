"""The TUI's slash commands: one table maps every command of the registry
(`chinwag.app.core.commands.COMMANDS`, which also feeds the popup, /help and the palette)
to its handler, grouped by topic in this package. Unknown commands get a clear message
with the nearest matches and stay in the prompt; nothing is sent to the agent unless the user
presses Enter again on the same text (the chat screen then sends it as a message).
"""

from __future__ import annotations

from collections.abc import Callable

from chinwag.app.core.commands import COMMANDS, nearest, parse_slash
from chinwag.app.errors import first_line
from chinwag.app.tui.models import ModelsMixin
from chinwag.app.tui.slash.info import InfoCommands
from chinwag.app.tui.slash.sessions import SessionCommands
from chinwag.app.tui.slash.settings import SettingsCommands
from chinwag.app.tui.slash.tree import TreeCommands
from chinwag.app.tui.slash.turn import TurnCommands
from chinwag.app.tui.slash.usage import UsageCommands
from chinwag.widgets.text_safety import one_line

Handler = Callable[..., None]  # (screen, parsed) -> None

HANDLERS: dict[str, Handler] = {
    "help": InfoCommands.slash_help,
    "status": InfoCommands.slash_status,
    "history": InfoCommands.slash_history,
    "transcript": InfoCommands.slash_transcript,
    "runs": InfoCommands.slash_runs,
    "cancel": TurnCommands.slash_cancel,
    "compact": TurnCommands.slash_compact,
    "stop": TurnCommands.slash_stop,
    "detach": TurnCommands.slash_detach,
    "quit": TurnCommands.slash_quit,
    "clear": TurnCommands.slash_clear,
    "new": SessionCommands.slash_new,
    "sessions": SessionCommands.slash_sessions,
    "switch": SessionCommands.slash_switch,
    "rename": SessionCommands.slash_rename,
    "fork": SessionCommands.slash_fork,
    "archive": SessionCommands.slash_archive,
    "restore": SessionCommands.slash_restore,
    "delete": SessionCommands.slash_delete,
    "pin-session": SessionCommands.slash_pin_session,
    "export": SessionCommands.slash_export,
    "model": ModelsMixin.slash_model,
    "agent": SettingsCommands.slash_agent,
    "mode": SettingsCommands.slash_mode,
    "theme": SettingsCommands.slash_theme,
    "set": SettingsCommands.slash_set,
    "rewind": TreeCommands.slash_rewind,
    "branches": TreeCommands.slash_branches,
    "context": UsageCommands.slash_context,
    "stats": UsageCommands.slash_stats,
}


class SlashCommandsMixin(InfoCommands, TurnCommands, SettingsCommands, SessionCommands, TreeCommands, UsageCommands):
    """Mixed into ChatScreen (uses its store, runner, session, widgets)."""

    def run_slash(self, text: str) -> None:
        parsed = parse_slash(text)
        if parsed is None:
            return
        handler = HANDLERS.get(parsed.name)
        known = {c.name for c in COMMANDS}
        if parsed.name not in known and self.is_agent_command(parsed.name):
            self.send_prompt(text.strip())  # the agent's own command: it gets the text as typed
            return
        if handler is None or parsed.name not in known:
            close = nearest(parsed.name)
            hint = f" — did you mean {', '.join('/' + n for n in close)}?" if close else " (/help lists them)"
            self.notify(f"unknown command /{one_line(parsed.name, 40)}{hint} · press Enter again to send it "
                        "as a message", severity="warning", timeout=10)
            self.prompt.text = text  # kept, so Enter again sends it
            self._send_as_text = text.strip()
            return
        try:
            handler(self, parsed)
        except Exception as exc:  # a failing command never kills the app
            self.notify(first_line(exc), severity="error", timeout=8)
