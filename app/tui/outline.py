"""The chat screen's outline and jumps (mixed into ChatScreen): Ctrl+O opens the outline of
the open session and Enter there jumps to the chosen block; the transcript's `{` and `g`
ask here for the turns above its loaded pages; `T` and `[ui] timestamps` choose relative or
absolute times. The logic lives in app/core/outline.py, the views in widgets/."""

from __future__ import annotations

from chinwag.app.core.outline import matching, outline
from chinwag.app.tui.guard import guarded, push_modal
from chinwag.widgets.outline_screen import OutlineScreen
from chinwag.widgets.text_safety import one_line


class OutlineMixin:
    def prepare_transcript_times(self) -> None:
        """Relative times against the screen's fixed `now` (snapshots), else the store's
        clock; absolute ones when `[ui] timestamps = "absolute"`."""
        transcript = self.transcript
        transcript.now = self._now if self._now is not None else self.store.clock.peek
        ui = self._config.ui if self._config else {}
        transcript.absolute_times = ui.get("timestamps") == "absolute"

    def action_outline(self) -> None:
        if self.session is None:
            return
        transcript = self.transcript
        rows = outline(self.store, self.session.id)
        title = f"outline · {one_line(self.session.title, 60)}"
        screen = OutlineScreen(title, rows, matching, now=transcript.now(), absolute_times=transcript.absolute_times,
                               start=self._outline_start(rows))
        push_modal(self, screen, self._outline_chosen)

    def _outline_start(self, rows) -> int | None:
        """The last row at or before the selected block (else the top visible one): the
        outline opens where the transcript is."""
        transcript = self.transcript
        loaded = {turn_id: n for n, turn_id in enumerate(transcript.turn_ids)}
        if not loaded:
            return None
        at = loaded.get(transcript.selected_turn_id or "", transcript._first_visible())
        before = [n for n, row in enumerate(rows) if loaded.get(row.turn_id, -1) <= at]
        return before[-1] if before else 0

    def _outline_chosen(self, turn_id: str | None) -> None:
        if turn_id is not None:
            self.jump_to_turn(turn_id)

    def jump_to_turn(self, turn_id: str) -> None:
        """Select a turn's block and scroll it to the top, loading older pages (at once) if
        it is above the loaded ones."""
        transcript = self.transcript
        if not transcript.jump_to(turn_id):
            ids = transcript.turn_ids
            page = self.controller.older_through(turn_id, ids[0]) if ids else None
            if page is not None:
                transcript.prepend_turns(page.turns, page.calls, has_older=page.has_older)
            if not transcript.jump_to(turn_id):
                self.notify("that turn is not on the branch shown", severity="warning")
                return
        transcript.focus()

    @guarded
    def on_transcript_older_wanted(self, event) -> None:
        transcript = self.transcript
        ids = transcript.turn_ids
        if event.everything:
            page = self.controller.older_through(None, ids[0]) if ids else None
        else:
            page = self.controller.older()
        if page is None:
            transcript.prepend_turns([], {}, has_older=False)  # nothing above after all: do not ask again
        else:
            transcript.prepend_turns(page.turns, page.calls, has_older=page.has_older)
        transcript.continue_jump(event.then)

    def on_transcript_times_toggled(self, event) -> None:
        self.app.notify("times: absolute (T: relative)" if event.absolute_times else "times: relative (T: absolute)",
                        key="times")
