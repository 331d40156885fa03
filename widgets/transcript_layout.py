"""The transcript's layout bookkeeping: one `Block` per turn with its (estimated, then
measured) height, the running offsets of the blocks, the virtual size grown in chunks, and
measuring what comes into view while keeping the top visible line still. Mixed into
`Transcript`, which renders the blocks (`_strips`) and owns the state declared here.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from textual.geometry import Size
from textual.widget import Widget

from chinwag.storage.models import ToolCall, Turn
from chinwag.widgets.role_block import StreamCache, estimate_height

if TYPE_CHECKING:
    from textual.strip import Strip

VIRTUAL_CHUNK = 64


@dataclass
class Block:
    """One turn in the transcript: its calls, its height (estimated until measured) and how it shows."""

    turn: Turn
    calls: list[ToolCall] = field(default_factory=list)
    height: int = 3
    measured: bool = False
    expanded: bool = False
    version: int = 0
    stream: StreamCache | None = None
    gap: str = ""  # the gap marker above it (see transcript_nav)
    output_focus: tuple[str, int] | None = None  # a tool call's output line to show (a find hit)


class TranscriptLayout:
    """Mixed into `Transcript` (a ScrollView): the layout half of it."""

    _blocks: list[Block]
    _index: dict[str, int]
    _offsets: list[int]
    _width: int
    _pinned: bool
    _new_output: bool

    if TYPE_CHECKING:
        def _strips(self, position: int) -> list[Strip]: ...
        def _mark_gaps(self) -> None: ...

    @property
    def _content_width(self) -> int:
        return max(20, self.scrollable_content_region.width)

    def _new_block(self, turn: Turn, calls: list[ToolCall]) -> Block:
        width = self._width or 100
        block = Block(turn, list(calls), estimate_height(turn, calls, width))
        if turn.status == "streaming":
            block.stream = StreamCache()
        return block

    def _reindex(self) -> None:
        self._index = {b.turn.id: i for i, b in enumerate(self._blocks)}
        self._mark_gaps()
        self._recompute_offsets(0)

    def _recompute_offsets(self, start: int) -> None:
        offsets = self._offsets[: start + 1] if start < len(self._offsets) else [0]
        if start >= len(self._offsets):
            start = 0
        total = offsets[-1]
        for block in self._blocks[start:]:
            total += block.height
            offsets.append(total)
        self._offsets = offsets

    @property
    def total_height(self) -> int:
        return self._offsets[-1]

    def _update_virtual_size(self) -> None:
        # Every change of virtual_size costs a full layout (~20 ms): grow it in chunks and
        # clamp scrolling to the real content (validate_scroll_y) instead.
        height = self.total_height
        viewport = self.scrollable_content_region.height
        chunked = height if height <= viewport else -(-height // VIRTUAL_CHUNK) * VIRTUAL_CHUNK
        # No width: lines are drawn to the region's (nothing scrolls sideways), and a width that
        # follows the region cost one more layout once the first one had sized the transcript.
        size = Size(0, chunked)
        if size == self.virtual_size:
            return
        if (self.show_vertical_scrollbar and size.width == self.virtual_size.width
                and self.virtual_size.height > viewport and size.height > viewport):
            # Only the scrollbar's range changes: update it without a layout of the screen.
            self.set_reactive(Widget.virtual_size, size)
            self._scroll_update(size)
            self.refresh()
        else:
            self.virtual_size = size

    @property
    def max_scroll_y(self) -> int:
        return max(0, self.total_height - self.scrollable_content_region.height)

    def validate_scroll_y(self, value: float) -> float:
        return max(0.0, min(value, float(self.max_scroll_y)))

    def validate_scroll_target_y(self, value: float) -> float:
        return round(max(0.0, min(value, float(self.max_scroll_y))))

    def _relayout(self, keep_bottom: bool) -> None:
        if not self.is_mounted:
            return
        self._width = self._content_width
        for block in self._blocks:
            block.measured = False
            block.height = estimate_height(block.turn, block.calls, self._width, block.expanded, gap=bool(block.gap))
        self._recompute_offsets(0)
        self._update_virtual_size()
        if self.scrollable_content_region.width <= 0:
            return  # not laid out yet (a session opened in on_mount): the first resize measures
        if keep_bottom:
            self._measure_from_bottom()
            self._scroll_bottom()
        # What is on screen now; the blocks a screen above and below after the first paint.
        self._measure_visible(margin=False)
        self.call_after_refresh(self._measure_visible)
        self.refresh()

    def _measure_from_bottom(self) -> None:
        budget = self.scrollable_content_region.height + 4 or 80
        for position in range(len(self._blocks) - 1, -1, -1):
            self._measure(position)
            budget -= self._blocks[position].height
            if budget <= 0:
                break
        self._recompute_offsets(0)
        self._update_virtual_size()

    def _measure(self, position: int) -> int:
        """Render a block for real; returns the change in its height."""
        block = self._blocks[position]
        strips = self._strips(position)
        delta = len(strips) - block.height
        block.height = len(strips)
        block.measured = True
        return delta

    def _remeasure(self, position: int) -> None:
        delta = self._measure(position)
        if delta:
            self._recompute_offsets(position)
            self._update_virtual_size()

    def _measure_visible(self, margin: bool = True) -> None:
        """Measure blocks around the viewport (with `margin`, a screen above and below too);
        keep the top visible line where it is."""
        if not self._blocks or not self.is_mounted:
            return
        height = self.scrollable_content_region.height
        extra = height if margin else 0
        for _ in range(4):  # settles in one or two passes
            top = int(self.scroll_offset.y)
            first = max(0, bisect_right(self._offsets, max(0, top - extra)) - 1)
            last = min(len(self._blocks) - 1, bisect_right(self._offsets, top + height + extra))
            shift, changed = 0, None
            for position in range(first, last + 1):
                if self._blocks[position].measured:
                    continue
                start = self._offsets[position]
                delta = self._measure(position)
                if delta:
                    changed = position if changed is None else changed
                    if start + self._blocks[position].height - delta <= top:
                        shift += delta
            if changed is None:
                break
            self._recompute_offsets(changed)
            self._update_virtual_size()
            if shift and not self._pinned:
                self.scroll_to(y=top + shift, animate=False, immediate=True)
        if self._pinned:
            self._scroll_bottom()

    def _scroll_bottom(self) -> None:
        self._pinned, self._new_output = True, False
        target = max(0, self.total_height - self.scrollable_content_region.height)
        self.scroll_to(y=target, animate=False, immediate=True, force=True)
