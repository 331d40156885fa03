"""/context's view: a horizontal bar of what fills the context window, one coloured segment per
part (theme colours), the free rest shaded, a legend under it; and the modal that shows the bar
over the biggest items and the compaction hint. Plain data in (names, token counts, palette
entry names, rows of text): no app types.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Group
from rich.style import Style
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widget import Widget
from textual.widgets import Label, Static

from chinwag.storage.tokens import compact_number
from chinwag.widgets.info_screen import InfoScreen
from chinwag.widgets.text_safety import TITLE_LIMIT, notice, one_line, plain
from chinwag.widgets.theme import DARK, Palette, palette_for

BLOCK, FREE = "█", "░"
BarPart = tuple[str, int, str]  # name, tokens, palette entry


def cells(parts: Sequence[BarPart], window: int, width: int) -> list[int]:
    """Each part's cells in a bar `width` wide: in proportion to the window (to the total when
    the window is not known or overflows), at least one for a part with tokens."""
    total = sum(tokens for _, tokens, _ in parts)
    scale = max(window, total)
    if width <= 0 or scale <= 0:
        return [0 for _ in parts]
    shares = [max(1, round(tokens * width / scale)) if tokens > 0 else 0 for _, tokens, _ in parts]
    while sum(shares) > width and max(shares) > 1:  # rounding up the small ones may overflow
        shares[shares.index(max(shares))] -= 1
    return shares


def bar_text(parts: Sequence[BarPart], window: int, width: int, palette: Palette = DARK) -> Text:
    """The bar and, on the next line, the legend of the parts with tokens (and the free room)."""
    text = Text(no_wrap=True, overflow="crop")
    shares = cells(parts, window, width)
    for (_, _, colour), share in zip(parts, shares, strict=True):
        text.append(BLOCK * share, Style(color=palette.get(colour)))
    text.append(FREE * max(0, width - sum(shares)), Style(color=palette.faint))
    text.append("\n")
    legend = [(name, tokens, colour) for name, tokens, colour in parts if tokens > 0]
    total = sum(tokens for _, tokens, _ in parts)
    for index, (name, tokens, colour) in enumerate(legend):
        if index:
            text.append("  ")
        text.append("■ ", Style(color=palette.get(colour)))
        text.append(f"{one_line(name, 40)} ~{compact_number(tokens)}")
    if window > total:
        text.append("  " if legend else "")
        text.append(f"{FREE} free ~{compact_number(window - total)}", Style(color=palette.faint))
    return text


class ContextBar(Widget):
    DEFAULT_CSS = "ContextBar { width: 100%; height: auto; min-height: 2; margin-bottom: 1; }"

    def __init__(self, parts: Sequence[BarPart], window: int, *, id: str | None = None):
        super().__init__(id=id)
        self.parts, self.window = list(parts), window

    def render(self) -> Text:
        return bar_text(self.parts, self.window, max(1, self.size.width), palette_for(self))


class ContextScreen(InfoScreen):
    """The bar, then the biggest items (rows of: turn, role, first words, ~tokens), then notes."""

    def __init__(self, title: str, parts: Sequence[BarPart], window: int, items: Sequence[tuple[str, str, str, int]],
                 notes: Sequence[str]):
        table = Table(box=None, padding=(0, 1), header_style="bold", expand=False)
        for column, justify in (("turn", "right"), ("role", "left"), ("first words", "left"), ("~tokens", "right")):
            table.add_column(column, justify=justify)  # type: ignore[arg-type]
        for label, role, words, tokens in items:
            table.add_row(plain(label), plain(role), plain(one_line(words, 60)), f"~{tokens:,}")
        body = Group(Text("biggest items", style="bold"), table, Text(""),
                     *[Text(notice(note)) for note in notes])
        super().__init__(title, body)
        self._parts, self._window = list(parts), window

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="panel"):
            yield Static(plain(notice(self._title, TITLE_LIMIT)), id="info-title")
            yield ContextBar(self._parts, self._window, id="context-bar")
            yield Static(self._body, id="info-body")
            yield Label("esc close", id="info-hint")
