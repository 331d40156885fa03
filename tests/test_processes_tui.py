"""The TUI among other processes and its ways out. With the real `chinwag` in a
pseudo-terminal: `chinwag session stop` from another shell stops the TUI's turn (never the
TUI), Ctrl+Q -> "Finish in background" hands the turn and the queue to a worker, Ctrl+C
clears or cancels first and quits on a second press; which process a stop request may
signal at all. With Pilot: Ctrl+C's timing on an injected clock, and modals opened from the
sidebar while the database poll fires (d then y at once, d twice, an answer that fails).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from textual import events
from tui_process import CTRL_C, CTRL_Q, TuiProcess, wait_until

from chinwag.app.config.loader import Config
from chinwag.app.core import worker
from chinwag.app.tui.app import ChinwagApp
from chinwag.app.tui.interrupt import DoublePress
from chinwag.storage import Store
from chinwag.widgets.choice_screen import ChoiceScreen
from chinwag.widgets.confirm import ConfirmScreen, TextPrompt

SLOW = {"CHINWAG_ECHO_DELAY": "0.03"}
LONG = "keep talking for a while please " * 20


def turns_of(db_path, session_id):
    with Store(db_path, recover=False) as store:
        return store.list_turns(session_id)


def only_session(db_path):
    """The one session the TUI made (a draft, unlisted until its first turn: read the table)."""
    with Store(db_path, recover=False) as store:
        ids = [row["id"] for row in store.db.query("SELECT id FROM sessions")]
    return ids[0] if len(ids) == 1 else None


def streaming_with_text(db_path, session_id):
    turns = turns_of(db_path, session_id)
    return bool(turns) and turns[-1].status == "streaming" and len(turns[-1].text) > 20


@pytest.fixture
def tui(chinwag_home):
    opened = []

    def start(*args, env=None):
        process = TuiProcess(chinwag_home, *args, env=env)
        opened.append(process)
        return process

    yield start
    for process in opened:
        process.close()


def test_session_stop_from_another_shell_stops_the_turn_not_the_tui(tui, cli, db_path):
    app = tui(env=SLOW)
    sid = wait_until(lambda: only_session(db_path))
    app.type(LONG)
    wait_until(lambda: streaming_with_text(db_path, sid))
    app.type("queued behind the long one")

    stopped = cli("session", "stop", sid)

    assert stopped.returncode == 0 and "stopped turn" in stopped.stdout, stopped.stderr
    assert app.process.poll() is None, "the TUI must survive a stop request"  # before the fix: SIGTERM, 143
    reply = [t for t in turns_of(db_path, sid) if t.role == "agent"][-1]
    assert reply.status == "stopped" and 20 < len(reply.text) < len(LONG)
    assert "queued behind" not in " ".join(t.text for t in turns_of(db_path, sid))  # not sent ...
    app.send("\r")  # ... but back in the prompt: Enter sends it
    wait_until(lambda: any(t.role == "user" and t.text == "queued behind the long one"
                           for t in turns_of(db_path, sid)))
    wait_until(lambda: turns_of(db_path, sid)[-1].status == "complete")
    app.send(CTRL_Q)
    assert app.wait() == 0
    assert "Traceback" not in app.output


def test_finish_in_background_hands_the_turn_and_the_queue_to_a_worker(tui, db_path):
    app = tui(env=SLOW)
    sid = wait_until(lambda: only_session(db_path))
    app.type("tell me a long story " * 8)
    wait_until(lambda: streaming_with_text(db_path, sid))
    app.type("and then this one")
    app.send(CTRL_Q)
    wait_until(lambda: "Finish in background" in app.output)
    app.send("b")

    assert app.wait() == 0  # before the fix: "Cannot operate on a closed database", exit 1
    assert "Traceback" not in app.output
    assert f"session {sid} continues in a background worker" in app.output

    def settled():
        turns = turns_of(db_path, sid)
        return len(turns) == 6 and all(t.status != "streaming" for t in turns) and turns

    prompt, stopped, handover, continued, queued, answer = wait_until(settled, timeout=60)
    assert stopped.status == "stopped" and stopped.text  # the partial reply, as it was
    assert handover.role == "user" and handover.text == worker.CONTINUE_PROMPT  # a clearly new turn
    assert continued.status == "complete" and continued.metadata.get("owner") == "worker"
    assert queued.role == "user" and queued.text == "and then this one"  # the queue, sent after
    assert answer.status == "complete" and "> and then this one" in answer.text
    assert prompt.text.startswith("tell me a long story")


def test_ctrl_c_clears_then_cancels_and_only_a_second_press_quits(tui, db_path):
    app = tui(env=SLOW)
    sid = wait_until(lambda: only_session(db_path))
    app.type("a draft I do not want after all", enter=False)
    wait_until(lambda: "a draft I do not want" in app.output)
    app.send(CTRL_C)  # clears the prompt (into the history): the app stays
    wait_until(lambda: "press Ctrl+C again to quit" in app.output)
    app.type(LONG)  # the prompt is empty again: this is sent on its own
    wait_until(lambda: streaming_with_text(db_path, sid))
    users = [t.text for t in turns_of(db_path, sid) if t.role == "user"]
    assert users == [LONG]
    with Store(db_path, recover=False) as store:
        assert store.prompt_history()[-2:] == ["a draft I do not want after all", LONG]
    app.send(CTRL_C)  # cancels the running turn
    wait_until(lambda: [t for t in turns_of(db_path, sid) if t.role == "agent"][-1].status == "stopped")
    assert app.process.poll() is None
    app.send(CTRL_C + CTRL_C)  # twice within a second: quit
    assert app.wait() == 0 and "Traceback" not in app.output


# -- whom a stop request may signal ---------------------------------------------------------------
def test_a_stop_request_signals_only_a_dedicated_worker(store):
    session = store.create_session(title="s")
    _, reply = store.begin_exchange(session.id, "hi")
    bystander = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        store.set_turn_owner(reply.id, bystander.pid)  # e.g. a TUI or `session send` running the turn
        assert worker.request_stop(store, store.get_turn(reply.id)) is False
        store.merge_turn_metadata(reply.id, {"owner": "worker"})  # a worker's record, but the pid is reused
        assert worker.request_stop(store, store.get_turn(reply.id)) is False
        assert bystander.poll() is None and store.get_turn(reply.id).stop_requested
    finally:
        bystander.kill()
        bystander.wait()


def test_a_stop_request_signals_a_real_worker(store, monkeypatch):
    monkeypatch.setenv("CHINWAG_ECHO_DELAY", "0.05")
    session = store.create_session(title="s")
    _, reply = store.begin_exchange(session.id, LONG)
    pid = worker.hand_to_worker(store, reply)
    wait_until(lambda: len(store.get_turn(reply.id).text) > 10)
    running = store.get_turn(reply.id)
    assert running.owner_pid == pid and running.metadata["owner"] == "worker"
    assert worker.request_stop(store, running) is True
    wait_until(lambda: store.get_turn(reply.id).status == "stopped")
    wait_until(lambda: not os.path.exists(f"/proc/{pid}") or _zombie(pid))


def _zombie(pid: int) -> bool:
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return True
    return False


def test_session_stop_never_signals_a_foreground_sender(cli, chinwag_home, db_path):
    """`session send` in another terminal settles its own turn; it exits 130 as before."""
    sid = json.loads(cli("session", "start", "--json").stdout)["id"]
    environment = dict(os.environ, CHINWAG_HOME=str(chinwag_home), **SLOW)
    sender = subprocess.Popen([sys.executable, "-m", "chinwag.app.cli.main", "session", "send", sid, LONG],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environment)
    caught = []
    try:
        wait_until(lambda: streaming_with_text(db_path, sid))
        assert cli("session", "stop", sid).returncode == 0
        _, err = sender.communicate(timeout=30)
        caught.append(sender.returncode)
    finally:
        if sender.poll() is None:
            sender.send_signal(signal.SIGKILL)
            sender.wait()
    assert caught == [130] and "chinwag: stopped" in err


# -- Ctrl+C with an injectable clock (Pilot, no sleeps) --------------------------------------------
SLOW_AGENT = Config(agents={"echo": {"kind": "echo", "delay": 0.02, "chunk": 2}})


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_double_press_is_two_presses_within_the_window():
    clock = FakeClock()
    presses = DoublePress(window=1.0, monotonic=clock)
    assert presses.press() is False
    clock.now += 1.5
    assert presses.press() is False  # too late: this one arms again
    clock.now += 0.9
    assert presses.press() is True
    assert presses.press() is False  # a quit consumes the pair


async def test_first_ctrl_c_clears_the_prompt_into_its_history_and_a_late_second_does_not_quit(make_app):
    clock = FakeClock()
    app, store = make_app(monotonic=clock)
    async with app.run_test(size=(120, 36)) as pilot:
        app.chat.prompt.text = "half a thought"
        await pilot.pause()
        await pilot.press("ctrl+c")
        await pilot.pause()
        assert app.chat.prompt.text == "" and app.return_code is None
        assert app.chat.prompt.history[-1] == "half a thought" and store.prompt_history()[-1] == "half a thought"
        assert app.chat.status.notice.startswith("press Ctrl+C again to quit")
        clock.now += 2.0
        await pilot.press("ctrl+c")
        await pilot.pause()
        assert app.return_code is None  # a second press after the window only arms again
        clock.now += 0.5
        await pilot.press("ctrl+c")
        await pilot.pause()
        assert app.return_code == 0


async def test_first_ctrl_c_cancels_the_running_turn_and_keeps_the_queue(make_app):
    app, store = make_app(SLOW_AGENT, monotonic=FakeClock())
    async with app.run_test(size=(120, 36)) as pilot:
        sid = app.chat.session.id
        app.chat.send_prompt(LONG)
        await wait_for_pilot(pilot, lambda: app.runner.is_running(sid))
        app.chat.send_prompt("queued meanwhile")
        await pilot.press("ctrl+c")
        await wait_for_pilot(pilot, lambda: not app.runner.is_running(sid))
        assert [t for t in store.list_turns(sid) if t.role == "agent"][-1].status == "stopped"
        assert "queued meanwhile" in app.chat.prompt.text and app.return_code is None


async def test_ctrl_c_closes_an_open_dialog_first(make_app, db_path):
    with Store(db_path) as setup:
        keeper = setup.create_session(title="keeper")
    app, store = make_app(session_id=keeper.id, monotonic=FakeClock())
    async with app.run_test(size=(120, 36)) as pilot:
        app.chat.ask_delete(keeper.id)
        await wait_for_pilot(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("ctrl+c")
        await wait_for_pilot(pilot, lambda: app.screen is app.chat)
        assert app.return_code is None and store.get_session(keeper.id).deleted_at is None


async def wait_for_pilot(pilot, condition, timeout: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError("condition not met in time")
        await pilot.pause(0.02)


# -- modals from the sidebar: d then y at once, while the database poll fires ---------------------
async def writes_elsewhere(db_path, session_id, stop: asyncio.Event) -> None:
    """Another process's writes: the TUI's 0.25 s poll sees data_version move every time."""
    with Store(db_path) as other:
        n = 0
        while not stop.is_set():
            n += 1
            other.rename_session(session_id, f"elsewhere {n}")
            await asyncio.sleep(0.01)


async def test_d_y_y_typed_quickly_while_the_poll_fires_never_loses_the_app(make_app, db_path, monkeypatch):
    """`d y y` as fast as a terminal delivers it: the second question is opened by the first
    one's answer on the chat screen's loop, and mounted only after the app had handled the
    next key: the second `y` answered a dialog that had not mounted, its on_mount failed
    (NoMatches) and the app was gone. Through push_modal every dialog opens on the app's loop."""
    rounds = 20
    with Store(db_path) as setup:
        busy = setup.create_session(title="written elsewhere")
        doomed = [setup.create_session(title=f"doomed {n}").id for n in range(rounds)]
        keeper = setup.create_session(title="keeper")
    app, store = make_app(session_id=keeper.id)
    stop = asyncio.Event()
    opened, init = [], ConfirmScreen.__init__
    monkeypatch.setattr(ConfirmScreen, "__init__", lambda self, *a, **k: opened.append(self) or init(self, *a, **k))
    async with app.run_test(size=(120, 36)) as pilot:
        writer = asyncio.ensure_future(writes_elsewhere(db_path, busy.id, stop))  # the poll fires throughout
        try:
            for victim in doomed:
                app.chat.sidebar.query_one("#session-filter").value = ""  # a spare `y` typed into the filter
                app.chat.action_focus_sidebar()
                await pilot.pause(0.05)
                rows = app.chat.sidebar.list
                await wait_for_pilot(pilot, lambda victim=victim, rows=rows: victim in [s.id for s in rows.sessions])
                rows.cursor = [s.id for s in rows.sessions].index(victim)
                rows.focus()  # the last round's spare `y` may have left the focus in the filter
                await wait_for_pilot(pilot, lambda rows=rows: app.focused is rows)
                for key, char, then in (("delete", None, 0.001), ("y", "y", 0), ("y", "y", 0.05)):
                    app.post_message(events.Key(key, char))
                    await asyncio.sleep(then)
                await pilot.pause(0.2)
                for _ in range(2):  # a `y` typed before its dialog existed answered nothing: say no
                    if isinstance(app.screen, ConfirmScreen):
                        await pilot.press("n")
                        await pilot.pause(0.1)
                assert app.is_running and app.return_code is None and app.screen is app.chat
        finally:
            stop.set()
            await writer
        listed = {s.id for s in store.list_sessions(filter="all", limit=100)}
        assert {keeper.id, busy.id} <= listed  # only rows chosen were deleted
        # the dialogs were raced: most rounds opened one while the `y`s arrived (whether a `y` landed on
        # it, and whether the poll's reordering moved the cursor off the victim first, is timing's)
        assert len(opened) >= rounds // 2
        assert store.db.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


