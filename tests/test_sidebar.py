"""The session sidebar (virtual, paged list; keys post messages) and the status bar; the
sidebar in the whole app (selection, typing, archive/undo, delete/trash, drafts, folding),
also driven through a real tmux.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from rich.color import Color
from textual import events, on
from textual.app import App, ComposeResult

from chinwag.app.demo import DEMO_NOW
from chinwag.storage.clock import format_ts
from chinwag.storage.models import Session
from chinwag.widgets.session_list import SessionList, group_of, short_age
from chinwag.widgets.sidebar import Sidebar
from chinwag.widgets.theme import install_themes
from tests.tui_helpers import wait_for


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

    @on(Sidebar.Undo)
    def undo(self, message):
        self.messages.append(("Undo", None))

    def on_new_session(self, message):
        self.messages.append(("new", None))

    def actions(self):
        return [m for m in self.messages if m[0] not in ("filter", "more", "archived")]


def screen_text(app, rows=30):
    session_list = app.query_one(SessionList)
    return [session_list.render_line(y).text for y in range(rows)]


def test_groups_and_ages():
    assert group_of(format_ts(DEMO_NOW - timedelta(hours=1)), DEMO_NOW) == "Today"
    assert group_of(format_ts(DEMO_NOW - timedelta(days=1)), DEMO_NOW) == "Yesterday"
    assert group_of(format_ts(DEMO_NOW - timedelta(days=4)), DEMO_NOW) == "This week"
    assert group_of(format_ts(DEMO_NOW - timedelta(days=40)), DEMO_NOW) == "Older"
    assert short_age(format_ts(DEMO_NOW - timedelta(minutes=5)), DEMO_NOW) == "5m"
    assert short_age(format_ts(DEMO_NOW - timedelta(days=40)), DEMO_NOW) == "5w"
    assert short_age(format_ts(DEMO_NOW - timedelta(days=800)), DEMO_NOW) == "2y"
    assert max(len(short_age(format_ts(DEMO_NOW - timedelta(seconds=s)), DEMO_NOW))
               for s in (0, 59, 3599, 86399, 10**6, 10**8, 10**10)) <= 3  # one narrow column


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


async def test_actions_are_on_keys_that_cannot_be_typed():
    app = SidebarApp()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("down", "enter", "f2", "ctrl+r", "ctrl+f", "ctrl+a", "delete", "ctrl+d", "ctrl+z")
        s1 = "S00000001"
        assert app.messages == [("Open", s1), ("Rename", s1), ("Rename", s1), ("Fork", s1), ("ToggleArchive", s1),
                                ("Delete", s1), ("Delete", s1), ("Undo", None)]


async def test_letters_typed_in_the_list_go_to_the_filter_and_never_act():
    app = SidebarApp()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("n", "r", "f", "a", "d", "j", "k", "space", "u")
        await pilot.pause(0.4)
        assert app.query_one("#session-filter").value == "nrfadjk u"
        assert app.actions() == []
        await pilot.press("escape")  # clears the filter, back to the list: the action keys work again
        await pilot.press("ctrl+a")
        assert app.query_one("#session-filter").value == "" and app.actions() == [("ToggleArchive", "S00000000")]


def burst(app, text):
    """Keys as a terminal delivers a paste or `tmux send-keys`: all queued at once, no pause
    between them (Pilot's press waits for each key to be handled, which hides races)."""
    for character in text:
        app.post_message(events.Key("slash" if character == "/" else character, character))


@pytest.mark.parametrize("typed", ["/nonexistent", "nonexistent"])
async def test_a_burst_of_keys_all_lands_in_the_filter_in_order(typed):
    app = SidebarApp()
    async with app.run_test(size=(100, 30)) as pilot:
        burst(app, typed)
        await pilot.pause(0.4)
        assert app.query_one("#session-filter").value == "nonexistent"
        assert app.actions() == []  # before: three "new" sessions (the n keys) leaked into the list
        assert app.focused is app.query_one("#session-filter")


def highlighted(app) -> list[str]:
    """Titles of the rows drawn highlighted on screen (the selection's background)."""
    session_list = (getattr(app, "chat", None) or app.screen).query_one(SessionList)
    colors = session_list._colors
    marks = {Color.parse(colors.selection), Color.parse(colors.selection_blur)}
    shown = []
    for y in range(session_list.scrollable_content_region.height):
        strip = session_list.render_line(y)
        if any(segment.style and segment.style.bgcolor in marks for segment in strip):
            shown.append(strip.text)
    return shown


async def test_the_selection_is_a_session_id_kept_when_the_rows_change():
    rows = sessions(10)
    app = SidebarApp(rows)
    async with app.run_test(size=(100, 30)) as pilot:
        sidebar, session_list = app.query_one(Sidebar), app.query_one(SessionList)
        await pilot.press("down", "down", "down")
        assert session_list.selected_id == "S00000003" and "session 3" in highlighted(app)[0]
        newer = sessions(1, start=99)[0]
        newer.last_activity_at = format_ts(DEMO_NOW)
        sidebar.set_sessions([newer, *reversed(rows)], total=11, running=set(), now=DEMO_NOW, active_id=None)
        await pilot.pause()
        assert session_list.selected_id == "S00000003" and len(highlighted(app)) == 1
        assert "session 3" in highlighted(app)[0]  # not the row now at index 3
        await pilot.press("delete")
        assert app.actions()[-1] == ("Delete", "S00000003")
        # the selected row leaves (archived, deleted, filtered out): the row below it on screen is selected
        sidebar.set_sessions([r for r in rows if r.id != "S00000003"], total=9, running=set(), now=DEMO_NOW,
                             active_id="S00000000")
        await pilot.pause()
        assert session_list.selected_id == "S00000002" and "session 2" in highlighted(app)[0]


async def test_the_highlighted_row_is_always_on_screen():
    app = SidebarApp(sessions(80))
    async with app.run_test(size=(60, 20)) as pilot:
        sidebar = app.query_one(Sidebar)
        sidebar.list.highlight("S00000060")
        await pilot.pause()
        assert "session 60" in highlighted(app)[0]
        sidebar.set_sessions(sessions(80), total=80, running=set(), now=DEMO_NOW, active_id=None)  # a refresh
        await pilot.pause()
        assert "session 60" in highlighted(app)[0]


async def test_filter_is_debounced_and_archived_toggle_posts():
    app = SidebarApp()
    async with app.run_test(size=(100, 30)) as pilot:
        burst(app, "/parser")  # six keys within the debounce: one filter message
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


def test_sidebar_trash_snapshot(snap_compare):
    """The trash toggle on: deleted sessions (× glyph, dimmed), a wide CJK title cut by cells."""
    rows = sessions(5)
    for row in rows:
        row.deleted_at = row.last_activity_at
    rows[1].title = "日本語のとても長いセッションの題名です"

    async def run_before(pilot):
        pilot.app.query_one("#trash-toggle").value = True
        await pilot.pause()

    assert snap_compare(SidebarApp(rows), terminal_size=(40, 12), run_before=run_before)


# -- the sidebar in the whole app ---------------------------------------------------------------
def seed(db_path, titles, *, turns=1):
    """Sessions with a turn each (so they are listed), oldest first; their ids by title."""
    from chinwag.storage import Store

    ids = {}
    with Store(db_path) as store:
        for title in titles:
            session = store.create_session(title=title)
            for _ in range(turns):
                store.add_turn(session.id, "user", f"about {title}")
            ids[title] = session.id
    return ids


def dialog_title(app) -> str:
    return str(app.screen.query("#dialog-title").first().render())


async def test_after_filter_and_esc_every_action_names_the_highlighted_row(make_app, db_path):
    """The issue's sequence: filter, Esc, another process adds "bg job", then Delete and
    Ctrl+A: each acts on the row drawn highlighted, archive says how to undo it."""
    titles = [f"older {i}" for i in range(40)] + ["Renamed notes"] + [f"newer {i}" for i in range(30)]
    ids = seed(db_path, titles)
    app, store = make_app(session_id=ids["newer 29"])
    async with app.run_test(size=(120, 30)) as pilot:
        app.chat.action_focus_sidebar()
        await pilot.pause()
        burst(app, "/notes")
        await wait_for(pilot, lambda: [s.title for s in app.chat.sidebar.list.sessions] == ["Renamed notes"])
        assert "Renamed notes" in highlighted(app)[0]
        await pilot.press("escape")  # clears the filter: every session is back, the highlight stays
        await wait_for(pilot, lambda: len(app.chat.sidebar.list.sessions) == len(titles))
        assert len(highlighted(app)) == 1 and "Renamed notes" in highlighted(app)[0]  # and on screen
        seed(db_path, ["bg job"])  # written by another process: the poll brings it in
        await wait_for(pilot, lambda: "bg job" in [s.title for s in app.chat.sidebar.list.sessions])
        assert "Renamed notes" in highlighted(app)[0]
        await pilot.press("delete")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "ConfirmScreen")
        assert "Renamed notes" in dialog_title(app)
        await pilot.press("n")
        await pilot.pause()
        await pilot.press("ctrl+a")
        await pilot.pause()
        assert store.get_session(ids["Renamed notes"]).archived  # the highlighted row, no other
        assert [s.title for s in store.list_sessions(filter="archived")] == ["Renamed notes"]
        assert "Ctrl+Z undoes" in app.chat.status.notice
        assert "Renamed notes" not in " ".join(highlighted(app))
        await pilot.press("ctrl+z")
        await pilot.pause()
        assert not store.get_session(ids["Renamed notes"]).archived
        assert "Renamed notes" in highlighted(app)[0]


