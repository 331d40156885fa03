"""The chat screen's decisions, driven without Textual: paging, the queue, the status
snapshot and the sidebar's list (`chinwag.app.tui.controller`)."""

from __future__ import annotations

from chinwag.app.tui.controller import BUSY_HINT, HISTORY_PAGE, IDLE_HINT, ChatController
from chinwag.storage import Store


class IdleRunner:
    def __init__(self, running=()):
        self.running = set(running)

    def is_running(self, session_id):
        return session_id in self.running

    def running_sessions(self):
        return set(self.running)


def test_open_pages_back_through_older_turns(tmp_path):
    store = Store(tmp_path / "db.sqlite")
    session = store.create_session(title="long", agent="echo", model="echo-1")
    for n in range(HISTORY_PAGE * 2 + 5):
        store.add_turn(session.id, "user", f"prompt {n}")
    controller = ChatController(store, IdleRunner())
    page = controller.open(session.id)
    assert len(page.turns) == HISTORY_PAGE and page.has_older and page.turns[-1].text.endswith(str(HISTORY_PAGE * 2 + 4))
    assert store.get_active_session_id() == session.id
    seen = list(page.turns)
    while (older := controller.older()) is not None:
        seen = older.turns + seen
    assert [t.text for t in seen] == [f"prompt {n}" for n in range(HISTORY_PAGE * 2 + 5)]
    assert controller.older() is None


def test_queue_takes_back_sends_in_order_and_returns_on_cancel(tmp_path):
    controller = ChatController(Store(tmp_path / "db.sqlite"), IdleRunner())
    assert controller.enqueue("s", "one") == ["one"]
    controller.enqueue("s", "two")
    assert controller.take_back("s") == "two" and controller.queued["s"] == ["one"]
    controller.enqueue("s", "three")
    assert controller.next_queued("s") == "one"
    assert controller.restore_queue("s", "draft") == "three\ndraft" and "s" not in controller.queued
    assert controller.restore_queue("s", "draft") is None and controller.next_queued("s") is None
    controller.enqueue("t", "x")
    assert controller.drop_queue("t") == 1 and controller.take_back("t") is None


def test_status_snapshot_says_busy_and_marks_estimates(tmp_path):
    store = Store(tmp_path / "db.sqlite")
    session = store.create_session(title="status", agent="echo", model="echo-1")
    controller = ChatController(store, IdleRunner())
    assert controller.status(0) is None
    controller.open(session.id)
    idle = controller.status(128_000)
    assert (idle.hint, idle.busy, idle.context_window, idle.title) == (IDLE_HINT, False, 128_000, "status")
    assert idle.state != "busy" and not idle.read_only
    controller.runner = IdleRunner({session.id})
    busy = controller.status(0)
    assert busy.busy and busy.state == "busy" and busy.hint == BUSY_HINT


def test_sidebar_rows_filter_by_text_and_page(tmp_path):
    store = Store(tmp_path / "db.sqlite")
    for n in range(5):
        s = store.create_session(title=f"session {n}", agent="echo", model="echo-1")
        store.add_turn(s.id, "user", "needle in here" if n == 3 else "hay")
    controller = ChatController(store, IdleRunner())
    rows, total = controller.sidebar_rows()
    assert total == 5 and len(rows) == 5 and controller.more_sidebar_rows() == []
    controller.sidebar.text = "needle"
    rows, total = controller.sidebar_rows()
    assert [r.title for r in rows] == ["session 3"] and total == 1
    assert controller.more_sidebar_rows() == []  # a search shows one page
