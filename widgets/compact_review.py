"""The review of a compaction's summary before it is stored (`/compact`): the summary in a
text area, what it replaces, and accept / edit / cancel. It dismisses with the text to
store (as shown, or as edited) or None (cancel: nothing changes). The text is the user's
and the model's: shown literally, never as markup."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import ModalScreen
from textual.widgets import Button, TextArea

from chinwag.widgets.dialog import Dialog, box, buttons, dialog_css, text_widget, title_widget
from chinwag.widgets.text_safety import plain, safe_text

HINT = "a accept · e edit · esc cancel (nothing changes)"
EDIT_HINT = "ctrl+s accept the edited text · esc stop editing"


class CompactReview(Dialog, ModalScreen[str | None]):
    DEFAULT_CSS = dialog_css("CompactReview") + """
    CompactReview > #dialog { width: 72; }
    CompactReview #summary { width: 100%; height: 14; margin-bottom: 1; border: round $panel; }
    CompactReview #summary.-editing { border: round $accent; }
    """
    AUTO_FOCUS = "#accept"
    BINDINGS = [
        Binding("a", "accept", "accept"),
        Binding("ctrl+s", "accept", "accept", priority=True),
        Binding("e", "edit", "edit"),
        Binding("escape", "back", "cancel"),
    ]

    def __init__(self, text: str, about: str) -> None:
        super().__init__()
        self._title = "Review the summary"
        self._text, self._about = text, about

    def compose(self) -> ComposeResult:
        with box():
            yield title_widget(self._title)
            yield text_widget(self._about)
            yield TextArea(safe_text(self._text), id="summary", read_only=True, soft_wrap=True, show_line_numbers=False,
                           highlight_cursor_line=False)
            yield text_widget(HINT)
            yield from buttons([("accept", "a  Accept", ""), ("edit", "e  Edit", ""), ("cancel", "esc  Cancel", "")])

    @property
    def area(self) -> TextArea:
        return self.query_one("#summary", TextArea)

    @property
    def editing(self) -> bool:
        return not self.area.read_only

    def on_button_pressed(self, event: Button.Pressed) -> None:
        {"accept": self.action_accept, "edit": self.action_edit, "cancel": self.action_cancel}[event.button.id or ""]()

    def action_accept(self) -> None:
        self.dismiss(self.area.text)

    def action_edit(self) -> None:
        area = self.area
        area.read_only = False
        area.add_class("-editing")
        area.focus()
        self.query(".dialog-text").last().update(plain(EDIT_HINT))

    def action_back(self) -> None:
        """Esc: stop editing (the edit is kept), else cancel."""
        if self.editing:
            self.area.read_only = True
            self.area.remove_class("-editing")
            self.query(".dialog-text").last().update(plain(HINT))
            self.query_one("#accept", Button).focus()
            return
        self.action_cancel()

    def action_cancel(self) -> None:
        self.dismiss(None)
