"""Find in the open session (Ctrl+F), mixed into ChatScreen: the find bar above the prompt,
`chinwag.app.core.find.Finder` searching in a thread (the newest query wins), the hits
marked in the transcript and the transcript moved to them.

How it behaves (as less / vim's incremental search do):
- typing searches again at every keystroke and previews the nearest hit at or below the
  top of the view (else the nearest above it) without choosing it;
- Enter / ↓ and Shift+Enter / ↑ in the bar, `n` / `N` in the transcript, go to the next /
  previous hit on the active path (wrapping) and so *choose* it;
- Esc closes the bar. Without a chosen hit it is a cancel: the view, the selection and the
  focus are as before the find, the marks go. With one, you stay at the hit, the marks
  stay and `n` / `N` go on from it;
- hits on other branches are counted (`+4 in other branches`); Alt+B (or Enter when the
  active path has none) checks out the branch of the first one (`Store.checkout`) and goes
  to the hit there.
A hit in a turn not loaded yet brings it in (the turns between when it is near, else a page
around it: app/tui/paging.py); a hit in thinking or a tool's output opens its block.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from textual import work
from textual.widget import Widget

from chinwag.app.errors import first_line
from chinwag.app.lazy import LazyModule
from chinwag.widgets.role_block import MAX_OUTPUT_LINES, output_start

# The find's logic and views load with its first use (Ctrl+F, n), not with the app (~5 ms of start-up).
if TYPE_CHECKING:
    from chinwag.app.core import find as core_find
    from chinwag.app.core.find import Finder, FindResult, Hit
    from chinwag.widgets import find_bar, find_marks
    from chinwag.widgets.find_bar import FindBar
    from chinwag.widgets.find_marks import Anchor
else:
    core_find = LazyModule("chinwag.app.core.find")
    find_bar = LazyModule("chinwag.widgets.find_bar")
    find_marks = LazyModule("chinwag.widgets.find_marks")


@dataclass
class FindState:
    """An open find in one session: its finder, the last result, the current hit and where the view was
    before."""

    finder: Finder
    session_id: str
    result: FindResult | None = None
    current: int | None = None  # the index of the current hit in result.hits (a path hit)
    chosen: bool = False  # a hit was moved to (Enter, n ...): Esc stays there
    origin: Anchor | None = None
    focus: Widget | None = None  # what had the focus before Ctrl+F
    generation: int = 0
    target: tuple | None = None  # a branch hit to land on once the search after a checkout is in
    path_index: dict[str, int] = field(default_factory=dict)
    opened: set[str] = field(default_factory=set)  # blocks the find opened (closed again as it moves on)
    focused: set[str] = field(default_factory=set)  # blocks showing a tool's output around a hit's line


class FindMixin:
    _find: FindState | None = None

    # -- the bar ----------------------------------------------------------------------------
    def _find_bar(self) -> FindBar | None:
        bars = self.query("FindBar")  # by its CSS type: the class loads with the first find
        return bars.first() if bars else None

    def action_find(self) -> None:
        if self.session is None:
            return
        state = self._find_state()
        bar = self._find_bar()
        if bar is None:
            state.origin = find_marks.anchor(self.transcript)
            state.focus = self.focused
            state.chosen = False
            bar = find_bar.FindBar(id="find-bar")
            self.query_one("#main").mount(bar, before=self.notices)
            self.call_after_refresh(bar.focus_input)
            if state.result is None:
                self._find_run(state, "", False)  # read the session's text now, before the first key
            else:
                self.call_after_refresh(self._find_refill, bar, state.result)
        else:
            bar.focus_input()

    def _find_refill(self, bar: FindBar, result: FindResult) -> None:
        """The bar opened again after a chosen hit: the query back, its hits counted."""
        bar.regex = result.regex
        bar.input.value = result.query  # its Changed searches again

    def _find_state(self) -> FindState:
        sid = self.session.id
        if self._find is None or self._find.session_id != sid:
            self._clear_find()
            self._find = FindState(core_find.Finder(self.store, sid), sid)
        return self._find

    def _clear_find(self) -> None:
        self._find = None
        self.transcript.marks = None
        self.transcript.refresh()

    def find_session_opened(self, session_id: str) -> None:
        """Called when a session is (re)opened: another session's find is over."""
        if self._find is not None and self._find.session_id != session_id:
            bar = self._find_bar()
            if bar is not None:
                bar.remove()
            self._clear_find()

    def on_find_bar_closed(self, event: FindBar.Closed) -> None:
        event.stop()
        state = self._find
        event.control.remove()
        if state is None:
            return
        state.generation += 1  # a search still running answers no one
        if state.chosen:
            self.transcript.focus()  # n / N go on from the hit
            return
        origin, focus = state.origin, state.focus
        state.result, state.current = None, None
        self.transcript.marks = None
        self._find_close_opened(state)
        if origin is not None:
            self._find_restore(origin)
        if focus is not None and focus.is_attached:
            focus.focus()
        else:
            self.prompt.focus_input()

    def _find_close_opened(self, state: FindState) -> None:
        for turn_id in state.opened:
            find_marks.set_expanded(self.transcript, turn_id, False)
        for turn_id in state.focused:
            find_marks.set_output_focus(self.transcript, turn_id, None)
        state.opened.clear()
        state.focused.clear()

    # -- searching ----------------------------------------------------------------------------
    def on_find_bar_changed(self, event: FindBar.Changed) -> None:
        event.stop()
        state = self._find
        if state is None:
            return
        state.chosen = False
        if not event.query:
            state.generation += 1
            state.result, state.current = None, None
            self.transcript.marks = None
            event.control.show_count("")
            self._find_close_opened(state)
            if state.origin is not None:
                self._find_restore(state.origin)
            return
        self._find_run(state, event.query, event.regex)

    def _find_run(self, state: FindState, query: str, regex: bool) -> None:
        state.generation += 1
        self._find_search(state, state.generation, query, regex)

    @work(thread=True, exclusive=True, group="find", exit_on_error=False)
    def _find_search(self, state: FindState, generation: int, query: str, regex: bool) -> None:
        around = state.origin.turn_id if state.origin is not None else None
        try:
            first = state.finder.search(query, regex, around=around, limit=core_find.FIRST_PAGE)
            if first.capped:  # many hits: show the one near the view now, count the rest after
                first.partial = True
                self.app.call_from_thread(self._find_found, state, generation, first)
                result = state.finder.search(query, regex, around=around)
            else:
                result = first
        except core_find.BadPattern as exc:
            self.app.call_from_thread(self._find_failed, state, generation, str(exc))
            return
        except Exception as exc:  # a storage error: one line in the bar
            self.app.call_from_thread(self._find_failed, state, generation, first_line(exc))
            return
        self.app.call_from_thread(self._find_found, state, generation, result)

    def _find_failed(self, state: FindState, generation: int, message: str) -> None:
        bar = self._find_bar()
        if generation != state.generation or state is not self._find or bar is None:
            return
        bar.show_error(message)

    def _find_found(self, state: FindState, generation: int, result: FindResult) -> None:
        if generation != state.generation or state is not self._find or not result.query:
            return
        previous = state.result
        kept = None  # the hit shown from the first page stays the current one once all are counted
        if (previous is not None and previous.partial and state.current is not None
                and (previous.query, previous.regex) == (result.query, result.regex)):
            kept = previous.hits[state.current]
        state.result = result
        state.path_index = result.path_index
        if kept is None or self.transcript.marks is None:  # the first page's marks hold for the full count
            pattern = core_find.compile_query(result.query, result.regex)
            self.transcript.marks = find_marks.FindMarks(pattern) if pattern else None
        target, state.target = state.target, None
        landing = self._find_target(result, target) if target else None
        if landing is None and kept is not None:
            landing = self._find_target(result, (kept.turn_id, kept.field, kept.start, kept.call_id))
            if landing is not None:  # already on screen: only the counter changes
                state.current = landing
                self._find_counter(state)
                return
        if landing is not None:
            self._find_go(state, landing)
        elif result.on_path:
            state.current = None
            self._find_go(state, self._find_nearest(state), choose=False)
        else:  # nothing on the path: back where the find began (unless a hit was chosen)
            state.current = None
            self._find_close_opened(state)
            if not state.chosen and state.origin is not None:
                find_marks.restore(self.transcript, state.origin)
            self._find_counter(state)
        self.transcript.refresh()

    def _find_target(self, result: FindResult, target: tuple) -> int | None:
        for index, hit in enumerate(result.path_hits):
            if (hit.turn_id, hit.field, hit.start, hit.call_id) == target:
                return index
        return None

    def _find_nearest(self, state: FindState) -> int:
        """The first path hit at or below the view's top when the find began, else the last above."""
        hits = state.result.path_hits
        origin = state.origin
        start = state.path_index.get(origin.turn_id or "", len(state.path_index)) if origin else 0
        for index, hit in enumerate(hits):
            if state.path_index.get(hit.turn_id, -1) >= start:
                return index
        return len(hits) - 1

    def _find_counter(self, state: FindState, error: str = "") -> None:
        bar = self._find_bar()
        if bar is None:
            return
        if error:
            bar.show_error(error)
            return
        text = core_find.counter_text(state.result, state.current)
        if state.result is not None and state.result.other:
            text += " (Alt+B)"
        bar.show_count(text)

    # -- moving -------------------------------------------------------------------------------
    def action_find_step(self, step: int) -> None:
        """Next (1) / previous (-1) hit: Enter, Shift+Enter in the bar; n, N in the transcript."""
        state = self._find
        if state is not None and self.session is not None and state.session_id != self.session.id:
            self._clear_find()
            state = None
        if state is None or state.result is None:
            self.app.notify("nothing to find yet: Ctrl+F")
            return
        result = state.result
        if not result.on_path:
            if result.other:
                self._find_open_branch()
            else:
                self.app.notify(f"no match for {result.query!r}")
            return
        if state.current is None:
            index = self._find_nearest(state)
        else:
            index = (state.current + step) % result.on_path
        state.chosen = True
        self._find_go(state, index)

    def on_find_bar_step(self, event: FindBar.Step) -> None:
        event.stop()
        self.action_find_step(event.step)

    def on_find_bar_open_branch(self, event: FindBar.OpenBranch) -> None:
        event.stop()
        self._find_open_branch()

    def _find_go(self, state: FindState, index: int, *, choose: bool = True) -> None:
        hit = state.result.hits[index]
        state.current = index
        state.chosen = state.chosen or choose
        transcript = self.transcript
        if not self._find_load(state, hit):
            self._find_counter(state, "that hit's turn is not in the transcript (reopen the session)")
            return
        expanded_only = core_find.EXPANDED_ONLY
        keep = {hit.turn_id} if hit.field in expanded_only else set()
        for turn_id in state.opened - keep:
            find_marks.set_expanded(transcript, turn_id, False)
        state.opened &= keep
        if hit.field in expanded_only and find_marks.set_expanded(transcript, hit.turn_id, True):
            state.opened.add(hit.turn_id)
        focus = self._find_focus(hit)
        for turn_id in state.focused - {hit.turn_id}:
            find_marks.set_output_focus(transcript, turn_id, None)
        state.focused = {hit.turn_id} if focus else set()
        find_marks.set_output_focus(transcript, hit.turn_id, focus)
        transcript.selected_turn_id = hit.turn_id
        ordinal = core_find.visible_ordinal(state.result.path_hits, index, find_marks.is_expanded(transcript, hit.turn_id),
                                  lambda h: self._find_line_shown(h, focus))
        marks = transcript.marks
        row = 0
        if marks is not None:
            marks.current = (hit.turn_id, ordinal) if ordinal is not None else None
            strips = find_marks.block_strips(transcript, hit.turn_id) or []
            found = marks.row_of(hit.turn_id, strips, ordinal) if ordinal is not None else None
            row = found if found is not None else 0
        find_marks.show_row(transcript, hit.turn_id, row)
        self._find_counter(state)

    def _output_line(self, hit: Hit) -> tuple[int, int] | None:
        """(the line of a tool-output hit, the output's line count), None for other hits."""
        output = find_marks.call_output(self.transcript, hit.turn_id, hit.call_id) if hit.field == "output" else None
        return None if output is None else (output.count("\n", 0, hit.start), output.count("\n") + 1)

    def _find_focus(self, hit: Hit) -> tuple[str, int] | None:
        """A hit past the tool output lines a block shows: that call's output around its line."""
        line = self._output_line(hit)
        return (hit.call_id, line[0]) if line is not None and line[0] >= MAX_OUTPUT_LINES and hit.call_id else None

    def _find_line_shown(self, hit: Hit, focus: tuple[str, int] | None) -> bool:
        """Whether a hit's line is among those its block shows (only tool output is cut)."""
        line = self._output_line(hit)
        if line is None or hit.call_id is None:
            return True
        start = output_start(hit.call_id, line[1], focus)
        return start <= line[0] < start + MAX_OUTPUT_LINES

    def _find_load(self, state: FindState, hit: Hit) -> bool:
        """Bring the hit's turn into the transcript (app/tui/paging.py: a page around it when far)."""
        return self.bring_turn(hit.turn_id) and find_marks.block_strips(self.transcript, hit.turn_id) is not None

    def _find_restore(self, origin: Anchor) -> None:
        """Back to where the view was when the find began (its turn brought back in first)."""
        if origin.turn_id is not None and not origin.at_bottom:
            self.bring_turn(origin.turn_id)
        find_marks.restore(self.transcript, origin)

    def _find_open_branch(self) -> None:
        state = self._find
        if state is None or state.result is None or not state.result.other:
            self.app.notify("no hits on other branches")
            return
        hit = state.result.branch_hits[0]
        try:
            self.store.checkout(state.session_id, hit.turn_id)
        except Exception as exc:  # a running turn: the branch cannot change now
            self._find_counter(state, first_line(exc))
            return
        state.target = (hit.turn_id, hit.field, hit.start, hit.call_id)
        state.chosen = True
        self.open_session(state.session_id)  # the transcript shows the branch
        self.app.notify("checked out the branch of the hit")
        self._find_run(state, state.result.query, state.result.regex)
