"""The sidebar's total off the first frame: a page that is not full is its own total, past
a page the count is made in a thread on its own connection and kept until something is
written; the app's first frame and its refreshes never count on the UI loop."""

from __future__ import annotations

import threading

import pytest

from chinwag.app.tui.controller import SIDEBAR_PAGE, ChatController
from chinwag.storage import Store
from chinwag.widgets.sidebar import Sidebar
from tests.tui_helpers import submit, wait_for

MANY = SIDEBAR_PAGE + 50


class NoRunner:
    def is_running(self, session_id):
        return False

    def running_sessions(self):
        return set()


def seed(store: Store, n: int, *, workspace: str = "/w") -> list[str]:
    return [store.create_session(title=f"session {i}", workspace=workspace).id for i in range(n)]


@pytest.fixture
def no_counting(monkeypatch):
    """Counting fails the test: the total must come from the page itself."""
    def refuse(self, **where):
        raise AssertionError("counted")
    monkeypatch.setattr(Store, "count_sessions", refuse)


# -- the controller ------------------------------------------------------------------------------
def test_a_page_that_is_not_full_is_its_own_total(store, no_counting):
    seed(store, 5)
    ctl = ChatController(store, NoRunner())
    rows, total = ctl.sidebar_rows()
    assert len(rows) == total == 5 and ctl.count_due is None
    ctl.sidebar.show_trash = True
    assert ctl.sidebar_rows() == ([], 0) and ctl.count_due is None


def test_past_a_page_the_count_is_asked_for_and_kept_until_a_write(store):
    seed(store, MANY)
    ctl = ChatController(store, NoRunner())
    rows, total = ctl.sidebar_rows()
    assert len(rows) == SIDEBAR_PAGE and total is None  # never counted: not known yet
    request = ctl.count_due
    assert request is not None and request.view == ("active", None)
    assert ctl.sidebar_counted(request, store.count_sessions()) == MANY
    assert ctl.sidebar_rows()[1] == MANY and ctl.count_due is None  # nothing written since: no new count
    ctl.sidebar.show_archived = True  # another view: counted on its own
    assert ctl.sidebar_rows()[1] is None and ctl.count_due.view == ("all", None)
    ctl.sidebar.show_archived = False
    seed(store, 1)
    assert ctl.sidebar_rows()[1] == MANY  # the last count meanwhile ...
    again = ctl.count_due
    assert again is not None and again.stamp != request.stamp  # ... and a new one asked for
    assert ctl.sidebar_counted(request, MANY) == MANY  # a late answer of the older state
    assert ctl.sidebar_counted(again, MANY + 1) == MANY + 1
    assert ctl.sidebar_rows()[1] == MANY + 1 and ctl.count_due is None


def test_a_count_of_a_view_left_meanwhile_is_kept_not_shown(store):
    seed(store, MANY)
    ctl = ChatController(store, NoRunner())
    ctl.sidebar_rows()
    request = ctl.count_due
    ctl.sidebar.text = "session 1"  # a filter's total comes with its rows
    assert ctl.sidebar_counted(request, MANY) is None
    ctl.sidebar.text = ""
    assert ctl.sidebar_rows()[1] == MANY and ctl.count_due is None


def test_the_open_draft_is_added_to_the_count(store):
    seed(store, MANY)
    ctl = ChatController(store, NoRunner())
    draft = store.draft_session(workspace="/w")
    ctl.open(draft.id)
    rows, total = ctl.sidebar_rows()
    assert rows[0].id == draft.id and total is None
    assert ctl.sidebar_counted(ctl.count_due, store.count_sessions()) == MANY + 1


def test_the_count_leaves_drafts_out_as_the_listing_does(store):
    ids = seed(store, 4, workspace="/a") + seed(store, 2, workspace="/b")
    store.archive_session(ids[1])
    store.delete_session(ids[2])
    empty = store.draft_session(workspace="/a")
    used = store.draft_session(workspace="/b")
    store.add_turn(used.id, "user", "hello")  # a draft with a turn is a session like any other
    store.archive_session(store.draft_session(workspace="/c").id)  # an archived draft: still a draft
    for scope in ("active", "archived", "all", "deleted"):
        for workspace in (None, "/a", "/b", "/c"):
            listed = store.list_sessions(filter=scope, workspace=workspace, limit=1000)
            assert store.count_sessions(filter=scope, workspace=workspace) == len(listed), (scope, workspace)
    assert empty.id not in {s.id for s in store.list_sessions(filter="all", limit=1000)}