async def test_the_undo_key_in_the_notice_follows_a_rebind(make_app, db_path):
    from chinwag.app.config.loader import Config

    ids = seed(db_path, ["keep", "shelve"])
    config = Config(agents={"echo": {"kind": "echo", "delay": 0}}, keys={"sidebar_undo": "ctrl+u"})
    app, store = make_app(config, session_id=ids["keep"])
    async with app.run_test(size=(120, 30)) as pilot:
        app.chat.action_focus_sidebar()
        await pilot.pause()
        app.chat.sidebar.list.highlight(ids["shelve"])
        await pilot.press("ctrl+a")
        await pilot.pause()
        assert "Ctrl+U undoes" in app.chat.status.notice
        await pilot.press("ctrl+u")
        await pilot.pause()
        assert not store.get_session(ids["shelve"]).archived


async def test_delete_asks_once_then_the_trash_restores_or_removes_for_good(make_app, db_path):
    ids = seed(db_path, ["doomed", "keeper", "spare"])
    app, store = make_app(session_id=ids["keeper"])
    async with app.run_test(size=(120, 30)) as pilot:
        app.chat.action_focus_sidebar()
        await pilot.pause()
        app.chat.sidebar.list.highlight(ids["doomed"])
        await pilot.press("delete")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "ConfirmScreen")
        assert "trash" in dialog_title(app)
        await pilot.press("y")
        await pilot.pause()
        assert type(app.screen).__name__ == "ChatScreen"  # one question, no second one
        assert store.get_session(ids["doomed"], include_deleted=True).deleted
        assert ids["doomed"] not in [s.id for s in app.chat.sidebar.list.sessions]
        await pilot.click("#trash-toggle")
        await wait_for(pilot, lambda: [s.title for s in app.chat.sidebar.list.sessions] == ["doomed"])
        app.chat.sidebar.focus_list()
        await pilot.press("enter")  # Enter in the trash restores
        await pilot.pause()
        assert not store.get_session(ids["doomed"]).deleted
        assert app.chat.sidebar.list.sessions == []
        await pilot.click("#trash-toggle")
        await wait_for(pilot, lambda: len(app.chat.sidebar.list.sessions) == 3)
        app.chat.sidebar.focus_list()
        app.chat.sidebar.list.highlight(ids["spare"])
        await pilot.press("ctrl+d")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "ConfirmScreen")
        await pilot.press("y")
        await pilot.pause()
        await pilot.click("#trash-toggle")
        await wait_for(pilot, lambda: [s.title for s in app.chat.sidebar.list.sessions] == ["spare"])
        app.chat.sidebar.focus_list()
        await pilot.press("delete")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "ConfirmScreen")
        assert "for good" in dialog_title(app)
        await pilot.press("y")
        await pilot.pause()
        assert type(app.screen).__name__ == "ChatScreen"
        assert app.chat.sidebar.list.sessions == []
        assert ids["spare"] not in [s.id for s in store.list_sessions(filter="deleted")]
        assert store.db.query_one("SELECT count(*) AS n FROM sessions WHERE id = ?", (ids["spare"],))["n"] == 0


