"""The look every dialog shares (confirm, choice, text prompt): a box that sizes to its text
(up to `MAX_WIDTH` columns, wrapping at word boundaries inside it), a bold title, muted
explanatory text, and a row (or, when they do not fit, a column) of one-line buttons lined
up with the text. The focused button is filled with the accent colour: no reversed inner box.
"""

from __future__ import annotations

from textual import events
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from chinwag.widgets.text_safety import TITLE_LIMIT, notice, plain

MAX_WIDTH = 72  # the box, border and padding included
INNER = MAX_WIDTH - 6  # border 2 + padding 4

CSS = """
{name} { align: center middle; }
{name} > #dialog {
    width: auto; min-width: 40; max-width: {max_width}; height: auto; max-height: 90%;
    border: round $warning; background: $surface; padding: 1 2;
}
{name} #dialog-title { width: auto; max-width: 100%; text-style: bold; margin-bottom: 1; }
{name} .dialog-text { width: auto; max-width: 100%; color: $text-muted; margin-bottom: 1; }
{name} #dialog-buttons { width: auto; height: auto; }
{name} #dialog-buttons.-column { layout: vertical; width: 100%; }
{name} #dialog > .dialog-text:last-child { margin-bottom: 0; }
{name} #dialog-buttons Button {
    width: auto; min-width: 8; height: 1; margin: 0 2 0 0; padding: 0 1; border: none;
    text-style: bold; background: $panel; color: $text;
}
{name} #dialog-buttons.-column Button { margin: 0; width: 100%; content-align: left middle; text-align: left; }
{name} #dialog-buttons Button:focus { text-style: bold; background: $accent; color: $text; }
{name} #dialog-buttons Button:hover { background: $primary-muted; }
{name} #dialog-buttons Button.-danger { color: $text-error; }
{name} #dialog-buttons Button.-danger:focus { color: $text; background: $error; }
"""


def dialog_css(name: str) -> str:
    return CSS.replace("{name}", name).replace("{max_width}", str(MAX_WIDTH))


def title_widget(title: str) -> Static:
    return Static(plain(notice(title, TITLE_LIMIT)), id="dialog-title")


def text_widget(text: str) -> Static:
    return Static(plain(text), classes="dialog-text")


def buttons(items: list[tuple[str, str, str]]) -> ComposeResult:
    """(id, label, classes) as one row when they fit in the box, else a column."""
    row = sum(len(label) + 2 + 2 for _, label, _ in items) <= INNER
    with Horizontal(id="dialog-buttons", classes="" if row else "-column"):
        for button_id, label, classes in items:
            yield Button(plain(label), id=button_id, classes=classes, compact=True)


def box() -> Vertical:
    return Vertical(id="dialog")


class Dialog(ModalScreen):
    """A modal screen whose box never outgrows the terminal (a narrow one shrinks it, the
    text wraps more)."""

    def on_resize(self, event: events.Resize) -> None:
        for dialog in self.query("#dialog"):
            dialog.styles.max_width = max(20, min(MAX_WIDTH, event.size.width - 2))
            dialog.styles.min_width = min(40, max(20, event.size.width - 2))
