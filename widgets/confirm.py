"""Small modal dialogs: a yes/no confirmation and a one-line text prompt (e.g. rename).
Their look (a box sized to its text, wrapped, buttons in line) is `dialog.py`'s."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import ModalScreen
from textual.widgets import Button, Input

from chinwag.widgets.dialog import Dialog, box, buttons, dialog_css, text_widget, title_widget
from chinwag.widgets.text_safety import one_line


class ConfirmScreen(Dialog, ModalScreen[bool]):
    DEFAULT_CSS = dialog_css("ConfirmScreen")
    AUTO_FOCUS = "#no"  # not a query in on_mount: a dialog answered before it mounted has no buttons left
    BINDINGS = [Binding("escape,n", "answer(False)", "no"), Binding("y", "answer(True)", "yes")]

    def __init__(self, title: str, text: str = ""):
        super().__init__()
        self._title, self._text = title, text

    def compose(self) -> ComposeResult:
        with box():
            yield title_widget(self._title)
            if self._text:
                yield text_widget(self._text)
            yield from buttons([("yes", "y  Yes", "-danger"), ("no", "n  No", "")])

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)


class TextPrompt(Dialog, ModalScreen[str | None]):
    DEFAULT_CSS = dialog_css("TextPrompt") + """
    TextPrompt #value { width: 60; max-width: 100%; margin-bottom: 1; }
    """
    BINDINGS = [Binding("escape", "cancel", "cancel")]

    def __init__(self, title: str, value: str = ""):
        super().__init__()
        self._title = title
        self._value = one_line(value, 10_000)  # an Input shows its value raw: no escapes into the terminal

    def compose(self) -> ComposeResult:
        with box():
            yield title_widget(self._title)
            yield Input(value=self._value, id="value")
            yield text_widget("enter save · esc cancel")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(None if event.value == self._value else event.value)  # unchanged: nothing to save

    def action_cancel(self) -> None:
        self.dismiss(None)