async def test_empty_sessions_are_drafts_reused_and_listed_from_their_first_turn(make_app, db_path):
    ids = seed(db_path, ["old work"])
    app, store = make_app(new=True)
    async with app.run_test(size=(120, 30)) as pilot:
        draft = app.chat.session.id
        assert draft != ids["old work"]
        assert [s.id for s in store.list_sessions()] == [ids["old work"]]  # not in `session list`, the API
        assert app.chat.sidebar.list.sessions[0].id == draft  # but the open one shows in the sidebar
        for _ in range(3):
            await pilot.press("ctrl+n")
            await pilot.pause()
        assert app.chat.session.id == draft  # reused, not three more "New session" rows
        app.chat.open_session(ids["old work"])
        await pilot.pause()
        assert draft not in [s.id for s in app.chat.sidebar.list.sessions]  # left behind: not listed
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert app.chat.session.id == draft
        app.chat.prompt.text = "first words"
        app.chat.prompt.focus_input()
        await pilot.press("enter")
        await wait_for(pilot, lambda: store.get_session(draft).turn_count >= 2)
        assert draft in [s.id for s in store.list_sessions()]
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert app.chat.session.id != draft  # a session with turns is never reused
    assert store.count_sessions(filter="all") == 2
    second, store2 = make_app(new=True)  # the next launch reuses the draft left by the last one
    async with second.run_test(size=(120, 30)):
        assert second.chat.session.id == app.chat.session.id


