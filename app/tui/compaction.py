"""The chat screen's compaction and pins: `/compact` with its review (the summary is made,
shown in `CompactReview`, and stored only once accepted, as shown or edited), `--yes`,
`--undo`, the working block while a summary is made (Esc cancels it), the notices of
automatic compaction and the warning as the context nears it, and `p` on a block (pin).

The decisions are plain code: `app.core.compaction` (prepare / apply / undo) and
`ContextWatch` below (when to warn); this module only glues them to the screen.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import work

from chinwag.app.errors import first_line
from chinwag.app.lazy import LazyModule
from chinwag.app.tui.controller import WORKING_ID
from chinwag.app.tui.guard import push_modal

if TYPE_CHECKING:
    from chinwag.app.core import events
else:  # the runner's events load with the runner (the first turn), not with the app
    events = LazyModule("chinwag.app.core.events")

WARN_AT = 0.9  # of the auto-compaction threshold
PINNABLE = ("user", "agent")


def window_label(tokens: int) -> str:
    """128000 -> "128k" (as `app.core.after_turn.window_label`, without loading it)."""
    return f"{tokens / 1000:.0f}k" if tokens >= 1000 else f"{tokens:,}"


class ContextWatch:
    """When to warn that auto-compaction is near: once each time a session's context
    crosses WARN_AT of the threshold (`share` of the window) going up, not on every status
    update while it stays above; dropping below (a compaction) arms it again."""

    def __init__(self) -> None:
        self._above: dict[str, bool] = {}

    def check(self, session_id: str, tokens: int, window: int, share: float) -> str | None:
        """The warning to show now, or None."""
        if window <= 0 or not 0 < share < 1:  # auto-compaction is off: nothing to warn about
            self._above.pop(session_id, None)
            return None
        above = tokens >= WARN_AT * share * window
        crossed = above and not self._above.get(session_id, False)
        self._above[session_id] = above
        if not crossed:
            return None
        return (f"context at {tokens / window:.0%} of the {window_label(window)} window: it is compacted "
                f"automatically at {share:.0%} (/compact now to review the summary)")


def compact_options(parsed) -> tuple[int | None, str, bool, bool]:
    """`/compact [--window N] [--yes] [--undo] [instructions]` -> (window, instructions, yes,
    undo). A flag followed by a word took the word as its value: it is the instructions'."""
    options = dict(parsed.options)
    words = [options.pop(flag) for flag in ("yes", "undo") if flag in options]
    yes, undo = "yes" in parsed.options, "undo" in parsed.options
    window = options.pop("window", None)
    if options:
        raise ValueError(f"unknown option --{next(iter(options))} (usage: /compact [--window N] [--yes] [--undo] "
                         "[instructions])")
    if window is not None:
        try:
            window = int(window)
        except ValueError:
            raise ValueError(f"--window needs a number, not {window!r}") from None
    instructions = " ".join([w for w in words if w] + ([parsed.rest] if parsed.rest else [])).strip()
    if undo and (yes or window is not None or instructions):
        raise ValueError("/compact --undo takes nothing else")
    return window, instructions, yes, undo


