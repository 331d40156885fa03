"""Pilot tests of what the screen says while things happen: the header and the status bar
follow every runner event (no stale `queued`, the model the agent answers with), notices go
to the notice line above the prompt (wrapped, never over it; the first-run hint stays until
dismissed or a model is connected), compaction shows as a working block and is cancellable,
and Enter on a block with tool calls brings the expanded output into view.
"""

from __future__ import annotations

import asyncio

import pytest

from chinwag.app.config.loader import Config
from chinwag.app.tui.app import ChinwagApp
from tests.tui_helpers import SLOW, app_factory, submit, wait_for

LONG_PROMPT = "please repeat this sentence back to me slowly " * 4


@pytest.fixture
def make_app(db_path):
    with app_factory(db_path, SLOW) as make:  # these flows watch replies stream
        yield make


def screen_lines(app) -> list[str]:
    return ["".join(segment.text for segment in strip) for strip in app.screen._compositor.render_strips()]


async def test_queued_notice_and_count_end_when_the_queued_prompt_starts(make_app):
    app, store = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        chat = app.chat
        sid = chat.session.id
        await submit(pilot, app, LONG_PROMPT)
        await wait_for(pilot, lambda: chat.header.state == "busy")
        await submit(pilot, app, "the second one")
        assert chat.status.queued == 1 and any(t.startswith("queued:") for t in chat.notices.texts)
        # the queued prompt starts: its turn is the second agent turn
        await wait_for(pilot, lambda: len([t for t in store.list_turns(sid) if t.role == "agent"]) == 2)
        await wait_for(pilot, lambda: chat.status.queued == 0)
        assert not any(t.startswith("queued:") for t in chat.notices.texts)
        assert "1 queued" not in screen_lines(app)[-1]
        assert chat.header.state == "busy"
        await wait_for(pilot, lambda: not chat.runner.is_running(sid))
        await pilot.pause(0.1)
        assert chat.header.state != "busy" and chat.status.hint.startswith("/ commands")


async def test_status_shows_the_model_the_agent_answers_with(make_app):
    config = Config(agents={"echo": {"kind": "echo", "delay": 0}, "slow": {"kind": "echo", "delay": 0.02}})
    app, store = make_app(config)
    async with app.run_test(size=(120, 36)) as pilot:
        chat = app.chat
        sid = chat.session.id
        await submit(pilot, app, "/agent slow")
        assert chat.header.agent == "slow" and store.get_session(sid).model == ""
        await submit(pilot, app, LONG_PROMPT)
        await wait_for(pilot, lambda: chat.header.state == "busy")
        await wait_for(pilot, lambda: chat.header.model == "echo-1")  # as the block says, while it streams
        await wait_for(pilot, lambda: not chat.runner.is_running(sid))
        await pilot.pause(0.1)
        reply = [t for t in store.list_turns(sid) if t.role == "agent"][-1]
        assert reply.model == "echo-1" and chat.header.model == "echo-1"
        assert "slow · echo-1" in screen_lines(app)[0]


async def test_notices_wrap_on_the_notice_line_above_the_prompt(make_app):
    app, _ = make_app()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        chat = app.chat
        message = ("could not list models: the server at http://127.0.0.1:11434 answered 503 Service Unavailable "
                   "three times in a row; check that it runs and try /model again")
        app.notify(message, severity="error")
        await pilot.pause()
        notices, prompt = chat.notices.region, chat.prompt.region
        assert notices.height >= 2 and notices.bottom <= prompt.y  # wrapped, and above the prompt
        shown = " ".join(line[notices.x:notices.right].strip() for line in screen_lines(app)[notices.y:notices.bottom])
        assert " ".join(message.split()) in shown  # every word, none cut
        assert not [t for t in app.screen.query("Toast") if t.display]  # no toast over the prompt
        assert any(n.message == message for n in app._notifications)  # still the app's record


