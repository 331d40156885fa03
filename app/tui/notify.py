"""The chat screen's glue for terminal notifications: a settled turn or a permission request
(runner events, through `on_turn_update`) in a session that is not on screen, or in any
session while the terminal window is unfocused (Textual keeps `App.app_focus` from the
terminal's focus reports, AppBlur / AppFocus), writes the notice `app/core/notify.py` decides
on through Textual's driver, as `App.bell` does. Mixed into `ChatScreen`.
"""

from __future__ import annotations

from chinwag.app.core import notify
from chinwag.app.core.events import PermissionAsked, RunnerEvent, TurnSettled


class NotifyMixin:
    _notify_terminal: notify.Terminal | None = None  # detected at the first notice (it may ask tmux)

    def notify_terminal(self, event: RunnerEvent) -> None:
        """Tell the terminal about `event` when it deserves it (see `notify.due`)."""
        if isinstance(event, TurnSettled):
            kind = event.turn.status
        elif isinstance(event, PermissionAsked):
            kind = "permission"
        else:
            return
        app = self.app
        setting = str((self._config.ui if self._config else {}).get("notify") or "auto")
        on_screen = self.session is not None and self.session.id == event.session_id
        if not notify.due(setting, kind, on_screen=on_screen, focused=app.app_focus, web=app.is_web):
            return
        if self._notify_terminal is None:
            self._notify_terminal = notify.detect()
        try:
            title = self.store.get_session(event.session_id).title
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
