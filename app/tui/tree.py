"""The chat screen's glue for the conversation tree in the transcript: `e` on a prompt edits
it (Enter sends the new version as a branch beside it, Esc abandons), `r` on a reply runs it
again beside the old one (after asking in one line: a model call), `[` / `]` (or a click on
`‹` / `›`) show another version of a block, and each new turn gets its `‹ 2/3 ›`. The
decisions are in app/core/branching.py; here they become a turn to run, a notice, or a
transcript re-rendered below a block.

Mixed into ChatScreen: message handlers by naming convention (a plain mixin gets no `@on`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from chinwag.app.lazy import LazyModule
from chinwag.app.tui.guard import guarded
from chinwag.storage.models import storable
from chinwag.widgets import paste

if TYPE_CHECKING:
    from chinwag.app.core import branching, events
else:  # the branching decisions load with the first edit, regenerate or sibling switch, the
    # runner's events with the first turn; not with the app
    branching = LazyModule("chinwag.app.core.branching")
    events = LazyModule("chinwag.app.core.events")

EDITING_KEY = "editing"
ASK_KEY = "regenerate-ask"
REGENERATE_ASK = "regenerate this reply (the model runs again)? r or Enter: yes · Esc: no"


@dataclass
class Editing:
    """A past prompt being edited in the prompt: what was there before comes back after."""

    session_id: str
    turn_id: str
    parent: str | None
    number: int
    saved_text: str

    @property
    def line(self) -> str:
        return f"editing prompt {self.number} — Enter makes a new branch, Esc abandons"


class TreeMixin:
    """Mixed into ChatScreen."""

    editing: Editing | None = None
    _reload_at_start: str | None = None  # a session whose transcript is reloaded when its branch's turn starts

    def _refuse(self, notice: str) -> None:
        self.app.notify(notice, severity="warning")

    def _busy_here(self) -> bool:
        if self.session is not None and self.controller.is_busy(self.session.id):
            self._refuse(branching.BUSY)
            return True
        return False

    # -- e: edit a prompt -----------------------------------------------------------------
    @guarded
    def on_transcript_edit_requested(self, event) -> None:
        if self.session is None or self.store.readonly or self._busy_here():
            return
        target = branching.edit_target(self.store, self.session.id, event.turn_id)
        if isinstance(target, branching.Refused):
            self._refuse(target.notice)
            return
        saved = self.editing.saved_text if self.editing is not None else self.prompt.text
        self.editing = Editing(self.session.id, target.turn.id, target.parent, target.number, saved)
        self._prefill(target.turn)
        self.prompt.placeholder = self.editing.line
        self.app.notify(self.editing.line, key=EDITING_KEY, sticky=True)
        self.prompt.focus_input()

    def _prefill(self, turn) -> None:
        """The prompt's text as sent, its pastes collapsed again (sent back literally)."""
        text = turn.text
        for start, end in paste.valid_spans(text, (turn.metadata or {}).get("pastes")):
            self.prompt.token_for(text[start:end])
        self.prompt.text = text

    def editing_placeholder(self) -> str | None:
        editing = self.editing
        return editing.line if editing is not None and self.session and editing.session_id == self.session.id \
            else None

    def _end_edit(self) -> Editing | None:
        editing, self.editing = self.editing, None
        if editing is not None:
            self.notices.remove(EDITING_KEY)
            self.update_status()  # the placeholder as it was
        return editing

    def submit_edit(self, text: str, pastes: list) -> bool:
        """Enter while a prompt is edited: the new version, sent beside the old one. False
        when no edit is going on here (a plain send)."""
        editing = self.editing
        if editing is None:
            return False
        if self.session is None or editing.session_id != self.session.id:
            self._end_edit()  # left behind in another session
            return False
        sid = self.session.id
        if self.controller.is_busy(sid):  # a turn started meanwhile (another process)
            self._refuse(branching.BUSY)
            self.prompt.text = text
            return True
        self._end_edit()
        self.prompt.text = editing.saved_text
        if pastes:  # kept with the new prompt, as a plain send keeps them
            self._paste_spans[storable(text)] = [list(span) for span in pastes]
        self._cut(editing.turn_id)
        self._start_branch(sid, text, lambda: self.runner.send(sid, text, parent=editing.parent))
        return True

    def action_cancel_turn(self) -> None:
        """Esc: abandons an edit first (the prompt gets back what it had), else as before."""
        if self.editing is not None and not self.prompt.popup_open:
            editing = self._end_edit()
            if editing is not None and self.session is not None and editing.session_id == self.session.id:
                self.prompt.text = editing.saved_text
                self.app.notify("edit abandoned: nothing changed")
                return
        super().action_cancel_turn()  # type: ignore[misc]

    # -- r: regenerate a reply (a model call: asked first, in one line) ------------------------
    @guarded
    def on_transcript_regenerate_requested(self, event) -> None:
        if self._regenerating(event.turn_id) is not None and self.transcript.typing.ask(
                "r", "r", lambda: self._regenerate(event.turn_id), lambda: self.notices.remove(ASK_KEY)):
            self.app.notify(REGENERATE_ASK, key=ASK_KEY, sticky=True)

    def _regenerating(self, turn_id: str) -> str | None:
        """The prompt a new reply would answer; None when refused (the notice says why)."""
        if self.session is None or self.store.readonly or self._busy_here():
            return None
        parent = branching.regenerate_parent(self.store, turn_id)
        if isinstance(parent, branching.Refused):
            self._refuse(parent.notice)
            return None
        return parent

    @guarded
    def _regenerate(self, turn_id: str) -> None:
        parent = self._regenerating(turn_id)  # again: a turn may have started meanwhile
        if parent is None or self.session is None:
            return
        sid = self.session.id
        turn = self.store.get_turn(turn_id)
        cut = turn_id if turn.role != "user" else self._block_after(turn_id)
        if cut is not None:
            self._cut(cut)
        self._start_branch(sid, "", lambda: self.runner.regenerate(sid, parent))

    def _cut(self, turn_id: str) -> None:
        """The path below a branch point goes: the new turns stream in its place (a block no
        longer shown: the whole transcript is read again when the turn starts)."""
        self.controller.newer_from = None
        if not self.transcript.replace_from(turn_id, [], {}, {}, pin=True):
            self._reload_at_start = self.session.id if self.session else None

    def _block_after(self, turn_id: str) -> str | None:
        ids = self.transcript.turn_ids
        position = ids.index(turn_id) + 1 if turn_id in ids else len(ids)
        return ids[position] if position < len(ids) else None

    def _start_branch(self, session_id: str, text: str, start) -> None:
        async def run():
            try:
                return await start()
            except Exception:  # not started (busy elsewhere, storage): show the path as it is
                if self.session is not None and self.session.id == session_id:
                    self.open_session(session_id)
                raise
        self._run_turn(session_id, text, start=run)

    def place_new_turns(self, event: events.TurnStarted) -> None:
        """A turn started in the open session: its `‹ n/m ›` when it has siblings (an edit, a
        regenerated reply, a prompt after a rewind), one small query per turn."""
        if self.session is None or event.session_id != self.session.id:
            return
        if self.transcript.has_newer or self._reload_at_start == event.session_id:  # the tip is not loaded
            self._reload_at_start = None
            page = self.controller.reload()
            self.transcript.set_turns(page.turns, page.calls, has_older=page.has_older, placements=page.placements)
        new = [t for t in (event.user, event.turn) if t is not None]
        seqs = {t.id: t.seq for t in new}
        for turn in new:  # a first child is added right after its parent (the newest turn then): no siblings
            parent = self.transcript.shown_turn(turn.parent_id)
            parent_seq = seqs.get(turn.parent_id or "", parent.seq if parent is not None else None)
            if parent_seq is not None and turn.seq == parent_seq + 1 or turn.parent_id is None and turn.seq == 1:
                new = [t for t in new if t is not turn]
        ids = [t.id for t in new]
        if not ids:
            return
        found = {k: p for k, p in self.store.placements(event.session_id, ids).items() if p.siblings > 1}
        if found:
            self.transcript.placements.update(found)

    # -- [ and ]: another version of a block --------------------------------------------------
    @guarded
    def on_transcript_sibling_requested(self, event) -> None:
        if self.session is None or self._busy_here():
            return
        if self.store.readonly:
            self._refuse("read-only: the active branch cannot change")
            return
        replaced = self.store.get_turn(event.turn_id)
        switch = branching.switch_sibling(self.store, self.session.id, event.turn_id, event.step)
        if isinstance(switch, branching.Refused):
            self._refuse(switch.notice)
            return
        page = self.controller.switched(switch, replaced.seq)
        self.transcript.replace_from(event.turn_id, page.turns, page.calls, page.placements, has_newer=page.has_newer)
        self.call_after_refresh(self._after_switch)  # the new frame first: the counts can follow it

    def _after_switch(self) -> None:
        self.update_status()
        self.refresh_sidebar()

