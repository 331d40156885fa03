"""Terminal notifications: the policy (`app/core/notify.py`, no Textual: every terminal kind,
focus, on/off screen, the settings, a hostile title), the glue in the whole app (Pilot, what
the driver is handed: a turn settling in a background session, blur / focus, an agent asking
permission) and the real app in a pseudo-terminal reading OSC 9 off its output after a
focus-out report."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from test_app_flows import SLOW, agent_turns, submit, wait_for
from test_processes_tui import only_session
from textual import events
from tui_process import ENTER, TuiProcess, wait_until

from chinwag.app.agents.acp import pool as acp_pool
from chinwag.app.config import schema
from chinwag.app.config.loader import Config
from chinwag.app.core import notify
from chinwag.app.core.notify import Terminal
from chinwag.app.tui.app import ChinwagApp
from chinwag.storage import Store
from chinwag.widgets.choice_screen import ChoiceScreen

TERMINAL_VARS = ("TERM_PROGRAM", "LC_TERMINAL", "KITTY_WINDOW_ID", "WEZTERM_PANE", "WT_SESSION", "VTE_VERSION",
                 "TMUX", "TMUX_PANE", "STY")
OSC9, OSC777 = Terminal("osc9"), Terminal("osc777")
ESC, BEL = "\x1b", "\x07"
OSC = re.compile("\x1b\\][^\x07\x1b]*(?:\x07|\x1b\\\\)")  # any OSC sequence, with its own BEL or ST


def no_probe(env):
    raise AssertionError("tmux is asked only inside tmux")


# -- which terminal -------------------------------------------------------------------------------
@pytest.mark.parametrize(("env", "method"), [
    ({"TERM_PROGRAM": "iTerm.app", "TERM": "xterm-256color"}, "osc9"),
    ({"LC_TERMINAL": "iTerm2", "TERM": "xterm-256color"}, "osc9"),  # iTerm2 over ssh
    ({"TERM_PROGRAM": "WezTerm"}, "osc9"),
    ({"WEZTERM_PANE": "3"}, "osc9"),
    ({"TERM": "xterm-kitty", "KITTY_WINDOW_ID": "1"}, "osc9"),
    ({"TERM": "xterm-ghostty", "TERM_PROGRAM": "ghostty"}, "osc9"),
    ({"WT_SESSION": "a1b2", "TERM": "xterm-256color"}, "osc9"),  # Windows Terminal
    ({"TERM": "foot"}, "osc777"),
    ({"TERM": "rxvt-unicode-256color"}, "osc777"),
    ({"VTE_VERSION": "7600", "TERM": "xterm-256color"}, "osc777"),  # GNOME Terminal and other VTE ones
    ({"TERM": "xterm-256color"}, "bell"),  # xterm, Alacritty, Terminal.app ...
    ({"TERM_PROGRAM": "Apple_Terminal", "TERM": "xterm-256color"}, "bell"),
    ({"TERM": "linux"}, "bell"),
    ({}, "bell"),
    ({"TERM": "screen-256color", "STY": "1.pts-0", "KITTY_WINDOW_ID": "1"}, "bell"),  # GNU screen
])
def test_detect_by_terminal(env, method):
    assert notify.detect(env, probe=no_probe) == Terminal(method)


def test_inside_tmux_the_outer_terminal_and_passthrough_come_from_tmux():
    inside = {"TMUX": "/tmp/tmux-1/default,1,0", "TMUX_PANE": "%0", "TERM": "tmux-256color", "TERM_PROGRAM": "tmux"}
    assert notify.detect(inside, probe=lambda env: (True, "xterm-kitty")) == Terminal("osc9", tmux=True,
                                                                                        passthrough=True)
    assert notify.detect(inside, probe=lambda env: (False, "foot")) == Terminal("osc777", tmux=True)
    assert notify.detect(inside, probe=lambda env: (True, "")) == Terminal("bell", tmux=True, passthrough=True)


@pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")
def test_tmux_probe_reads_allow_passthrough_from_a_real_server(tmp_path):
    socket = str(tmp_path / "tmux.sock")
    tmux = ["tmux", "-S", socket]
    subprocess.run([*tmux, "new-session", "-d", "-s", "probe", "-x", "80", "-y", "20"], check=True)
    try:
        pane = subprocess.run([*tmux, "display-message", "-p", "-t", "probe", "#{pane_id}"], check=True,
                              capture_output=True, text=True).stdout.strip()
        env = {"TMUX": f"{socket},1,0", "TMUX_PANE": pane}
        assert notify.tmux_probe(env) == (False, "")  # off by default (tmux 3.3+)
        subprocess.run([*tmux, "set-option", "-g", "allow-passthrough", "on"], check=True)
        assert notify.tmux_probe(env) == (True, "")
    finally:
        subprocess.run([*tmux, "kill-server"], check=False)
    assert notify.tmux_probe({"TMUX": f"{tmp_path / 'gone.sock'},1,0"}) == (False, "")


# -- when, and how -----------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["complete", "error", "stopped", "permission"])
def test_due_out_of_sight_or_unfocused_only(kind):
    assert notify.due("auto", kind, on_screen=False, focused=True)  # another session
    assert notify.due("auto", kind, on_screen=True, focused=False)  # the window is in the background
    assert notify.due("auto", kind, on_screen=False, focused=False)
    assert not notify.due("auto", kind, on_screen=True, focused=True)  # the user is looking at it
    assert not notify.due("off", kind, on_screen=False, focused=False)
    assert not notify.due("auto", kind, on_screen=False, focused=False, web=True)  # a browser: nothing gets out


@pytest.mark.parametrize("kind", ["interrupted", "streaming", "something"])
def test_other_endings_are_not_due(kind):
    assert not notify.due("auto", kind, on_screen=False, focused=False)


def test_decide_by_setting_and_terminal():
    away = {"on_screen": False, "focused": False}
    assert notify.decide("auto", "complete", terminal=OSC9, **away) == "osc9"
    assert notify.decide("auto", "complete", terminal=OSC777, **away) == "osc777"
    assert notify.decide("auto", "complete", terminal=Terminal("bell"), **away) == "bell"
    assert notify.decide("bell", "complete", terminal=OSC9, **away) == "bell"
    assert notify.decide("off", "complete", terminal=OSC9, **away) == "none"
    assert notify.decide("auto", "complete", terminal=OSC9, on_screen=True, focused=True) == "none"
    assert notify.decide("auto", "complete", terminal=Terminal("osc9", tmux=True), **away) == "bell"
    assert notify.decide("auto", "complete", terminal=Terminal("osc9", tmux=True, passthrough=True), **away) == "osc9"
    assert notify.decide("auto", "complete", terminal=OSC9, web=True, **away) == "none"


def test_sequences():
    away = {"on_screen": False, "focused": False}
    assert notify.notice_for("auto", "complete", "Refactor the parser", terminal=OSC9, **away) == \
        f"{ESC}]9;Chinwag: reply ready — Refactor the parser{BEL}"
    assert notify.notice_for("auto", "error", "Refactor", terminal=OSC777, **away) == \
        f"{ESC}]777;notify;Chinwag;turn failed — Refactor{BEL}"
    assert notify.notice_for("auto", "permission", "x", terminal=OSC9, **away) == f"{ESC}]9;Chinwag: permission asked — x{BEL}"
    assert notify.notice_for("auto", "stopped", "", terminal=OSC9, **away) == f"{ESC}]9;Chinwag: turn stopped{BEL}"
    assert notify.notice_for("bell", "complete", "x", terminal=OSC9, **away) == BEL
    assert notify.notice_for("off", "complete", "x", terminal=OSC9, **away) == ""
    # tmux with passthrough: wrapped, every ESC inside doubled, ended by ST
    wrapped = notify.notice_for("auto", "complete", "t", terminal=Terminal("osc9", tmux=True, passthrough=True), **away)
    assert wrapped == f"{ESC}Ptmux;{ESC}{ESC}]9;Chinwag: reply ready — t{BEL}{ESC}\\"


HOSTILE = "evil\x1b]52;c;aGk=\x07\x1b[2J\x9b31m\x9d0;x\x9c\u202e\r\nline\x7f;two"


@pytest.mark.parametrize("terminal", [OSC9, OSC777, Terminal("osc9", tmux=True, passthrough=True)])
def test_a_title_cannot_inject_escape_sequences(terminal):
    data = notify.notice_for("auto", "complete", HOSTILE, on_screen=False, focused=False, terminal=terminal)
    frame = {"osc9": 1, "osc777": 1}[terminal.method]
    assert data.count(BEL) == frame  # only the sequence's own terminator
    assert data.count(ESC) == (4 if terminal.tmux else 1)  # only the framing: ESC ] (doubled) ... ESC \
    assert not any(0x80 <= ord(c) <= 0x9f or c in "\r\n\x7f\u202e" for c in data)  # no C1, no line breaks
    if terminal.method == "osc777":
        assert data.count(";") == 3  # 777 ; notify ; title ; body: the title adds no field
    assert "evil ]52,c,aGk=" in data and "line" in data and ",two" in data


def test_a_long_title_is_cut():
    body = notify.message("complete", "x" * 500)[1]
    assert len(body) <= notify.TEXT_LIMIT and body.endswith("…")


def test_the_setting_is_in_the_one_schema():
    spec = schema.keys(schema.Scope.UI)["notify"]
    assert spec.default == "auto" and spec.choices == notify.SETTINGS


def test_config_rejects_a_bad_notify_value(chinwag_home, cli):
    (chinwag_home / "config.toml").write_text('[ui]\nnotify = "loud"\n')
    result = cli("config", "show")
    assert result.returncode != 0 and "[ui].notify is 'loud' (one of: auto, bell, off)" in result.stderr
    (chinwag_home / "config.toml").write_text('[ui]\nnotify = "bell"\n')
    shown = cli("config", "show")
    assert shown.returncode == 0 and "bell" in shown.stdout


# -- in the whole app (Pilot): what the driver is handed ------------------------------------------------
@pytest.fixture
def wezterm(monkeypatch):
    """A terminal that shows OSC 9 (outside tmux, whatever runs these tests)."""
    for name in TERMINAL_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TERM_PROGRAM", "WezTerm")


def capture(app) -> list[str]:
    """What the app writes to its terminal from here on (the headless driver writes nowhere)."""
    written: list[str] = []
    app._driver.write = written.append
    return written


def notices(written: list[str]) -> list[str]:
    return [w for w in written if w.startswith((f"{ESC}]9;", f"{ESC}]777;")) or w == BEL]


async def test_a_turn_ending_in_a_background_session_notifies(db_path, wezterm):
    store = Store(db_path)
    first = store.create_session(title="the long one\x1b[2J")
    app = ChinwagApp(store=store, config=SLOW, animate=False, session_id=first.id)
    try:
        async with app.run_test(size=(120, 36)) as pilot:
            written = capture(app)
            await submit(pilot, app, "a reply that streams for a while " * 2)
            await wait_for(pilot, lambda: any(t.text for t in agent_turns(store, first.id)))
            await pilot.press("ctrl+n")  # another session on screen; the first keeps streaming
            await wait_for(pilot, lambda: agent_turns(store, first.id)[-1].status == "complete", timeout=20)
            await wait_for(pilot, lambda: bool(notices(written)))
            assert notices(written) == [f"{ESC}]9;Chinwag: reply ready — the long one [2J{BEL}"]
    finally:
        store.close()


async def test_blur_notifies_for_the_visible_session_and_focus_does_not(db_path, wezterm):
    store = Store(db_path)
    session = store.create_session(title="in front")
    app = ChinwagApp(store=store, config=SLOW, animate=False, session_id=session.id)
    try:
        async with app.run_test(size=(120, 36)) as pilot:
            written = capture(app)
            await submit(pilot, app, "first reply, seen " * 2)  # focused, on screen: no notice
            await wait_for(pilot, lambda: [t.status for t in agent_turns(store, session.id)] == ["complete"])
            await pilot.pause(0.2)
            assert notices(written) == []

            await submit(pilot, app, "second reply, the window in the background " * 2)
            app.post_message(events.AppBlur())  # the terminal reported focus-out (ESC [ O)
            await wait_for(pilot, lambda: len(agent_turns(store, session.id)) == 2
                           and agent_turns(store, session.id)[-1].status == "complete", timeout=20)
            await wait_for(pilot, lambda: bool(notices(written)))
            assert notices(written) == [f"{ESC}]9;Chinwag: reply ready — in front{BEL}"]

            app.post_message(events.AppFocus())  # back (ESC [ I)
            await pilot.pause()
            await submit(pilot, app, "third reply, seen again " * 2)
            await wait_for(pilot, lambda: len(agent_turns(store, session.id)) == 3
                           and agent_turns(store, session.id)[-1].status == "complete", timeout=20)
            await pilot.pause(0.2)
            assert len(notices(written)) == 1
    finally:
        store.close()


@pytest.mark.parametrize(("setting", "expected"), [("bell", [BEL]), ("off", [])])
async def test_notify_setting_bell_and_off(db_path, wezterm, setting, expected):
    store = Store(db_path)
    session = store.create_session(title=f"setting {setting}")
    config = Config(agents=SLOW.agents, ui={"notify": setting})
    app = ChinwagApp(store=store, config=config, animate=False, session_id=session.id)
    try:
        async with app.run_test(size=(120, 36)) as pilot:
            written = capture(app)
            await submit(pilot, app, "a reply " * 4)
            app.post_message(events.AppBlur())
            await wait_for(pilot, lambda: [t.status for t in agent_turns(store, session.id)] == ["complete"])
            await pilot.pause(0.3)
            assert notices(written) == expected
    finally:
        store.close()


async def test_an_agent_asking_permission_while_unfocused_notifies(db_path, tmp_path, wezterm):
    agent = str(Path(__file__).parent / "fake_acp_agent.py")
    config = Config(agents={"fake": {"kind": "acp", "command": [sys.executable, agent],
                                     "env": {"FAKE_ACP_STATE": str(tmp_path / "state.json")}}})
    store = Store(db_path)
    session = store.create_session(agent="fake", workspace=str(tmp_path), mode="ask", title="agent at work")
    app = ChinwagApp(store=store, config=config, animate=False, session_id=session.id)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            written = capture(app)
            await submit(pilot, app, "permission")
            app.post_message(events.AppBlur())
            await wait_for(pilot, lambda: isinstance(app.screen, ChoiceScreen), timeout=20)
            await wait_for(pilot, lambda: bool(notices(written)))
            assert notices(written) == [f"{ESC}]9;Chinwag: permission asked — agent at work{BEL}"]
            app.runner.cancel(session.id)
            await wait_for(pilot, lambda: store.list_turns(session.id)[-1].status in ("stopped", "complete"))
    finally:
        await acp_pool.close_all()
        store.close()


async def test_a_turn_another_process_ran_notifies_when_it_ends(db_path, wezterm):
    store = Store(db_path)
    shown = store.create_session(title="on screen")
    away = store.create_session(title="from another terminal")
    app = ChinwagApp(store=store, config=SLOW, animate=False, session_id=shown.id)
    try:
        async with app.run_test(size=(120, 36)) as pilot:
            written = capture(app)
            other = Store(db_path)  # `chinwag session send` in another terminal
            try:
                for session in (shown, away):
                    _, reply = other.begin_exchange(session.id, "hello", agent="echo", model="echo-1")
                    await wait_for(pilot, lambda: session.id in app.chat.sidebar.list.running)  # noqa: B023
                    other.append_stream(reply.id, "an answer")
                    other.finish_turn(reply.id, "complete", input_tokens=5, output_tokens=7)
                    await wait_for(pilot, lambda: session.id not in app.chat.sidebar.list.running)  # noqa: B023
            finally:
                other.close()
            await wait_for(pilot, lambda: bool(notices(written)))
            await pilot.pause(0.3)
            assert notices(written) == [f"{ESC}]9;Chinwag: reply ready — from another terminal{BEL}"]
    finally:
        store.close()


# -- the real app in a pseudo-terminal ---------------------------------------------------------------------
def test_real_terminal_gets_osc9_after_a_focus_out_report(chinwag_home, db_path):
    clean = {name: "" for name in TERMINAL_VARS}
    app = TuiProcess(chinwag_home, env={**clean, "TERM_PROGRAM": "WezTerm", "CHINWAG_ECHO_DELAY": "0.03"})
    try:
        wait_until(lambda: "\x1b[?1004h" in app.output)  # Textual asks the terminal for focus reports
        marker = uuid.uuid4().hex[:8]
        wait_until(lambda: only_session(db_path))
        app.type(f"notify me {marker} " * 3, enter=False)
        app.send(ENTER)
        wait_until(lambda: db_has_reply(db_path, marker, "streaming"))
        app.send("\x1b[O")  # focus-out, as the terminal reports it
        wait_until(lambda: db_has_reply(db_path, marker, "complete"))
        wait_until(lambda: f"{ESC}]9;Chinwag: reply ready" in app.output, timeout=10)
        assert app.output.count(f"{ESC}]9;") == 1
        app.send("\x11")
        assert app.wait() == 0
        assert "Traceback" not in app.output
    finally:
        app.close()


def db_has_reply(db_path, marker: str, status: str) -> bool:
    if not os.path.exists(db_path):
        return False
    with Store(db_path, recover=False) as store:
        for row in store.db.query("SELECT id FROM sessions"):
            turns = store.list_turns(row["id"])
            if any(marker in t.text for t in turns if t.role == "user") and \
                    any(t.role == "agent" and t.status == status for t in turns):
                return True
    return False


@pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")
@pytest.mark.parametrize("passthrough", [True, False])
def test_inside_a_real_tmux_the_notice_is_wrapped_only_with_passthrough(chinwag_home, db_path, tmp_path, passthrough):
    """The app in a real tmux (its own server): a turn ending in a background session writes OSC 9 wrapped
    in tmux's passthrough when allow-passthrough is on, else the bell (read from the pane's raw output)."""
    socket, out = f"chinwag-notify-{uuid.uuid4().hex[:8]}", tmp_path / "pane.out"
    env = {k: v for k, v in os.environ.items() if k not in TERMINAL_VARS}

    def tmux(*args):
        return subprocess.run(["tmux", "-L", socket, *args], capture_output=True, text=True, env=env, timeout=30)

    command = (f"env CHINWAG_HOME={chinwag_home} CHINWAG_ECHO_DELAY=0.03 OLLAMA_HOST=127.0.0.1:9 LC_TERMINAL=iTerm2 "
               f"{sys.executable} -m chinwag.app.cli.main")
    tmux("new-session", "-d", "-s", "app", "-x", "120", "-y", "36", command)
    try:
        tmux("set-option", "-g", "allow-passthrough", "on" if passthrough else "off")
        tmux("pipe-pane", "-o", "-t", "app", f"cat >> {out}")
        wait_until(lambda: only_session(db_path))
        marker = uuid.uuid4().hex[:8]
        tmux("send-keys", "-t", "app", "-l", f"in the background {marker} " * 3)
        tmux("send-keys", "-t", "app", "Enter")
        wait_until(lambda: db_has_reply(db_path, marker, "streaming"))
        tmux("send-keys", "-t", "app", "C-n")  # another session on screen
        wait_until(lambda: db_has_reply(db_path, marker, "complete"))
        wrapped = f"{ESC}Ptmux;{ESC}{ESC}]9;Chinwag: reply ready"
        if passthrough:
            wait_until(lambda: wrapped in out.read_text("utf-8", "replace"), timeout=10)
        else:
            wait_until(lambda: BEL in re.sub(OSC, "", out.read_text("utf-8", "replace")), timeout=10)  # a lone bell
            assert f"{ESC}]9;" not in out.read_text("utf-8", "replace")
    finally:
        tmux("kill-server")