async def test_two_quick_d_presses_open_one_dialog(make_app, db_path):
    with Store(db_path) as setup:
        doomed = setup.create_session(title="doomed")
    app, store = make_app(session_id=doomed.id)
    async with app.run_test(size=(120, 36)) as pilot:
        app.chat.action_focus_sidebar()
        await pilot.pause()
        app.post_message(events.Key("delete", None))
        app.post_message(events.Key("delete", None))  # before the first dialog exists
        await wait_for_pilot(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.pause(0.2)
        assert sum(isinstance(s, ConfirmScreen) for s in app.screen_stack) == 1
        await pilot.press("y")  # delete asks once: to the trash
        await wait_for_pilot(pilot, lambda: app.screen is app.chat)  # before the fix: the hidden one, then NotFound
        assert app.return_code is None and store.get_session(doomed.id, include_deleted=True).deleted


async def test_an_answer_that_fails_is_a_notice_not_the_end_of_the_app(make_app, db_path):
    with Store(db_path) as setup:
        target = setup.create_session(title="gets busy")
        keeper = setup.create_session(title="keeper")
    app, store = make_app(session_id=keeper.id)
    async with app.run_test(size=(120, 36)) as pilot:
        app.chat.ask_delete(target.id)
        await wait_for_pilot(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        with Store(db_path) as other:  # meanwhile another process starts a turn there
            other.begin_exchange(target.id, "hello")
        await pilot.press("y")
        await wait_for_pilot(pilot, lambda: app.screen is app.chat)
        await pilot.pause()
        assert app.return_code is None  # before the fix: SessionBusy, traceback, exit 1
        assert any("running turn" in n.message for n in app._notifications)
        assert store.get_session(target.id).deleted_at is None


def test_every_modal_of_the_app_opens_through_push_modal():
    root = Path(__file__).resolve().parent.parent / "app"
    offenders = [f"{path.relative_to(root)}:{number}" for path in root.rglob("*.py")
                 for number, line in enumerate(path.read_text().splitlines(), 1)
                 if "push_screen(" in line and path.name != "guard.py" and "push_screen(self.chat)" not in line]
    assert offenders == []


async def test_a_key_between_two_ctrl_c_presses_disarms_the_quit(make_app):
    app, store = make_app(monotonic=FakeClock())  # the clock never moves: only the key matters
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("ctrl+c")
        await pilot.press("x")
        await pilot.press("ctrl+c")
        await pilot.pause()
        assert app.return_code is None and app.chat.prompt.text == ""  # the second press cleared the "x"
        await pilot.press("ctrl+c")
        await pilot.pause()
        assert app.return_code == 0


@pytest.mark.parametrize("make_dialog", [
    lambda: ConfirmScreen("Delete “x”?", "It disappears from the list."),
    lambda: ChoiceScreen("1 turn(s) still running", "…", [("s", "Stop"), ("c", "Keep working")]),
    lambda: TextPrompt("Rename session", "old"),
], ids=["confirm", "choice", "text"])
async def test_a_dialog_answered_before_it_mounted_leaves_the_app_running(make_app, make_dialog):
    app, _ = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        answers = []
        dialog = make_dialog()
        app.push_screen(dialog, answers.append)
        dialog.dismiss(None)  # before any of its handlers ran (before the fix: ConfirmScreen's on_mount failed)
        await pilot.pause(0.2)
        assert app.screen is app.chat and answers == [None] and app.return_code is None


# -- [keys] at start-up ----------------------------------------------------------------------------
async def test_an_unknown_binding_id_is_one_notice_at_start_and_the_rest_applies(chinwag_home, db_path):
    (chinwag_home / "config.toml").write_text('[keys]\nnew_sesion = "ctrl+o"\ntoggle_sidebar = "ctrl+g"\n')
    store = Store(db_path)
    try:
        app = ChinwagApp(store=store, animate=False)  # reads config.toml as `chinwag` does
        async with app.run_test(size=(120, 36)) as pilot:
            await pilot.pause()
            notes = [n.message for n in app._notifications if "[keys]" in n.message]
            assert len(notes) == 1 and "unknown binding id 'new_sesion'" in notes[0]
            # the likely fix comes before the (long, cut) list of every id, whatever the path's length
            assert "did you mean 'new_session'?" in notes[0]
            shown = app.chat.sidebar.display
            await pilot.press("ctrl+g")  # the known entry is in effect
            await pilot.pause()
            assert app.chat.sidebar.display is not shown
    finally:
        store.close()


# -- a worker stopped early leaves its queue; the TUI gives it back --------------------------------
async def test_prompts_a_stopped_worker_did_not_send_come_back_into_the_prompt(make_app, db_path, monkeypatch):
    monkeypatch.setenv("CHINWAG_ECHO_DELAY", "0.05")
    with Store(db_path) as setup:
        session = setup.create_session(title="handed over")
        _, reply = setup.begin_exchange(session.id, LONG)
        setup.finish_turn(reply.id, "stopped", text="partial")
        worker.hand_over(setup, session.id, ["first queued", "second queued"])
        wait_until(lambda: setup.running_turn(session.id) and len(setup.running_turn(session.id).text) > 5)
        assert worker.request_stop(setup, setup.running_turn(session.id))  # `chinwag session stop`
        wait_until(lambda: setup.running_turn(session.id) is None)
        assert setup.get_session(session.id).metadata[worker.QUEUE_KEY] == ["first queued", "second queued"]
    app, store = make_app(session_id=session.id)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        assert app.chat.prompt.text == "first queued\nsecond queued"
        assert store.get_session(session.id).metadata[worker.QUEUE_KEY] == []
        assert [t.text for t in store.list_turns(session.id) if t.role == "user"] == [LONG, worker.CONTINUE_PROMPT]
