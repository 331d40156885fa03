"""Slash commands about the running turn and the context: /cancel, /stop, /detach, /quit,
/compact, /clear."""

from __future__ import annotations

from chinwag.app.tui.compaction import compact_options


class TurnCommands:
    """Mixed into ChatScreen."""

    # -- the running turn ---------------------------------------------------------------------
    def slash_cancel(self, parsed) -> None:
        if not self.cancel_current_turn():
            self.status.notice = "nothing is running"

    def slash_stop(self, parsed) -> None:
        sid = self.session.id
        dropped = self.controller.drop_queue(sid)
        self.prompt.set_queued([])
        stopped = self.cancel_current_turn()
        self.close_agent(sid)
        self.status.notice = ("stopped" if stopped else "nothing was running") + (
            f" · {dropped} queued prompt(s) dropped" if dropped else "")

    def slash_detach(self, parsed) -> None:
        if not self.controller.is_busy(self.session.id):
            self.status.notice = "nothing is running: there is no turn to detach"
            return
        self.status.notice = "the turn keeps running in the background"
        self.action_focus_sidebar()

    def slash_quit(self, parsed) -> None:
        self.call_later(self.quit_app)

    # -- compaction and context ---------------------------------------------------------------
    def slash_compact(self, parsed) -> None:
        """`/compact [--window N] [instructions]` reviews the summary first; `--yes` stores it
        at once; `--undo` takes the last compaction back."""
        window, instructions, yes, undo = compact_options(parsed)
        if undo:
            self.undo_compaction()
        else:
            self.start_compaction(window, instructions, review=not yes)

    def slash_clear(self, parsed) -> None:
        sid = self.session.id
        if self.store.running_turn(sid) is not None:
            raise ValueError("a turn is running; /cancel it first")
        turns = self.store.context_turns(sid)
        if not turns:
            self.status.notice = "the context is already empty"
            return
        self.store.add_compaction(sid, "system", f"Context cleared: {len(turns)} earlier turns are no longer sent to the model.",
                                  turns)
        self.open_session(sid)
