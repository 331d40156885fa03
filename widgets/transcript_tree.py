"""The transcript's part of the conversation tree: which version of a block it shows among
its siblings (`‹ 2/3 ›` in the header), the keys and clicks that ask for another version,
an edit or a regenerated reply, and replacing the path below a block with another branch.

Mixed into `Transcript` (it uses the transcript's blocks, offsets and cache). It posts
messages up and never reads storage: the screen decides and pushes the new path down.
"""

from __future__ import annotations

from bisect import bisect_right
from typing import TYPE_CHECKING, Protocol

from rich.cells import cell_len
from textual import events

from chinwag.storage.models import ToolCall, Turn
from chinwag.widgets.messages import ControlMessage
from chinwag.widgets.role_block import SIBLINGS_LEFT, SIBLINGS_RIGHT, RenderOptions, header_text

if TYPE_CHECKING:
    from chinwag.widgets.transcript_layout import Block


class Placement(Protocol):
    """Where a turn sits among its siblings (`chinwag.storage.tree.Placement`), 1-based."""

    @property
    def sibling_index(self) -> int: ...
    @property
    def siblings(self) -> int: ...


class TurnRequest(ControlMessage):
    """A request about one block (its turn's id)."""

    def __init__(self, transcript, turn_id: str) -> None:
        super().__init__(transcript)
        self.turn_id = turn_id


class EditRequested(TurnRequest, namespace="transcript"):
    """`e` on a block: edit that prompt (a new branch beside it)."""


class RegenerateRequested(TurnRequest, namespace="transcript"):
    """`r` on a block: run that reply again (a new branch beside it)."""


class SiblingRequested(TurnRequest, namespace="transcript"):
    """`[` / `]` on a block, or a click on its `‹` / `›`: show the previous (-1) or next (1) version."""

    def __init__(self, transcript, turn_id: str, step: int) -> None:
        super().__init__(transcript, turn_id)
        self.step = step


class LoadNewer(ControlMessage, namespace="transcript"):
    """Scrolled near the bottom while the path goes on below the loaded turns."""


