"""The outline of a session (Ctrl+O): a filter line over a list of its prompts, tool calls,
errors, summaries and branch points, each with its time and tokens. Typing filters (the
`match` function given decides how), Up/Down/PgUp/PgDn move, Enter dismisses with the
chosen row's turn id, Esc with None.

The list is a Line-API view: only the rows on screen are drawn, so 30,000 rows open as fast
as 30. Rows are plain objects (app/core/outline.py's OutlineRow) read by attribute.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Protocol

from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.geometry import Size
from textual.screen import ModalScreen
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widgets import Input, Static

from chinwag.widgets import glyphs, time_label
from chinwag.widgets.text_safety import one_line
from chinwag.widgets.theme import DARK, Palette, follow_theme


class Row(Protocol):
    kind: str
    turn_id: str
    text: str
    at: str
    tokens: str
    depth: int
    status: str
    compacted: bool


_CONSOLE = Console(width=400, color_system="truecolor", force_terminal=True, legacy_windows=False)
GLYPHS = {"prompt": ("▸", "user"), "summary": ("≡", "summary"), "error": ("✗", "error"), "branch": ("⑂", "model")}


class OutlineList(ScrollView, can_focus=False):
    DEFAULT_CSS = "OutlineList { height: 1fr; scrollbar-size-vertical: 1; }"

    def __init__(self, rows: Sequence[Row], *, now: datetime | None, absolute_times: bool, id: str | None = None):
        super().__init__(id=id)
        self.rows: Sequence[Row] = rows
        self.cursor = 0
        self._now, self._absolute = now, absolute_times
        self._palette: Palette = DARK
        self.empty_text = "nothing matches"  # shown when no row does (or "reading …" while there are none yet)

    def on_mount(self) -> None:
        follow_theme(self, self._set_palette)
        self._sync()

    def _set_palette(self, palette: Palette) -> None:
        self._palette = palette
        self.refresh()

    def show(self, rows: Sequence[Row], cursor: int = 0) -> None:
        self.rows, self.cursor = rows, max(0, min(cursor, len(rows) - 1))
        self._sync()

    def _sync(self) -> None:
        self.virtual_size = Size(self.scrollable_content_region.width, len(self.rows))
        self.scroll_to(y=0, animate=False, immediate=True)
        self.call_after_refresh(self.centre)  # once laid out: the height is known then
        self.refresh()

    def centre(self) -> None:
        """The cursor's row in the middle of the view (the start, or a new filter)."""
        self.scroll_to(y=max(0, self.cursor - self.scrollable_content_region.height // 2), animate=False,
                       immediate=True)
        self.refresh()

    def move(self, step: int) -> None:
        if self.rows:
            self.cursor = max(0, min(self.cursor + step, len(self.rows) - 1))
            self.reveal()
            self.refresh()

    def reveal(self) -> None:
        height = max(1, self.scrollable_content_region.height)
        top = int(self.scroll_offset.y)
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False, immediate=True)
        elif self.cursor >= top + height:
            self.scroll_to(y=self.cursor - height + 1, animate=False, immediate=True)

    @property
    def page(self) -> int:
        return max(1, self.scrollable_content_region.height - 1)

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        index = int(self.scroll_offset.y) + y
        if index >= len(self.rows):
            if not self.rows and y == 0:
                return Strip([Segment(f"  {self.empty_text}", Style(color=self._palette.system, italic=True))]) \
                    .adjust_cell_length(width)
            return Strip.blank(width)
        strip = Strip(list(self.row_text(self.rows[index], width).render(_CONSOLE))).adjust_cell_length(width)
        if index == self.cursor:
            strip = strip.apply_style(Style(bgcolor=self._palette.selection, bold=True))
        return strip

    def row_text(self, row: Row, width: int) -> Text:
        colors = self._palette
        when = time_label.when(row.at, self._now, absolute_times=self._absolute)
        right = f"{row.tokens:>14}  {when:>16}"
        if row.kind == "tool":
            glyph, color = glyphs.tool_glyph(row.status)
        else:
            glyph, color = GLYPHS.get(row.kind, ("·", "system"))
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append("    " * row.depth + " ")
        text.append(glyph, Style(color=colors.get(color), bold=True))
        text.append(" ")
        body = Style(color=colors.faint) if row.compacted else (
            Style(color=colors.error) if row.kind == "error" else
            Style(color=colors.model) if row.kind == "tool" else Style(color=colors.system) if row.kind != "prompt"
            else Style())
        room = max(4, width - len(right) - text.cell_len - 1)
        label = Text(one_line(row.text, 500), body, no_wrap=True, overflow="ellipsis")
        label.truncate(room, overflow="ellipsis", pad=True)
        text.append_text(label)
        text.append(" ")
        text.append(f"{row.tokens:>14}", Style(color=colors.tokens))
        text.append(f"  {when:>16}", Style(color=colors.faint))
        return text


