"""Moving through the transcript and when its turns happened: `{` / `}` (the previous / next
user prompt), `g` / `G` (top / bottom), a jump to any turn (the outline's Enter), `T`
(relative or absolute times), and the gap markers between turns far apart.

Mixed into `Transcript` (which declares the bindings: Textual reads them only from widget
classes). A jump that needs turns above the loaded pages asks for them with `OlderWanted`;
the screen loads them (`prepend_turns`) and calls `continue_jump`.
"""

from __future__ import annotations

from bisect import bisect_right
from typing import TYPE_CHECKING

from chinwag.storage.models import ToolCall, Turn
from chinwag.widgets import time_label
from chinwag.widgets.messages import ControlMessage

if TYPE_CHECKING:
    from chinwag.widgets.transcript import Transcript

CLOCK_SECONDS = 60  # relative times ("12 min ago") are redrawn this often


class OlderWanted(ControlMessage, namespace="transcript"):
    """A jump needs the turns above the loaded ones: all of them (`everything`, for the top)
    or one more page (the previous prompt). The handler calls `continue_jump(then)`."""

    def __init__(self, transcript: Transcript, *, everything: bool, then: str) -> None:
        super().__init__(transcript)
        self.everything = everything
        self.then = then


class NewestWanted(ControlMessage, namespace="transcript"):
    """End (`G`) while the loaded turns stop short of the path's newest: load the newest page."""


class TimesToggled(ControlMessage, namespace="transcript"):
    def __init__(self, transcript: Transcript, absolute_times: bool) -> None:
        super().__init__(transcript)
        self.absolute_times = absolute_times