class TranscriptTreeMixin:
    """Placements of the shown turns, the tree's keys and clicks, `replace_from` and the
    pages below it (`has_newer`, `append_page`)."""

    EditRequested = EditRequested
    RegenerateRequested = RegenerateRequested
    SiblingRequested = SiblingRequested
    LoadNewer = LoadNewer

    has_newer = False  # the loaded turns stop short of the path's tip (after a switch): more on scrolling down
    _asked_newer = False

    placements: dict[str, Placement]
    _blocks: list[Block]
    _index: dict[str, int]
    _offsets: list[int]

    def shown_turn(self, turn_id: str | None) -> Turn | None:
        position = self._index.get(turn_id or "")
        return self._blocks[position].turn if position is not None else None

    def siblings_of(self, turn_id: str) -> tuple[int, int] | None:
        placement = self.placements.get(turn_id)
        return (placement.sibling_index, placement.siblings) if placement else None

    def set_placements(self, placements: dict[str, Placement]) -> None:
        """New positions for some shown turns (a turn just started beside others)."""
        self.placements.update(placements)
        for turn_id in placements:
            position = self._index.get(turn_id)
            if position is not None:
                self._blocks[position].version += 1
                self._remeasure(position)  # type: ignore[attr-defined]
        self.refresh()  # type: ignore[attr-defined]

    def replace_from(self, turn_id: str, turns: list[Turn], tool_calls: dict[str, list[ToolCall]],
                     placements: dict[str, Placement], *, pin: bool = False, has_newer: bool = False) -> bool:
        """Show `turns` in place of the block of `turn_id` and every block after it (another
        branch from there); the scroll stays where it is (`pin`: follow the bottom, for a
        turn about to stream), the selection moves to the first new block. False when the
        block is not shown."""
        position = self._index.get(turn_id)
        if position is None:
            return False
        top = self.scroll_offset.y  # type: ignore[attr-defined]
        self.placements.update(placements)
        fresh = [self._new_block(t, tool_calls.get(t.id, [])) for t in turns]  # type: ignore[attr-defined]
        self._blocks = self._blocks[:position] + fresh
        self.has_newer, self._asked_newer = has_newer, False
        self._reindex()  # type: ignore[attr-defined]
        self._update_virtual_size()  # type: ignore[attr-defined]
        self.set_reactive(type(self).selected_turn_id, turns[0].id if turns else None)  # type: ignore[attr-defined]
        self._pinned = pin
        if pin:
            self._scroll_bottom()  # type: ignore[attr-defined]
        else:
            self.scroll_to(y=top, animate=False, immediate=True)  # type: ignore[attr-defined]
        self._measure_visible(margin=False)  # type: ignore[attr-defined]
        self.call_after_refresh(self._measure_visible)  # type: ignore[attr-defined]
        self._sync_timer()  # type: ignore[attr-defined]
        self.refresh()  # type: ignore[attr-defined]
        self.maybe_load_newer()
        return True

    def append_page(self, turns: list[Turn], tool_calls: dict[str, list[ToolCall]],
                    placements: dict[str, Placement], *, has_newer: bool) -> None:
        """The next page of the path below the loaded turns; the scroll stays."""
        self.placements.update(placements)
        known = set(self._index)
        self._blocks.extend(self._new_block(t, tool_calls.get(t.id, [])) for t in turns  # type: ignore[attr-defined]
                            if t.id not in known)
        self.has_newer, self._asked_newer = has_newer, False
        self._reindex()  # type: ignore[attr-defined]
        self._update_virtual_size()  # type: ignore[attr-defined]
        self._measure_visible()  # type: ignore[attr-defined]
        self.refresh()  # type: ignore[attr-defined]
        self.maybe_load_newer()

    def maybe_load_newer(self) -> None:
        """Ask for the page below when the bottom of the loaded turns is within a screen."""
        if not self.has_newer or self._asked_newer:
            return
        height = self.scrollable_content_region.height  # type: ignore[attr-defined]
        if self.scroll_offset.y + 2 * height >= self._offsets[-1]:  # type: ignore[attr-defined]
            self._asked_newer = True
            self.post_message(LoadNewer(self))  # type: ignore[attr-defined]

    # -- keys -------------------------------------------------------------------------------
    def _selected(self) -> str | None:
        turn_id = self.selected_turn_id  # type: ignore[attr-defined]
        return turn_id if turn_id in self._index else None

    def action_edit_block(self) -> None:
        if (turn_id := self._selected()) is not None:
            self.post_message(EditRequested(self, turn_id))  # type: ignore[attr-defined]

    def action_regenerate_block(self) -> None:
        if (turn_id := self._selected()) is not None:
            self.post_message(RegenerateRequested(self, turn_id))  # type: ignore[attr-defined]

    def action_sibling(self, step: int) -> None:
        if (turn_id := self._selected()) is not None:
            self.post_message(SiblingRequested(self, turn_id, step))  # type: ignore[attr-defined]

    # -- clicks on the arrows ---------------------------------------------------------------
    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)  # type: ignore[arg-type]
        if offset is None or not self._blocks:
            return
        line = int(self.scroll_offset.y) + offset.y  # type: ignore[attr-defined]
        position = bisect_right(self._offsets, line) - 1
        if not 0 <= position < len(self._blocks) or line != self._offsets[position]:
            return  # not a header line
        block = self._blocks[position]
        step = self._arrow_at(block, offset.x)
        if step:
            self.selected_turn_id = block.turn.id  # type: ignore[attr-defined]
            self.post_message(SiblingRequested(self, block.turn.id, step))  # type: ignore[attr-defined]
            event.stop()

    def _arrow_at(self, block: Block, x: int) -> int:
        """-1 when column `x` of the block's header is its `‹`, 1 its `›`, else 0."""
        options: RenderOptions = self._options(block)  # type: ignore[attr-defined]
        if options.siblings is None:
            return 0
        plain = header_text(block.turn, block.calls, options).plain
        mark = f"  {SIBLINGS_LEFT} {options.siblings[0]}/{options.siblings[1]} {SIBLINGS_RIGHT}"
        at = plain.rfind(mark)
        if at < 0:
            return 0
        left = cell_len(plain[:at]) + 2
        right = left + cell_len(mark) - 3
        if left - 1 <= x <= left + 1:  # a cell either side: arrows are small targets
            return -1
        if right - 1 <= x <= right + 1:
            return 1
        return 0
