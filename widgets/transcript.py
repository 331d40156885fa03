"""The transcript: every turn of a session as role blocks, in one Line-API ScrollView.

Rendering cost follows what is visible, not the transcript's length: blocks are rendered
with Rich only when they come into view (LRU cache), unseen heights are estimated from
text length, and when a block is measured for real above the viewport the scroll offset
is corrected so the top visible line does not move. A streaming block re-renders only
its unsettled tail (see role_block.StreamCache). A spinner timer runs only while a block
streams; an idle transcript does no work.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, datetime
from time import monotonic
from typing import TYPE_CHECKING

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from chinwag.storage.clock import format_ts
from chinwag.storage.models import ToolCall, Turn
from chinwag.widgets.messages import ControlMessage
from chinwag.widgets.role_block import (
    RenderOptions,
    StreamCache,
    header_strip,
    render_block,
)
from chinwag.widgets.theme import DARK, Palette, ThemedLines, follow_theme
from chinwag.widgets.transcript_layout import Block, TranscriptLayout
from chinwag.widgets.transcript_nav import TranscriptNav
from chinwag.widgets.transcript_tree import TranscriptTreeMixin
from chinwag.widgets.typing_guard import TypingGuard

if TYPE_CHECKING:
    from chinwag.widgets.find_marks import FindMarks  # set by the find, which loads it

CACHE_BLOCKS = 300
# printable keys that only move the view or copy: they act at once even as a word's first letter
VIEW_KEYS = ("j", "k", "g", "G", "left_curly_bracket", "right_curly_bracket", "n", "N", "T",
             "left_square_bracket", "right_square_bracket", "y", "c")
FPS = 8


class Transcript(TranscriptTreeMixin, TranscriptNav, TranscriptLayout, ThemedLines, ScrollView, can_focus=True):
    DEFAULT_CSS = """
    Transcript { background: $background; padding: 0 1; scrollbar-size-vertical: 1; }
    Transcript:focus { background-tint: $foreground 3%; }
    """
    BINDINGS = [
        Binding("up,k", "select(-1)", "previous block", show=False),
        Binding("down,j", "select(1)", "next block", show=False),
        Binding("pageup", "page(-1)", show=False),
        Binding("pagedown", "page(1)", show=False),
        Binding("g,home", "top", "top (the first turn)", show=False),
        Binding("G,end", "bottom", "bottom", show=False),
        Binding("left_curly_bracket", "prompt(-1)", "previous prompt", show=False),
        Binding("right_curly_bracket", "prompt(1)", "next prompt", show=False),
        Binding("T", "toggle_times", "relative / absolute times", show=False),
        Binding("enter", "toggle_block", "expand", show=False),
        Binding("y,c", "copy_block", "copy", show=False),
        Binding("p", "pin_block", "pin or unpin (sent verbatim, never summarized)", show=False),
        Binding("u", "undo_call", "undo a tool call's file writes", show=False),
        Binding("e", "edit_block", "edit this prompt (a new branch)", show=False),
        Binding("r", "regenerate_block", "regenerate this reply (a new branch; asks first)", show=False),
        Binding("left_square_bracket", "sibling(-1)", "previous version of this block", show=False),
        Binding("right_square_bracket", "sibling(1)", "next version of this block", show=False),
        Binding("n", "screen.find_step(1)", "next find hit", show=False),
        Binding("N", "screen.find_step(-1)", "previous find hit", show=False),
    ]

    selected_turn_id: reactive[str | None] = reactive(None, init=False)

    class LoadOlder(ControlMessage):
        """Scrolled near the top while older turns exist."""

    class CopyRequested(ControlMessage):
        def __init__(self, transcript: Transcript, text: str | None) -> None:
            super().__init__(transcript)
            self.text = text

    class PinRequested(ControlMessage):
        """`p`: pin or unpin the selected block (None: no block is selected)."""

        def __init__(self, transcript: Transcript, turn_id: str | None) -> None:
            super().__init__(transcript)
            self.turn_id = turn_id

    class UndoRequested(ControlMessage):
        """`u`: undo a tool call's file writes in the selected block (`turn_id` None: none)."""

        def __init__(self, transcript: Transcript, turn_id: str | None) -> None:
            super().__init__(transcript)
            self.turn_id = turn_id

    class BlockToggled(ControlMessage):
        def __init__(self, transcript: Transcript, turn_id: str) -> None:
            super().__init__(transcript)
            self.turn_id = turn_id

    def __init__(self, *, animate: bool = True, name: str | None = None, id: str | None = None,
                 classes: str | None = None):
        super().__init__(name=name, id=id, classes=classes)
        self.animations_on = animate
        self._blocks: list[Block] = []
        self._index: dict[str, int] = {}
        self._offsets: list[int] = [0]
        self._cache: OrderedDict[tuple, list[Strip]] = OrderedDict()
        self._has_older = False
        self._asked_older = False
        self._pinned = True
        self._new_output = False
        self._frame = 0
        self._updated_at = 0.0  # when a turn last changed (the spinner skips ticks a repaint covers)
        # what "now" is for a streaming block's elapsed time (tests give a fixed one)
        self.now: Callable[[], datetime] = lambda: datetime.now(UTC)
        self._timer = None
        self._width = 0
        self._sized = False  # laid out at least once (a Resize arrived)
        self.render_count = 0
        self._palette: Palette = DARK
        self.placements = {}  # turn id -> Placement among its siblings (pushed with each page)
        self._costs: dict[str, str] = {}  # turn id -> its header's cost, as the front end priced it
        self.on_turns: Callable[[list[Turn]], None] | None = None  # told of turns as they arrive (to price them)
        self.marks: FindMarks | None = None  # find hits painted over the lines (app/tui/find.py)
        # typing goes to the prompt (the screen sets `typing.type_to`); the keys that move the view act at
        # once (a jump must feel instant), taken back if typing follows; the others wait a moment
        self.typing = TypingGuard(self, immediate=VIEW_KEYS, snapshot=self._view_state)

    # -- public API -----------------------------------------------------------------------
    def set_turns(self, turns: list[Turn], tool_calls: dict[str, list[ToolCall]], *, has_older: bool = False,
                  placements: dict | None = None) -> None:
        """Show `turns` (the newest of the path) in place of the loaded ones, followed at the bottom."""
        self._replace_blocks(turns, tool_calls, placements, has_older=has_older, has_newer=False)
        self._pinned = True
        self.selected_turn_id = None
        self._relayout(keep_bottom=True)
        self._sync_timer()

    def _replace_blocks(self, turns: list[Turn], tool_calls: dict[str, list[ToolCall]], placements: dict | None, *,
                        has_older: bool, has_newer: bool) -> None:
        """New blocks for `turns` in place of every loaded one (laid out by the caller)."""
        self._cache.clear()
        self.placements = dict(placements or {})
        self._blocks = [self._new_block(t, tool_calls.get(t.id, [])) for t in turns]
        self._reindex()
        self._arrived(turns)
        self._has_older, self._asked_older = has_older, False
        self.has_newer, self._asked_newer = has_newer, False
        self._new_output = False

    def prepend_turns(self, turns: list[Turn], tool_calls: dict[str, list[ToolCall]], *, has_older: bool,
                      placements: dict | None = None) -> None:
        self.placements.update(placements or {})
        known = set(self._index)
        fresh = [self._new_block(t, tool_calls.get(t.id, [])) for t in turns if t.id not in known]
        self._blocks = fresh + self._blocks
        self._reindex()
        self._arrived([b.turn for b in fresh])
        added = self._offsets[len(fresh)] + (1 if fresh and self._blocks[len(fresh)].gap else 0)  # with gap lines
        self._has_older = has_older
        self._asked_older = False
        self._update_virtual_size()
        self.scroll_to(y=self.scroll_offset.y + added, animate=False, immediate=True)
        self._measure_visible()
        self.refresh()

    def update_turn(self, turn: Turn, tool_calls: list[ToolCall] | None = None) -> None:
        position = self._index.get(turn.id)
        at_bottom = self._pinned
        if position is None and self.has_newer and self._blocks and turn.seq > self._blocks[-1].turn.seq:
            # a window away from the path's newest turns: this one shows when paged to (or End)
            self._new_output = True
            self.refresh()
            return
        if position is None:
            block = self._new_block(turn, tool_calls or [])
            self._blocks.append(block)
            if len(self._blocks) > 1 and self._blocks[-2].turn.seq > turn.seq:
                self._blocks.sort(key=lambda b: b.turn.seq)
            self._reindex()
        else:
            block = self._blocks[position]
            block.turn = turn
            if tool_calls is not None:
                block.calls = list(tool_calls)
            block.version += 1
            if turn.status == "streaming" and block.stream is None:
                block.stream = StreamCache()
        self._arrived([turn])
        self._remeasure(self._index[turn.id])
        self._update_virtual_size()
        if at_bottom:
            self._scroll_bottom()
        elif self._index[turn.id] >= len(self._blocks) - 1:
            self._new_output = True
        self._sync_timer()
        self._updated_at = monotonic()
        self.refresh()

    def remove_turn(self, turn_id: str) -> None:
        """Take a block out (a compaction's working block, when it ends)."""
        position = self._index.get(turn_id)
        if position is None:
            return
        del self._blocks[position]
        self._cache = OrderedDict((k, v) for k, v in self._cache.items() if k[0] != turn_id)
        self._reindex()
        self._update_virtual_size()
        if self._pinned:
            self._scroll_bottom()
        self._sync_timer()
        self.refresh()

    def clear(self) -> None:
        self.set_turns([], {}, has_older=False)

    def selected_text(self) -> str | None:
        position = self._index.get(self.selected_turn_id or "")
        return self._blocks[position].turn.text if position is not None else None

    def last_reply_text(self) -> str | None:
        for block in reversed(self._blocks):
            if block.turn.role == "agent":
                return block.turn.text
        return None

    def set_costs(self, costs: dict[str, str]) -> None:
        """Header costs (priced by the front end when turns arrive, never here): changed ones redrawn."""
        for turn_id, text in costs.items():
            position = self._index.get(turn_id)
            if position is not None and self._costs.get(turn_id) != text:
                self._costs[turn_id] = text
                self._blocks[position].version += 1
        self.refresh()

    def _arrived(self, turns: list[Turn]) -> None:
        if self.on_turns is not None and turns:
            self.on_turns(turns)

    @property
    def turns(self) -> list[Turn]:
        return [b.turn for b in self._blocks]

    @property
    def turn_ids(self) -> list[str]:
        return [b.turn.id for b in self._blocks]

    # -- rendering -------------------------------------------------------------------------
    def _options(self, block: Block) -> RenderOptions:
        return RenderOptions(
            width=self._width or self._content_width,
            expanded=block.expanded,
            selected=block.turn.id == self.selected_turn_id,
            frame=self._frame,
            now_iso=format_ts(self.now()) if block.turn.status == "streaming" else None,
            palette=self._palette,
            siblings=self.siblings_of(block.turn.id),
            cost=self._costs.get(block.turn.id, ""),
            clock=self.now(),
            absolute_times=self.absolute_times,
            gap=block.gap,
            output_focus=block.output_focus,
        )

    def _strips(self, position: int) -> list[Strip]:
        block = self._blocks[position]
        opts = self._options(block)
        key = (block.turn.id, block.version, opts.width, opts.expanded, opts.selected, opts.absolute_times, self._clock_tick)
        cached = self._cache.get(key)
        if cached is not None:
            self._cache.move_to_end(key)
            return cached
        strips = render_block(self.app.console, block.turn, block.calls, opts, block.stream)
        self.render_count += 1
        self._cache[key] = strips
        if len(self._cache) > CACHE_BLOCKS:
            self._cache.popitem(last=False)
        return strips

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        line = int(self.scroll_offset.y) + y
        if self._new_output and not self._pinned and y == self.scrollable_content_region.height - 1:
            return self._hint_strip(width)
        if not self._blocks:
            return self._empty_line(y, width)
        if line >= self.total_height or not self._sized:
            # Before the first Resize the layout is not final (blocks would be wrapped at a
            # guessed width, then again at the real one): that first frame stays blank.
            return Strip.blank(width)
        position = bisect_right(self._offsets, line) - 1
        position = min(max(position, 0), len(self._blocks) - 1)
        block = self._blocks[position]
        row = line - self._offsets[position]
        if row == (1 if block.gap else 0) and block.turn.status == "streaming":
            return header_strip(block.turn, block.calls, self._options(block)).adjust_cell_length(width)
        strips = self._strips(position)
        if row >= len(strips):
            return Strip.blank(width)
        if self.marks is not None:
            return self.marks.apply(block.turn.id, strips, row, strips[row].adjust_cell_length(width), self._palette)
        return strips[row].adjust_cell_length(width)

    EMPTY = ("A new conversation.", "", "Type a message below and press Enter.",
             "/ opens the commands · Ctrl+P the palette · Ctrl+B the sessions")

    def _empty_line(self, y: int, width: int) -> Strip:
        top = max(0, self.scrollable_content_region.height // 2 - len(self.EMPTY))
        if not top <= y < top + len(self.EMPTY):
            return Strip.blank(width)
        text = self.EMPTY[y - top]
        style = Style(bold=True) if y == top else Style(color=self._palette.system)
        pad = max(0, (width - len(text)) // 2)
        return Strip([Segment(" " * pad), Segment(text, style)]).adjust_cell_length(width)

    def _hint_strip(self, width: int) -> Strip:
        label = " new output ↓  (End) "
        pad = max(0, width - len(label))
        return Strip([Segment(" " * pad), Segment(label, Style(color=self._palette.badge_fg, bgcolor=self._palette.warning, bold=True))])

    # -- reacting ---------------------------------------------------------------------------
    def on_resize(self) -> None:
        self._sized = True
        if self._content_width != self._width:
            self._cache.clear()
            for block in self._blocks:
                if block.stream is not None:
                    block.stream = StreamCache()
            self._relayout(keep_bottom=self._pinned)
        elif self._pinned:  # only the height changed (the notice line, the find bar, a longer prompt):
            self._measure_visible(margin=False)  # the newest line stays in view (measured, pinned)

    def on_mount(self) -> None:
        self._width = self._content_width
        follow_theme(self, self._set_palette)
        self._start_clock()

    def _set_palette(self, palette: Palette) -> None:
        if palette == self._palette:
            return
        self._palette = palette
        self._cache.clear()
        for block in self._blocks:
            if block.stream is not None:
                block.stream = StreamCache()
        self.refresh()

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        self._pinned = int(new_value) >= self.max_scroll_y - 1
        if self._pinned:
            self._new_output = False
        self._measure_visible(margin=not self._margin_later)
        if self._has_older and not self._asked_older and new_value < self.scrollable_content_region.height:
            self._asked_older = True
            self.post_message(self.LoadOlder(self))
        self.maybe_load_newer()

    def watch_selected_turn_id(self, old: str | None, new: str | None) -> None:
        for turn_id in (old, new):
            position = self._index.get(turn_id or "")
            if position is not None:
                self._blocks[position].version += 1
                self._remeasure(position)
        self.refresh()

    def _sync_timer(self) -> None:
        streaming = any(b.turn.status == "streaming" for b in self._blocks[-3:])
        if streaming and self.animations_on and self._timer is None:
            self._timer = self.set_interval(1 / FPS, self._tick)
        elif not streaming and self._timer is not None:
            self._timer.stop()
            self._timer = None

    def _tick(self) -> None:
        self._frame += 1
        if monotonic() - self._updated_at < 1 / FPS:
            return  # text arrived since the last tick: that repaint already showed the new frame
        top = int(self.scroll_offset.y)
        bottom = top + self.scrollable_content_region.height
        for position in range(max(0, len(self._blocks) - 3), len(self._blocks)):
            block = self._blocks[position]
            if block.turn.status != "streaming":
                continue
            start = self._offsets[position]
            if top <= start < bottom:
                self.refresh_line(start)
            if any(c.status == "running" for c in block.calls):
                block.version += 1
                self.refresh()

    # -- typing never acts on a block (widgets/typing_guard.py) ------------------------------------
    async def on_key(self, event: events.Key) -> None:
        await self.typing.on_key(event)

    def on_paste(self, event: events.Paste) -> None:
        self.typing.paste(event)

    def on_blur(self) -> None:
        self.typing.close()  # a question asked here lapses when the keys go elsewhere

    def _view_state(self) -> Callable[[], None]:
        """How to put the view back (a key of VIEW_KEYS that turned out to be typing): the
        selection, the times, and the top line (by its turn: a jump may have shown other turns)."""
        selected, times, pinned = self.selected_turn_id, self.absolute_times, self._pinned
        top = self._first_visible() if self._blocks else None
        anchor = (self._blocks[top].turn.id, int(self.scroll_offset.y) - self._offsets[top]) if top is not None else None

        def restore() -> None:
            self.set_absolute_times(times)
            self.selected_turn_id = selected
            if pinned:
                self.action_bottom()  # the newest page again if a jump showed others
            elif anchor is not None and (position := self._index.get(anchor[0])) is not None:
                self.scroll_to(y=self._offsets[position] + anchor[1], animate=False, immediate=True)
        return restore

    # -- actions -----------------------------------------------------------------------------
    def action_copy_block(self) -> None:
        self.post_message(self.CopyRequested(self, self.selected_text() or self.last_reply_text()))

    def action_pin_block(self) -> None:
        self.post_message(self.PinRequested(self, self.selected_turn_id))

    def action_undo_call(self) -> None:
        self.post_message(self.UndoRequested(self, self.selected_turn_id))

    def reveal_turn(self, turn_id: str) -> bool:
        """Select the block of `turn_id` (a loaded one) and scroll it into view."""
        position = self._index.get(turn_id)
        if position is None:
            return False
        self.selected_turn_id = turn_id
        # forced: just after a session opened, the scrollbar that allows scrolling is not laid out yet
        self.scroll_to(y=self._offsets[position], animate=False, immediate=True, force=True)
        return True

    def action_toggle_block(self) -> None:
        position = self._index.get(self.selected_turn_id or "")
        if position is None:
            return
        block = self._blocks[position]
        block.expanded = not block.expanded
        block.version += 1
        self._remeasure(position)
        if block.expanded:
            self._reveal_expanded(position)
        self.refresh()
        self.post_message(self.BlockToggled(self, block.turn.id))

    def _reveal_expanded(self, position: int) -> None:
        """Bring what expanding opened into view: the tool calls' output (from the tree's
        first line), else the rest of the block (the thinking)."""
        strips = self._strips(position)
        start, end = self._offsets[position], self._offsets[position + 1]
        tools_at = getattr(strips, "tools_at", None)
        first = start + (tools_at if tools_at is not None else (2 if self._blocks[position].gap else 1))
        top, height = int(self.scroll_offset.y), self.scrollable_content_region.height
        if end - first > height or first < top:
            self.scroll_to(y=first, animate=False, immediate=True)
        elif end > top + height:
            self.scroll_to(y=end - height, animate=False, immediate=True)
