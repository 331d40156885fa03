"""Snapshots of the whole app on demo data (fixed clock, fixed ids, fixed sizes):
first run (with its hint on the notice line), a conversation with a tool tree and a summary
under the session header in both themes, the popup, the narrow layout, an error block, the
notice line wrapping, and the quit and delete dialogs at 80x24.
"""

from __future__ import annotations

import pytest

from chinwag.app.config.loader import Config
from chinwag.app.demo import DEMO_NOW, build_demo
from chinwag.app.tui.app import ChinwagApp
from chinwag.storage import Store
from chinwag.storage.clock import FixedClock, SequentialIds


@pytest.fixture
def demo_store(db_path):
    store = build_demo(db_path)
    store.clock = FixedClock(DEMO_NOW)
    yield store
    store.close()


def app_on(store, **kwargs):
    return ChinwagApp(store=store, config=Config(), animate=False, **kwargs)


def test_first_run_is_empty_and_inviting(snap_compare, db_path):
    store = Store(db_path, clock=FixedClock(DEMO_NOW), new_id=SequentialIds("01FRST"))
    try:
        assert snap_compare(app_on(store), terminal_size=(100, 30))
    finally:
        store.close()


def test_conversation_with_tool_tree_and_summary(snap_compare, demo_store):
    assert snap_compare(app_on(demo_store), terminal_size=(120, 40))


def test_popup_open_and_filtered_in_the_app(snap_compare, demo_store):
    async def run_before(pilot):
        for key in ("slash", "s", "t"):
            await pilot.press(key)

    assert snap_compare(app_on(demo_store), terminal_size=(120, 40), run_before=run_before)


def test_narrow_terminal_collapses_the_sidebar(snap_compare, demo_store):
    assert snap_compare(app_on(demo_store), terminal_size=(80, 24))


def test_error_block(snap_compare, demo_store):
    scratch = [s for s in demo_store.list_sessions() if s.title == "Scratch pad"][0]
    assert snap_compare(app_on(demo_store, session_id=scratch.id), terminal_size=(100, 30))


def test_coding_agent_turn_with_plan_tool_states_and_pending_permission(snap_compare, db_path):
    from datetime import timedelta

    from chinwag.app.demo import build_agent_at_work

    store, session_id = build_agent_at_work(db_path)
    try:
        app = app_on(store, session_id=session_id, now=lambda: DEMO_NOW + timedelta(seconds=14))
        assert snap_compare(app, terminal_size=(110, 32))
    finally:
        store.close()


def test_light_theme_with_the_header(snap_compare, demo_store):
    app = ChinwagApp(store=demo_store, config=Config(ui={"theme": "chinwag-light"}), animate=False)
    assert snap_compare(app, terminal_size=(120, 40))


def test_notice_line_wraps_above_the_prompt(snap_compare, demo_store):
    async def run_before(pilot):
        pilot.app.notify("copied last reply (1,234 characters)")
        pilot.app.notify("could not list models: the server at http://127.0.0.1:11434 answered 503 Service "
                         "Unavailable three times in a row; check that it runs and try /model again", severity="error")

    assert snap_compare(app_on(demo_store), terminal_size=(80, 24), run_before=run_before)


def test_quit_dialog_at_80x24(snap_compare, demo_store):
    from chinwag.widgets.choice_screen import ChoiceScreen

    async def run_before(pilot):
        pilot.app.push_screen(ChoiceScreen(
            "1 turn(s) still running",
            "Stop keeps the partial reply. Background hands the turn to a worker process that continues the reply "
            "after you quit (follow it with `chinwag session attach`).",
            [("s", "Stop and quit"), ("b", "Finish in background"), ("w", "Wait, then quit"), ("c", "Cancel")]))

    assert snap_compare(app_on(demo_store), terminal_size=(80, 24), run_before=run_before)


def test_delete_dialog_at_80x24(snap_compare, demo_store):
    from chinwag.widgets.confirm import ConfirmScreen

    async def run_before(pilot):
        pilot.app.push_screen(ConfirmScreen("Delete “[bold]Where is the run target parsed?[/]”?",
                                            "It disappears from the list (recoverable)."))

    assert snap_compare(app_on(demo_store), terminal_size=(80, 24), run_before=run_before)