class CompactionGlueMixin:
    """Mixed into ChatScreen."""

    _context_watch: ContextWatch | None = None

    # -- /compact -------------------------------------------------------------------------
    def start_compaction(self, window: int | None, instructions: str, *, review: bool) -> None:
        from chinwag.app.core.compaction import DEFAULT_WINDOW  # lazy: compaction loads on first use

        sid = self.session.id
        if sid in self.controller.compacting or sid in self._compactions:
            raise ValueError("a compaction of this session is already running (esc cancels it)")
        keep = DEFAULT_WINDOW if window is None else window
        self._compactions[sid] = self._compact(sid, keep, instructions, review)

    @work(group="compact", exclusive=False)
    async def _compact(self, session_id: str, window: int, instructions: str, review: bool) -> None:
        """Runs as a worker (Esc cancels it); the screen shows its progress from the events."""
        from chinwag.app.agents import agent_for_session  # lazy: with compaction, on first use
        from chinwag.app.core import compaction  # lazy: compaction loads on first use

        try:
            agent = agent_for_session(self.store.get_session(session_id), self._config)
            if review:
                proposal = await compaction.prepare(self.store, agent, session_id, window=window,
                                                    instructions=instructions, emit=self.on_turn_update)
            else:
                result = await compaction.compact(self.store, agent, session_id, window=window,
                                                  instructions=instructions, emit=self.on_turn_update)
        except Exception as exc:
            self._compactions.pop(session_id, None)
            self.notify(first_line(exc), title="compact", severity="error", timeout=8)
            return
        if not review:
            self._compacted(result)
            return
        from chinwag.widgets.compact_review import CompactReview  # lazy: the review opens on first use

        pinned = len(proposal.tail) - window  # the tail: the pinned turns before the last `window`
        about = (f"It replaces {len(proposal.head)} turns (context ~{proposal.tokens_before:,} tokens now); "
                 f"the last {window}" + (f" and {pinned} pinned" if pinned else "") + " stay as they are.")

        def answered(text: str | None) -> None:
            try:
                if text is None:
                    self.app.notify("compaction cancelled: nothing changed")
                    return
                self._compacted(compaction.apply(self.store, proposal, text))
                if self.session and self.session.id == session_id:
                    self.open_session(session_id)  # the summary block, the compacted turns dimmed
            finally:
                self._compactions.pop(session_id, None)
                self.call_later(self._send_next_queued, session_id)

        push_modal(self, CompactReview(proposal.text, about), answered, key=f"compact-review:{session_id}")

    def _compacted(self, result) -> None:
        self.notify(
            f"compacted {result.summarized} turns (kept {result.kept}): "
            f"context {result.tokens_before:,} → {result.tokens_after:,} tokens"
            " · /compact --undo takes it back"
        )

    def undo_compaction(self) -> None:
        from chinwag.app.core import compaction  # lazy: compaction loads on first use

        sid = self.session.id
        if sid in self.controller.compacting:
            raise ValueError("a compaction of this session is running (esc cancels it)")
        marker, revived = compaction.undo(self.store, sid)
        self.open_session(sid)
        what = "/clear" if marker.role == "system" else "compaction"
        self.notify(f"undid the {what}: {revived} turn(s) are sent again; the summary stays, marked undone")

    # -- progress (runner events) --------------------------------------------------------------
    def _on_session_followup(self, event: events.TitleChanged | events.CompactionStarted | events.CompactionFinished) -> None:
        current = self.session is not None and event.session_id == self.session.id
        match event:
            case events.TitleChanged():
                self.refresh_sidebar()
            case events.CompactionStarted() if current:
                self._show_working(event.session_id)
            case events.CompactionFinished() if current:
                self._compaction_finished(event)
            case events.CompactionFinished():
                if event.proposed:  # its review opens over another session: the block goes with it
                    self.transcript.remove_turn(WORKING_ID + event.session_id)
                self.refresh_sidebar()
        if current:
            self.update_status()

    def _show_working(self, session_id: str) -> None:
        working = self.controller.working_turn(session_id)
        if working is not None:
            self.transcript.update_turn(working, [])

    def _compaction_finished(self, event: events.CompactionFinished) -> None:
        if event.proposed:  # the review opens; /compact's worker goes on from there
            self.transcript.remove_turn(WORKING_ID + event.session_id)
            return
        manual = self._compactions.pop(event.session_id, None) is not None  # /compact, not automatic
        if event.compacted:
            self.open_session(event.session_id)  # the summary block, the compacted turns dimmed
        else:
            self.transcript.remove_turn(WORKING_ID + event.session_id)
        if event.cancelled:
            self.app.notify("compaction cancelled: nothing changed")
        elif event.compacted and not manual:  # /compact says what it did itself
            self.app.notify("auto-compacted the older turns (see the summary block; /compact --undo takes it back)")
        if manual:  # prompts queued meanwhile go now (after a turn, _run_turn sends them)
            self.call_later(self._send_next_queued, event.session_id)

    def cancel_compaction(self, session_id: str) -> bool:
        """Stop a compaction of this session (Esc, /cancel): nothing changes. True if one ran."""
        if session_id not in self.controller.compacting:
            return False
        worker = self._compactions.get(session_id)
        if worker is not None:
            worker.cancel()  # /compact
        else:
            self.runner.cancel(session_id)  # automatic: it runs in the turn's task, after the turn settled
        return True

    # -- the warning before auto-compaction ----------------------------------------------------
    def warn_context(self, snapshot) -> None:
        """After a status update: the one warning as the context crosses 90% of the threshold."""
        if snapshot is None or self.session is None:
            return
        if self._context_watch is None:
            self._context_watch = ContextWatch()
        setting = self.effective_settings(self.session).get("auto_compact")
        try:
            share = float(setting.value or 0) if setting else 0.0
        except (TypeError, ValueError):
            share = 0.0
        warning = self._context_watch.check(self.session.id, snapshot.context_tokens, snapshot.context_window, share)
        if warning:
            self.app.notify(warning, severity="warning", key="context-warning", timeout=10)

    # -- pins ------------------------------------------------------------------------------------
    def on_transcript_pin_requested(self, event) -> None:
        """`p` on a block: pin it (sent verbatim, never summarized) or unpin it."""
        event.stop()
        try:
            self._toggle_pin(event.turn_id)
        except Exception as exc:
            self.notify(first_line(exc), severity="error", timeout=8)

    def _toggle_pin(self, turn_id: str | None) -> None:
        if self.session is None:
            return
        if not turn_id or turn_id.startswith(WORKING_ID):
            self.app.notify("select a prompt or a reply first (↑/↓ or k/j), then p pins it", key="pin")
            return
        turn = self.store.get_turn(turn_id)
        if turn.role not in PINNABLE:
            self.app.notify("only prompts and replies can be pinned", key="pin")
            return
        if self.store.readonly:
            raise ValueError("read-only: nothing was pinned")
        turn = self.store.set_turn_pinned(turn.id, not turn.pinned)
        self.transcript.update_turn(turn)
        self.app.notify("pinned: sent verbatim, never summarized" if turn.pinned else "unpinned", key="pin")
        self.update_status()
