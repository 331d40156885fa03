"""The chat screen's glue for the conversation tree (mixed into ChatScreen): /rewind (pick a
prompt, see what changes (worked out in a thread), rewind conversation and/or files, the
old prompt back in the prompt to edit), /rewind --undo, /branches (jump to a branch tip),
`u` on an agent block (undo one tool call's file writes), the "no checkpoint: …" line live,
and opening a search hit that lies on another branch.

What is shown comes from `app/core/tree_view.py`; what changes goes through
`app/core/rewind.py`, `app/core/file_writes.py` and the store: no second implementation.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import work
from textual.worker import get_current_worker

from chinwag.app.errors import first_line
from chinwag.app.lazy import LazyModule
from chinwag.app.tui.guard import push_modal
from chinwag.storage import SessionBusy
from chinwag.storage.enums import TurnRole
from chinwag.widgets.choice_screen import ChoiceScreen
from chinwag.widgets.confirm import ConfirmScreen
from chinwag.widgets.session_list import short_age

if TYPE_CHECKING:
    from chinwag.app.core import events, tree_view
else:  # the runner's events load with the runner (the first turn), not with the app
    events = LazyModule("chinwag.app.core.events")

SHOWN_FILES = 5  # files named per row of the rewind picker
OTHER_BRANCH = "opened the branch holding the match"


def _view():
    from chinwag.app.core import tree_view  # lazy: git and the rewind code load on first use, not at start-up

    return tree_view


def _screens():
    from chinwag.widgets import rewind_picker  # lazy: off the first paint

    return rewind_picker


def _names(paths: tuple[str, ...] | list[str]) -> str:
    more = len(paths) - SHOWN_FILES
    return ", ".join(paths[:SHOWN_FILES]) + (f" +{more} more" if more > 0 else "")


def _files_detail(point: tree_view.RewindPoint) -> str:
    if point.files is None:
        return point.note
    return f"its turn changed {_names(point.files)}" if point.files else "its turn changed no files"


class RewindMixin:
    """Mixed into ChatScreen (uses its store, session, transcript, prompt, notify)."""

    # -- /rewind -----------------------------------------------------------------------------
    def open_rewind(self) -> None:
        self._list_rewind_points(self.store.get_session(self.session.id))

    @work(thread=True, group="rewind-points", exclusive=True, exit_on_error=False)
    def _list_rewind_points(self, session) -> None:
        """The prompts and the files each turn changed (git over the workspace) off the UI thread."""
        try:
            found = _view().rewind_points(self.store, session)
        except Exception as exc:
            self._from_thread(self.app.notify, first_line(exc), severity="error")
            return
        if not get_current_worker().is_cancelled:  # a newer /rewind asked again
            self._from_thread(self._pick_rewind_point, session.id, *found)

    def _pick_rewind_point(self, session_id: str, points: list[tree_view.RewindPoint], note: str) -> None:
        if self.session is None or self.session.id != session_id:
            return  # another session was opened meanwhile: the list is not about it
        screens = _screens()
        if not points:
            self.app.notify("nothing to rewind: the active branch has no prompt yet")
            return
        now = self.store.clock.now()
        rows = [screens.Row(p.prompt.id, _view().first_line(p.prompt.text) or "(empty prompt)",
                    short_age(p.prompt.created_at, now), _files_detail(p)) for p in points]
        push_modal(self, screens.PickScreen("Rewind to before a prompt (newest first)", rows, note=note,
                                    hint="enter preview what changes · esc cancel"), self._rewind_picked)

    def _rewind_picked(self, prompt_id: str | None) -> None:
        if prompt_id is None:
            return
        tree_view, screens = _view(), _screens()
        session = self.store.get_session(self.session.id)
        prompt = self.store.get_turn(prompt_id)
        screen = screens.RewindPreviewScreen(f"Rewind to before: {tree_view.first_line(prompt.text)}")
        push_modal(self, screen, lambda answer: self._rewind(prompt.id, answer))
        self._preview_rewind(screen, session, prompt)

    @work(thread=True, group="rewind-preview", exclusive=True, exit_on_error=False)
    def _preview_rewind(self, screen, session, prompt) -> None:
        """The dry run and its diffs (git over the workspace: seconds when it is big) off the
        UI thread; the screen drops a result that lands after it was answered."""
        tree_view, screens = _view(), _screens()
        try:
            preview = tree_view.rewind_preview(self.store, session, prompt)
            files = preview.files
            data = screens.PreviewData(
                tree_view.first_line(prompt.text), preview.leaving,
                list(files.changed) if files else [], list(files.created_removed) if files else [],
                list(files.deleted_restored) if files else [], preview.diffs,
                files_note="" if files else (preview.files_note or tree_view.NOT_TRACKED))
        except Exception as exc:  # busy, storage, git: one line in the preview
            self._from_thread(screen.failed, first_line(exc))
            return
        self._from_thread(screen.show, data)

    def _from_thread(self, callback, *args, **kwargs) -> None:
        try:
            self.app.call_from_thread(callback, *args, **kwargs)
        except RuntimeError:  # the app closed meanwhile: nobody to show it to
            pass

    def _rewind(self, prompt_id: str, answer: str | None) -> None:
        if answer is None:
            return
        from chinwag.app.core import rewind  # lazy: only a rewind loads it

        session = self.store.get_session(self.session.id)
        prompt = self.store.get_turn(prompt_id)
        done = rewind.rewind(self.store, session, prompt, files=answer == "both")
        self.open_session(session.id)
        self.prompt.text = prompt.text  # to edit and send again: it branches from here
        self.prompt.focus_input()
        self.app.notify(self._rewound_line(done, f"rewound to before “{_view().first_line(prompt.text, 40)}”"))

    def undo_rewind(self) -> None:
        from chinwag.app.core import rewind  # lazy: only a rewind loads it

        done = rewind.undo(self.store, self.store.get_session(self.session.id))
        self.open_session(self.session.id)
        self.app.notify(self._rewound_line(done, "undid the last rewind"))

    def _rewound_line(self, done, what: str) -> str:
        parts = [what]
        if done.files is not None:
            f = done.files
            parts.append(f"files: {len(f.changed)} changed back, {len(f.created_removed)} removed, "
                         f"{len(f.deleted_restored)} brought back")
        if done.files_note:
            parts.append(done.files_note)
        if done.prompt is not None:
            parts.append("/rewind --undo takes it back")
        return " · ".join(parts)

    # -- /branches ---------------------------------------------------------------------------
    def open_branches(self) -> None:
        branches = self.store.branches(self.session.id)
        if not branches:
            self.app.notify("no branches: this session has no turns yet")
            return
        tree_view, screens = _view(), _screens()
        now = self.store.clock.now()
        rows = [screens.Row(b.tip, tree_view.first_line(b.last_prompt) or "(no prompt)", short_age(b.created_at, now),
                    f"{b.turns} turns · tip {b.tip}", "*" if b.active else "") for b in branches]
        push_modal(self, screens.PickScreen(f"Branches ({len(branches)}; * the active one)", rows,
                                    hint="enter jump to it · esc cancel"), self._branch_picked)

    def _branch_picked(self, tip: str | None) -> None:
        if tip is None:
            return
        sid = self.session.id
        head = self.store.checkout(sid, tip)
        self.open_session(sid)
        self.show_turn(head)
        self.app.notify(f"on the branch ending at {head} ({len(self.store.turn_ids_to(sid, head))} turns)")

    # -- a search hit ---------------------------------------------------------------------------
    def reveal_search_hit(self, session_id: str) -> None:
        """The session was opened from the sidebar's search: scroll to the turn that matched,
        first checking out the branch holding it when it is off the active path."""
        text = self.controller.sidebar.text
        hit = _view().search_hit(self.store, session_id, text) if text.strip() else None  # no filter: no import
        if hit is None:
            return
        if not hit.on_path:
            if self.store.readonly:
                self.app.notify("the match is on another branch (read-only: the branch cannot be opened)")
                return
            try:
                self.store.checkout(session_id, hit.turn_id)
            except SessionBusy as exc:
                self.app.notify(f"the match is on another branch: {first_line(exc)}", severity="warning")
                return
            self.open_session(session_id)
            self.app.notify(OTHER_BRANCH)
        self.show_turn(hit.turn_id)

    # -- the no-checkpoint line, live -------------------------------------------------------------
    def checkpoint_taken(self, event: events.CheckpointTaken) -> None:
        if not event.skipped or self.session is None or event.session_id != self.session.id:
            return
        if event.turn_id in self.transcript.turn_ids:
            self.transcript.update_turn(self.store.get_turn(event.turn_id))  # its metadata says why

    # -- u: undo one tool call -------------------------------------------------------------------
    def on_transcript_undo_requested(self, event) -> None:
        try:
            self._undo_call_asked(event.turn_id)
        except Exception as exc:  # a naming-convention handler: `guarded` by hand
            self.notify(first_line(exc), severity="error", timeout=8)

    def _undo_call_asked(self, turn_id: str | None) -> None:
        turn = self.store.get_turn(turn_id) if turn_id else None
        if turn is None or turn.role != TurnRole.AGENT:
            self.app.notify("select an agent block (up/down or j/k) to undo one of its tool calls")
            return
        calls = [c for c in _view().call_writes(self.store, turn.id) if not c.undone]
        if not calls:
            self.app.notify("nothing to undo: this reply wrote no files through Chinwag")
            return
        if len(calls) == 1:
            self._confirm_undo(turn.id, calls[0])
            return
        shown = calls[:9]
        choices = [(str(n), f"{c.name} · {_names(c.paths)}") for n, c in enumerate(shown, 1)]
        push_modal(self, ChoiceScreen("Undo which tool call's file writes?", "esc cancels", choices),
                   lambda key: key and self._confirm_undo(turn.id, shown[int(key) - 1]))

    def _confirm_undo(self, turn_id: str, call: tree_view.CallWrites) -> None:
        text = "\n\n".join(f"{w['path']}\n{_view().write_preview(w)}" for w in call.writes[:3])
        if len(call.writes) > 3:
            text += f"\n\n… and {len(call.writes) - 3} more files"
        push_modal(self, ConfirmScreen(f"Undo the file writes of {call.name}?", text),
                   lambda yes: yes and self._undo_call(turn_id, call))

    def _undo_call(self, turn_id: str, call: tree_view.CallWrites) -> None:
        from chinwag.app.core.file_writes import undo_tool_call  # lazy: only an undo loads it

        result = undo_tool_call(self.store, turn_id, call.call_id)
        parts = [f"undid {call.name}: " + (_names(result.paths) + " put back" if result.paths else "nothing changed")]
        if result.skipped:
            parts.append(f"left alone (changed since): {_names(result.skipped)}")
        self.app.notify(" · ".join(parts))
