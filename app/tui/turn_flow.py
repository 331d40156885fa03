"""A turn's way through the chat screen: a submitted prompt (a /command, a message, or
queued while a turn runs), running it through the runner, the next queued prompt after it,
a stop from another process; then the runner's live events batched into the transcript
(12 fps), and the poll that follows other processes' writes through `PRAGMA data_version`.

A `Screen` subclass that `ChatScreen` derives from (its `@on` handlers register only on
classes Textual's metaclass builds); `ChatScreen` provides the state it reads.
"""

from __future__ import annotations

import gc
import logging
import time
from typing import TYPE_CHECKING

from textual import on, work
from textual.screen import Screen

from chinwag.app.errors import first_line
from chinwag.app.lazy import LazyModule
from chinwag.app.tui.controller import READ_ONLY_BANNER
from chinwag.app.tui.guard import guarded
from chinwag.storage.models import storable
from chinwag.widgets.prompt import Prompt

if TYPE_CHECKING:
    from chinwag.app.core import events
else:  # the runner's events load with the runner (the first turn), not with the app
    events = LazyModule("chinwag.app.core.events")

log = logging.getLogger("chinwag.tui")
SIDEBAR_REFRESH_SECONDS = 1.0
FREEZE_SECONDS = 2.0
RENDER_INTERVAL = 1 / 12  # live text at 12 fps: smooth to read, cheap enough not to slow a fast stream


