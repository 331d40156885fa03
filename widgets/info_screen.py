"""A modal panel showing read-only information (help, status, runs, history, transcript).

The App hands it a title (plain text) and a Rich renderable (a str is shown as plain text);
Esc, q or Enter closes it.
"""

from __future__ import annotations

from rich.console import RenderableType
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from chinwag.widgets.text_safety import TITLE_LIMIT, notice, plain


class InfoScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    InfoScreen { align: center middle; }
    InfoScreen > #panel {
        width: 90%; max-width: 110; height: auto; max-height: 85%;
        border: round $accent; background: $surface; padding: 0 1;
    }
    InfoScreen #info-title { text-style: bold; color: $accent; padding-bottom: 1; }
    InfoScreen #info-body { height: auto; }
    InfoScreen #info-hint { color: $text-muted; padding-top: 1; }
    """
    BINDINGS = [
        Binding("escape", "close", "close"),
        Binding("q", "close", "close", show=False),
        Binding("enter", "close", "close", show=False),
    ]

    def __init__(self, title: str, body: RenderableType):
        super().__init__()
        self._title = title
        self._body = plain(body, limit=None) if isinstance(body, str) else body  # a str would be parsed as markup

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="panel"):
            yield Static(plain(notice(self._title, TITLE_LIMIT)), id="info-title")  # wraps, never cut
            yield Static(self._body, id="info-body")
            yield Label("esc close", id="info-hint")

    def action_close(self) -> None:
        self.dismiss(None)
