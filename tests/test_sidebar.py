"""The session sidebar (virtual, paged list; keys post messages) and the status bar."""

from __future__ import annotations

from datetime import timedelta

from textual import on
from textual.app import App, ComposeResult

from chinwag.app.demo import DEMO_NOW
from chinwag.storage.clock import format_ts
from chinwag.storage.models import Session
from chinwag.widgets.session_list import SessionList, group_of, short_age
from chinwag.widgets.sidebar import Sidebar
from chinwag.widgets.theme import install_themes


def sessions(n, *, start=0):
    return [
        Session(id=f"S{i:08d}", title=f"session {i}", state="ready", turn_count=i % 50,
                last_activity_at=format_ts(DEMO_NOW - timedelta(hours=i * 3)))
        for i in range(start, start + n)
    ]


class SidebarApp(App):
    CSS = "Sidebar { width: 40; }"

    def __init__(self, rows=None, total=None, running=frozenset(), active=None):
        super().__init__()
        install_themes(self)
        self.rows = rows if rows is not None else sessions(30)
        self.total = total if total is not None else len(self.rows)
        self.running, self.active = set(running), active
        self.messages = []

    def compose(self) -> ComposeResult:
        yield Sidebar(animate=False)

    def on_mount(self) -> None:
        self.query_one(Sidebar).set_sessions(self.rows, total=self.total, running=self.running, now=DEMO_NOW,
                                             active_id=self.active)
        self.query_one(SessionList).focus()

    def on_sidebar_filter_changed(self, message):
        self.messages.append(("filter", message.text))

    def on_sidebar_archived_toggled(self, message):
        self.messages.append(("archived", message.show_archived))

    @on(Sidebar.NeedMore)
    def need_more(self, message):
        self.messages.append(("more", message.offset))
        self.query_one(Sidebar).append_sessions(sessions(200, start=message.offset))

    @on(Sidebar.Open)
    @on(Sidebar.Rename)
    @on(Sidebar.Fork)
    @on(Sidebar.ToggleArchive)
    @on(Sidebar.Delete)
    def session_action(self, message):
        self.messages.append((type(message).__name__, message.session_id))

    def on_new_session(self, message):
        self.messages.append(("new", None))


def screen_text(app, rows=30):
    session_list = app.query_one(SessionList)
    return [session_list.render_line(y).text for y in range(rows)]


def test_groups_and_ages():
    assert group_of(format_ts(DEMO_NOW - timedelta(hours=1)), DEMO_NOW) == "Today"
    assert group_of(format_ts(DEMO_NOW - timedelta(days=1)), DEMO_NOW) == "Yesterday"
    assert group_of(format_ts(DEMO_NOW - timedelta(days=4)), DEMO_NOW) == "This week"
    assert group_of(format_ts(DEMO_NOW - timedelta(days=40)), DEMO_NOW) == "Older"
    assert short_age(format_ts(DEMO_NOW - timedelta(minutes=5)), DEMO_NOW) == "5m"
    assert short_age(format_ts(DEMO_NOW - timedelta(days=40)), DEMO_NOW) == "Oct 16"


async def test_hundred_thousand_sessions_paged_and_grouped():
    app = SidebarApp(sessions(200), total=100_000)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert len(app.query("*")) < 40  # no widget per row
        text = screen_text(app)
        assert text[0].strip() == "Today" and "Yesterday" in [t.strip() for t in text]
        await pilot.press("pagedown", *["pagedown"] * 19)
        await pilot.pause()
        assert ("more", 200) in app.messages
        assert len(app.query_one(SessionList).sessions) == 400


async def test_keys_post_messages_for_the_cursor_session():
    app = SidebarApp()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("down", "enter", "r", "f", "a", "d", "n")
        assert app.messages == [("Open", "S00000001"), ("Rename", "S00000001"), ("Fork", "S00000001"),
                                ("ToggleArchive", "S00000001"), ("Delete", "S00000001"), ("new", None)]


async def test_filter_is_debounced_and_archived_toggle_posts():
    app = SidebarApp()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("slash")
        for key in "parser":
            await pilot.press(key)
        await pilot.pause(0.4)
        assert [m for m in app.messages if m[0] == "filter"] == [("filter", "parser")]
        await pilot.press("escape")
        await pilot.pause(0.4)
        assert app.messages[-1] == ("filter", "")
        await pilot.click("#archived-toggle")
        assert ("archived", True) in app.messages


async def test_running_glyph_error_and_literal_titles():
    rows = sessions(3)
    rows[1].title = "[bold]x[/] \x1b[31mred"
    rows[2].state = "error"
    app = SidebarApp(rows, running={rows[1].id}, active=rows[0].id)
    async with app.run_test(size=(100, 30)):
        text = screen_text(app, 5)
        assert text[1].startswith("▌")
        assert "⠋" in text[2] and "[bold]x[/] ␛[31mred" in text[2]
        assert "✗" in text[3]


def test_sidebar_snapshot(snap_compare):
    rows = sessions(12)
    rows[3].archived_at = rows[3].last_activity_at
    rows[4].state = "error"

    async def run_before(pilot):
        pilot.app.query_one("#archived-toggle").value = True
        await pilot.pause()
        await pilot.click("#session-filter")
        for key in "sess":
            await pilot.press(key)

    assert snap_compare(SidebarApp(rows, running={rows[1].id}, active=rows[0].id), terminal_size=(40, 24),
                        run_before=run_before)
