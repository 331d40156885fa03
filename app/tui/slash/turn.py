"""Slash commands about the running turn and the context: /cancel, /stop, /detach, /quit,
/compact, /clear."""

from __future__ import annotations

from textual import work

from chinwag.app.errors import first_line


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
        from chinwag.app.core.compaction import DEFAULT_WINDOW  # lazy: compaction loads on first use

        window = parsed.options.get("window", DEFAULT_WINDOW)
        try:
            window = int(window)
        except (TypeError, ValueError):
            raise ValueError(f"--window needs a number, not {window!r}") from None
        if self.session.id in self.controller.compacting:
            raise ValueError("a compaction of this session is already running (esc cancels it)")
        self._compactions[self.session.id] = self._compact(self.session.id, window, parsed.rest)

    @work(group="compact", exclusive=False)
    async def _compact(self, session_id: str, window: int, instructions: str) -> None:
        """Runs as a worker (Esc cancels it); the screen shows its progress from the events."""
        from chinwag.app.agents import agent_for_session  # lazy: with compaction, on first use
        from chinwag.app.core.compaction import compact  # lazy: compaction loads on first use

        try:
            session = self.store.get_session(session_id)
            agent = agent_for_session(session, self._config)
            result = await compact(self.store, agent, session_id, window=window, instructions=instructions,
                                   emit=self.on_turn_update)
        except Exception as exc:
            self._compactions.pop(session_id, None)
            self.notify(first_line(exc), title="compact", severity="error", timeout=8)
            return
        self.notify(
            f"compacted {result.summarized} turns (kept {result.kept}): "
            f"context {result.tokens_before:,} → {result.tokens_after:,} tokens"
        )

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