class OutlineScreen(ModalScreen[str | None]):
    DEFAULT_CSS = """
    /* opaque: a translucent one renders the chat screen behind it through a tint on every
       frame (~100 ms a full frame at 120x40), which the outline of 10,000 turns cannot afford */
    OutlineScreen { align: center middle; background: $background; }
    OutlineScreen > #outline {
        width: 90%; max-width: 130; height: 85%;
        border: round $accent; background: $surface; padding: 0 1;
    }
    OutlineScreen #outline-title { text-style: bold; color: $accent; }
    OutlineScreen #outline-filter { border: none; height: 1; padding: 0; margin: 1 0; background: $surface; }
    OutlineScreen #outline-hint { color: $text-muted; }
    """
    BINDINGS = [
        Binding("escape", "close", "close"),
        Binding("enter", "jump", "jump", show=False, priority=True),
        Binding("up", "move(-1)", show=False, priority=True),
        Binding("down", "move(1)", show=False, priority=True),
        Binding("pageup", "move_page(-1)", show=False, priority=True),
        Binding("pagedown", "move_page(1)", show=False, priority=True),
    ]

    def __init__(self, title: str, rows: Sequence[Row], match: Callable[[Sequence[Row], str], Sequence[Row]], *,
                 now: datetime | None = None, absolute_times: bool = False, start: int | None = None,
                 reading: bool = False):
        super().__init__()
        self._title, self._all, self._match = title, rows, match
        self._now, self._absolute = now, absolute_times
        self._start = len(rows) - 1 if start is None else start  # the row the cursor starts on
        self.reading = reading  # opened on no rows before they were read: `replace_rows` brings them

    def compose(self) -> ComposeResult:
        with Vertical(id="outline"):
            yield Static(Text(self._title), id="outline-title")
            yield Input(placeholder="type to filter (a capital letter: match case)", id="outline-filter")
            yield OutlineList(self._all, now=self._now, absolute_times=self._absolute, id="outline-list")
            yield Static("", id="outline-hint")

    def on_mount(self) -> None:
        if self.reading:
            self.list.empty_text = "reading the outline …"
        self.list.show(self._all, self._start)
        self._hint()
        self.query_one(Input).focus()

    def replace_rows(self, rows: Sequence[Row], start: int | None = None) -> None:
        """The rows read since the outline opened (on the kept ones, or on none yet): the filter
        applies to them; the cursor stays on its turn where it still is, else (opened on none)
        goes to `start`."""
        current = self.list.rows[self.list.cursor].turn_id if self.list.rows else None
        first = self.reading
        self._all, self.reading = rows, False
        self.list.empty_text = "nothing matches"
        filter_text = self.query_one(Input).value
        shown = self._match(rows, filter_text)
        if first and not filter_text:
            cursor = len(shown) - 1 if start is None else start
        else:
            cursor = next((n for n, row in enumerate(shown) if row.turn_id == current), self.list.cursor)
        self.list.show(shown, cursor)
        self._hint()

    @property
    def list(self) -> OutlineList:
        return self.query_one(OutlineList)

    def _hint(self) -> None:
        if self.reading:
            self.query_one("#outline-hint", Static).update(Text("reading the session … · esc close"))
            return
        shown, total = len(self.list.rows), len(self._all)
        count = f"{total} entries" if shown == total else f"{shown} of {total}"
        self.query_one("#outline-hint", Static).update(Text(f"{count} · ↑↓ move · enter jump · esc close"))

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.list.show(self._match(self._all, event.value), 0)
        self._hint()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_jump()

    def action_move(self, step: int) -> None:
        self.list.move(step)

    def action_move_page(self, direction: int) -> None:
        self.list.move(direction * self.list.page)

    def action_jump(self) -> None:
        rows = self.list.rows
        self.dismiss(rows[self.list.cursor].turn_id if rows else None)

    def action_close(self) -> None:
        self.dismiss(None)

