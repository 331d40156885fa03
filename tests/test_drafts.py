"""Drafts survive switching sessions, quitting and restarting, per session: kept in the kv
table (`draft:<session id>`), written a moment after the last edit, on a switch and on quit;
sending clears the draft at once.
"""

from __future__ import annotations

import pytest

from chinwag.app.config.loader import Config
from chinwag.app.tui.drafts import Drafts
from chinwag.storage import Store
from tests.tmux_session import TMUX, TmuxApp
from tests.tui_helpers import app_factory, wait_for

FAST = Config(agents={"echo": {"kind": "echo", "delay": 0, "chunk": 64}})


@pytest.fixture
def make_app(db_path):
    with app_factory(db_path, FAST) as make:
        yield make


async def type_text(pilot, text: str) -> None:
    for char in text:
        await pilot.press({" ": "space"}.get(char, char))
    await pilot.pause()


# -- storage ---------------------------------------------------------------------------------------
def test_a_draft_is_a_kv_row_per_session(store):
    a = store.create_session(title="a")
    b = store.create_session(title="b")
    assert store.draft(a.id) == ""
    store.save_draft(a.id, "half a thought\nline two")
    store.save_draft(b.id, "other")
    assert (store.draft(a.id), store.draft(b.id)) == ("half a thought\nline two", "other")
    assert store.db.query_one("SELECT value FROM kv WHERE key = ?", (f"draft:{a.id}",))["value"] == \
        "half a thought\nline two"
    store.save_draft(a.id, "  \n")  # blank: no draft
    assert store.draft(a.id) == "" and store.db.query_one("SELECT 1 AS x FROM kv WHERE key = ?",
                                                          (f"draft:{a.id}",)) is None
    store.save_draft(b.id, "lone \ud83d surrogate")
    assert store.draft(b.id) == "lone \ufffd surrogate"
    store.delete_session(b.id)  # soft: restorable, so is its draft
    assert store.draft(b.id) == "lone \ufffd surrogate"
    store.delete_session(b.id, force=True)
    assert store.draft(b.id) == ""


def test_drafts_write_only_what_changed(store):
    session = store.create_session(title="a")
    drafts = Drafts(store)
    drafts.save("before any session")  # nothing open: nothing written
    assert drafts.open(session.id) == ""
    drafts.save("hello")
    assert store.draft(session.id) == "hello"
    store.save_draft(session.id, "changed elsewhere")
    drafts.save("hello")  # unchanged since the last write: no write
    assert store.draft(session.id) == "changed elsewhere"


def test_a_read_only_database_gets_no_draft(db_path):
    with Store(db_path) as setup:
        sid = setup.create_session(title="a").id
    readonly = Store(db_path, readonly=True)
    try:
        drafts = Drafts(readonly)
        drafts.open(sid)
        drafts.save("typed while browsing")  # no error, nothing written
    finally:
        readonly.close()
    with Store(db_path) as check:
        assert check.draft(sid) == ""


# -- the app ---------------------------------------------------------------------------------------
async def test_each_session_keeps_its_draft_across_switches_and_a_restart(make_app):
    app, store = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        first = app.chat.session.id
        app.chat.prompt.focus_input()
        await type_text(pilot, "said before")
        await pilot.press("enter")  # a session with a turn: Ctrl+N then opens another (an empty one is reused)
        await wait_for(pilot, lambda: any(t.role == "agent" for t in store.list_turns(first)))
        await type_text(pilot, "first draft")
        await pilot.press("ctrl+n")
        await pilot.pause()
        second = app.chat.session.id
        assert second != first and app.chat.prompt.text == ""
        assert store.draft(first) == "first draft"  # written on the switch, not a second later
        await type_text(pilot, "second draft")
        app.chat.open_session(first)
        await pilot.pause()
        assert app.chat.prompt.text == "first draft"
        assert store.draft(second) == "second draft"
        await pilot.press("ctrl+j")
        await type_text(pilot, "more")
        await pilot.press("ctrl+q")  # nothing running: quits at once, saving the draft on the way
        await pilot.pause()
    assert store.draft(first) == "first draft\nmore"
    app, store = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        assert app.chat.session.id == first
        assert app.chat.prompt.text == "first draft\nmore"
        app.chat.open_session(second)
        await pilot.pause()
        assert app.chat.prompt.text == "second draft"


async def test_a_draft_is_written_a_moment_after_typing_and_sending_clears_it(make_app):
    app, store = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        sid = app.chat.session.id
        app.chat.prompt.focus_input()
        await type_text(pilot, "typed, not sent")
        await wait_for(pilot, lambda: store.draft(sid) == "typed, not sent")  # no quit, no switch: the debounce
        await pilot.press("enter")
        assert store.draft(sid) == ""  # at once, before the reply
        await wait_for(pilot, lambda: any(t.role == "agent" for t in store.list_turns(sid)))
        assert store.draft(sid) == ""


@pytest.mark.skipif(TMUX is None, reason="needs tmux")
def test_a_draft_survives_quitting_and_restarting_the_real_app(chinwag_home):
    first = TmuxApp(chinwag_home)
    try:
        first.wait_for(lambda: "/ for commands" in first.screen())
        first.keys("a draft I will finish tomorrow")
        first.wait_for(lambda: "tomorrow" in first.screen())
        first.keys("C-q")
        first.wait_for(lambda: not first.alive())
    finally:
        first.close()
    again = TmuxApp(chinwag_home)
    try:
        again.wait_for(lambda: "a draft I will finish tomorrow" in again.screen())
    finally:
        again.close()


def test_a_prompt_draft_and_an_empty_session_draft_keep_apart(db_path):
    """Two kinds of "draft" share the kv table: the text typed in a session's prompt, and the
    empty session the TUI opens (unlisted until its first turn). Neither may read or clear the other."""
    from chinwag.storage import Store

    with Store(db_path) as store:
        empty = store.draft_session()
        assert store.draft(empty.id) == ""  # an unused session is not prompt text
        store.save_draft(empty.id, "half a thought")
        assert store.draft(empty.id) == "half a thought" and store.is_draft(empty.id)
        store.save_draft(empty.id, "")  # sending clears the prompt draft ...
        assert store.is_draft(empty.id)  # ... and the session is still the unlisted, reusable one
        assert empty.id not in {s.id for s in store.list_sessions(filter="all")}
        assert store.draft_session().id == empty.id
