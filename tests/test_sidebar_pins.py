"""Pinned sessions at the top of the sidebar: the controller's rows (pinned first, the most
recently pinned first; the filter, the archived / trash / workspace views; paging that neither
repeats nor loses a row), the list's "Pinned" group and mark, `*` in the whole app (toggles,
never typed into the filter, kept over a restart) and a snapshot."""

from __future__ import annotations

import pytest
from test_sidebar import SidebarApp, burst, highlighted, screen_text, seed, sessions, wait_for
from textual import on

from chinwag.app.config.loader import Config
from chinwag.app.demo import DEMO_NOW
from chinwag.app.tui.app import ChinwagApp
from chinwag.app.tui.controller import SIDEBAR_PAGE, ChatController
from chinwag.storage import Store
from chinwag.storage.clock import FixedClock
from chinwag.widgets.session_list import PIN_MARK, SessionList
from chinwag.widgets.sidebar import Sidebar

FAST = Config(agents={"echo": {"kind": "echo", "delay": 0, "chunk": 16}})


class NoRunner:
    def is_running(self, session_id):
        return False

    def running_sessions(self):
        return set()


def controller(store) -> ChatController:
    return ChatController(store, NoRunner())


def all_rows(ctl: ChatController) -> list[str]:
    """Every id the sidebar lists, page after page, as NeedMore asks for them."""
    rows, total = ctl.sidebar_rows()
    if total is None:  # past a page: counted off the UI loop in the app, here at once
        view = ctl.count_due.view
        total = ctl.sidebar_counted(ctl.count_due, ctl.store.count_sessions(filter=view[0], workspace=view[1]))
    ids = [s.id for s in rows]
    while True:
        more = ctl.more_sidebar_rows()
        if not more:
            break
        ids += [s.id for s in more]
    assert len(ids) == total
    return ids


@pytest.fixture
def clocked_store(db_path):
    with Store(db_path, clock=FixedClock(DEMO_NOW, step_ms=1000)) as store:
        yield store


def make(store, title, *, workspace="/w"):
    session = store.create_session(title=title, workspace=workspace)
    store.add_turn(session.id, "user", f"about {title}")
    return session.id


# -- the controller's rows ---------------------------------------------------------------------------
def test_pinned_first_most_recently_pinned_first_then_the_rest(clocked_store):
    store = clocked_store
    ids = [make(store, f"s{i}") for i in range(6)]  # s5 is the most recently active
    store.set_session_pinned(ids[1], True)
    store.set_session_pinned(ids[3], True)  # pinned later: above s1
    rows, total = controller(store).sidebar_rows()
    assert [s.title for s in rows] == ["s3", "s1", "s5", "s4", "s2", "s0"]
    assert total == 6
    store.set_session_pinned(ids[3], False)
    assert [s.title for s in controller(store).sidebar_rows()[0]] == ["s1", "s5", "s4", "s3", "s2", "s0"]


def test_paging_neither_repeats_nor_loses_a_row(clocked_store):
    store = clocked_store
    ids = [make(store, f"s{i}") for i in range(2 * SIDEBAR_PAGE + 50)]
    pinned = [ids[5], ids[SIDEBAR_PAGE + 7], ids[-1]]  # deep in the pages, and on the first one
    for session_id in pinned:
        store.set_session_pinned(session_id, True)
    listed = all_rows(controller(store))
    assert listed[:3] == pinned[::-1]
    assert len(listed) == len(set(listed)) == len(ids)
    assert set(listed) == set(ids)


def test_the_filter_applies_to_pinned_and_other_rows(clocked_store):
    store = clocked_store
    ids = {title: make(store, title) for title in ("alpha one", "beta", "alpha two", "gamma")}
    store.set_session_pinned(ids["beta"], True)  # pinned, but does not match
    store.set_session_pinned(ids["alpha one"], True)
    ctl = controller(store)
    ctl.sidebar.text = "alpha"
    rows, total = ctl.sidebar_rows()
    assert [s.title for s in rows] == ["alpha one", "alpha two"] and total == 2


def test_views_archived_trash_and_workspace(clocked_store):
    store = clocked_store
    kept = make(store, "kept", workspace="/a")
    archived = make(store, "archived", workspace="/a")
    other = make(store, "elsewhere", workspace="/b")
    gone = make(store, "deleted", workspace="/a")
    for session_id in (kept, archived, other, gone):
        store.set_session_pinned(session_id, True)
    store.archive_session(archived)
    store.delete_session(gone)
    ctl = controller(store)
    assert [s.title for s in ctl.sidebar_rows()[0]] == ["elsewhere", "kept"]  # no archived, no deleted one
    ctl.sidebar.show_archived = True
    assert [s.title for s in ctl.sidebar_rows()[0]] == ["elsewhere", "archived", "kept"]
    ctl.sidebar.workspace = "/a"
    assert [s.title for s in ctl.sidebar_rows()[0]] == ["archived", "kept"]
    ctl.sidebar.workspace, ctl.sidebar.show_archived, ctl.sidebar.show_trash = None, False, True
    rows, total = ctl.sidebar_rows()
    assert [s.title for s in rows] == ["deleted"] and total == 1  # in the trash a pin means nothing


# -- the list ---------------------------------------------------------------------------------------
async def test_the_list_groups_pinned_rows_with_a_mark():
    rows = sessions(5)
    rows[3].pinned_at = rows[0].last_activity_at
    rows = [rows[3]] + rows[:3] + rows[4:]
    app = SidebarApp(rows)
    async with app.run_test(size=(100, 30)):
        text = [line.rstrip() for line in screen_text(app, 8)]
        assert text[0] == "Pinned"
        assert "session 3" in text[1] and text[1].split()[-3] == PIN_MARK
        assert text[2] == "Today" and PIN_MARK not in "".join(text[3:])


