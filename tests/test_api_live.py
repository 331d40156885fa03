"""The API and an open TUI on the same database: a session started over the API shows up
live in the TUI, and a turn sent from the TUI streams to an API event subscriber."""

from __future__ import annotations

import threading

from api_server import ApiServer
from test_app_flows import submit, wait_for

from chinwag.app.config.loader import Config
from chinwag.app.tui.app import ChinwagApp
from chinwag.storage import Store

CONFIG = Config(agents={"echo": {"kind": "echo", "delay": 0.01, "chunk": 4}})


async def test_api_sessions_show_live_in_the_tui_and_tui_turns_stream_to_the_api(db_path):
    store = Store(db_path)
    mine = store.create_session(title="opened in the TUI", agent="echo")
    app = ChinwagApp(store=store, config=CONFIG, animate=False, session_id=mine.id)
    try:
        with ApiServer(db_path, CONFIG) as api:
            async with app.run_test(size=(120, 36)) as pilot:
                status, created = api.call("POST", "/api/sessions", {"title": "started over the API",
                                                                     "prompt": "hello from a script"})
                assert status == 201
                sid = created["session"]["id"]
                await wait_for(pilot, lambda: sid in [s.id for s in app.chat.sidebar.list.sessions], timeout=10)
                await wait_for(pilot, lambda: store.list_turns(sid) and store.list_turns(sid)[-1].status == "complete")
                app.chat.open_session(sid)
                await pilot.pause(0.2)
                assert "hello from a script" in app.chat.transcript.last_reply_text()

                app.chat.open_session(mine.id)
                received = {}
                subscriber = threading.Thread(
                    target=lambda: received.update(events=api.events(mine.id, timeout=20)), daemon=True)
                subscriber.start()
                await pilot.pause(0.5)  # the subscriber is connected before the turn starts
                await submit(pilot, app, "typed in the TUI")
                await wait_for(pilot, lambda: not subscriber.is_alive(), timeout=20)
                events = received["events"]
                names = [name for _, name, _ in events]
                assert "delta" in names and names[-1] == "turn_end"
                assert events[-1][2]["status"] == "complete" and "> typed in the TUI" in events[-1][2]["text"]
    finally:
        store.close()


async def test_a_session_made_just_after_a_sidebar_refresh_still_shows(db_path):
    store = Store(db_path)
    app = ChinwagApp(store=store, config=CONFIG, animate=False)
    other = Store(db_path)  # another process's connection (the CLI, the API)
    try:
        async with app.run_test(size=(120, 36)) as pilot:
            first = other.create_session(title="first from elsewhere")
            await wait_for(pilot, lambda: first.id in [s.id for s in app.chat.sidebar.list.sessions])
            second = other.create_session(title="right after it")  # within the refresh interval, then silence
            await wait_for(pilot, lambda: second.id in [s.id for s in app.chat.sidebar.list.sessions], timeout=5)
    finally:
        other.close()
        store.close()
