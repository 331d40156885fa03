"""The chat screen's glue for terminal notifications: a settled turn or a permission request
(runner events, through `on_turn_update`; a turn another process ran, from the database
poll) in a session that is not on screen, or in any session while the terminal window is
unfocused (Textual keeps `App.app_focus` from the terminal's focus reports, AppBlur /
AppFocus), writes the notice `app/core/notify.py` decides on through Textual's driver, as
`App.bell` does. Mixed into `ChatScreen`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chinwag.app.lazy import LazyModule

if TYPE_CHECKING:
    from chinwag.app.core import events, notify
else:  # the runner's events and what to send load with the first turn, not with the app
    events = LazyModule("chinwag.app.core.events")
    notify = LazyModule("chinwag.app.core.notify")


class NotifyMixin:
    _notify_terminal: notify.Terminal | None = None  # detected at the first notice (it may ask tmux)
    _running_elsewhere: set[str] | None = None  # sessions whose turn another process runs, at the last poll

    def notify_terminal(self, event: events.RunnerEvent) -> None:
        """Tell the terminal about `event` when it deserves it (see `notify.due`)."""
        if isinstance(event, events.TurnSettled):
            self.notify_kind(event.session_id, event.turn.status)
        elif isinstance(event, events.PermissionAsked):
            self.notify_kind(event.session_id, "permission")

    def notify_settled_elsewhere(self, running: set[str]) -> None:
        """From the poll (`running`: the sessions with a turn running anywhere): a turn another
        process ran (`chinwag session send` in another terminal, a background worker) has ended."""
        here = self.app.turns_here.running_sessions()
        before, self._running_elsewhere = self._running_elsewhere, running - here
        for session_id in (before or set()) - running - here:
            last = next((t for t in reversed(self.store.list_turns(session_id, limit=4)) if t.role == "agent"), None)
            if last is not None:
                self.notify_kind(session_id, last.status)

    def notify_kind(self, session_id: str, kind: str) -> None:
        app = self.app
        setting = str((self._config.ui if self._config else {}).get("notify") or "auto")
        on_screen = self.session is not None and self.session.id == session_id
        if not notify.due(setting, kind, on_screen=on_screen, focused=app.app_focus, web=app.is_web):
            return
        if self._notify_terminal is None:
            self._notify_terminal = notify.detect()
        try:
            title = self.store.get_session(session_id).title
        except Exception:  # deleted meanwhile: the notice goes without its title
            title = ""
        data = notify.notice_for(setting, kind, title, on_screen=on_screen, focused=app.app_focus,
                                 terminal=self._notify_terminal, web=app.is_web)
        self.write_to_terminal(data)

    def write_to_terminal(self, data: str) -> None:
        """Raw bytes to the terminal, between frames (the driver's writer keeps the order)."""
        driver = self.app._driver
        if data and driver is not None:
            driver.write(data)