class PinApp(SidebarApp):
    @on(Sidebar.TogglePin)
    def pin(self, message):
        self.messages.append(("TogglePin", message.session_id))


async def test_asterisk_posts_a_pin_and_is_never_typed_into_the_filter():
    app = PinApp()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("down", "asterisk")
        await pilot.pause(0.3)
        assert app.query_one("#session-filter").value == ""
        assert app.actions() == [("TogglePin", "S00000001")]
        burst(app, "P")  # a capital is a filter's first letter, never a pin
        await pilot.pause(0.4)
        assert app.query_one("#session-filter").value == "P"
        assert app.query_one(SessionList).selected_id == "S00000001"


# -- the whole app -------------------------------------------------------------------------------------
async def test_asterisk_pins_the_selected_session_and_a_restart_keeps_it(db_path):
    ids = seed(db_path, [f"older {i}" for i in range(8)])
    store = Store(db_path)
    try:
        app = ChinwagApp(store=store, config=FAST, animate=False, session_id=ids["older 7"])
        async with app.run_test(size=(120, 30)) as pilot:
            app.chat.action_focus_sidebar()
            await pilot.pause()
            session_list = app.chat.sidebar.list
            session_list.highlight(ids["older 2"])
            await pilot.pause()
            await pilot.press("asterisk")
            await wait_for(pilot, lambda: session_list.sessions[0].id == ids["older 2"])
            assert store.get_session(ids["older 2"]).pinned_at is not None
            assert app.chat.sidebar.filter_box.value == ""
            assert "older 2" in highlighted(app)[0]  # the selection follows the session to the top
            text = screen_text(app, 4)
            assert text[0].strip() == "Pinned" and "older 2" in text[1] and PIN_MARK in text[1]
            assert [s.id for s in session_list.sessions].count(ids["older 2"]) == 1
    finally:
        store.close()

    store = Store(db_path)
    try:
        app = ChinwagApp(store=store, config=FAST, animate=False, session_id=ids["older 7"])
        async with app.run_test(size=(120, 30)) as pilot:
            await pilot.pause()
            session_list = app.chat.sidebar.list
            assert session_list.sessions[0].id == ids["older 2"]  # still pinned after a restart
            app.chat.action_focus_sidebar()
            session_list.highlight(ids["older 2"])
            await pilot.pause()
            await pilot.press("asterisk")  # again: unpinned, back in its place
            await wait_for(pilot, lambda: store.get_session(ids["older 2"]).pinned_at is None)
            await wait_for(pilot, lambda: session_list.sessions[0].id == ids["older 7"])
            assert "Pinned" not in [line.strip() for line in screen_text(app, 12)]
    finally:
        store.close()


def test_sidebar_with_a_pinned_session_snapshot(snap_compare):
    rows = sessions(8)
    rows[5].pinned_at = rows[0].last_activity_at
    rows[2].pinned_at = rows[1].last_activity_at
    rows = [rows[2], rows[5]] + [r for r in rows if r.pinned_at is None]
    assert snap_compare(SidebarApp(rows, active=rows[0].id), terminal_size=(40, 14))


async def test_pin_session_command_pins_the_open_session(db_path):
    from test_app_flows import submit

    ids = seed(db_path, ["first", "second", "third"])
    store = Store(db_path)
    try:
        app = ChinwagApp(store=store, config=FAST, animate=False, session_id=ids["first"])
        async with app.run_test(size=(120, 30)) as pilot:
            await submit(pilot, app, "/pin-session")
            await wait_for(pilot, lambda: app.chat.sidebar.list.sessions[0].id == ids["first"])
            assert store.get_session(ids["first"]).pinned_at is not None
            assert store.pinned_session_ids() == [ids["first"]]
            await submit(pilot, app, "/pin-session")
            await wait_for(pilot, lambda: store.get_session(ids["first"]).pinned_at is None)
            await wait_for(pilot, lambda: app.chat.sidebar.list.sessions[0].id == ids["third"])
    finally:
        store.close()


async def test_a_rebound_pin_key_pins_and_the_old_one_types(db_path):
    ids = seed(db_path, ["first", "second"])
    store = Store(db_path)
    try:
        config = Config(agents=FAST.agents, keys={"sidebar_pin": "plus"})
        app = ChinwagApp(store=store, config=config, animate=False, session_id=ids["second"])
        async with app.run_test(size=(120, 30)) as pilot:
            app.chat.action_focus_sidebar()
            app.chat.sidebar.list.highlight(ids["first"])
            await pilot.pause()
            await pilot.press("plus")
            await wait_for(pilot, lambda: store.get_session(ids["first"]).pinned_at is not None)
            assert app.chat.sidebar.filter_box.value == ""
            await pilot.press("asterisk")  # no longer bound: a filter's first character, like any other
            await pilot.pause(0.3)
            assert app.chat.sidebar.filter_box.value == "*"
            assert store.get_session(ids["first"]).pinned_at is not None
    finally:
        store.close()


def test_the_trash_pages_neither_repeat_nor_lose_a_pinned_row(clocked_store):
    store = clocked_store
    ids = [make(store, f"s{i}") for i in range(SIDEBAR_PAGE + 20)]
    for session_id in ids[-5:]:  # the most recent: on the first page of the trash
        store.set_session_pinned(session_id, True)
    for session_id in ids:
        store.delete_session(session_id)
    ctl = controller(store)
    ctl.sidebar.show_trash = True
    listed = all_rows(ctl)
    assert len(listed) == len(set(listed)) == len(ids)
