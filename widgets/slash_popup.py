"""The slash-command popup: a small list floating just above the prompt.

It only displays; the prompt owns the keys and tells it what to show (`show_items`) and
which row is highlighted (`move`). Items are (label, description, value) tuples; an empty
list shows one dim "no matching command" row instead of a blank box. Each row is one line,
cut with an ellipsis at the popup's real width (CSS `text-wrap`/`text-overflow`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol, TypeVar

from rich.text import Text
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from chinwag.widgets.text_safety import one_line

MAX_ROWS = 10


class PopupCommand(Protocol):
    """What the popup needs of a command; the app hands in its registry's entries."""

    @property
    def name(self) -> str: ...
    @property
    def description(self) -> str: ...
    @property
    def usage(self) -> str: ...
    @property
    def arg_kind(self) -> str | None: ...
    @property
    def source(self) -> str: ...


C = TypeVar("C", bound=PopupCommand)


def filter_commands(prefix: str, commands: Iterable[C]) -> list[C]:
    """Strict prefix filter on the name, exact match first, then the given order."""
    prefix = prefix.lstrip("/").lower()
    matches = [c for c in commands if c.name.lower().startswith(prefix)]
    matches.sort(key=lambda c: c.name.lower() != prefix)  # stable: keeps the given order
    return matches


def command_named(name: str, commands: Sequence[C]) -> C | None:
    return next((c for c in commands if c.name == name), None)


class SlashPopup(OptionList, can_focus=False):
    DEFAULT_CSS = """
    SlashPopup {
        overlay: screen;
        constrain: none none;
        display: none;
        width: 1fr;
        max-width: 90;
        height: auto;
        max-height: 12;
        border: round $accent;
        background: $surface;
        padding: 0 1;
        scrollbar-size-vertical: 1;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    SlashPopup > .option-list--option-highlighted { background: $accent 40%; text-style: bold; }
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.items: list[tuple[str, str, str]] = []
        self.empty_text = "no matching command"

    @property
    def is_open(self) -> bool:
        return self.display

    def show_items(self, items: list[tuple[str, str, str]], *, empty_text: str = "no matching command") -> None:
        self.items = list(items)
        self.empty_text = empty_text
        self.clear_options()
        if self.items:
            width = min(40, max(len(one_line(label, 40)) for label, _, _ in self.items)) + 2
            options = []
            for label, description, _ in self.items:
                prompt = Text(no_wrap=True, overflow="ellipsis")
                prompt.append(one_line(label, 40).ljust(width), "bold")
                prompt.append(one_line(description, 300), "dim")
                options.append(Option(prompt))
            self.add_options(options)
            self.highlighted = 0
        else:
            self.add_option(Option(Text(empty_text, style="dim italic"), disabled=True))
            self.highlighted = None
        rows = min(MAX_ROWS, max(1, len(self.items)))
        self.styles.offset = (0, -(rows + 2))
        self.display = True

    def close(self) -> None:
        self.display = False
        self.items = []

    def move(self, step: int) -> None:
        """Move the highlight, wrapping at both ends."""
        if not self.items:
            return
        current = self.highlighted if self.highlighted is not None else -step
        self.highlighted = (current + step) % len(self.items)

    @property
    def current(self) -> tuple[str, str, str] | None:
        if not self.items or self.highlighted is None or self.highlighted >= len(self.items):
            return None
        return self.items[self.highlighted]
