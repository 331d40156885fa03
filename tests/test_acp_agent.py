"""Chinwag as an ACP agent over stdio: `chinwag acp` run as a real subprocess and driven by
the `agent-client-protocol` package's client side (initialize, session/new, streamed
prompts, cancel, modes, load after a restart, listing, Chinwag's own slash commands,
permission questions passed on), malformed input answered with one-line JSON-RPC errors
while the process lives on, a turn that is stored exactly as a TUI turn, and Chinwag's own
ACP client running Chinwag's ACP agent in the TUI (`[agents.self]`)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sqlite3
import sys
from pathlib import Path

import pytest
from acp import PROTOCOL_VERSION, RequestError, spawn_agent_process, text_block
from acp.schema import (
    AllowedOutcome,
    EmbeddedResourceContentBlock,
    EnvVariable,
    McpServerStdio,
    RequestPermissionResponse,
    ResourceContentBlock,
    TextResourceContents,
)

from chinwag.app.agents.echo import echo_reply
from chinwag.storage import Store

FAKE_AGENT = str(Path(__file__).parent / "fake_acp_agent.py")
GUARD = 30  # seconds any one exchange may take before the test gives up (a hang is a failure)


class Client:
    """The client side: records every session/update, answers permission questions."""

    def __init__(self, answer: str | None = "allow-once"):
        self.updates: list[tuple[str, object]] = []
        self.asked: list = []
        self.answer = answer

    def on_connect(self, conn) -> None:
        pass

    async def session_update(self, session_id, update, **kwargs) -> None:
        self.updates.append((session_id, update))

    async def request_permission(self, options, session_id, tool_call, **kwargs):
        self.asked.append((session_id, tool_call, options))
        return RequestPermissionResponse(outcome=AllowedOutcome(outcome="selected", option_id=self.answer))

    def of(self, session_id: str, kind: str | None = None) -> list:
        return [u for sid, u in self.updates if sid == session_id and (kind is None or u.session_update == kind)]

    def text(self, session_id: str, kind: str = "agent_message_chunk") -> str:
        return "".join(u.content.text for u in self.of(session_id, kind))


@contextlib.asynccontextmanager
async def chinwag_acp(home: Path, *args: str, client: Client | None = None, env: dict | None = None):
    """`chinwag acp ARGS` as an ACP client starts it: (connection, process, client)."""
    client = client or Client()
    environment = {**os.environ, "CHINWAG_HOME": str(home), **(env or {})}
    with open(home / "acp-stderr.log", "ab") as stderr:
        async with spawn_agent_process(client, sys.executable, "-m", "chinwag.app.cli.main", "acp", *args,
                                       env=environment, transport_kwargs={"stderr": stderr.fileno()}) as (conn, proc):
            await asyncio.wait_for(conn.initialize(protocol_version=PROTOCOL_VERSION), GUARD)
            yield conn, proc, client


def stderr_of(home: Path) -> str:
    path = home / "acp-stderr.log"
    return path.read_text() if path.exists() else ""


async def until(condition, what: str = "condition") -> None:
    for _ in range(GUARD * 50):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def slow_config(home: Path) -> None:
    (home / "config.toml").write_text('[agents.slow]\nkind = "echo"\ndelay = 0.05\nchunk = 2\n')


# -- initialize, new, prompt --------------------------------------------------------------------
async def test_initialize_advertises_what_is_real(chinwag_home):
    client = Client()
    environment = {**os.environ, "CHINWAG_HOME": str(chinwag_home)}
    async with spawn_agent_process(client, sys.executable, "-m", "chinwag.app.cli.main", "acp",
                                   env=environment) as (conn, _):
        info = await asyncio.wait_for(conn.initialize(protocol_version=PROTOCOL_VERSION), GUARD)
    caps = info.agent_capabilities
    assert info.protocol_version == PROTOCOL_VERSION and info.auth_methods == []
    assert caps.load_session is True and caps.session_capabilities.list is not None
    prompt = caps.prompt_capabilities
    assert prompt.embedded_context is True and prompt.image is False and prompt.audio is False
    assert info.agent_info.name == "chinwag"


async def test_a_prompt_streams_thought_tools_and_text_and_is_stored_as_a_session(chinwag_home, tmp_path):
    prompt = "please think about the tools you have, then answer"
    async with chinwag_acp(chinwag_home, env={"CHINWAG_ECHO_DELAY": "0.01"}) as (conn, _, client):
        new = await conn.new_session(cwd=str(tmp_path), mcp_servers=[])
        assert new.modes.current_mode_id == "ask" and [m.id for m in new.modes.available_modes] == \
            ["ask", "bypass", "readonly"]
        answer = await asyncio.wait_for(conn.prompt(session_id=new.session_id, prompt=[text_block(prompt)]), GUARD)
        sid = new.session_id
        assert answer.stop_reason == "end_turn"
        assert answer.usage.input_tokens > 0 and answer.usage.output_tokens > 0
        chunks = client.of(sid, "agent_message_chunk")
        assert len(chunks) > 1 and client.text(sid) == echo_reply(prompt)  # streamed, in pieces, all of it
        assert client.text(sid, "agent_thought_chunk") == "Considering how to echo this faithfully."
        kinds = [u.session_update for u in client.of(sid)]
        assert kinds.index("agent_thought_chunk") < kinds.index("tool_call") < kinds.index("agent_message_chunk")
        calls = client.of(sid, "tool_call")
        assert [c.title for c in calls] == ["inspect_prompt", "count_words"]
        finished = [u for u in client.of(sid, "tool_call_update") if u.status == "completed"]
        assert {u.tool_call_id for u in finished} == {c.tool_call_id for c in calls}
        offered = client.of(sid, "available_commands_update")[0].available_commands
        assert [c.name for c in offered] == ["status", "compact", "model"]
    store = Store(chinwag_home / "chinwag.db")
    try:
        session = store.get_session(sid)  # an ordinary Chinwag session: `session list` shows it
        assert session.workspace == str(tmp_path) and session.agent == "echo" and session.mode == "ask"
        user, reply = store.list_turns(sid)
        assert (user.role, user.text, reply.status, reply.text) == ("user", prompt, "complete", echo_reply(prompt))
        assert reply.thinking == "Considering how to echo this faithfully."
        assert store.prompt_history()[-1] == prompt  # Up in the TUI recalls it, as a prompt typed there
        assert answer.field_meta["chinwag"] == {"turnId": reply.id, "status": "complete"}
    finally:
        store.close()


async def test_usage_against_the_window_follows_each_turn(chinwag_home, tmp_path):
    (chinwag_home / "config.toml").write_text("[defaults]\ncontext_window = 8000\n")
    async with chinwag_acp(chinwag_home) as (conn, _, client):
        sid = (await conn.new_session(cwd=str(tmp_path), mcp_servers=[])).session_id
        await asyncio.wait_for(conn.prompt(session_id=sid, prompt=[text_block("count me")]), GUARD)
        await until(lambda: client.of(sid, "usage_update"), "usage_update")
    (usage,) = client.of(sid, "usage_update")
    store = Store(chinwag_home / "chinwag.db")
    try:
        assert (usage.used, usage.size) == (store.context_size(sid), 8000) and usage.used > 0
    finally:
        store.close()


async def test_embedded_context_and_resource_links_reach_the_turn_as_text(chinwag_home, tmp_path):
    blocks = [text_block("Explain"), ResourceContentBlock(type="resource_link", name="app.py", uri="file:///w/app.py"),
              EmbeddedResourceContentBlock(type="resource", resource=TextResourceContents(
                  uri="file:///w/notes.md", text="the notes"))]
    async with chinwag_acp(chinwag_home) as (conn, _, _client):
        sid = (await conn.new_session(cwd=str(tmp_path), mcp_servers=[])).session_id
        await asyncio.wait_for(conn.prompt(session_id=sid, prompt=blocks), GUARD)
    store = Store(chinwag_home / "chinwag.db")
    try:
        assert store.list_turns(sid)[0].text == "Explain [app.py](file:///w/app.py)\n\n```file:///w/notes.md\n" \
                                                "the notes\n```"
    finally:
        store.close()


async def test_mcp_servers_are_recorded_without_their_secrets(chinwag_home, tmp_path):
    server = McpServerStdio(name="files", command="mcp-files", args=["--root", "/w", "--api-key", "sk-123"],
                            env=[EnvVariable(name="FILES_TOKEN", value="tok-456")])
    async with chinwag_acp(chinwag_home) as (conn, _, _client):
        sid = (await conn.new_session(cwd=str(tmp_path), mcp_servers=[server])).session_id
    store = Store(chinwag_home / "chinwag.db")
    try:
        kept = store.get_session(sid).metadata["acp_mcp_servers"]
        assert kept == [{"name": "files", "command": "mcp-files", "args": ["--root", "/w", "--api-key", "(hidden)"],
                         "env": ["FILES_TOKEN"]}]
    finally:
        store.close()
    dump = (chinwag_home / "chinwag.db").read_bytes()
    assert b"sk-123" not in dump and b"tok-456" not in dump


# -- cancel, busy, modes ----------------------------------------------------------------------------
async def test_cancel_stops_the_turn_keeping_its_text_and_a_second_prompt_is_refused(chinwag_home, tmp_path):
    slow_config(chinwag_home)
    prompt = "a long prompt for the slow agent to echo " * 4
    async with chinwag_acp(chinwag_home, "--agent", "slow") as (conn, proc, client):
        sid = (await conn.new_session(cwd=str(tmp_path), mcp_servers=[])).session_id
        running = asyncio.ensure_future(conn.prompt(session_id=sid, prompt=[text_block(prompt)]))
        await until(lambda: len(client.text(sid)) > 10, "the first chunks")
        with pytest.raises(RequestError) as refused:
            await asyncio.wait_for(conn.prompt(session_id=sid, prompt=[text_block("me too")]), GUARD)
        assert refused.value.code == -32001 and f"session {sid} is busy" in str(refused.value)
        await conn.cancel(session_id=sid)
        answer = await asyncio.wait_for(running, GUARD)
        assert answer.stop_reason == "cancelled"
        shown = client.text(sid)
        again = await asyncio.wait_for(conn.prompt(session_id=sid, prompt=[text_block("short")]), GUARD)
        assert again.stop_reason == "end_turn" and proc.returncode is None
    store = Store(chinwag_home / "chinwag.db")
    try:
        stopped = store.list_turns(sid)[1]
        assert stopped.status == "stopped" and stopped.text and echo_reply(prompt).startswith(stopped.text)
        assert shown.startswith(stopped.text) and len(stopped.text) < len(echo_reply(prompt))
        assert [t.text for t in store.list_turns(sid) if t.role == "user"] == [prompt, "short"]  # "me too" stored nothing
    finally:
        store.close()


async def test_set_mode_and_the_mode_flag(chinwag_home, tmp_path):
    async with chinwag_acp(chinwag_home, "--mode", "bypass") as (conn, _, _client):
        new = await conn.new_session(cwd=str(tmp_path), mcp_servers=[])
        assert new.modes.current_mode_id == "bypass"
        await conn.set_session_mode(session_id=new.session_id, mode_id="readonly")
        with pytest.raises(RequestError) as refused:
            await conn.set_session_mode(session_id=new.session_id, mode_id="wild")
    assert refused.value.code == -32602 and str(refused.value) == "unknown mode 'wild' (modes: ask, bypass, readonly)"
    store = Store(chinwag_home / "chinwag.db")
    try:
        assert store.get_session(new.session_id).mode == "readonly"
    finally:
        store.close()


async def test_ask_mode_passes_an_agents_permission_question_to_the_client(chinwag_home, tmp_path):
    (chinwag_home / "config.toml").write_text(
        f'[agents.fake]\nkind = "acp"\ncommand = ["{sys.executable}", "{FAKE_AGENT}"]\n'
        f'env = {{ FAKE_ACP_STATE = "{tmp_path / "state.json"}" }}\n')
    async with chinwag_acp(chinwag_home, "--agent", "fake", client=Client(answer="allow-always")) as (conn, _, client):
        sid = (await conn.new_session(cwd=str(tmp_path), mcp_servers=[])).session_id
        answer = await asyncio.wait_for(conn.prompt(session_id=sid, prompt=[text_block("permission")]), GUARD)
    assert answer.stop_reason == "end_turn"
    (asked_sid, tool_call, options), = client.asked
    assert asked_sid == sid and tool_call.title == "Write config.toml" and tool_call.kind == "edit"
    assert [o.option_id for o in options] == ["allow-once", "allow-always", "reject"]
    assert client.text(sid).startswith("permission: allow-always")
    store = Store(chinwag_home / "chinwag.db")
    try:
        answers = [e.data for e in store.list_events(sid) if e.type == "permission_answer"]
        assert answers == [{"call_id": "call-p", "option": "allow-always", "by": "acp client"}]
    finally:
        store.close()


# -- load after a restart, listing, slash commands -----------------------------------------------
async def test_load_in_a_new_process_replays_the_whole_history(chinwag_home, tmp_path):
    async with chinwag_acp(chinwag_home) as (conn, proc, _client):
        sid = (await conn.new_session(cwd=str(tmp_path), mcp_servers=[])).session_id
        for prompt in ("first question", "now use a tool"):
            await asyncio.wait_for(conn.prompt(session_id=sid, prompt=[text_block(prompt)]), GUARD)
    assert proc.returncode == 0  # stdin closed: it ended by itself
    async with chinwag_acp(chinwag_home) as (conn, _, client):
        loaded = await asyncio.wait_for(conn.load_session(cwd=str(tmp_path), session_id=sid, mcp_servers=[]), GUARD)
        replayed = list(client.of(sid))
        answer = await asyncio.wait_for(conn.prompt(session_id=sid, prompt=[text_block("third")]), GUARD)
    assert loaded.modes.current_mode_id == "ask" and answer.stop_reason == "end_turn"
    said = [(u.session_update, u.content.text) for u in replayed if u.session_update.endswith("message_chunk")]
    assert said == [("user_message_chunk", "first question"), ("agent_message_chunk", echo_reply("first question")),
                    ("user_message_chunk", "now use a tool"), ("agent_message_chunk", echo_reply("now use a tool"))]
    tools = [u for u in replayed if u.session_update == "tool_call"]
    assert [(t.title, t.status) for t in tools] == [("inspect_prompt", "completed"), ("count_words", "completed")]
    store = Store(chinwag_home / "chinwag.db")
    try:
        assert store.get_session(sid).turn_count == 6
    finally:
        store.close()


async def test_session_list_pages_and_filters_by_cwd(chinwag_home, tmp_path):
    one, two = tmp_path / "one", tmp_path / "two"
    async with chinwag_acp(chinwag_home) as (conn, _, _client):
        first = (await conn.new_session(cwd=str(one), mcp_servers=[])).session_id
        await asyncio.wait_for(conn.prompt(session_id=first, prompt=[text_block("name me")]), GUARD)
        second = (await conn.new_session(cwd=str(two), mcp_servers=[])).session_id
        everything = await conn.list_sessions()
        only_one = await conn.list_sessions(cwd=str(one))
        with pytest.raises(RequestError) as refused:
            await conn.list_sessions(cursor="nonsense")
    assert [s.session_id for s in everything.sessions] == [second, first] and everything.next_cursor is None
    (listed,) = only_one.sessions
    assert (listed.session_id, listed.cwd, listed.title) == (first, str(one), "name me") and listed.updated_at
    assert refused.value.code == -32602 and "invalid cursor 'nonsense'" in str(refused.value)


async def test_chinwag_slash_commands_are_answered_not_sent(chinwag_home, tmp_path):
    async with chinwag_acp(chinwag_home) as (conn, _, client):
        sid = (await conn.new_session(cwd=str(tmp_path), mcp_servers=[])).session_id

        async def say(text: str):
            return await asyncio.wait_for(conn.prompt(session_id=sid, prompt=[text_block(text)]), GUARD)

        nothing = await say("/compact")
        for n in range(3):
            await say(f"exchange number {n}")
        compacted = await say("/compact --window 2")
        model = await say("/model echo-2")
        status = await say("/status")
    assert nothing.field_meta["chinwag"]["output"].startswith("/compact: nothing to compact")
    assert compacted.field_meta["chinwag"]["output"].startswith("compacted 4 turns (kept 2)")
    assert model.field_meta["chinwag"]["output"] == "model set to echo-2 for the next turns"
    shown = status.field_meta["chinwag"]["output"]
    assert f"**session**: {sid}" in shown and "**model**: echo-2" in shown
    assert shown in client.text(sid)  # also said as the answer's text
    store = Store(chinwag_home / "chinwag.db")
    try:
        turns = store.list_turns(sid)
        assert [t.role for t in turns].count("summary") == 1 and len([t for t in turns if t.role == "user"]) == 3
        assert store.get_session(sid).model == "echo-2"
    finally:
        store.close()


# -- bad input: one-line JSON-RPC errors, the process lives on ---------------------------------------
async def test_bad_input_gets_clear_errors_and_the_process_lives(chinwag_home, tmp_path):
    environment = {**os.environ, "CHINWAG_HOME": str(chinwag_home)}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "chinwag.app.cli.main", "acp", stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=environment)
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None

    async def call(message) -> dict:
        proc.stdin.write((message if isinstance(message, str) else json.dumps(message)).encode() + b"\n")
        await proc.stdin.drain()
        while True:
            line = json.loads(await asyncio.wait_for(proc.stdout.readline(), GUARD))
            if "id" in line:
                return line

    try:
        await call({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {"protocolVersion": 1}})
        proc.stdin.write(b"this is not json\n")  # ignored, not fatal
        unknown = await call({"jsonrpc": "2.0", "id": 1, "method": "session/prompt",
                              "params": {"sessionId": "NOPE", "prompt": [{"type": "text", "text": "hi"}]}})
        missing = await call({"jsonrpc": "2.0", "id": 2, "method": "session/prompt", "params": {"prompt": []}})
        wrong = await call({"jsonrpc": "2.0", "id": 3, "method": "session/new", "params": {"cwd": 5}})
        method = await call({"jsonrpc": "2.0", "id": 4, "method": "session/explode", "params": {}})
        empty = await call({"jsonrpc": "2.0", "id": 5, "method": "session/new",
                            "params": {"cwd": str(tmp_path), "mcpServers": []}})
        sid = empty["result"]["sessionId"]
        blank = await call({"jsonrpc": "2.0", "id": 6, "method": "session/prompt",
                            "params": {"sessionId": sid, "prompt": [{"type": "text", "text": "  "}]}})
        listed = await call({"jsonrpc": "2.0", "id": 7, "method": "session/list", "params": {}})
    finally:
        proc.stdin.close()
        await asyncio.wait_for(proc.wait(), GUARD)
    assert unknown["error"] == {"code": -32602, "message": "no session matches id 'NOPE'", "data": {"sessionId": "NOPE"}}
    assert missing["error"]["code"] == -32602
    assert missing["error"]["message"] == "invalid params for session/prompt: sessionId: field required"
    assert wrong["error"]["message"] == "invalid params for session/new: cwd: input should be a valid string"
    assert method["error"]["code"] == -32601 and method["error"]["message"].startswith(
        "unknown method 'session/explode' (known: initialize, ")
    assert blank["error"]["message"] == "the prompt is empty: send at least one text block"
    assert [s["sessionId"] for s in listed["result"]["sessions"]] == [sid]
    assert proc.returncode == 0
    assert "Traceback" not in (await proc.stderr.read()).decode()


def test_an_unknown_agent_is_one_line_and_nothing_is_served(cli):
    from cli_results import one_line_error

    line = one_line_error(cli("acp", "--agent", "nobody", input=""))
    assert line.startswith("chinwag: unknown agent 'nobody' (available: ")


def test_a_regular_file_for_stdout_is_one_line(cli, chinwag_home):
    from cli_results import one_line_error

    with open(chinwag_home / "out.txt", "w") as out:
        import subprocess

        result = subprocess.run([sys.executable, "-m", "chinwag.app.cli.main", "acp"], stdin=subprocess.DEVNULL,
                                stdout=out, stderr=subprocess.PIPE, text=True, timeout=60,
                                env={**os.environ, "CHINWAG_HOME": str(chinwag_home)})
    assert one_line_error(result).startswith("chinwag: stdin and stdout must be pipes or a terminal")


def test_the_agent_side_loads_no_textual():
    from test_packaging import modules_after

    loaded = modules_after("import chinwag.app.acp_agent.stdio, chinwag.app.cli.acp")
    assert not {m for m in loaded if m.split(".")[0] == "textual" or m.startswith("chinwag.app.tui")}


# -- the same rows as a TUI turn -------------------------------------------------------------------
VOLATILE_TURN = {"pk", "id", "session_id", "created_at", "started_at", "finished_at", "heartbeat_at", "owner_pid"}
VOLATILE_SESSION = {"pk", "id", "created_at", "updated_at", "last_activity_at"}
VOLATILE_CALL = {"pk", "turn_id", "session_id", "started_at", "finished_at"}


def rows(db: Path, session_id: str) -> dict:
    """What the database holds for one session, minus ids and times."""
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        session = {k: v for k, v in dict(conn.execute("SELECT * FROM sessions WHERE id = ?", (session_id,))
                                         .fetchone()).items() if k not in VOLATILE_SESSION}
        every = [dict(r) for r in conn.execute("SELECT * FROM turns WHERE session_id = ? ORDER BY seq", (session_id,))]
        seq_of = {t["id"]: t["seq"] for t in every}  # the tree's links compared by position, not by id
        session["head"] = seq_of.get(session.get("head"))
        turns = [{k: (seq_of.get(v) if k == "parent_id" else v) for k, v in t.items() if k not in VOLATILE_TURN}
                 for t in every]
        calls = [{k: v for k, v in dict(r).items() if k not in VOLATILE_CALL}
                 for r in conn.execute("SELECT * FROM tool_calls WHERE session_id = ? ORDER BY turn_id, seq",
                                       (session_id,))]
        events = [(r["type"], r["data"]) for r in conn.execute(
            "SELECT type, data FROM events WHERE session_id = ? ORDER BY id", (session_id,))]
    finally:
        conn.close()
    return {"session": session, "turns": turns, "tool_calls": calls, "events": events}


async def test_a_turn_from_an_acp_client_is_stored_exactly_as_a_tui_turn(chinwag_home, tmp_path, monkeypatch):
    from test_app_flows import submit, wait_for

    from chinwag.app.config.loader import Config
    from chinwag.app.tui.app import ChinwagApp

    prompt = "compare these two turns, tools included"
    workspace = tmp_path / "work"
    db = chinwag_home / "chinwag.db"
    store = Store(db)
    try:
        app = ChinwagApp(store=store, config=Config(defaults={"workspace": str(workspace)}), animate=False, new=True)
        async with app.run_test(size=(120, 40)) as pilot:
            await submit(pilot, app, prompt)
            tui_sid = app.chat.session.id
            await wait_for(pilot, lambda: store.list_turns(tui_sid)[-1].status == "complete")
            await pilot.pause(0.3)
    finally:
        store.close()
    async with chinwag_acp(chinwag_home) as (conn, _, _client):
        acp_sid = (await conn.new_session(cwd=str(workspace), mcp_servers=[])).session_id
        await asyncio.wait_for(conn.prompt(session_id=acp_sid, prompt=[text_block(prompt)]), GUARD)
    tui, acp = rows(db, tui_sid), rows(db, acp_sid)
    assert tui["turns"] and tui["tool_calls"] and tui["events"]
    assert acp == tui


# -- Chinwag's client running Chinwag's agent ------------------------------------------------------
async def test_the_tui_runs_chinwag_itself_as_an_acp_agent_and_resumes_it(chinwag_home, tmp_path, monkeypatch):
    from test_app_flows import submit, wait_for

    from chinwag.app.agents.acp import pool as acp_pool
    from chinwag.app.config.loader import Config
    from chinwag.app.tui.app import ChinwagApp

    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")  # `chinwag`
    config = Config(agents={"self": {"kind": "acp", "command": ["chinwag", "acp", "--agent", "echo"]}})
    store = Store(chinwag_home / "chinwag.db")
    session = store.create_session(agent="self", workspace=str(tmp_path), title="chinwag in chinwag")
    try:
        for prompt in ("hello from the outside", "and again, after a restart"):
            app = ChinwagApp(store=store, config=config, animate=False, session_id=session.id)
            async with app.run_test(size=(120, 40)) as pilot:
                await submit(pilot, app, prompt)
                await wait_for(pilot, lambda: store.list_turns(session.id)[-1].status in ("complete", "error"),
                               timeout=GUARD)
            await acp_pool.close_all()  # Chinwag quits: its agent (a `chinwag acp`) goes with it
            assert store.list_turns(session.id)[-1].text == echo_reply(prompt), store.list_turns(session.id)[-1].error
        outer = store.get_session(session.id)
        inner = store.get_session(outer.metadata["acp_session_id"])  # the agent's side: a session of its own
        assert outer.metadata["acp_restored"] is True and outer.metadata["acp_agent_info"] == "Chinwag"
        assert inner.agent == "echo" and inner.workspace == str(tmp_path)
        assert [t.text for t in store.list_turns(inner.id) if t.role == "user"] == \
            ["hello from the outside", "and again, after a restart"]
    finally:
        await acp_pool.close_all()
        store.close()