# -- the app -------------------------------------------------------------------------------------
class BlockedCount:
    """`Store.count_sessions` waiting for `release` (in a thread); a call on the UI loop is
    noted and answered at once (else the app would hang where the test should fail)."""

    def __init__(self, ui_thread: int) -> None:
        self.ui_thread = ui_thread
        self.release = threading.Event()
        self.on_ui: list[dict] = []
        self.in_threads: list[dict] = []
        self.answered = 0
        self.real = Store.count_sessions

    def __call__(self, store, **where):
        if threading.get_ident() == self.ui_thread:
            self.on_ui.append(where)
        else:
            self.in_threads.append(where)
            self.release.wait(10)
        self.answered += 1
        return self.real(store, **where)


@pytest.fixture
def blocked(monkeypatch) -> BlockedCount:
    counter = BlockedCount(threading.get_ident())
    monkeypatch.setattr(Store, "count_sessions", lambda store, **where: counter(store, **where))
    return counter


async def test_the_first_frame_shows_the_rows_before_the_count(make_app, db_path, blocked):
    with Store(db_path) as store:
        seed(store, MANY)
    app, _ = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()  # the first idle frame, the count still blocked in its thread
        listed = app.chat.sidebar.list
        assert len(listed.sessions) == SIDEBAR_PAGE and listed.total is None
        assert f"session {MANY - 1}" in "\n".join(strip.text for strip in app.screen._compositor.render_strips())
        assert blocked.answered == 0 and blocked.in_threads == [{"filter": "active", "workspace": None}]
        blocked.release.set()
        await wait_for(pilot, lambda: listed.total == MANY)
    assert blocked.on_ui == []


async def test_refreshes_never_count_on_the_ui_loop(make_app, db_path, blocked):
    blocked.release.set()
    with Store(db_path) as store:
        seed(store, MANY)
    app, store = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        listed = app.chat.sidebar.list
        await wait_for(pilot, lambda: listed.total == MANY)
        await submit(pilot, app, "hello")  # a turn: the sidebar refreshes as it starts and settles
        await wait_for(pilot, lambda: store.get_session(app.chat.session.id).turn_count >= 2)
        await wait_for(pilot, lambda: listed.total == MANY)
        store.archive_session(store.list_sessions(limit=1)[0].id)
        sidebar = app.chat.sidebar
        sidebar.post_message(Sidebar.ArchivedToggled(sidebar, True))
        await wait_for(pilot, lambda: listed.total == MANY and app.chat.controller.sidebar.show_archived)
        sidebar.post_message(Sidebar.ArchivedToggled(sidebar, False))
        await wait_for(pilot, lambda: listed.total == MANY - 1)
        sidebar.type_into_filter("s")  # a filter's total comes with its rows
        await wait_for(pilot, lambda: app.chat.controller.sidebar.text == "s")
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.chat.controller.sidebar.text == "" and len(listed.sessions) == SIDEBAR_PAGE)
    assert blocked.on_ui == [] and len(blocked.in_threads) >= 3


async def test_the_switch_popup_reads_its_sessions_when_it_opens_not_at_start_up(make_app, db_path, monkeypatch):
    with Store(db_path) as store:
        seed(store, 3)
    reads: list[str] = []
    real = Store.list_sessions

    def listing(store, **where):
        reads.append(where.get("filter", "active"))
        return real(store, **where)

    monkeypatch.setattr(Store, "list_sessions", listing)
    app, _ = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert "all" not in reads  # the sidebar's own rows only
        prompt = app.chat.prompt
        prompt.text = "/switch "
        prompt.refilter()
        await pilot.pause()
        assert prompt.popup_open and {item[0] for item in prompt.popup.items} >= {"session 0", "session 2"}
        assert "all" in reads  # read as the popup offered them


async def test_layout_passes_redraw_the_lists_scrollbar_only_when_its_sizes_change():
    """Textual's ScrollView redrew the scrollbar on every layout pass (a frame each, the last of
    them at start-up ~25 ms after the first at 100,000 sessions); now only on a change."""
    from test_sidebar import SidebarApp, sessions

    from chinwag.widgets.session_list import SessionList

    app = SidebarApp(sessions(300), total=1000)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        listed = app.query_one(SessionList)
        bar = listed.vertical_scrollbar
        redrawn = []
        real = bar.refresh
        bar.refresh = lambda *a, **k: redrawn.append(1) or real(*a, **k)
        for _ in range(3):
            app.screen.refresh(layout=True)  # as mounts and resizes after start-up ask for
            await pilot.pause()
        assert redrawn == []
        listed.append_sessions(sessions(200, start=300))  # its own virtual size changed: redrawn
        await pilot.pause()
        assert redrawn and bar.window_virtual_size == len(listed._rows)
        redrawn.clear()
        await pilot.resize_terminal(100, 24)
        await pilot.pause()
        assert redrawn and bar.window_size == listed.scrollable_content_region.height
