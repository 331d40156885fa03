"""Session actions in the TUI (new, switch, rename, fork, archive, delete, restore, undo,
quit), shared by the sidebar's keys, the slash commands and the command palette.
Confirmation dialogs live here; the storage calls are the store's.

Archive is not confirmed but undoable; delete asks once and moves the session to the trash
(undoable too); in the trash, delete asks once and removes it for good. The last archive or
delete is what undo (Ctrl+Z in the sidebar) brings back.
"""

from __future__ import annotations

from chinwag.app.tui.guard import guarded
from chinwag.storage import AmbiguousId, NotFound
from chinwag.widgets.choice_screen import ChoiceScreen
from chinwag.widgets.confirm import ConfirmScreen, TextPrompt


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
        rows = self.store.list_sessions(filter="all", limit=200)
        self.prompt.set_arg_choices("session", [(s.title, s.id[:10], s.id) for s in rows])
        models = sorted({self.session.model} - {""}) if self.session else []
        self.prompt.set_arg_choices("model", [(m, "", m) for m in models])

    def ask_rename(self, session_id: str) -> None:
        session = self.store.get_session(session_id)

        def done(title: str | None) -> None:
            if title and title.strip():
                self.store.rename_session(session_id, title)
                self.after_session_change(session_id)

        self.app.push_screen(TextPrompt("Rename session", session.title), done)

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

            self.app.push_screen(ConfirmScreen(f"Delete “{session.title}” for good?",
                                               "Its turns and events are removed; this cannot be undone."), for_good)
            return

        def to_trash(yes: bool | None) -> None:
            if yes:
                self.store.delete_session(session_id)
                self._undoable = session_id
                self._after_delete(session_id)
                undo = f"{undo_key} undoes" if undo_key else "the sidebar's trash toggle restores it"
                self.status.notice = f"moved “{session.title}” to the trash · {undo}"

        self.app.push_screen(ConfirmScreen(
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
        running = self.runner.running_sessions() if self.runner else set()
        if not running:
            self._finish_quit()
            return

        def chosen(choice: str | None) -> None:
            if choice == "s":
                for sid in running:
                    self.runner.cancel(sid)
                self.set_timer(0.3, self._finish_quit)
            elif choice == "b":
                for sid in running:
                    self.runner.cancel(sid)
                self.run_worker(self._continue_in_background(running), group="quit")
            elif choice == "w":
                self.status.notice = "quitting when the running turn ends (esc cancels it)"
                self.set_interval(0.2, self._quit_if_idle)

        self.app.push_screen(
            ChoiceScreen(
                f"{len(running)} turn(s) still running",
                "Stop keeps the partial reply. Background hands the turn to a worker process that "
                "continues the reply after you quit (follow it with `chinwag session attach`).",
                [("s", "Stop and quit"), ("b", "Finish in background"), ("w", "Wait, then quit"),
                 ("c", "Keep working")],
            ),
            chosen,
        )

    async def _continue_in_background(self, session_ids: set[str]) -> None:
        import asyncio

        from chinwag.app.core.worker import hand_to_worker

        for _ in range(100):  # let the cancelled streams settle their turns first
            if not self.runner.running_sessions() & session_ids:
                break
            await asyncio.sleep(0.05)
        for sid in session_ids:
            session = self.store.get_session(sid)
            reply = self.store.begin_reply(sid, agent=session.agent, model=session.model)
            hand_to_worker(self.store, reply)
        self._finish_quit()

    def _quit_if_idle(self) -> None:
        if not self.runner.running_sessions():
            self._finish_quit()

    def _finish_quit(self) -> None:
        from chinwag.app.agents.acp import pool as acp_pool

        if acp_pool.live_sessions():  # shut coding agents down cleanly first
            async def close_then_quit() -> None:
                await self.close_all_agents()
                self._finish_quit()

            self.run_worker(close_then_quit(), group="quit")
            return
        self.app.close_store()
        self.app.exit(return_code=0)
