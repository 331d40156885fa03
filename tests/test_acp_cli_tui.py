"""ACP agents from the command line (a real `chinwag` subprocess per command, resuming the
agent's session across processes) and in the TUI (plan, tool tree, permission modal by
key, the agent's own slash commands in the popup, /stop closing the agent)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from test_app_flows import submit, wait_for

from chinwag.app.agents.acp import pool as acp_pool
from chinwag.app.config.loader import Config
from chinwag.app.tui.app import ChinwagApp
from chinwag.storage import Store
from chinwag.widgets.choice_screen import ChoiceScreen

AGENT = str(Path(__file__).parent / "fake_acp_agent.py")


def screen_text(app) -> str:
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def test_cli_runs_and_resumes_an_acp_agent_across_processes(chinwag_home, cli, tmp_path):
    state = tmp_path / "state.json"
    (chinwag_home / "config.toml").write_text(
        f'[agents.fake]\nkind = "acp"\ncommand = ["{sys.executable}", "{AGENT}"]\n'
        f'env = {{ FAKE_ACP_STATE = "{state}" }}\n')
    first = cli("session", "start", "--agent", "fake", "--mode", "bypass", "--workspace", str(tmp_path), "hello")
    assert first.returncode == 0, first.stderr
    assert "echo #1: hello" in first.stdout
    session_id = first.stderr.split()[1]
    second = cli("session", "send", session_id, "do you remember?")
    assert second.returncode == 0, second.stderr
    assert "echo #2: do you remember?" in second.stdout  # session/load in a new process
    shown = json.loads(cli("session", "show", session_id, "--json").stdout)
    assert shown["session"]["metadata"]["acp_restored"] is True
    doctor = cli("doctor").stdout
    assert "fake" in doctor and "ACP agent" in doctor


async def test_tui_plan_tool_tree_permission_by_key_and_agent_commands(db_path, tmp_path):
    config = Config(agents={"fake": {"kind": "acp", "command": [sys.executable, AGENT],
                                     "env": {"FAKE_ACP_STATE": str(tmp_path / "state.json")}}})
    store = Store(db_path)
    session = store.create_session(agent="fake", workspace=str(tmp_path), mode="ask", title="agent at work")
    app = ChinwagApp(store=store, config=config, animate=False, session_id=session.id)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await submit(pilot, app, "plan tool commands permission")
            await wait_for(pilot, lambda: isinstance(app.screen, ChoiceScreen), timeout=20)
            await pilot.pause()
            assert "Write config.toml" in screen_text(app)
            await pilot.press("2")
            await wait_for(pilot, lambda: not app.runner.running_sessions() and store.running_turn(session.id) is None)
            await pilot.pause(0.3)
            shown = screen_text(app)
            assert "plan · 1/2 done" in shown and "☑ Read the code" in shown and "◐ Write the fix" in shown
            assert "Edit src/app.py" in shown and "permission: allow-always" in shown
            answers = [e.data for e in store.list_events(session.id) if e.type == "permission_answer"]
            assert answers == [{"call_id": "call-p", "option": "allow-always", "by": "user"}]
            app.chat.prompt.focus_input()
            await pilot.press("slash", "r", "e", "v")
            await pilot.pause()
            assert "/review" in screen_text(app) and "agent" in screen_text(app)
            await submit(pilot, app, "/review the diff")
            await wait_for(pilot, lambda: not app.runner.running_sessions()
                           and store.list_turns(session.id)[-1].text.startswith("echo #2: /review the diff"))
            assert acp_pool.get(session.id) is not None
            await submit(pilot, app, "/stop")
            await wait_for(pilot, lambda: acp_pool.get(session.id) is None)
    finally:
        await acp_pool.close_all()
        store.close()


def fake_config(tmp_path) -> Config:
    return Config(agents={"fake": {"kind": "acp", "command": [sys.executable, AGENT],
                                   "env": {"FAKE_ACP_STATE": str(tmp_path / "state.json")}}})


@pytest.mark.parametrize(("mode", "answer"), [("bypass", "allow-once"), ("readonly", "reject")])
async def test_tui_modes_answer_permissions_without_a_prompt(db_path, tmp_path, mode, answer):
    store = Store(db_path)
    session = store.create_session(agent="fake", workspace=str(tmp_path), mode=mode, title="modes")
    app = ChinwagApp(store=store, config=fake_config(tmp_path), animate=False, session_id=session.id)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await submit(pilot, app, "permission")
            await wait_for(pilot, lambda: store.list_turns(session.id)[-1].status == "complete", timeout=20)
            assert not isinstance(app.screen, ChoiceScreen)
            await pilot.pause(0.2)
            assert f"permission: {answer}" in screen_text(app)
    finally:
        await acp_pool.close_all()
        store.close()


async def test_tui_escape_cancels_the_agent_and_a_restart_resumes_it(db_path, tmp_path):
    config = fake_config(tmp_path)
    store = Store(db_path)
    session = store.create_session(agent="fake", workspace=str(tmp_path), mode="bypass", title="resume")
    try:
        app = ChinwagApp(store=store, config=config, animate=False, session_id=session.id)
        async with app.run_test(size=(120, 40)) as pilot:
            await submit(pilot, app, "slow")
            await wait_for(pilot, lambda: store.list_turns(session.id)[-1].text.count("w") >= 5, timeout=20)
            await pilot.press("escape")
            await wait_for(pilot, lambda: store.list_turns(session.id)[-1].status == "stopped")
            assert acp_pool.get(session.id) is not None  # it ended the turn as cancelled: still alive
        await acp_pool.close_all()  # Chinwag quits: the agent goes with it
        app = ChinwagApp(store=store, config=config, animate=False, session_id=session.id)
        async with app.run_test(size=(120, 40)) as pilot:
            await submit(pilot, app, "who am i talking to")
            await wait_for(pilot, lambda: store.list_turns(session.id)[-1].status == "complete", timeout=20)
            assert store.list_turns(session.id)[-1].text == "echo #1: who am i talking to"
            assert store.get_session(session.id).metadata["acp_restored"] is True
    finally:
        await acp_pool.close_all()
        store.close()


async def test_tui_closes_an_open_permission_question_when_the_turn_is_cancelled(db_path, tmp_path):
    store = Store(db_path)
    session = store.create_session(agent="fake", workspace=str(tmp_path), mode="ask", title="cancel while asking")
    app = ChinwagApp(store=store, config=fake_config(tmp_path), animate=False, session_id=session.id)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await submit(pilot, app, "permission")
            await wait_for(pilot, lambda: isinstance(app.screen, ChoiceScreen), timeout=20)
            app.runner.cancel(session.id)  # e.g. /cancel from the palette, or `session stop` elsewhere
            await wait_for(pilot, lambda: store.list_turns(session.id)[-1].status in ("stopped", "complete"))
            await wait_for(pilot, lambda: not isinstance(app.screen, ChoiceScreen))
            answers = [e.data for e in store.list_events(session.id) if e.type == "permission_answer"]
            assert len(answers) == 1 and answers[0]["option"] == "cancelled"
    finally:
        await acp_pool.close_all()
        store.close()