class TurnFlowPart(Screen):
    """Sending and live updates for `ChatScreen`."""

    # -- sending --------------------------------------------------------------------------
    @on(Prompt.Submitted)
    @guarded
    def prompt_submitted(self, event) -> None:
        """A line starting with `/` is a command, `//` sends the text with one `/` less, and
        an unknown command submitted twice in a row is sent as a message. A text that starts
        with a paste is a message, whatever the paste starts with."""
        text, pastes = event.text, list(event.pastes)
        if not text.strip():
            return
        self.save_draft("")
        if not self.store.readonly:
            self.store.add_prompt_history(text)
            self.prompt.history = self.prompt.history + [text]
        if self.submit_edit(text, pastes):  # Enter while editing a past prompt: a new branch (app/tui/tree.py)
            return
        as_text, self._send_as_text = self._send_as_text, None
        stripped = text.lstrip()
        lead = len(text) - len(stripped)
        typed_slash = stripped.startswith("/") and not (pastes and pastes[0][0] <= lead)
        if typed_slash and stripped.startswith("//"):
            self.send_prompt(text[:lead] + text[lead + 1:], [(a - 1, b - 1) for a, b in pastes])
        elif typed_slash and text.strip() != as_text:
            self.run_slash(text.strip())
        else:
            self.send_prompt(text, pastes)

    @on(Prompt.Unqueue)
    @guarded
    def unqueue(self) -> None:
        if self.session is None:
            return
        text = self.controller.take_back(self.session.id)
        if text is not None:
            self.prompt.text = text
            self.prompt.set_queued(self.queued.get(self.session.id, []))
            self.status.notice = "taken back from the queue: edit it and press Enter"

    def send_prompt(self, text: str, pastes: list | None = None) -> None:
        """Send `text` (or queue it while a turn runs); `pastes`: where big pastes are in it,
        kept in the user turn's metadata so its block shows them collapsed."""
        if self.session is None:
            return
        if self.store.readonly:
            self.notify(f"{READ_ONLY_BANNER}: nothing was sent", severity="error")
            return
        if pastes:  # keyed as stored: a lone surrogate becomes U+FFFD, one for one (offsets hold)
            self._paste_spans[storable(text)] = [list(span) for span in pastes]
        sid = self.session.id
        if self.controller.is_busy(sid):
            self.prompt.set_queued(self.controller.enqueue(sid, text))
            self.app.notify("queued: it will be sent when the current turn ends", key="queued")
            self._show_status(self.controller.refresh_status())
            return
        self._run_turn(sid, text)

    @work(exclusive=False, group="turns")
    async def _run_turn(self, session_id: str, text: str, start=None) -> None:
        """Run a turn (`start`: how, when not a plain send of `text`: an edit, a regeneration)."""
        settled = None
        try:
            settled = await (start() if start is not None else self.runner.send(session_id, text))
        except Exception as exc:  # busy in another process, storage errors: tell, never crash
            log.exception("turn failed to start")
            self.notify(first_line(exc), severity="error", timeout=8)
        finally:  # the one refresh per settled turn (after-turn work included)
            self._paste_spans.pop(storable(text), None)
            if not self.quitting:
                self.refresh_sidebar()
                if session_id == (self.session.id if self.session else None):
                    self.update_status()
                if settled is not None and settled.stop_requested:
                    self._stopped_elsewhere(session_id)
                else:
                    self._send_next_queued(session_id)

    def _stopped_elsewhere(self, session_id: str) -> None:
        """`chinwag session stop` (or another window) stopped a turn this process runs: it is
        settled `stopped` with its partial text, and the queued prompts come back, unsent."""
        self.notify("the running turn was stopped from another process; the partial reply is kept",
                    severity="warning", timeout=8)
        if self.session and self.session.id == session_id:
            self._restore_queue(session_id)
        elif self.queued.get(session_id):
            self._held.add(session_id)  # back in the prompt when that session is opened

    def _send_next_queued(self, session_id: str) -> None:
        if self.quitting:
            return
        text = self.controller.next_queued(session_id)
        if text is None:
            return
        if self.session and self.session.id == session_id:
            self.prompt.set_queued(self.queued.get(session_id, []))
            self._show_status(self.controller.refresh_status())
        self._run_turn(session_id, text)

    # -- live updates -----------------------------------------------------------------------
    def on_turn_update(self, event: events.RunnerEvent) -> None:
        """Called by the runner for every change; rendering is batched (RENDER_INTERVAL), and
        the sidebar reads the database once when a turn starts and once when it settles, never
        per streamed event. The status follows every event through the controller (no reads)."""
        current = self.session is not None and event.session_id == self.session.id
        self._show_status(self.controller.on_event(event))
        self.notify_terminal(event)  # a turn ended or an agent asks, out of sight: tell the terminal
        match event:
            case events.TitleChanged() | events.CompactionStarted() | events.CompactionFinished():
                self._on_session_followup(event)
            case events.CommandsChanged():
                if current:
                    self.refresh_agent_commands()
            case events.CheckpointTaken():
                self.checkpoint_taken(event)
            case events.TurnStarted():
                self._pending[event.turn.id] = event
                self._flush_updates()
                self.refresh_sidebar()  # the prompt's title, the turn count and the running mark at once
                if current:
                    self.update_status(running=True)
            case events.TurnSettled():  # status and sidebar: once the runner is done with it (_run_turn)
                self._pending[event.turn.id] = event
                self._flush_updates()
                self.close_permission_question(event.session_id)
                if current:
                    self.warm_outline()
                gc.freeze()  # what the turn left behind (caches, strips) is long-lived: keep it out of full GCs
            case events.LiveTurnEvent():
                self._pending[event.turn.id] = event
                if not self._flush_scheduled:
                    self._flush_scheduled = True
                    self.set_timer(RENDER_INTERVAL, self._flush_updates)

    def _flush_updates(self) -> None:
        self._flush_scheduled = False
        pending, self._pending = self._pending, {}
        now = time.monotonic()
        if now - self._frozen_at >= FREEZE_SECONDS:
            # A long stream leaves many long-lived objects (rendered lines, caches); a full GC
            # would scan them all (tens of ms, a visible stall). Freeze them out of it.
            self._frozen_at = now
            gc.freeze()
        for event in pending.values():
            if self.session and event.session_id == self.session.id:
                self._ensure_user_turn_shown(event)
                self.transcript.update_turn(event.turn, list(event.tool_calls))

    def _ensure_user_turn_shown(self, event: events.LiveTurnEvent) -> None:
        """The prompt's turn, as the runner committed it (TurnStarted carries it): no read-back."""
        if isinstance(event, events.TurnStarted):
            self.place_new_turns(event)  # its `‹ 2/3 ›` when it has siblings (app/tui/tree.py)
        if isinstance(event, events.TurnStarted) and event.user is not None:
            spans = self._paste_spans.pop(event.user.text, None)
            if spans:
                event.user.metadata = {**(event.user.metadata or {}), "pastes": spans}
                self.store.merge_turn_metadata(event.user.id, {"pastes": spans})
            self.transcript.update_turn(event.user, [])

    def _refresh_sidebar_if_stale(self) -> None:
        now = time.monotonic()
        if self._sidebar_stale and now - self._sidebar_refreshed >= SIDEBAR_REFRESH_SECONDS:
            self._sidebar_stale, self._sidebar_refreshed = False, now
            self.refresh_sidebar()

    def _poll_database(self) -> None:
        """Follow other processes' writes cheaply: act only when data_version moves."""
        if self.quitting:
            return
        try:
            version = self.store.data_version()
        except Exception:
            return
        if version == self._data_version:
            self._refresh_sidebar_if_stale()  # a change that came too soon after the last refresh
            return
        self._data_version = version
        running = self._running_ids()
        self.sidebar.set_running(running)
        self.notify_settled_elsewhere(running)  # a turn another process ran has ended
        self._sidebar_stale = True  # sessions made elsewhere (CLI, API): refreshed at most once a second
        self._refresh_sidebar_if_stale()
        if self.session is None:
            return
        if self.runner.is_running(self.session.id):
            return  # this process streams it; updates come from the runner
        turns = self.controller.newest()
        if turns is None:  # another process moved the head to another branch
            page = self.controller.reload()
            self.transcript.set_turns(page.turns, page.calls, has_older=page.has_older, placements=page.placements)
            self.update_status()
            return
        calls = self._calls_for(turns)
        for turn in turns:
            self.transcript.update_turn(turn, calls.get(turn.id, []))
        self._take_back_unsent(self.session.id)
        self.update_status()
