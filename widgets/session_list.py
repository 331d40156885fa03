"""A virtual, paged list of sessions grouped by recency (Today, Yesterday, This week,
Older), drawn with the Line API so 100,000 sessions cost no more than 100.

The App feeds pages (`set_sessions`, `append_sessions`); the list asks for more with
`NeedMore` when the cursor nears the end of what is loaded. Keys post messages; nothing
here touches storage.
"""

from __future__ import annotations

from datetime import datetime

from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widget import Widget

from chinwag.storage.clock import parse_ts
from chinwag.storage.models import Session
from chinwag.widgets import glyphs
from chinwag.widgets.messages import ControlMessage
from chinwag.widgets.text_safety import one_line
from chinwag.widgets.theme import DARK, Palette, ThemedLines, follow_theme

GROUPS = ("Today", "Yesterday", "This week", "Older")


def group_of(stamp: str, now: datetime) -> str:
    moment = parse_ts(stamp)
    days = (now.date() - moment.date()).days
    if days <= 0:
        return "Today"
    if days == 1:
        return "Yesterday"
    if days < 7:
        return "This week"
    return "Older"


def short_age(stamp: str, now: datetime) -> str:
    seconds = int((now - parse_ts(stamp)).total_seconds())
    if seconds < 60:
        return "now"
    if seconds < 3600:
        return f"{seconds // 60}m"
    if seconds < 86400:
        return f"{seconds // 3600}h"
    if seconds < 86400 * 7:
        return f"{seconds // 86400}d"
    return parse_ts(stamp).strftime("%b %-d")


class SessionAction(ControlMessage):
    """Base for messages that carry a session id."""

    def __init__(self, session_list: Widget, session_id: str) -> None:
        super().__init__(session_list)
        self.session_id = session_id


class Open(SessionAction):
    pass


class Rename(SessionAction):
    pass


class Fork(SessionAction):
    pass


class ToggleArchive(SessionAction):
    pass


class Delete(SessionAction):
    pass


class NewSession(ControlMessage):
    pass


class NeedMore(ControlMessage):
    def __init__(self, session_list: Widget, offset: int) -> None:
        super().__init__(session_list)
        self.offset = offset


