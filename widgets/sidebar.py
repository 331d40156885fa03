"""The session sidebar: a filter box, the archived / trash / this-workspace toggles and the
virtual session list. It posts messages (Open, NewSession, Rename, Fork, ToggleArchive,
TogglePin, Delete, Undo, FilterChanged, ArchivedToggled, TrashToggled, WorkspaceToggled, NeedMore);
the screen answers with data.

Filtering is explicit: `/` or any printable key typed in the list focuses the filter and
the key lands in it (in order, however fast the keys come); Esc clears it and goes back to
the list; Enter or Down goes back keeping it.
"""

from __future__ import annotations

from datetime import datetime

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input

from chinwag.storage.models import Session
from chinwag.widgets import session_list as sl
from chinwag.widgets.messages import ControlMessage
from chinwag.widgets.session_list import SessionList
from chinwag.widgets.toggle import Toggle

DEBOUNCE_SECONDS = 0.15


class Sidebar(Vertical):
    # One background for the filter, the toggles and the list: the header rows read as part of the list.
    DEFAULT_CSS = """
    Sidebar { width: 34; border-right: solid $primary 30%; padding: 0 0 0 1; background: $background; }
    Sidebar:focus-within { background-tint: $foreground 4%; }
    Sidebar #session-filter { border: none; height: 1; padding: 0; margin-right: 1; background: transparent;
                              color: $text; }
    Sidebar #session-filter:focus { text-style: bold; }
    Sidebar #session-filter > .input--placeholder { color: $text-muted; }
    Sidebar #sidebar-toggles { height: auto; layout: grid; grid-size: 2; grid-rows: 1; grid-columns: auto 1fr;
                               grid-gutter: 0 2; background: transparent; }
    Sidebar #workspace-toggle { column-span: 2; }
    """
    BINDINGS = [Binding("slash", "focus_filter", "filter sessions", show=False, id="sidebar_filter")]

    Open = sl.Open
    Rename = sl.Rename
    Fork = sl.Fork
    ToggleArchive = sl.ToggleArchive
    TogglePin = sl.TogglePin
    Delete = sl.Delete
    Undo = sl.Undo
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

    class TrashToggled(ControlMessage):
        def __init__(self, sidebar: Sidebar, show_trash: bool) -> None:
            super().__init__(sidebar)
            self.show_trash = show_trash

    def __init__(self, *, animate: bool = True, **kwargs):
        super().__init__(**kwargs)
        self._animations_on = animate
        self._debounce = None

    def compose(self) -> ComposeResult:
        yield Input(placeholder="/ filter sessions", id="session-filter", select_on_focus=False)
        with Vertical(id="sidebar-toggles"):
            yield Toggle("archived", id="archived-toggle")
            yield Toggle("trash", id="trash-toggle")
            yield Toggle("this workspace", id="workspace-toggle")
        session_list = SessionList(id="session-list", animate=self._animations_on)
        session_list.typing.type_to = lambda key, character: self.type_into_filter(character)
        yield session_list

    @property
    def list(self) -> SessionList:
        return self.query_one(SessionList)

    @property
    def filter_box(self) -> Input:
        return self.query_one("#session-filter", Input)

    # -- data in ------------------------------------------------------------------------------
    def set_sessions(self, rows: list[Session], *, total: int | None, running: set[str], now: datetime,
                     active_id: str | None, trees: dict[str, tuple[int, int]] | None = None) -> None:
        self.list.set_sessions(rows, total=total, running=running, now=now, active_id=active_id, trees=trees)

    def set_total(self, total: int) -> None:
        self.list.set_total(total)

    def append_sessions(self, rows: list[Session], trees: dict[str, tuple[int, int]] | None = None) -> None:
        self.list.append_sessions(rows, trees)

    def set_running(self, ids: set[str]) -> None:
        self.list.set_running(ids)

    def select(self, session_id: str) -> None:
        self.list.select(session_id)

    def focus_list(self) -> None:
        self.list.focus()

    # -- typing goes to the filter ---------------------------------------------------------------
    def type_into_filter(self, character: str) -> None:
        """Focus the filter now (not on the next refresh, so the keys behind this one go
        there too) and type `character` into it; `/` only focuses it."""
        box = self.filter_box
        if self.screen.focused is not box:
            self.screen.set_focus(box)
        if character != "/" or box.value:
            box.insert_text_at_cursor(character)

    def action_focus_filter(self) -> None:
        self.screen.set_focus(self.filter_box)

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        if self._debounce is not None:
            self._debounce.stop()
        text = event.value
        self._debounce = self.set_timer(DEBOUNCE_SECONDS, lambda: self.post_message(self.FilterChanged(self, text)))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.screen.set_focus(self.list)

    def on_key(self, event: events.Key) -> None:
        box = self.filter_box
        if box.has_focus and event.key in ("escape", "down"):
            event.stop()
            event.prevent_default()
            if event.key == "escape":
                box.value = ""
            self.screen.set_focus(self.list)
        elif not box.has_focus and event.is_printable and event.character not in (None, " ") \
                and not self.list.binds(event.key):  # `*` in the list pins
            # typed on a toggle (space stays the toggle's own key)
            event.stop()
            event.prevent_default()
            self.type_into_filter(event.character)

    def on_toggle_changed(self, event: Toggle.Changed) -> None:
        event.stop()
        if event.toggle.id == "workspace-toggle":
            self.post_message(self.WorkspaceToggled(self, event.value))
        elif event.toggle.id == "trash-toggle":
            self.post_message(self.TrashToggled(self, event.value))
        else:
            self.post_message(self.ArchivedToggled(self, event.value))
