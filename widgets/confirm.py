"""Small modal dialogs: a yes/no confirmation and a one-line text prompt (e.g. rename)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label

from chinwag.widgets.text_safety import TITLE_LIMIT, notice, one_line, plain

_CSS = """
{name} {{ align: center middle; }}
{name} > Vertical {{ width: 64; max-width: 95%; height: auto; border: round $warning; background: $surface; padding: 1 2; }}
{name} .title {{ text-style: bold; padding-bottom: 1; }}
{name} .text {{ color: $text-muted; padding-bottom: 1; }}
{name} Horizontal {{ height: auto; width: auto; }}
{name} Button {{ margin-right: 1; }}
"""


class ConfirmScreen(ModalScreen[bool]):
    DEFAULT_CSS = _CSS.format(name="ConfirmScreen")
    AUTO_FOCUS = "#no"  # not a query in on_mount: a dialog answered before it mounted has no buttons left
    BINDINGS = [Binding("escape,n", "answer(False)", "no"), Binding("y", "answer(True)", "yes")]

    def __init__(self, title: str, text: str = ""):
        super().__init__()
        self._title, self._text = title, text

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(plain(notice(self._title, TITLE_LIMIT)), classes="title")
            if self._text:
                yield Label(plain(self._text), classes="text")
            with Horizontal():
                yield Button("Yes (y)", id="yes", variant="error")
                yield Button("No (n)", id="no", variant="primary")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)


class TextPrompt(ModalScreen[str | None]):
    DEFAULT_CSS = _CSS.format(name="TextPrompt")
    BINDINGS = [Binding("escape", "cancel", "cancel")]

    def __init__(self, title: str, value: str = ""):
        super().__init__()
        self._title = title
        self._value = one_line(value, 10_000)  # an Input shows its value raw: no escapes into the terminal

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(plain(notice(self._title, TITLE_LIMIT)), classes="title")
            yield Input(value=self._value, id="value")
            yield Label("enter save · esc cancel", classes="text")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(None if event.value == self._value else event.value)  # unchanged: nothing to save

    def action_cancel(self) -> None:
        self.dismiss(None)
