"""The chat screen's outline and jumps (mixed into ChatScreen): Ctrl+O opens the outline of
the open session and Enter there jumps to the chosen block (app/tui/paging.py brings it in);
`T` and `[ui] timestamps` choose relative or absolute times. The outline of a long session is
built ahead in a thread (when it opens, when a turn settles) and kept until the database
changes, so Ctrl+O does not wait for it. The logic lives in app/core/outline.py, the views
in widgets/."""

from __future__ import annotations

import gc
from typing import TYPE_CHECKING

from textual import work

from chinwag.app.lazy import LazyModule
from chinwag.app.tui.guard import push_modal
from chinwag.widgets.text_safety import one_line

# The outline's logic and view load with its first use (Ctrl+O, or a long session opening), not
# with the app.
if TYPE_CHECKING:
    from chinwag.app.core import outline
    from chinwag.app.core.outline import OutlineCache
    from chinwag.widgets import outline_screen
    from chinwag.widgets.outline_screen import OutlineScreen
else:
    outline = LazyModule("chinwag.app.core.outline")
    outline_screen = LazyModule("chinwag.widgets.outline_screen")

WARM_AFTER = 0.5  # seconds after a session opened or a turn settled: the outline is built then
WARM_FROM_TURNS = 500  # shorter sessions are read when Ctrl+O asks (a few ms)


class OutlineMixin:
    _outlines: OutlineCache | None = None

    def outline_cache(self) -> OutlineCache:
        if self._outlines is None:
            self._outlines = outline.OutlineCache()
        return self._outlines

    def warm_outline(self) -> None:
        """Build the open session's outline ahead, off the UI loop, if it is long."""
        session = self.session
        if session is not None and session.turn_count >= WARM_FROM_TURNS:
            self.set_timer(WARM_AFTER, lambda: self._warm_outline(session.id))

    @work(thread=True, exclusive=True, group="outline", exit_on_error=False)
    def _warm_outline(self, session_id: str) -> None:
        if self.session is None or self.session.id != session_id:
            return
        try:
            self.outline_cache().rows(self.store, session_id)
        except Exception:  # the store closed, the session went: Ctrl+O reads it then
            return
        gc.freeze()  # its 10,000 rows live until the next build: out of full collections (~50 ms each), as after a turn

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
        transcript, cache, sid = self.transcript, self.outline_cache(), self.session.id
        kept = cache.kept(sid)
        stale = kept is not None and not cache.fresh(self.store, sid)
        # A long session not built ahead yet (Ctrl+O within WARM_AFTER of opening it) opens at
        # once too, on no rows ("reading …"), rather than read its 10,000 rows on the key.
        cold = kept is None and self.session.turn_count >= WARM_FROM_TURNS
        rows = kept if stale else [] if cold else cache.rows(self.store, sid)
        title = f"outline · {one_line(self.session.title, 60)}"
        screen = outline_screen.OutlineScreen(title, rows, outline.matching, now=transcript.now(),
                                              absolute_times=transcript.absolute_times,
                                              start=self._outline_start(rows), reading=cold)
        push_modal(self, screen, self._outline_chosen)
        if stale or cold:  # opened at once; the current rows replace the kept ones (or none) when read
            self._outline_refresh(screen, sid)

    @work(thread=True, exclusive=True, group="outline", exit_on_error=False)
    def _outline_refresh(self, screen: OutlineScreen, session_id: str) -> None:
        try:
            rows = self.outline_cache().rows(self.store, session_id)
        except Exception:  # the store closed meanwhile: the kept rows stay
            return
        def show() -> None:
            if screen.is_attached:  # an outline opened on no rows starts where the view is
                screen.replace_rows(rows, self._outline_start(rows) if screen.reading else None)

        try:
            self.app.call_from_thread(show)
        except Exception:  # the app is closing
            return

    def _outline_start(self, rows) -> int | None:
        """The last row at or before the selected block (else the top visible one): the
        outline opens where the transcript is."""
        transcript = self.transcript
        loaded = {turn_id: n for n, turn_id in enumerate(transcript.turn_ids)}
        if not loaded:
            return None
        at = loaded.get(transcript.selected_turn_id or "", transcript._first_visible())
        start, seen = 0, False  # rows of turns above the loaded ones come before them; below them: after
        for n, row in enumerate(rows):
            position = loaded.get(row.turn_id)
            if position is None:
                if seen:
                    break
                start = n
            elif position <= at:
                start, seen = n, True
            else:
                break
        return start

    def _outline_chosen(self, turn_id: str | None) -> None:
        if turn_id is not None:
            self.jump_to_turn(turn_id)

    def on_transcript_times_toggled(self, event) -> None:
        self.app.notify("times: absolute (T: relative)" if event.absolute_times else "times: relative (T: absolute)",
                        key="times")
