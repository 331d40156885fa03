"""One registry: every slash command in `COMMANDS` has exactly one handler in the TUI's
table, and the table names nothing the registry lacks (so the popup, /help and the
palette never offer a command that does nothing)."""

from chinwag.app.core.commands import COMMANDS
from chinwag.app.tui.slash import HANDLERS, SlashCommandsMixin


def test_every_command_has_a_handler_and_every_handler_a_command():
    assert set(HANDLERS) == {c.name for c in COMMANDS}


def test_handlers_are_methods_of_the_chat_screen():
    from chinwag.app.tui.chat_screen import ChatScreen

    for name, handler in HANDLERS.items():
        assert getattr(ChatScreen, handler.__name__) is handler, name
    assert issubclass(ChatScreen, SlashCommandsMixin)