def sidebar_width(app) -> int:
    return app.chat.sidebar.outer_size.width if app.chat.sidebar.display else 0


async def test_the_sidebar_folds_at_the_size_it_has_now_and_keeps_a_ctrl_b_choice(make_app, db_path):
    seed(db_path, ["one"])
    app, _ = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert sidebar_width(app) == 0  # 80 columns: folded from the first frame
        seen = {}
        for width in (200, 50, 120, 80, 200, 120, 50):
            await pilot.resize_terminal(width, 40)
            await pilot.pause()
            seen[width] = sidebar_width(app)  # the size it has now, not the one before
        assert seen[50] == 0 and seen[80] == 0
        assert 30 <= seen[120] <= 36 and 44 <= seen[200] <= 56  # scales with the terminal
        await pilot.press("ctrl+b")  # at 50: shown on request, leaving the chat most of the room
        await pilot.pause()
        assert 20 <= sidebar_width(app) <= 26 and app.chat.query_one("#main").size.width >= 24
        for width in (200, 80, 50):
            await pilot.resize_terminal(width, 40)
            await pilot.pause()
            assert sidebar_width(app) > 0, width  # the choice holds over resizes
        await pilot.press("ctrl+b")
        for width in (200, 120):
            await pilot.resize_terminal(width, 40)
            await pilot.pause()
            assert sidebar_width(app) == 0, width  # hidden on request stays hidden when there is room


# -- a real terminal ------------------------------------------------------------------------------
TMUX_SOCKET = f"chinwag-test-{os.getpid()}"  # a private tmux server: no one else's sessions or settings


def tmux(*args: str, check: bool = True) -> str:
    return subprocess.run(["tmux", "-L", TMUX_SOCKET, "-f", "/dev/null", *args], capture_output=True, text=True,
                          check=check).stdout


def test_keys_sent_by_tmux_after_slash_all_land_in_the_filter(tmp_path):
    """`tmux send-keys` writes the whole word at once, as a fast typist or a paste does."""
    assert shutil.which("tmux"), "tmux is installed on the development machines and in CI"
    from chinwag.storage import Store

    home = tmp_path / "home"
    home.mkdir()
    db_path = home / "chinwag.db"
    seed(db_path, ["alpha", "beta", "gamma"])
    with Store(db_path) as store:
        before = [(s.id, s.archived, s.title) for s in store.list_sessions(filter="all")]
    name = f"chinwag-sidebar-test-{os.getpid()}"
    bindir = Path(sys.executable).parent
    command = (f"env -u COLUMNS -u LINES CHINWAG_HOME={home} CHINWAG_ECHO_DELAY=0 "  # the pane decides the size
               f"PATH={bindir}:{os.environ['PATH']} chinwag")
    tmux("new-session", "-d", "-s", name, "-x", "120", "-y", "30", command)
    try:
        def screen() -> str:
            return tmux("capture-pane", "-p", "-t", name)

        def wait_screen(text: str) -> str:
            deadline = time.monotonic() + 30
            while text not in (shown := screen()):
                assert time.monotonic() < deadline, shown
                time.sleep(0.1)
            return shown

        wait_screen("filter sessions")
        tmux("send-keys", "-t", name, "C-s")
        time.sleep(0.3)
        tmux("send-keys", "-t", name, "-l", "/nonexistent")
        shown = wait_screen("nonexistent")
        wait_screen("no sessions")  # filtered: nothing matches
        assert "New session" not in screen()
        tmux("send-keys", "-t", name, "C-q")
        deadline = time.monotonic() + 15
        while name in tmux("ls", check=False):
            assert time.monotonic() < deadline, screen()
            time.sleep(0.1)
    finally:
        tmux("kill-server", check=False)
    with Store(db_path) as store:
        after = [(s.id, s.archived, s.title) for s in store.list_sessions(filter="all")]
        assert after == before, shown  # nothing created, renamed, archived or deleted
        assert store.count_sessions(filter="deleted") == 0