class SessionList(ThemedLines, ScrollView, can_focus=True):
    DEFAULT_CSS = """
    SessionList { height: 1fr; scrollbar-size-vertical: 1; }
    SessionList:focus { background-tint: $foreground 4%; }
    """
    BINDINGS = [
        Binding("up,k", "move(-1)", show=False),
        Binding("down,j", "move(1)", show=False),
        Binding("pageup", "move(-10)", show=False),
        Binding("pagedown", "move(10)", show=False),
        Binding("enter", "open", "open", show=False),
        Binding("n", "post('new')", "new", show=False),
        Binding("r", "post('rename')", "rename", show=False),
        Binding("f", "post('fork')", "fork", show=False),
        Binding("a", "post('archive')", "archive", show=False),
        Binding("d", "post('delete')", "delete", show=False),
    ]

    def __init__(self, *, animate: bool = True, **kwargs):
        super().__init__(**kwargs)
        self.animations_on = animate
        self.sessions: list[Session] = []
        self.total = 0
        self.running: set[str] = set()
        self.active_id: str | None = None
        self.now = datetime.now().astimezone()
        self.cursor = 0  # index into self.sessions
        self._rows: list[tuple[str, int]] = []  # ("header", group index) | ("session", index)
        self._row_of: dict[int, int] = {}
        self._frame = 0
        self._timer = None
        self._asked = -1
        self._colors: Palette = DARK

    def on_mount(self) -> None:
        follow_theme(self, self._set_colors)

    def _set_colors(self, palette: Palette) -> None:
        self._colors = palette
        self.refresh()

    # -- data in --------------------------------------------------------------------------------
    def set_sessions(self, rows: list[Session], *, total: int, running: set[str], now: datetime,
                     active_id: str | None) -> None:
        keep = self.current_id
        self.sessions, self.total, self.running, self.now, self.active_id = list(rows), total, set(running), now, active_id
        self._asked = -1
        self._rebuild()
        ids = [s.id for s in self.sessions]
        target = keep if keep in ids else active_id
        self.cursor = ids.index(target) if target in ids else 0
        self._sync_timer()

    def append_sessions(self, rows: list[Session]) -> None:
        known = {s.id for s in self.sessions}
        self.sessions.extend(s for s in rows if s.id not in known)
        self._rebuild()

    def set_running(self, ids: set[str]) -> None:
        if set(ids) != self.running:
            self.running = set(ids)
            self._sync_timer()
            self.refresh()

    def select(self, session_id: str) -> None:
        self.active_id = session_id
        for index, session in enumerate(self.sessions):
            if session.id == session_id:
                self.cursor = index
                self._reveal()
                break
        self.refresh()

    @property
    def current_id(self) -> str | None:
        if 0 <= self.cursor < len(self.sessions):
            return self.sessions[self.cursor].id
        return None

    def _rebuild(self) -> None:
        rows: list[tuple[str, int]] = []
        self._row_of = {}
        group = None
        for index, session in enumerate(self.sessions):
            name = group_of(session.last_activity_at, self.now)
            if name != group:
                group = name
                rows.append(("header", GROUPS.index(name)))
            self._row_of[index] = len(rows)
            rows.append(("session", index))
        self._rows = rows
        self.virtual_size = Size(self.scrollable_content_region.width or 30, len(rows))
        self.refresh()

    # -- drawing --------------------------------------------------------------------------------
    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        row = int(self.scroll_offset.y) + y
        if row >= len(self._rows):
            if row == len(self._rows) and not self.sessions:
                return Strip(list(Text(" no sessions", Style(dim=True, italic=True)).render(self.app.console))).adjust_cell_length(width)
            return Strip.blank(width)
        kind, value = self._rows[row]
        if kind == "header":
            text = Text(GROUPS[value], Style(color=self._colors.faint, bold=True))
            return Strip(list(text.render(self.app.console))).adjust_cell_length(width)
        return self._session_strip(self.sessions[value], value == self.cursor, width)

    def _session_strip(self, session: Session, is_cursor: bool, width: int) -> Strip:
        running = session.id in self.running
        colors = self._colors
        if running:
            glyph, color = glyphs.spinner(self._frame), colors.warning
        elif session.archived:
            glyph, color = "▪", colors.faint
        else:
            glyph, name = glyphs.SESSION_STATE.get(session.state, ("○", "system"))
            color = colors.get(name)
        active = session.id == self.active_id
        right = f" {session.turn_count:>3} {short_age(session.last_activity_at, self.now):>6}"
        left_width = max(4, width - len(right) - 3)
        title = one_line(session.title, 200)
        if len(title) > left_width:
            title = title[: left_width - 1] + "…"
        text = Text(no_wrap=True)
        text.append("▌" if active else " ", Style(color=colors.user, bold=True))
        text.append(glyph + " ", Style(color=color, bold=True))
        text.append(title.ljust(left_width), Style(bold=active, dim=session.archived))
        text.append(right, Style(dim=True))
        strip = Strip(list(text.render(self.app.console))).adjust_cell_length(width)
        if is_cursor:
            strip = strip.apply_style(Style(bgcolor=colors.selection if self.has_focus else colors.selection_blur))
        return strip

    # -- keys and mouse ----------------------------------------------------------------------------
    def action_move(self, step: int) -> None:
        if not self.sessions:
            return
        self.cursor = min(max(self.cursor + step, 0), len(self.sessions) - 1)
        self._reveal()
        self._maybe_need_more()
        self.refresh()

    def _reveal(self) -> None:
        row = self._row_of.get(self.cursor)
        if row is None:
            return
        top = int(self.scroll_offset.y)
        height = self.scrollable_content_region.height or 1
        if row < top + 1:
            self.scroll_to(y=max(0, row - 1), animate=False, immediate=True)
        elif row >= top + height:
            self.scroll_to(y=row - height + 1, animate=False, immediate=True)

    def _maybe_need_more(self) -> None:
        loaded = len(self.sessions)
        if loaded < self.total and self.cursor >= loaded - 20 and self._asked != loaded:
            self._asked = loaded
            self.post_message(NeedMore(self, loaded))

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        loaded = len(self.sessions)
        if loaded < self.total and new_value + 2 * self.scrollable_content_region.height >= len(self._rows) \
                and self._asked != loaded:
            self._asked = loaded
            self.post_message(NeedMore(self, loaded))

    def action_open(self) -> None:
        if self.current_id:
            self.post_message(Open(self, self.current_id))

    def action_post(self, what: str) -> None:
        if what == "new":
            self.post_message(NewSession(self))
            return
        session_id = self.current_id
        if session_id is None:
            return
        kind = {"rename": Rename, "fork": Fork, "archive": ToggleArchive, "delete": Delete}[what]
        self.post_message(kind(self, session_id))

    def on_click(self, event: events.Click) -> None:
        row = int(self.scroll_offset.y) + event.y
        if 0 <= row < len(self._rows) and self._rows[row][0] == "session":
            index = self._rows[row][1]
            if index == self.cursor or event.chain >= 2:
                self.cursor = index
                self.action_open()
            self.cursor = index
            self.refresh()

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()

    def on_resize(self) -> None:
        self.virtual_size = Size(self.scrollable_content_region.width, len(self._rows))

    # -- animation ----------------------------------------------------------------------------------
    def _sync_timer(self) -> None:
        if self.running and self.animations_on and self._timer is None:
            self._timer = self.set_interval(1 / 8, self._tick)
        elif (not self.running or not self.animations_on) and self._timer is not None:
            self._timer.stop()
            self._timer = None

    def _tick(self) -> None:
        self._frame += 1
        top = int(self.scroll_offset.y)
        height = self.scrollable_content_region.height
        for row in range(top, min(len(self._rows), top + height)):
            kind, value = self._rows[row]
            if kind == "session" and self.sessions[value].id in self.running:
                self.refresh_line(row)
