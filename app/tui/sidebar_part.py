"""The sidebar's messages, handled for the chat screen: paging, the filter and the view
toggles (archived, trash, workspace), opening a session, and the session actions its keys
post (new, rename, fork, archive, delete, undo — carried out by `sessions`).

A `Screen` subclass that `ChatScreen` derives from, not a plain mixin: `@on` handlers
register only on classes built by Textual's message-pump metaclass, and the sidebar's
messages have generic handler names (`on_open`, `on_delete`) best matched by class.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from textual import on, work
from textual.screen import Screen
from textual.worker import get_current_worker

from chinwag.app.errors import first_line
from chinwag.app.tui.guard import guarded
from chinwag.app.tui.sidebar_total import CountRequest
from chinwag.storage import Store
from chinwag.widgets.session_list import SIDEBAR_BINDINGS
from chinwag.widgets.sidebar import Sidebar

if TYPE_CHECKING:
    from chinwag.app.config.loader import Config
    from chinwag.app.tui.controller import ChatController
    from chinwag.storage.models import Session
    from chinwag.widgets.status_bar import StatusBar

log = logging.getLogger("chinwag.tui")

class SidebarPart(Screen):
    """The sidebar half of `ChatScreen` (which provides what is declared here)."""

    if TYPE_CHECKING:
        controller: ChatController
        session: Session | None
        sidebar: Sidebar
        status: StatusBar
        _config: Config | None

        def refresh_sidebar(self) -> None: ...
        def open_session(self, session_id: str) -> None: ...

    # -- the total, counted off the UI loop (app/tui/sidebar_total.py) ------------------------------
    def count_sidebar(self) -> None:
        request = self.controller.count_due
        if request is not None:
            self.controller.count_due = None
            self.call_after_refresh(self._count_sidebar, request)  # not beside the frame being drawn (2 cores)

    @work(thread=True, group="sidebar-count", exclusive=True, exit_on_error=False)
    def _count_sidebar(self, request: CountRequest) -> None:
        """On a connection of its own, so the UI's is not held for the count (40 ms at 100,000 sessions)."""
        try:
            with Store(self.store.path, clock=self.store.clock, readonly=self.store.readonly, recover=False) as store:
                count = store.count_sessions(filter=request.view[0], workspace=request.view[1])
        except Exception:  # the total only decides when to page: the list goes on without it
            log.exception("counting the sidebar's sessions failed")
            return
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._sidebar_counted, request, count)

    def _sidebar_counted(self, request: CountRequest, count: int) -> None:
        total = self.controller.sidebar_counted(request, count)
        if total is not None:
            self.sidebar.set_total(total)

    @on(Sidebar.NeedMore)
    @guarded
    def sidebar_more(self, event) -> None:
        rows = self.controller.more_sidebar_rows()
        if rows:
            self.sidebar.append_sessions(rows, self.controller.trees_of(rows))

    @on(Sidebar.FilterChanged)
    @guarded
    def sidebar_filter(self, event) -> None:
        self.controller.sidebar.text = event.text
        self.refresh_sidebar()

    @on(Sidebar.ArchivedToggled)
    @guarded
    def sidebar_archived(self, event) -> None:
        self.controller.sidebar.show_archived = event.show_archived
        self.refresh_sidebar()

    @on(Sidebar.TrashToggled)
    @guarded
    def sidebar_trash(self, event) -> None:
        self.controller.sidebar.show_trash = event.show_trash
        self.refresh_sidebar()
        if event.show_trash:
            self.status.notice = "the trash: Enter restores a session, Delete removes it for good"

    @on(Sidebar.WorkspaceToggled)
    @guarded
    def sidebar_workspace(self, event) -> None:
        only = (self.session.workspace if self.session else None) if event.only_workspace else None
        self.controller.sidebar.workspace = only
        self.refresh_sidebar()

    @on(Sidebar.Open)
    @guarded
    def sidebar_open(self, event) -> None:
        if self.controller.sidebar.show_trash:
            self.restore_from_trash(event.session_id)
            return
        self.open_session(event.session_id)
        self.reveal_search_hit(event.session_id)
        self.prompt.focus_input()

    def _in_trash(self, what: str) -> bool:
        """Rename, fork and archive do not apply in the trash view: say what does."""
        if not self.controller.sidebar.show_trash:
            return False
        self.status.notice = f"cannot {what} a session in the trash: Enter restores it, Delete removes it for good"
        return True

    # -- sidebar actions ---------------------------------------------------------------------
    @on(Sidebar.NewSession)
    @guarded
    def _sidebar_new(self) -> None:
        self.action_new_session()

    @on(Sidebar.Rename)
    @guarded
    def _sidebar_rename(self, event) -> None:
        if not self._in_trash("rename"):
            self.ask_rename(event.session_id)

    @on(Sidebar.Fork)
    @guarded
    def _sidebar_fork(self, event) -> None:
        if not self._in_trash("fork"):
            self.fork(event.session_id)

    @on(Sidebar.ToggleArchive)
    @guarded
    def _sidebar_archive(self, event) -> None:
        if self._in_trash("archive"):
            return
        try:
            self.toggle_archive(event.session_id, undo_key=self.sidebar_key("sidebar_undo"))
        except Exception as exc:
            self.notify(first_line(exc), severity="error")

    @on(Sidebar.TogglePin)
    @guarded
    def _sidebar_pin(self, event) -> None:
        if not self._in_trash("pin"):
            self.toggle_session_pin(event.session_id)

    @on(Sidebar.Delete)
    @guarded
    def _sidebar_delete(self, event) -> None:
        self.ask_delete(event.session_id, undo_key=self.sidebar_key("sidebar_undo"))

    @on(Sidebar.Undo)
    @guarded
    def _sidebar_undo(self, event) -> None:
        self.undo_session_change()

    def sidebar_key(self, binding_id: str) -> str:
        """How the key of a sidebar binding reads right now ([keys] rebinds included)."""

        keys = (self._config.keys if self._config else {}).get(binding_id)
        key = (keys or next(b.key for b in SIDEBAR_BINDINGS if b.id == binding_id)).split(",")[0].strip()
        return "+".join(part.upper() if len(part) == 1 else part.capitalize() for part in key.split("+"))