async def test_first_run_hint_stays_until_dismissed_or_a_model_is_connected(make_app, monkeypatch):
    from chinwag.widgets import notice_line

    monkeypatch.setattr(notice_line, "DEFAULT_TIMEOUT", 0.05)
    app, store = make_app(Config())
    async with app.run_test(size=(100, 30)) as pilot:
        chat = app.chat
        await pilot.pause()
        assert any(t.startswith("offline echo agent") for t in chat.notices.texts)
        chat.notify("copied last reply")  # another notice comes and goes; the hint stays
        await pilot.pause(0.3)
        assert [t for t in chat.notices.texts if t.startswith("offline")] and "copied last reply" not in \
            chat.notices.texts
        await pilot.press("escape")  # nothing to cancel: Esc hides it
        await pilot.pause()
        assert chat.notices.texts == [] and not chat.notices.display

    app, store = make_app(Config(agents={"local": {"kind": "echo"}}))
    app2 = ChinwagApp(store=store, config=Config(), animate=False)
    async with app2.run_test(size=(100, 30)) as pilot:
        chat = app2.chat
        await pilot.pause()
        assert any(t.startswith("offline echo agent") for t in chat.notices.texts)
        store.update_session(chat.session.id, agent="openai", model="gpt-x")  # a model connected
        chat.update_status()
        await pilot.pause()
        assert not any(t.startswith("offline") for t in chat.notices.texts)


def seed(store, session_id, n=4):
    for i in range(n):
        store.add_turn(session_id, "user", f"question number {i} with enough words to be worth summarizing later")
        store.add_turn(session_id, "agent", f"answer number {i} " + "with filler words " * 12, agent="echo",
                       model="echo-1")


async def test_compact_shows_a_working_block_stays_busy_and_esc_cancels_it(make_app):
    app, store = make_app(Config(agents={"echo": {"kind": "echo", "delay": 0.05, "chunk": 1}}))
    async with app.run_test(size=(120, 36)) as pilot:
        chat = app.chat
        sid = chat.session.id
        seed(store, sid)
        chat.open_session(sid)
        before = [(t.id, t.compacted) for t in store.list_turns(sid)]
        await submit(pilot, app, "/compact --window 2")
        await wait_for(pilot, lambda: chat.header.activity == "compacting")
        assert chat.header.state == "busy" and chat.status.busy
        await pilot.pause()
        text = "\n".join(screen_lines(app))
        assert "compacting" in text and "esc cancels" in text and "older turns" in text
        await submit(pilot, app, "sent while it compacts")  # queued, not sent against a half-compacted context
        assert chat.status.queued == 1
        await pilot.press("escape")
        await wait_for(pilot, lambda: chat.header.activity == "")
        await pilot.pause()
        assert any("compaction cancelled" in t for t in chat.notices.texts)
        assert [(t.id, t.compacted) for t in store.list_turns(sid)][:len(before)] == before  # nothing changed
        assert not any(t.role == "summary" for t in store.list_turns(sid))
        assert "esc cancels" not in "\n".join(screen_lines(app))
        # the queued prompt goes once compaction is over
        await wait_for(pilot, lambda: any(t.text == "sent while it compacts" for t in store.list_turns(sid)))
        await wait_for(pilot, lambda: not chat.controller.is_busy(sid))


async def test_automatic_compaction_is_busy_with_a_working_block_until_done(make_app):
    config = Config(agents={"echo": {"kind": "echo", "delay": 0.03, "chunk": 3, "context_window": 400,
                                     "auto_compact": 0.5}})
    app, store = make_app(config)
    seen = []
    async with app.run_test(size=(120, 36)) as pilot:
        chat = app.chat
        sid = chat.session.id
        seed(store, sid, 3)
        chat.open_session(sid)
        original = chat.on_turn_update

        def spy(event):
            original(event)
            if type(event).__name__.startswith("Compaction"):
                seen.append((type(event).__name__, chat.header.state, chat.header.activity,
                             "compacting" in "".join(chat.transcript.render_line(y).text for y in range(30))))

        chat.runner.on_event = spy
        await submit(pilot, app, "one more question")
        await wait_for(pilot, lambda: any(t.role == "summary" for t in store.list_turns(sid)))
        await wait_for(pilot, lambda: not chat.runner.is_running(sid))
        await pilot.pause(0.1)
        assert seen[0] == ("CompactionStarted", "busy", "compacting", True)
        assert seen[-1][:3] == ("CompactionFinished", "busy", "")  # busy until the runner lets go
        assert chat.header.state != "busy"
        assert any("auto-compacted" in t for t in chat.notices.texts)


async def test_a_notice_from_a_worker_thread_reaches_the_notice_line(make_app):
    import threading

    app, _ = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        worker = threading.Thread(target=app.notify, args=("from a thread",))
        worker.start()
        await asyncio.get_running_loop().run_in_executor(None, worker.join)
        await wait_for(pilot, lambda: "from a thread" in app.chat.notices.texts)
