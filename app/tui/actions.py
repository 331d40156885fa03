"""The chat screen's key actions: cancel the running turn (here or in another process,
the queued prompts coming back into the prompt), Ctrl+C's first press, show/hide the
sidebar, move the focus, copy a reply. Mixed into `ChatScreen`; the bindings are declared
there (Ctrl+C's on the App).
"""

from __future__ import annotations

from chinwag.app.core.worker import request_stop
from chinwag.app.tui.guard import guarded


class ChatActionsMixin:
    @guarded
    def action_cancel_turn(self) -> None:
        if self.prompt.popup_open:
            return
        if self.session and self.cancel_current_turn():
            return
        if self.dismiss_notices():  # nothing to cancel: Esc hides the notices (the first-run hint too)
            return
        self.prompt.focus_input()

    def cancel_current_turn(self) -> bool:
        """Cancel the running turn of the open session (here or in another process), or its
        compaction."""
        sid = self.session.id
        if self.cancel_compaction(sid):
            return True
        if self.runner.cancel(sid):
            self._restore_queue(sid)
            self.status.notice = "cancelled: the partial reply is kept"
            return True
        running = self.store.running_turn(sid)
        if running is not None:
            self.stop_turn_elsewhere(running)
            return True
        return False

    def interrupt(self) -> str:
        """Ctrl+C's first press: cancel the running turn (the partial reply and the draft are
        kept, the queue comes back), else clear the prompt into its history (Up brings it
        back). Says what it did ("" for nothing)."""
        if self.session is not None and self.cancel_current_turn():
            return self.status.notice or "cancelled the running turn"
        text = self.prompt.text
        if not text.strip():
            self.prompt.text = ""
            return ""
        if not self.store.readonly:
            self.store.add_prompt_history(text)
        if not self.prompt.history or self.prompt.history[-1] != text:
            self.prompt.history = self.prompt.history + [text]
        self.prompt.text = ""
        return "prompt cleared (Up brings it back)"

    def _restore_queue(self, session_id: str) -> None:
        text = self.controller.restore_queue(session_id, self.prompt.text)
        if text is not None:
            self.prompt.text = text
            self.prompt.set_queued([])
            self.status.notice = "cancelled · queued prompts are back in the prompt"

    def stop_turn_elsewhere(self, turn) -> None:
        request_stop(self.store, turn)  # never signals another TUI or a `session send`: only a worker
        self.status.notice = "stop requested"

    @property
    def sidebar_shown(self) -> bool:
        """Whether the sidebar shows: Ctrl+B's choice when there was one, else the width's."""
        if self.has_class("-show-sidebar") or self.has_class("-hide-sidebar"):
            return self.has_class("-show-sidebar")
        return not self.has_class("-narrow")

    def show_sidebar(self, shown: bool) -> None:
        """An explicit choice, kept over later resizes (until the app restarts)."""
        self.set_class(shown, "-show-sidebar")
        self.set_class(not shown, "-hide-sidebar")

    @guarded
    def action_toggle_sidebar(self) -> None:
        shown = not self.sidebar_shown
        self.show_sidebar(shown)
        if not shown and self.sidebar.has_focus_within:
            self.prompt.focus_input()

    @guarded
    def action_focus_prompt(self) -> None:
        self.prompt.focus_input()

    @guarded
    def action_focus_transcript(self) -> None:
        self.transcript.focus()

    @guarded
    def action_focus_sidebar(self) -> None:
        if not self.sidebar_shown:
            self.show_sidebar(True)
        self.sidebar.focus_list()

    @guarded
    def action_copy_last_reply(self) -> None:
        text = self.transcript.last_reply_text()
        self._copy(text, "last reply")

    @guarded
    def action_copy_selected(self) -> None:
        self._copy(self.transcript.selected_text(), "selected block")

    def _copy(self, text: str | None, what: str) -> None:
        if not text:
            self.status.notice = f"no {what} to copy"
            return
        self.app.copy_to_clipboard(text)
        self.status.notice = f"copied {what} ({len(text):,} characters)"
