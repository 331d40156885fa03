"""Find hits marked in place in the transcript: the rendered lines of a block are searched
with the find's pattern and the matched cells get a theme colour (the current hit another).

Marks are laid over the transcript's cached lines as they are painted, so the render cache
never holds a marked line and needs no new key: a new query only repaints. The spans of a
block are worked out once per rendered version of it (its strips list) and kept here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

from chinwag.widgets.role_block import RAIL_WIDTH
from chinwag.widgets.theme import DARK, Palette

Spans = list[list[tuple[int, int]]]  # per block row: (start cell, end cell) of each match


@dataclass
class FindMarks:
    """The find's pattern and current match, drawn over the transcript's lines (per-block spans kept)."""

    pattern: re.Pattern[str]
    current: tuple[str, int] | None = None  # (turn id, which match down the block)
    _spans: dict[str, tuple[list[Strip], Spans, list[int]]] = field(default_factory=dict)

    def _rows(self, turn_id: str, strips: list[Strip]) -> tuple[Spans, list[int]]:
        """Each row's match spans, and how many matches come before each row."""
        known = self._spans.get(turn_id)
        if known is not None and known[0] is strips:
            return known[1], known[2]
        rows: Spans = [[]]  # the header (row 0) is the block's label, not its content
        for strip in strips[1:]:
            text = strip.text[RAIL_WIDTH:]  # after the rail, so `^` is where the line's text begins
            rows.append([(strip.index_to_cell_position(m.start() + RAIL_WIDTH),
                          strip.index_to_cell_position(m.end() + RAIL_WIDTH))
                         for m in self.pattern.finditer(text) if m.end() > m.start()])
        before, total = [], 0
        for spans in rows:
            before.append(total)
            total += len(spans)
        self._spans[turn_id] = (strips, rows, before)
        return rows, before

    def row_of(self, turn_id: str, strips: list[Strip], ordinal: int) -> int | None:
        """The row the `ordinal`-th match of the block is on (None: fewer matches shown)."""
        rows, before = self._rows(turn_id, strips)
        for row, spans in enumerate(rows):
            if ordinal < before[row] + len(spans):
                return row
        return None

    def apply(self, turn_id: str, strips: list[Strip], row: int, strip: Strip, palette: Palette = DARK) -> Strip:
        """`strip` (row `row` of the block's `strips`) with its matches marked."""
        rows, before = self._rows(turn_id, strips)
        if row >= len(rows) or not rows[row]:
            return strip
        current = self.current[1] - before[row] if self.current and self.current[0] == turn_id else -1
        hit = Style(color=palette.badge_fg, bgcolor=palette.summary)
        chosen = Style(color=palette.badge_fg, bgcolor=palette.warning, bold=True)
        cuts = sorted({cut for span in rows[row] for cut in span} | {strip.cell_length})
        marked = {start: n for n, (start, _) in enumerate(rows[row])}
        out: list[Segment] = []
        for start, piece in zip([0, *cuts], strip.divide(cuts), strict=False):
            index = marked.get(start)
            if index is not None and piece.cell_length:
                out.extend(Segment.apply_style(list(piece), post_style=chosen if index == current else hit))
            else:
                out.extend(piece)
        return Strip(out, strip.cell_length)


# -- moving the transcript to a hit ------------------------------------------------------
# These reach into the Transcript's layout (its blocks and line offsets) so that the
# transcript module stays as it is; they are the find's only way in.

@dataclass(frozen=True)
class Anchor:
    """Where the transcript was: its top line as (turn id, row in it), or at the bottom."""

    turn_id: str | None
    row: int
    at_bottom: bool
    selected: str | None


def anchor(transcript) -> Anchor:
    blocks = transcript._blocks
    if not blocks:
        return Anchor(None, 0, True, transcript.selected_turn_id)
    position = transcript._first_visible()
    top = int(transcript.scroll_offset.y)
    return Anchor(blocks[position].turn.id, top - transcript._offsets[position], transcript._pinned,
                  transcript.selected_turn_id)


def restore(transcript, where: Anchor) -> None:
    transcript.selected_turn_id = where.selected
    position = transcript._index.get(where.turn_id or "")
    if where.at_bottom or position is None:
        transcript.action_bottom()
        return
    transcript.scroll_to(y=transcript._offsets[position] + where.row, animate=False, immediate=True)
    transcript.refresh()


def block_strips(transcript, turn_id: str) -> list[Strip] | None:
    position = transcript._index.get(turn_id)
    return None if position is None else transcript._strips(position)


def is_expanded(transcript, turn_id: str) -> bool:
    position = transcript._index.get(turn_id)
    return position is not None and transcript._blocks[position].expanded


def set_expanded(transcript, turn_id: str, expanded: bool) -> bool:
    """Open (or close) a block; True if that changed it."""
    position = transcript._index.get(turn_id)
    if position is None or transcript._blocks[position].expanded == expanded:
        return False
    block = transcript._blocks[position]
    block.expanded = expanded
    block.version += 1
    transcript._remeasure(position)
    return True


def call_output(transcript, turn_id: str, call_id: str | None) -> str | None:
    """The output of one of a shown block's tool calls (None: no such call shown)."""
    position = transcript._index.get(turn_id)
    if position is None or call_id is None:
        return None
    return next((c.output or "" for c in transcript._blocks[position].calls if c.id == call_id), None)


def set_output_focus(transcript, turn_id: str, focus: tuple[str, int] | None) -> bool:
    """Show a tool call's output around a line in the block (None: from its start); True if
    that changed it."""
    position = transcript._index.get(turn_id)
    if position is None or transcript._blocks[position].output_focus == focus:
        return False
    block = transcript._blocks[position]
    block.output_focus = focus
    block.version += 1
    transcript._remeasure(position)
    return True


def show_row(transcript, turn_id: str, row: int) -> None:
    """Scroll so the block's `row` is on screen, a third of the way down when it moves."""
    position = transcript._index.get(turn_id)
    if position is None:
        return
    line = transcript._offsets[position] + row
    top, height = int(transcript.scroll_offset.y), transcript.scrollable_content_region.height
    if not top <= line < top + height:
        transcript.scroll_to(y=max(0, line - height // 3), animate=False, immediate=True)
    transcript._measure_visible()
    position = transcript._index[turn_id]  # measuring may have moved the offsets: land on the line
    line = transcript._offsets[position] + row
    top = int(transcript.scroll_offset.y)
    if not top <= line < top + height:
        transcript.scroll_to(y=max(0, line - height // 3), animate=False, immediate=True)
    transcript.refresh()
