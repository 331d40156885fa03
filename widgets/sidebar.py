"""The session sidebar: a type-to-filter search box, an archived toggle and the virtual
session list. It posts messages (Open, NewSession, Rename, Fork, ToggleArchive, Delete,
FilterChanged, ArchivedToggled, NeedMore); the App answers with data.
"""

from __future__ import annotations

from datetime import datetime

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Input

from chinwag.storage.models import Session
from chinwag.widgets import session_list as sl
from chinwag.widgets.messages import ControlMessage
from chinwag.widgets.session_list import SessionList
from chinwag.widgets.toggle import Toggle

DEBOUNCE_SECONDS = 0.15


class Sidebar(Vertical):
    DEFAULT_CSS = """
    Sidebar { width: 34; border-right: solid $primary 30%; padding: 0 0 0 1; }
    Sidebar #session-filter { border: none; height: 1; padding: 0; background: $surface; margin-right: 1; }
    Sidebar #session-filter:focus { background: $surface-lighten-1; }
    Sidebar #sidebar-toggles { height: 1; }
    Sidebar #sidebar-toggles Toggle { margin-right: 2; }
    """
    BINDINGS = [Binding("slash", "focus_filter", "search", show=False)]

    Open = sl.Open
    Rename = sl.Rename
    Fork = sl.Fork
    ToggleArchive = sl.ToggleArchive
    Delete = sl.Delete
    NewSession = sl.NewSession
    NeedMore = sl.NeedMore

    class FilterChanged(ControlMessage):
        def __init__(self, sidebar: Sidebar, text: str) -> None:
            super().__init__(sidebar)
            self.text = text

    class WorkspaceToggled(ControlMessage):
        def __init__(self, sidebar: Sidebar, only_workspace: bool) -> None:
            super().__init__(sidebar)
            self.only_workspace = only_workspace

    class ArchivedToggled(ControlMessage):
        def __init__(self, sidebar: Sidebar, show_archived: bool) -> None:
            super().__init__(sidebar)
            self.show_archived = show_archived

    def __init__(self, *, animate: bool = True, **kwargs):
        super().__init__(**kwargs)
        self._animations_on = animate
        self._debounce = None

    def compose(self) -> ComposeResult:
        yield Input(placeholder="Search sessions  /", id="session-filter")
        with Horizontal(id="sidebar-toggles"):
            yield Toggle("archived", id="archived-toggle")
            yield Toggle("this workspace", id="workspace-toggle")
        yield SessionList(id="session-list", animate=self._animations_on)

    @property
    def list(self) -> SessionList:
        return self.query_one(SessionList)

    # -- data in ------------------------------------------------------------------------------
    def set_sessions(self, rows: list[Session], *, total: int, running: set[str], now: datetime,
                     active_id: str | None) -> None:
        self.list.set_sessions(rows, total=total, running=running, now=now, active_id=active_id)

    def append_sessions(self, rows: list[Session]) -> None:
        self.list.append_sessions(rows)

    def set_running(self, ids: set[str]) -> None:
        self.list.set_running(ids)

    def select(self, session_id: str) -> None:
        self.list.select(session_id)

    def focus_list(self) -> None:
        self.list.focus()

    # -- events -------------------------------------------------------------------------------
    def action_focus_filter(self) -> None:
        self.query_one("#session-filter", Input).focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        if self._debounce is not None:
            self._debounce.stop()
        text = event.value
        self._debounce = self.set_timer(DEBOUNCE_SECONDS, lambda: self.post_message(self.FilterChanged(self, text)))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.list.focus()

    def on_key(self, event) -> None:
        filter_box = self.query_one("#session-filter", Input)
        if event.key == "escape" and filter_box.has_focus:
            event.stop()
            filter_box.value = ""
            self.list.focus()
        elif event.key == "down" and filter_box.has_focus:
            event.stop()
            self.list.focus()

    def on_toggle_changed(self, event: Toggle.Changed) -> None:
        event.stop()
        if event.toggle.id == "workspace-toggle":
            self.post_message(self.WorkspaceToggled(self, event.value))
        else:
            self.post_message(self.ArchivedToggled(self, event.value))
