"""ACP coding agents end to end through the runner, against tests/fake_acp_agent.py run as a
real subprocess over stdio: streaming, plans, tool-call trees with diffs, permissions in
each mode, the workspace-confined file system and terminals, cancel, crash, hang, resume."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest

from chinwag.app.agents.acp import pool as acp_pool
from chinwag.app.config.loader import Config
from chinwag.app.core.events import CommandsChanged, TurnText
from chinwag.app.core.runner import Runner

AGENT = str(Path(__file__).parent / "fake_acp_agent.py")


def acp_config(tmp_path, **env) -> Config:
    env = {"FAKE_ACP_STATE": str(tmp_path / "agent-state.json"), **env}
    return Config(agents={"fake": {"kind": "acp", "command": [sys.executable, AGENT], "env": env, "timeout": 20}})


@pytest.fixture
def workspace(tmp_path):
    folder = tmp_path / "ws"
    folder.mkdir()
    (folder / "notes.txt").write_text("hello notes")
    return folder


@pytest.fixture(autouse=True)
async def no_agents_left():
    yield
    await acp_pool.close_all()


def new_session(store, workspace, mode="bypass"):
    return store.create_session(agent="fake", workspace=str(workspace), mode=mode, title="acp test")


async def run(store, config, session, prompt, **kwargs):
    return await Runner(store, config, **kwargs).send(session.id, prompt)


async def test_streams_and_keeps_the_agent_between_turns(store, tmp_path, workspace):
    config = acp_config(tmp_path)
    session = new_session(store, workspace)
    first = await run(store, config, session, "hello agent")
    pid = acp_pool.get(session.id).process.pid
    second = await run(store, config, session, "again")
    assert (first.status, first.text) == ("complete", "echo #1: hello agent")
    assert second.text == "echo #2: again" and acp_pool.get(session.id).process.pid == pid
    assert first.model == second.model == "Fake ACP agent"  # the name it gave at initialize, from the first turn
    meta = store.get_session(session.id).metadata
    assert meta["acp_session_id"].startswith("fake-") and meta["acp_capabilities"]["load_session"] is True
    assert any(e.type == "session_change" and "acp_session_id" in e.data.get("metadata", {})
               for e in store.list_events(session.id))


async def test_plan_thinking_tool_tree_with_diff_and_usage(store, tmp_path, workspace):
    session = new_session(store, workspace)
    turn = await run(store, acp_config(tmp_path), session, "plan tool usage")
    assert turn.status == "complete" and turn.thinking == "I should edit the file."
    assert turn.metadata["plan"] == [["Read the code", "completed"], ["Write the fix", "in_progress"]]
    assert [e.data["entries"][0][1] for e in store.list_events(session.id) if e.type == "plan"] == ["pending", "completed"]
    (call,) = store.list_tool_calls([turn.id])
    assert (call.name, call.status) == ("Edit src/app.py", "completed") and call.args.startswith("edit")
    assert "opening src/app.py" in call.output and "-print('old')" in call.output and "+print('new')" in call.output
    assert (turn.input_tokens, turn.output_tokens, turn.tokens_estimated) == (120, 30, False)


@pytest.mark.parametrize(("mode", "expected"), [("bypass", "allow-once"), ("readonly", "reject")])
async def test_permission_modes_answer_without_asking(store, tmp_path, workspace, mode, expected):
    session = new_session(store, workspace, mode=mode)
    turn = await run(store, acp_config(tmp_path), session, "permission")
    assert turn.text.startswith(f"permission: {expected} ")
    (request,) = [e.data for e in store.list_events(session.id) if e.type == "permission_request"]
    assert request["answer"] == expected and request["by"] == f"mode:{mode}" and request["kind"] == "edit"


async def test_ask_mode_waits_for_the_answer_and_records_both(store, tmp_path, workspace):
    session = new_session(store, workspace, mode="ask")
    asked = []

    def on_permission(session_id, request):
        asked.append(request)
        asyncio.get_running_loop().call_later(0.2, runner.answer_permission, session_id, "allow-always")

    runner = Runner(store, acp_config(tmp_path), on_permission=on_permission)
    turn = await runner.send(session.id, "permission")
    assert [o[0] for o in asked[0].options] == ["allow-once", "allow-always", "reject"]
    assert turn.text.startswith("permission: allow-always ")
    kinds = [(e.type, e.data.get("option")) for e in store.list_events(session.id) if e.type.startswith("permission")]
    assert kinds == [("permission_request", None), ("permission_answer", "allow-always")]
    assert "permission" not in store.get_turn(turn.id).metadata  # the inline question is gone once answered


async def test_ask_mode_with_nobody_to_ask_refuses(store, tmp_path, workspace):
    session = new_session(store, workspace, mode="ask")
    turn = await run(store, acp_config(tmp_path), session, "permission")
    assert turn.text.startswith("permission: cancelled ")


async def test_file_system_is_confined_to_the_workspace(store, tmp_path, workspace):
    config = acp_config(tmp_path)
    session = new_session(store, workspace)
    inside = await run(store, config, session, "read notes.txt")
    outside = await run(store, config, session, "read ../agent-state.json")
    absolute = await run(store, config, session, "read /etc/passwd")
    write = await run(store, config, session, "write sub/out.txt")
    escape = await run(store, config, session, "write ../escaped.txt")
    assert inside.text.startswith("read ok: hello notes")
    assert outside.text.startswith("read refused:") and "outside the session's workspace" in outside.text
    assert absolute.text.startswith("read refused:")
    assert write.text.startswith("write ok") and (workspace / "sub" / "out.txt").read_text() == "written by the agent"
    assert escape.text.startswith("write refused:") and not (tmp_path / "escaped.txt").exists()


async def test_readonly_refuses_writes_and_terminals(store, tmp_path, workspace):
    config = acp_config(tmp_path)
    session = new_session(store, workspace, mode="readonly")
    write = await run(store, config, session, "write out.txt")
    assert write.text.startswith("write refused:") and "read-only" in write.text
    assert not (workspace / "out.txt").exists()
    store.update_session(session.id, mode="bypass")  # /mode applies from the next turn, same process
    terminal = await run(store, config, session, "terminal")
    assert terminal.text.startswith("terminal said: terminal-ok")


async def test_available_commands_are_kept_on_the_session(store, tmp_path, workspace):
    session = new_session(store, workspace)
    updates = []
    await run(store, acp_config(tmp_path), session, "commands", on_event=updates.append)
    assert store.get_session(session.id).metadata["agent_commands"] == [
        ["review", "review the current diff"], ["init", "write an AGENTS.md"]]
    assert CommandsChanged(session.id, (("review", "review the current diff"), ("init", "write an AGENTS.md"))) \
        in updates


async def test_cancel_sends_session_cancel_and_keeps_partial_text(store, tmp_path, workspace):
    session = new_session(store, workspace)
    seen = asyncio.Event()
    runner = Runner(store, acp_config(tmp_path), on_event=lambda e: isinstance(e, TurnText) and e.turn.text.count("w") >= 5 and seen.set())
    task = asyncio.ensure_future(runner.send(session.id, "slow"))
    await asyncio.wait_for(seen.wait(), 20)
    loop = asyncio.get_running_loop()
    started = loop.time()
    runner.cancel(session.id)
    turn = await task
    assert turn.status == "stopped" and turn.text.startswith("w0 w1 w2 w3")
    assert loop.time() - started < 1.5
    assert acp_pool.get(session.id) is not None  # it ended the turn as cancelled: kept alive


async def test_an_agent_that_ignores_cancel_is_terminated(store, tmp_path, workspace):
    session = new_session(store, workspace)
    runner = Runner(store, acp_config(tmp_path))
    task = asyncio.ensure_future(runner.send(session.id, "hang"))
    for _ in range(200):
        if acp_pool.get(session.id) is not None and store.running_turn(session.id) is not None:
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.3)
    process = acp_pool.get(session.id).process
    runner.cancel(session.id)
    turn = await asyncio.wait_for(task, 10)
    assert turn.status == "stopped" and acp_pool.get(session.id) is None
    await asyncio.wait_for(process.wait(), 5)


async def test_crash_mid_turn_is_an_error_with_stderr_and_the_next_turn_resumes(store, tmp_path, workspace):
    config = acp_config(tmp_path)
    session = new_session(store, workspace)
    await run(store, config, session, "remember this")
    crashed = await run(store, config, session, "crash")
    assert crashed.status == "error" and crashed.text.startswith("about to crash")
    assert "exited with code 3" in crashed.error and "crashing on purpose" in crashed.error
    assert store.get_session(session.id).state == "error"
    resumed = await run(store, config, session, "still there?")
    assert resumed.status == "complete" and resumed.text == "echo #2: still there?"  # loaded: it remembers
    assert store.get_session(session.id).metadata["acp_restored"] is True


async def test_without_session_load_the_context_is_replayed_as_text(store, tmp_path, workspace):
    config = acp_config(tmp_path, FAKE_ACP_NO_LOAD="1")
    session = new_session(store, workspace)
    await run(store, config, session, "my name is Ada")
    await acp_pool.close(session.id)  # as if Chinwag had been restarted
    turn = await run(store, config, session, "what is my name?")
    assert turn.text.startswith("echo #1: (Chinwag: the agent was restarted")
    assert "User: my name is Ada" in turn.text and turn.text.endswith("what is my name?")


@pytest.mark.parametrize(("env", "needle"), [
    ({"FAKE_ACP_EXIT": "1"}, "exited with code 2 before answering initialize — its stderr: …fake agent: missing"),
    ({"FAKE_ACP_NO_INIT": "1"}, "did not answer initialize within 1 s"),
])
async def test_agents_that_never_start_give_a_clear_error(store, tmp_path, workspace, env, needle):
    config = acp_config(tmp_path, **env)
    config.agents["fake"]["timeout"] = 1
    session = new_session(store, workspace)
    turn = await run(store, config, session, "hello")
    assert turn.status == "error" and needle in turn.error
    assert store.get_session(session.id).state == "error" and acp_pool.get(session.id) is None


async def test_garbage_on_stdout_does_not_break_anything(store, tmp_path, workspace):
    session = new_session(store, workspace)
    turn = await run(store, acp_config(tmp_path, FAKE_ACP_GARBAGE="1"), session, "hello")
    assert turn.status in ("complete", "error")
    if turn.status == "error":
        assert turn.error
    assert store.get_turn(turn.id).status == turn.status  # settled either way


async def test_missing_program_is_a_clear_error(store, tmp_path, workspace):
    config = Config(agents={"fake": {"kind": "acp", "command": ["/nonexistent/agent-bin", "--acp"]}})
    session = new_session(store, workspace)
    turn = await run(store, config, session, "hello")
    assert turn.status == "error" and "cannot start agent 'fake'" in turn.error and "/nonexistent/agent-bin" in turn.error


async def test_an_idle_agent_is_shut_down_after_its_timeout(store, tmp_path, workspace):
    config = acp_config(tmp_path)
    config.agents["fake"]["idle_timeout"] = 0.3
    session = new_session(store, workspace)
    await run(store, config, session, "hello")
    process = acp_pool.get(session.id).process
    for _ in range(100):
        if acp_pool.get(session.id) is None:
            break
        await asyncio.sleep(0.05)
    assert acp_pool.get(session.id) is None
    await asyncio.wait_for(process.wait(), 5)