class TranscriptNav:
    absolute_times: bool = False  # headers show 2026-12-01 14:02, not "3 h ago"
    _clock_tick: int = 0  # bumped every CLOCK_SECONDS: cached headers with a relative time go stale
    _gaps_of: dict[str, tuple] | None = None
    _margin_later = False  # a jump: scrolling measures only what shows (the margin after the frame)

    # -- gap markers ------------------------------------------------------------------------
    def _mark_gaps(self: Transcript) -> None:
        """Give each block the gap marker its distance from the one before calls for (the
        block's height counts the marker line, so offsets stay exact)."""
        if self._gaps_of is None or len(self._gaps_of) > 2 * len(self._blocks) + 1000:
            self._gaps_of = {}  # (turns of sessions shown before are dropped now and then)
        known = self._gaps_of  # turn id -> (the times its gap was worked out from, the marker): parsing costs
        previous = None
        for block in self._blocks:
            turn = block.turn
            key = (previous.created_at, previous.finished_at, turn.created_at) if previous is not None else None
            cached = known.get(turn.id)
            if cached is not None and cached[0] == key:
                label = cached[1]
            else:
                label = time_label.gap((key[0], key[1]), key[2]) if key is not None else ""
                known[turn.id] = (key, label)
            if label != block.gap:
                block.height += (1 if label else 0) - (1 if block.gap else 0)
                block.gap = label
                block.version += 1
            previous = turn

    # -- times --------------------------------------------------------------------------------
    def action_toggle_times(self: Transcript) -> None:
        self.set_absolute_times(not self.absolute_times)
        self.post_message(TimesToggled(self, self.absolute_times))

    def set_absolute_times(self: Transcript, value: bool) -> None:
        if value != self.absolute_times:
            self.absolute_times = value
            self.refresh()  # the cache key holds the mode: blocks re-render as they show

    def _start_clock(self: Transcript) -> None:
        if self.animations_on:  # tests and snapshots keep their fixed `now` and no timers
            self.set_interval(CLOCK_SECONDS, self._tick_clock)

    def _tick_clock(self: Transcript) -> None:
        if not self.absolute_times:
            self._clock_tick += 1
            self.refresh()

    # -- jumps ------------------------------------------------------------------------------
    def action_select(self: Transcript, step: int) -> None:
        if not self._blocks:
            return
        position = self._index.get(self.selected_turn_id or "")
        if position is None:
            position = len(self._blocks) - 1 if step < 0 else self._first_visible()
        else:
            position = min(max(position + step, 0), len(self._blocks) - 1)
        self.selected_turn_id = self._blocks[position].turn.id
        self._reveal(position)

    def _first_visible(self: Transcript) -> int:
        return max(0, bisect_right(self._offsets, int(self.scroll_offset.y)) - 1)

    def _reveal(self: Transcript, position: int) -> None:
        start, end = self._offsets[position], self._offsets[position + 1]
        top = int(self.scroll_offset.y)
        height = self.scrollable_content_region.height
        if start < top or end - start > height:
            self.scroll_to(y=start, animate=False, immediate=True)
        elif end > top + height:
            self.scroll_to(y=end - height, animate=False, immediate=True)

    def action_page(self: Transcript, direction: int) -> None:
        height = self.scrollable_content_region.height
        self.scroll_to(y=self.scroll_offset.y + direction * max(1, height - 2), animate=False, immediate=True)

    def action_prompt(self: Transcript, step: int) -> None:
        """Select the previous (`step` -1) or next (+1) user prompt and bring it into view;
        before the first loaded prompt, ask for an older page and try again."""
        if not self._blocks:
            return
        selected = self._index.get(self.selected_turn_id or "")
        start = self._first_visible() if selected is None else selected + step
        positions = range(start, -1, -1) if step < 0 else range(start, len(self._blocks))
        for position in positions:
            if self._blocks[position].turn.role == "user":
                self._go_to(position)
                return
        if step < 0 and self._has_older:
            self.post_message(OlderWanted(self, everything=False, then="prompt"))

    def action_top(self: Transcript) -> None:
        """The first turn of the session: everything above the loaded pages is loaded first."""
        if self._has_older:
            self.post_message(OlderWanted(self, everything=True, then="top"))
            return
        self.scroll_to(y=0, animate=False, immediate=True)

    def action_bottom(self: Transcript) -> None:
        """The newest turn: when the loaded turns stop short of it (a window), the screen loads
        the newest page instead (`NewestWanted`)."""
        if self.has_newer:
            self.post_message(NewestWanted(self))
            return
        self._scroll_bottom()
        self.refresh()

    def show_window(self: Transcript, turns: list[Turn], tool_calls: dict[str, list[ToolCall]], *,
                    at: str | None, has_older: bool, has_newer: bool, placements: dict | None = None) -> None:
        """Show a window of the path in place of the loaded turns (a jump far from them): the
        block of `at` (None: the first) selected at the top of the view; the turns above and
        below page in on scrolling. Costs the window's size, not the distance jumped."""
        self._width = self._content_width
        self._replace_blocks(turns, tool_calls, placements, has_older=has_older, has_newer=has_newer)
        self._pinned = False
        self._update_virtual_size()
        if self._blocks:
            self._go_to(self._index.get(at or "", 0), top=True)
        self._sync_timer()

    def continue_jump(self: Transcript, then: str) -> None:
        """Go on with a jump once the turns it asked for are in (`OlderWanted.then`)."""
        if then == "top":
            self.action_top()
        elif then == "prompt":
            self.action_prompt(-1)

    def jump_to(self: Transcript, turn_id: str) -> bool:
        """Select a loaded turn and scroll its block to the top of the view; False if that
        turn is not loaded."""
        position = self._index.get(turn_id)
        if position is None:
            return False
        self._go_to(position, top=True)
        return True

    def _go_to(self: Transcript, position: int, *, top: bool = False) -> None:
        self.selected_turn_id = self._blocks[position].turn.id
        self._measure(position)
        self._recompute_offsets(position)
        self._update_virtual_size()
        # what the new frame shows is measured now; a screen above and below after it is painted
        self._margin_later = True
        try:
            if top:
                self.scroll_to(y=self._offsets[position], animate=False, immediate=True)
            else:
                self._reveal(position)
            self._measure_visible(margin=False)
        finally:
            self._margin_later = False
        self.call_after_refresh(self._measure_visible)
        self.refresh()
