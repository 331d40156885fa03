"""Which turns of the open session the transcript holds (mixed into ChatScreen): the page
above on scrolling up, the page below after a switch of versions or a jump, a window of
the path around a turn far from the loaded ones, and the newest page again (End).

Every jump to a turn — the outline's Enter, a find hit, `g`, a search hit, a rewind's
prompt — brings its block in through `bring_turn`: a turn just above the loaded ones is
prepended with what lies between; a farther one, above or below, replaces them with a
window around it (`ChatController.window_at`), so a jump costs a page whatever the
distance. The turns around a window page in as the view scrolls to them.
"""

from __future__ import annotations

from chinwag.app.tui.controller import HISTORY_PAGE
from chinwag.app.tui.guard import guarded

NEAR = HISTORY_PAGE  # a turn at most this many turns above the loaded ones is prepended; farther: a window


class PagingMixin:
    def bring_turn(self, turn_id: str) -> bool:
        """Make the transcript hold the block of `turn_id`, a turn of the path shown; False
        when it is not on that path (nothing changes then)."""
        transcript = self.transcript
        if transcript.shown_turn(turn_id) is not None:
            return True
        if self.session is None:
            return False
        try:
            turn = self.store.get_turn(turn_id)
        except Exception:  # no such turn (any more)
            return False
        if turn.session_id != self.session.id:
            return False
        oldest = self.controller.oldest_seq
        if oldest is not None and turn.seq < oldest and oldest - turn.seq <= NEAR:
            page = self.controller.older(limit=oldest - turn.seq + HISTORY_PAGE // 4)
            if page is not None:
                transcript.prepend_turns(page.turns, page.calls, has_older=page.has_older, placements=page.placements)
            if transcript.shown_turn(turn_id) is not None:
                return True
        page = self.controller.window_at(turn_id)
        if page is None:
            return False
        transcript.show_window(page.turns, page.calls, at=turn_id, has_older=page.has_older,
                               has_newer=page.has_newer, placements=page.placements)
        return True

    def jump_to_turn(self, turn_id: str) -> None:
        """Select a turn's block and scroll it to the top of the view (the outline's Enter)."""
        if not self.bring_turn(turn_id) or not self.transcript.jump_to(turn_id):
            self.notify("that turn is not on the branch shown", severity="warning")
            return
        self.transcript.focus()

    def show_turn(self, turn_id: str) -> bool:
        """Scroll the transcript to a turn of the active path and select it (a search hit, a
        rewind's prompt)."""
        return self.bring_turn(turn_id) and self.transcript.reveal_turn(turn_id)

    # -- what the transcript asks for ---------------------------------------------------------
    @guarded
    def on_transcript_older_wanted(self, event) -> None:
        """`g` (everything above: the path's first page instead) or `{` past the loaded prompts."""
        transcript = self.transcript
        if event.everything:
            page = self.controller.window_at(None)
            if page is not None:
                transcript.show_window(page.turns, page.calls, at=None, has_older=page.has_older,
                                       has_newer=page.has_newer, placements=page.placements)
        else:
            page = self.controller.older()
            if page is not None:
                transcript.prepend_turns(page.turns, page.calls, has_older=page.has_older,
                                         placements=page.placements)
        if page is None:
            transcript.prepend_turns([], {}, has_older=False)  # nothing above after all: do not ask again
        transcript.continue_jump(event.then)

    @guarded
    def on_transcript_load_newer(self, event) -> None:
        page = self.controller.newer()
        if page is not None:
            self.transcript.append_page(page.turns, page.calls, page.placements, has_newer=page.has_newer)

    @guarded
    def on_transcript_newest_wanted(self, event) -> None:
        """End while a window is shown: the newest page, followed at the bottom."""
        controller = self.controller
        head, snapshot = controller.head, controller.snapshot
        page = controller.reload()
        self.transcript.set_turns(page.turns, page.calls, has_older=page.has_older, placements=page.placements)
        if controller.head == head:
            controller.snapshot = snapshot  # the same path: what the status shows holds (no reading)
        else:
            self.update_status()  # another process moved the head meanwhile
