"""Session actions in the TUI (new, switch, rename, fork, archive, delete, restore, undo,
quit), shared by the sidebar's keys, the slash commands and the command palette.
Confirmation dialogs live here; the storage calls are the store's.

Archive is not confirmed but undoable; delete asks once and moves the session to the trash
(undoable too); in the trash, delete asks once and removes it for good. The last archive or
delete is what undo (Ctrl+Z in the sidebar) brings back.
"""

from __future__ import annotations

import contextlib
import logging

from chinwag.app.agents.acp import pool as acp_pool
from chinwag.app.errors import first_line
from chinwag.app.tui.guard import guarded, push_modal
from chinwag.storage import AmbiguousId, NotFound
from chinwag.widgets.choice_screen import ChoiceScreen
from chinwag.widgets.confirm import ConfirmScreen, TextPrompt

log = logging.getLogger("chinwag.tui")


class SessionActionsMixin:
    """Mixed into ChatScreen."""

    _undoable: str | None = None  # the session the last archive or delete took out of the list

    @guarded
    def action_new_session(self) -> None:
        session = self._create_session()
        self.refresh_sidebar()
        self.open_session(session.id)
        self.prompt.focus_input()

    def resolve_session(self, text: str) -> str:
        """A session id from an id prefix or (failing that) a unique title match."""
        try:
            return self.store.get_session(text).id
        except (NotFound, AmbiguousId) as first_error:
            lowered = text.lower()
            matches = [s for s in self.store.list_sessions(filter="all", limit=500) if lowered in s.title.lower()]
            if len(matches) == 1:
                return matches[0].id
            raise first_error

    def after_session_change(self, session_id: str) -> None:
        self.refresh_sidebar()
        if self.session and self.session.id == session_id:
            self.update_status()
        self._refresh_arg_choices()

    def _refresh_arg_choices(self) -> None:
        models = sorted({self.session.model} - {""}) if self.session else []
        self.prompt.set_arg_choices("model", [(m, "", m) for m in models])
        self.prompt.set_arg_choices("session", self._session_choices)  # read when /switch offers them, not now

    def _session_choices(self) -> list[tuple[str, str, str]]:
        return [(s.title, s.id[:10], s.id) for s in self.store.list_sessions(filter="all", limit=200)]

    def ask_rename(self, session_id: str) -> None:
        session = self.store.get_session(session_id)

        def done(title: str | None) -> None:
            if title and title.strip():
                self.store.rename_session(session_id, title)
                self.after_session_change(session_id)

        push_modal(self, TextPrompt("Rename session", session.title), done)

    def fork(self, session_id: str) -> None:
        fork = self.store.fork_session(session_id)
        self.refresh_sidebar()
        self.open_session(fork.id)
        self.status.notice = f"forked into {fork.id[:10]}"

    def toggle_archive(self, session_id: str, *, archive: bool | None = None, undo_key: str = "") -> None:
        session = self.store.get_session(session_id)
        archive = (not session.archived) if archive is None else archive
        if archive:
            self.store.archive_session(session_id)
            self.close_agent(session_id)
            self._undoable = session_id
            undo = f"{undo_key} undoes" if undo_key else "/restore brings it back"
            self.status.notice = f"archived “{session.title}” · {undo}"
        else:
            self.store.restore_session(session_id)
            self.status.notice = f"restored “{session.title}”"
        self.after_session_change(session_id)

    def ask_delete(self, session_id: str, *, undo_key: str = "") -> None:
        """One question: to the trash (or, for a session already in the trash, for good)."""
        session = self.store.get_session(session_id, include_deleted=True)
        if session.deleted:
            def for_good(yes: bool | None) -> None:
                if yes:
                    self.store.delete_session(session_id, force=True)
                    self.refresh_sidebar()
                    self.status.notice = f"deleted “{session.title}” for good"

            push_modal(self, ConfirmScreen(f"Delete “{session.title}” for good?",
                                               "Its turns and events are removed; this cannot be undone."), for_good)
            return

        def to_trash(yes: bool | None) -> None:
            if yes:
                self.store.delete_session(session_id)
                self._undoable = session_id
                self._after_delete(session_id)
                undo = f"{undo_key} undoes" if undo_key else "the sidebar's trash toggle restores it"
                self.status.notice = f"moved “{session.title}” to the trash · {undo}"

        push_modal(self, ConfirmScreen(
            f"Move “{session.title}” to the trash?",
            f"Restore it from the sidebar's trash toggle or with `chinwag session restore {session.id[:10]}`; "
            "`chinwag session prune` empties the trash."), to_trash)

    def _after_delete(self, session_id: str) -> None:
        if self.session and self.session.id == session_id:
            nxt = self.store.most_recent_session_id()
            self.open_session(nxt or self._create_session().id)
        self.refresh_sidebar()

    def restore_from_trash(self, session_id: str) -> None:
        """Enter in the trash: the session goes back to the list."""
        session = self.store.restore_session(session_id)
        self.refresh_sidebar()
        self.status.notice = f"restored “{session.title}” from the trash"

    def undo_session_change(self) -> None:
        """Bring back the session last archived or deleted here (restored and highlighted)."""
        session_id, self._undoable = self._undoable, None
        if session_id is None:
            self.status.notice = "nothing to undo"
            return
        try:
            session = self.store.restore_session(session_id)
        except NotFound:  # removed for good since (prune, another process)
            self.status.notice = "nothing to undo: that session is gone for good"
            return
        self.after_session_change(session_id)
        self.sidebar.list.highlight(session_id)
        self.status.notice = f"restored “{session.title}”"

    # -- quitting --------------------------------------------------------------------------------
    async def quit_app(self) -> None:
        running = self.app.turns_here.running_sessions()
        if not running:
            self._finish_quit()
            return

        def chosen(choice: str | None) -> None:
            if choice == "s":
                self.quitting = True
                for sid in running:
                    self.runner.cancel(sid)
                self.run_worker(self._stop_then_quit(running), group="quit")
            elif choice == "b":
                self.quitting = True
                self.run_worker(self._finish_in_background(running), group="quit")
            elif choice == "w":
                self.status.notice = "quitting when the running turn ends (esc cancels it)"
                self.set_interval(0.2, self._quit_if_idle)

        push_modal(self, ChoiceScreen(
            f"{len(running)} turn(s) still running",
            "Stop keeps the partial reply. Background keeps it too; a worker then continues in a new turn "
            "and sends the queued prompts (`chinwag session attach` follows it).",
            [("s", "Stop and quit"), ("b", "Finish in background"), ("w", "Wait, then quit"),
             ("c", "Keep working")],
        ), chosen)

    async def _settled(self, session_ids: set[str]) -> None:
        """Wait (bounded) until the runner has settled the cancelled turns of `session_ids`."""
        import asyncio  # lazy: only quitting waits

        for _ in range(200):
            if not self.app.turns_here.running_sessions() & session_ids:
                return
            await asyncio.sleep(0.025)

    async def _stop_then_quit(self, session_ids: set[str]) -> None:
        await self._settled(session_ids)
        self._finish_quit()

    async def _finish_in_background(self, session_ids: set[str]) -> None:
        """The live turns are settled `stopped` here (their partial text kept), then one worker
        per session continues in a new, visible turn and sends the prompts queued behind it."""
        from chinwag.app.core.worker import hand_over, leave_unsent  # lazy: only quitting hands over

        for sid in session_ids:
            self.runner.cancel(sid)
        await self._settled(session_ids)
        lines = []
        for sid in sorted(session_ids):
            queued = self.queued.pop(sid, [])
            replies = [t for t in self.store.list_turns(sid, limit=2) if t.role == "agent"]
            try:  # a turn that finished as it was cancelled needs no continuing: only its queue
                if hand_over(self.store, sid, queued, stopped=bool(replies) and replies[-1].status != "complete"):
                    lines.append(f"chinwag: session {sid} continues in a background worker "
                                 f"(follow it with `chinwag session attach {sid}`)")
            except Exception as exc:  # busy elsewhere meanwhile, a full disk: say so, quit all the same
                log.warning("hand-over of %s failed: %s", sid, exc)
                lines.append(f"chinwag: session {sid} could not continue in the background: {first_line(exc)}")
                with contextlib.suppress(Exception):  # its queue comes back when the session is opened
                    leave_unsent(self.store, sid, queued)
        self._finish_quit(message="\n".join(lines) or None)

    def _quit_if_idle(self) -> None:
        if not self.app.turns_here.running_sessions():
            self._finish_quit()

    def _finish_quit(self, message: str | None = None) -> None:
        self.quitting = True  # nothing starts from here on: no queued prompt, no database poll
        if acp_pool.live_sessions():  # shut coding agents down cleanly first
            async def close_then_quit() -> None:
                await self.close_all_agents()
                self._finish_quit(message)

            self.run_worker(close_then_quit(), group="quit")
            return
        self.app.exit(return_code=0, message=message)
