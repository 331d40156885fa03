"""A modal question with a few labelled choices, each picked by its key or by clicking.

`ChoiceScreen("A turn is running", "…", [("s", "Stop it and quit"), ("c", "Cancel")])`
dismisses with the chosen key, or None on Esc.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label

from chinwag.widgets.text_safety import TITLE_LIMIT, notice, one_line, plain


class ChoiceScreen(ModalScreen[str | None]):
    DEFAULT_CSS = """
    ChoiceScreen { align: center middle; }
    ChoiceScreen > Vertical {
        width: auto; max-width: 90%; height: auto; border: round $warning;
        background: $surface; padding: 1 2;
    }
    ChoiceScreen #choice-title { text-style: bold; padding-bottom: 1; }
    ChoiceScreen #choice-text { padding-bottom: 1; color: $text-muted; }
    ChoiceScreen Horizontal { height: auto; width: auto; }
    ChoiceScreen Button { margin-right: 1; }
    """
    BINDINGS = [Binding("escape", "dismiss_none", "cancel")]

    def __init__(self, title: str, text: str, choices: list[tuple[str, str]]):
        super().__init__()
        self._title, self._text, self._choices = title, text, choices

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(plain(notice(self._title, TITLE_LIMIT)), id="choice-title")
            if self._text:
                yield Label(plain(self._text), id="choice-text")
            with Horizontal():
                for key, label in self._choices:
                    yield Button(plain(f"{one_line(label, 60)} ({key})"), id=f"choice-{key}",
                                 variant="primary" if key == self._choices[0][0] else "default")

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
