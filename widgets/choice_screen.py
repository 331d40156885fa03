"""A modal question with a few labelled choices, each picked by its key or by clicking.

`ChoiceScreen("A turn is running", "…", [("s", "Stop it and quit"), ("c", "Cancel")])`
dismisses with the chosen key, or None on Esc.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import ModalScreen
from textual.widgets import Button

from chinwag.widgets.dialog import Dialog, box, buttons, dialog_css, text_widget, title_widget
from chinwag.widgets.text_safety import one_line


class ChoiceScreen(Dialog, ModalScreen[str | None]):
    DEFAULT_CSS = dialog_css("ChoiceScreen")
    BINDINGS = [Binding("escape", "dismiss_none", "cancel")]

    def __init__(self, title: str, text: str, choices: list[tuple[str, str]]):
        super().__init__()
        self._title, self._text, self._choices = title, text, choices

    def compose(self) -> ComposeResult:
        with box():
            yield title_widget(self._title)
            if self._text:
                yield text_widget(self._text)
            yield from buttons([(f"choice-{key}", f"{key}  {one_line(label, 60)}", "") for key, label in self._choices])

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id.removeprefix("choice-"))

    def on_key(self, event) -> None:
        for key, _ in self._choices:
            if event.key == key:
                event.stop()
                self.dismiss(key)
                return

    def action_dismiss_none(self) -> None:
        self.dismiss(None)
