"""A virtual, paged list of sessions grouped by recency (Today, Yesterday, This week,
Older), drawn with the Line API so 100,000 sessions cost no more than 100.

The App feeds pages (`set_sessions`, `append_sessions`); the list asks for more with
`NeedMore` when the cursor nears the end of what is loaded. Keys post messages; nothing
here touches storage.

The selection is a session id (`selected_id`), never an index: the highlighted row is the
row of that id, every action names that id, and a new page of rows (the 1 s refresh, a
filter) keeps it, or moves to the row that followed it when it left the list. Letters are
never actions: a printable key goes to the sidebar's filter (`typing`, the rule the transcript
follows too: widgets/typing_guard.py), so typing a word cannot create, archive or delete anything.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache

from rich.cells import cell_len, set_cell_size
from rich.control import strip_control_codes
from rich.segment import Segment
from rich.style import Style
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
from chinwag.widgets.typing_guard import TypingGuard

GROUPS = ("Pinned", "Today", "Yesterday", "This week", "Older")
PIN_MARK = "•"  # after the title of a pinned session, in the brand colour


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
    """At most three cells: now, 5m, 3h, 6d, 4w, 2y (the sidebar's age column)."""
    seconds = int((now - parse_ts(stamp)).total_seconds())
    for size, unit in ((86400 * 365, "y"), (86400 * 7, "w"), (86400, "d"), (3600, "h"), (60, "m")):
        if seconds >= size:
            return f"{min(seconds // size, 99)}{unit}"
    return "now"


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


class TogglePin(SessionAction):
    """Pin the session to the top of the list, or unpin it."""


class Delete(SessionAction):
    pass


class NewSession(ControlMessage):
    pass


class Undo(ControlMessage):
    """Undo the last archive or delete made from the sidebar."""


class NeedMore(ControlMessage):
    def __init__(self, session_list: Widget, offset: int) -> None:
        super().__init__(session_list)
        self.offset = offset


@lru_cache(maxsize=256)
def _style(color: str | None, bold: bool | None = None, dim: bool | None = None) -> Style:
    return Style(color=color, bold=bold, dim=dim)


def fit_cells(text: str, cells: int) -> str:
    """`text` exactly `cells` terminal columns wide (wide CJK/emoji count two): padded, or cut with "…"."""
    if cell_len(text) <= cells:
        return set_cell_size(text, cells)
    return set_cell_size(set_cell_size(text, max(0, cells - 1)).rstrip() + "…", cells)


# Every action sits on a key that cannot be typed by accident (typing goes to the filter);
# the ids let `[keys]` in config.toml rebind them.
SIDEBAR_BINDINGS = [
    Binding("up", "move(-1)", "previous session", show=False, id="sidebar_up"),
    Binding("down", "move(1)", "next session", show=False, id="sidebar_down"),
    Binding("pageup", "move(-10)", "page up", show=False, id="sidebar_page_up"),
    Binding("pagedown", "move(10)", "page down", show=False, id="sidebar_page_down"),
    Binding("home", "move(-1000000)", "first session", show=False, id="sidebar_first"),
    Binding("end", "move(1000000)", "last loaded session", show=False, id="sidebar_last"),
    Binding("enter", "open", "open (in the trash: restore)", show=False, id="sidebar_open"),
    Binding("f2,ctrl+r", "post('rename')", "rename", show=False, id="sidebar_rename"),
    Binding("ctrl+f", "post('fork')", "fork", show=False, id="sidebar_fork"),
    Binding("ctrl+a", "post('archive')", "archive / unarchive", show=False, id="sidebar_archive"),
    Binding("delete,ctrl+d", "post('delete')", "delete (asks once; in the trash: for good)", show=False,
            id="sidebar_delete"),
    Binding("ctrl+z", "undo", "undo the last archive or delete", show=False, id="sidebar_undo"),
    # `*`, not `P`: any letter typed in the list starts the filter (a capital too), `*` starts no title
    Binding("asterisk", "post('pin')", "pin to the top / unpin", show=False, id="sidebar_pin"),
]


class SessionList(ThemedLines, ScrollView, can_focus=True):
    DEFAULT_CSS = """
    SessionList { height: 1fr; scrollbar-size-vertical: 1; background: transparent; }
    """
    BINDINGS = SIDEBAR_BINDINGS

    def __init__(self, *, animate: bool = True, **kwargs):
        super().__init__(**kwargs)
        self.animations_on = animate
        self.sessions: list[Session] = []
        self.total: int | None = 0  # how many the view holds in all (None: not counted yet, more may follow)
        self.running: set[str] = set()
        self.active_id: str | None = None
        self.now = datetime.now().astimezone()
        self.selected_id: str | None = None  # THE selection: what is highlighted is what actions act on
        # where typed characters go: `typing.type_to` (the filter); `/` (focus the filter) at once
        self.typing = TypingGuard(self, immediate=("slash",))
        self._index: dict[str, int] = {}  # session id -> index into self.sessions
        self._rows: list[tuple[str, int]] = []  # ("header", group index) | ("session", index)
        self._row_of: dict[int, int] = {}
        self._frame = 0
        self._timer = None
        self._asked = -1
        self._colors: Palette = DARK
        self.trees: dict[str, tuple[int, int]] = {}  # session id -> (turns on its active path, branches), if branched
        self._sized: tuple[Size, Size, Size] | None = None  # the sizes the scrollbars were last set for
        self._base: Style | None = None  # the widget's own style while its lines are drawn

    def on_mount(self) -> None:
        follow_theme(self, self._set_colors)

    def _set_colors(self, palette: Palette) -> None:
        self._colors = palette
        self.refresh()

    # -- the selection ------------------------------------------------------------------------
    @property
    def cursor(self) -> int:
        """Index of the selected session (derived from `selected_id`; 0 when there is none)."""
        return self._index.get(self.selected_id or "", 0)

    @cursor.setter
    def cursor(self, index: int) -> None:
        if self.sessions:
            self.selected_id = self.sessions[min(max(index, 0), len(self.sessions) - 1)].id
            self._reveal()
            self.refresh()

    def lists(self, session_id: str) -> bool:
        """Whether the session is among the loaded rows."""
        return session_id in self._index

    @property
    def current_id(self) -> str | None:
        """The highlighted session's id, None when the list is empty."""
        return self.selected_id if self.selected_id in self._index else None

    def _kept_selection(self, old: list[str], new: dict[str, int], fallback: str | None) -> str | None:
        """The id to highlight in the new rows: the same one, else the nearest row that
        followed (then preceded) it before, else `fallback`, else the first."""
        keep = self.selected_id
        if keep in new:
            return keep
        if keep in old:
            at = old.index(keep)
            for candidate in old[at + 1:] + old[:at][::-1]:
                if candidate in new:
                    return candidate
        if fallback in new:
            return fallback
        return self.sessions[0].id if self.sessions else None

    # -- data in --------------------------------------------------------------------------------
    def set_sessions(self, rows: list[Session], *, total: int | None, running: set[str], now: datetime,
                     active_id: str | None, trees: dict[str, tuple[int, int]] | None = None) -> None:
        old = [s.id for s in self.sessions]
        self.trees = dict(trees or {})
        self.sessions, self.total, self.running, self.now, self.active_id = list(rows), total, set(running), now, active_id
        self._asked = -1
        self._rebuild()
        self.selected_id = self._kept_selection(old, self._index, active_id)
        self._reveal()
        self.call_after_refresh(self._reveal)  # again once laid out (a scrollbar may have come or gone)
        self._sync_timer()

    def set_total(self, total: int) -> None:
        """The view's total, once counted (it decides whether scrolling on asks for more rows)."""
        self.total = total
        self._maybe_need_more()

    def append_sessions(self, rows: list[Session], trees: dict[str, tuple[int, int]] | None = None) -> None:
        self.trees.update(trees or {})
        self.sessions.extend(s for s in rows if s.id not in self._index)
        self._rebuild()

    def set_running(self, ids: set[str]) -> None:
        if set(ids) != self.running:
            self.running = set(ids)
            self._sync_timer()
            self.refresh()

    def select(self, session_id: str) -> None:
        """Mark the open session and highlight it (when it is listed)."""
        self.active_id = session_id
        self.highlight(session_id)

    def highlight(self, session_id: str) -> None:
        """Move the highlight to a listed session (and scroll it into view)."""
        if session_id in self._index:
            self.selected_id = session_id
            self._reveal()
        self.refresh()

    def _rebuild(self) -> None:
        rows: list[tuple[str, int]] = []
        self._row_of = {}
        self._index = {}
        group = None
        for index, session in enumerate(self.sessions):
            self._index[session.id] = index
            name = "Pinned" if session.pinned else group_of(session.last_activity_at, self.now)
            if name != group:
                group = name
                rows.append(("header", GROUPS.index(name)))
            self._row_of[index] = len(rows)
            rows.append(("session", index))
        self._rows = rows
        # no width: the lines are cut to the region (no horizontal scroll), and a width that
        # follows the region would cost a second layout once the first one sized the list
        self.virtual_size = Size(0, len(rows))
        self.refresh()

    # -- drawing --------------------------------------------------------------------------------
    def render_lines(self, crop):
        self._base = self.rich_style  # read once for all the lines drawn: it costs a walk up the DOM
        try:
            return super().render_lines(crop)
        finally:
            self._base = None

    def render_line(self, y: int) -> Strip:
        # Every cell gets the widget's own background under what the row draws (a bare
        # segment would show the terminal's default colour, not the theme's).
        return self._line(y).apply_style(self._base if self._base is not None else self.rich_style)

    def _line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        row = int(self.scroll_offset.y) + y
        if row >= len(self._rows):
            if row == len(self._rows) and not self.sessions:
                return Strip([Segment(" no sessions", Style(color=self._colors.faint, italic=True))], 12) \
                    .adjust_cell_length(width)
            return Strip.blank(width)
        kind, value = self._rows[row]
        if kind == "header":
            title = GROUPS[value]
            return Strip([Segment(title, Style(color=self._colors.system, bold=True))], len(title)) \
                .adjust_cell_length(width)
        return self._session_strip(self.sessions[value], self.sessions[value].id == self.selected_id, width)

    def _session_strip(self, session: Session, is_cursor: bool, width: int) -> Strip:
        running = session.id in self.running
        colors = self._colors
        if running:
            glyph, color = glyphs.spinner(self._frame), colors.warning
        elif session.deleted:
            glyph, color = "×", colors.faint
        elif session.archived:
            glyph, color = "▪", colors.faint
        else:
            glyph, name = glyphs.SESSION_STATE.get(session.state, ("○", "system"))
            color = colors.get(name)
        active = session.id == self.active_id
        age = short_age(session.last_activity_at, self.now)
        # the age keeps one cell of margin from the edge; a narrow list drops the turn count first
        turns, branches = self.trees.get(session.id, (session.turn_count, 1))
        forks = f" ⑂{branches}" if branches > 1 else ""  # more than one branch: how many
        right = f"{forks} {turns:>3} {age:>3} " if width >= 24 else f" {age:>3} "
        left_width = max(4, width - len(right) - 3)
        pinned = session.pinned
        # segments as Rich's Text would render them, without its per-span machinery (~3x slower)
        segments = [Segment("▌" if active else " ", _style(colors.user, True)), Segment(glyph + " ", _style(color, True)),
                    Segment(strip_control_codes(fit_cells(one_line(session.title, 200), left_width - 2 * pinned)),
                            _style(None, active, session.archived or session.deleted))]
        if pinned:
            segments.append(Segment(" " + PIN_MARK, _style(colors.user, True)))
        segments.append(Segment(right, _style(colors.system)))
        strip = Strip(segments).adjust_cell_length(width)
        if is_cursor:
            strip = strip.apply_style(Style(bgcolor=colors.selection if self.has_focus else colors.selection_blur))
        return strip

    # -- keys and mouse ----------------------------------------------------------------------------
    def action_move(self, step: int) -> None:
        if not self.sessions:
            return
        self.cursor = self.cursor + step
        self._maybe_need_more()

    def _reveal(self) -> None:
        row = self._row_of.get(self.cursor)
        if row is None or not self.is_mounted:
            return
        top = int(self.scroll_offset.y)
        height = self.scrollable_content_region.height or 1
        # force: right after new rows the scrollbar is not laid out yet, and scrolling would be refused
        if row < top + 1:
            self.scroll_to(y=max(0, row - 1), animate=False, immediate=True, force=True)
        elif row >= top + height:
            self.scroll_to(y=row - height + 1, animate=False, immediate=True, force=True)

    def _more_to_load(self, loaded: int) -> bool:
        return self.total is None or loaded < self.total

    def _maybe_need_more(self) -> None:
        loaded = len(self.sessions)
        if self._more_to_load(loaded) and self.cursor >= loaded - 20 and self._asked != loaded:
            self._asked = loaded
            self.post_message(NeedMore(self, loaded))

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        loaded = len(self.sessions)
        if self._more_to_load(loaded) and new_value + 2 * self.scrollable_content_region.height >= len(self._rows) \
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
        kind = {"rename": Rename, "fork": Fork, "archive": ToggleArchive, "delete": Delete, "pin": TogglePin}[what]
        self.post_message(kind(self, session_id))

    def action_undo(self) -> None:
        self.post_message(Undo(self))

    def binds(self, key: str) -> bool:
        """A printable key bound here (`*`, or one `[keys]` binds) acts; any other types into the filter."""
        return self.typing.binds(key)

    async def on_key(self, event: events.Key) -> None:
        # Handled here, in order, as each key arrives: a burst of keys that reached the list
        # before the focus moved to the filter lands in the filter too, none acts on a row.
        await self.typing.on_key(event)

    def on_click(self, event: events.Click) -> None:
        row = int(self.scroll_offset.y) + event.y
        if 0 <= row < len(self._rows) and self._rows[row][0] == "session":
            index = self._rows[row][1]
            again = self.sessions[index].id == self.selected_id
            self.cursor = index
            if again or event.chain >= 2:
                self.action_open()

    def on_focus(self) -> None:
        self._reveal()  # the highlighted row is on screen whenever keys can act on it
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()

    def _size_updated(self, size: Size, virtual_size: Size, container_size: Size, layout: bool = True) -> bool:
        # ScrollView redraws its scrollbars whenever the layout's virtual size differs from its
        # own, which for a list sized by its rows is every layout pass: a frame each, the last of
        # them at start-up ~25 ms after the first. Only a change of the list's own sizes does.
        sizes = (size, container_size, self.virtual_size)
        if sizes == self._sized:
            return False
        self._sized = sizes
        return super()._size_updated(size, virtual_size, container_size, layout)

    def on_resize(self) -> None:
        self.virtual_size = Size(0, len(self._rows))
        self.call_after_refresh(self._reveal)

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
