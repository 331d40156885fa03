"""ACP over HTTP on a real server on 127.0.0.1: `POST /api/acp` JSON-RPC calls (the same
methods and one-line errors as stdio), `GET /api/acp?sessionId=` as an SSE stream of
`session/update`s resumable with Last-Event-ID, the seed's `session/new` params and
`GET /api/sessions?workspaceId=`, the ACP-shaped `/api/acp/sessions` listing with
`Cache-Control: no-store`, cancel and modes, and the seed's 500 `{"error"}` when the
database fails."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import urllib.error
import urllib.request

import pytest
from api_server import ApiServer

from chinwag.app.agents.echo import echo_reply
from chinwag.app.config.loader import Config
from chinwag.storage import Store

FAST = Config(agents={"echo": {"kind": "echo", "delay": 0.002, "chunk": 3},
                      "slow": {"kind": "echo", "delay": 0.05, "chunk": 2}})


@pytest.fixture
def api(db_path):
    with ApiServer(db_path, FAST) as server:
        yield server


def rpc(api, method: str, params: dict | None = None, *, id: int | None = 1):
    message = {"jsonrpc": "2.0", "method": method, "params": params or {}}
    if id is not None:
        message["id"] = id
    status, body = api.call("POST", "/api/acp", message)
    assert status == 200, body
    return body


def get(api, path: str, headers: dict | None = None):
    request = urllib.request.Request(api.url + path, headers={"Authorization": f"Bearer {api.token}",
                                                              **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status, response.headers, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, json.loads(exc.read())


def updates(api, session_id: str, *, until, last_event_id: str | None = None, on_open=None, timeout: float = 20):
    """(SSE id, update) pairs from GET /api/acp until `until(updates so far)` holds."""
    request = urllib.request.Request(f"{api.url}/api/acp?sessionId={session_id}",
                                     headers={"Authorization": f"Bearer {api.token}"})
    if last_event_id is not None:
        request.add_header("Last-Event-ID", last_event_id)
    got: list[tuple[str, dict]] = []
    with urllib.request.urlopen(request, timeout=timeout) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        if on_open:
            on_open()
        fields: dict[str, str] = {}
        for raw in response:
            line = raw.decode().rstrip("\n")
            if line.startswith(":"):
                continue
            if line:
                key, _, value = line.partition(": ")
                fields[key] = value
                continue
            if fields.get("event") == "message":
                message = json.loads(fields["data"])
                assert message["method"] == "session/update" and message["params"]["sessionId"] == session_id
                got.append((fields["id"], message["params"]["update"]))
                if until(got):
                    return got
            fields = {}
    return got


def text_of(got, kind: str = "agent_message_chunk") -> str:
    return "".join(u["content"]["text"] for _, u in got if u["sessionUpdate"] == kind)


def test_acp_routes_need_the_token(api):
    for method, path in (("POST", "/api/acp"), ("GET", "/api/acp?sessionId=x"), ("GET", "/api/acp/sessions")):
        status, body = api.call(method, path, {} if method == "POST" else None, token="wrong-token")
        assert status == 401 and "bearer token" in body["error"]


def test_new_prompt_and_the_event_stream_resumed_with_last_event_id(api, tmp_path):
    init = rpc(api, "initialize", {"protocolVersion": 1})["result"]
    assert init["agentCapabilities"]["loadSession"] is True and init["authMethods"] == []
    sid = rpc(api, "session/new", {"cwd": str(tmp_path), "mcpServers": []})["result"]["sessionId"]
    prompt = "hello over http, with tools"
    opened, answers = threading.Event(), []

    def send() -> None:
        opened.wait(10)
        answers.append(rpc(api, "session/prompt", {"sessionId": sid, "prompt": [{"type": "text", "text": prompt}]}))

    sender = threading.Thread(target=send)
    sender.start()
    live = updates(api, sid, on_open=opened.set, until=lambda got: text_of(got) == echo_reply(prompt))
    sender.join(20)
    result = answers[0]["result"]
    assert result["stopReason"] == "end_turn" and result["_meta"]["chinwag"]["status"] == "complete"
    kinds = [u["sessionUpdate"] for _, u in live]
    assert live[0][1] == {"sessionUpdate": "session_info_update", "title": prompt, "updatedAt": live[0][1]["updatedAt"]}
    assert kinds[1] == "user_message_chunk" and text_of(live, "user_message_chunk") == prompt
    assert kinds.count("tool_call") == 2 and "tool_call_update" in kinds
    # resumed after the first update: everything after it, once
    resumed = updates(api, sid, last_event_id=live[0][0], until=lambda got: text_of(got) == echo_reply(prompt))
    assert [u for _, u in resumed] == [u for _, u in live[1:]]
    # from 0: the whole session, as session/load replays it on stdio
    replay = updates(api, sid, last_event_id="0", until=lambda got: text_of(got) == echo_reply(prompt))
    assert [u for _, u in replay] == [u for _, u in live]
    loaded = rpc(api, "session/load", {"sessionId": sid, "cwd": str(tmp_path), "mcpServers": []})["result"]
    assert loaded["modes"]["currentModeId"] == "ask"
    assert loaded["_meta"]["chinwag"]["replay"] == f"GET /api/acp?sessionId={sid}&last_event_id=0"


def test_the_seeds_session_new_and_both_listings(api, db_path):
    created = rpc(api, "session/new", {"workspaceId": "default", "name": "My Session"})["result"]
    rpc(api, "session/new", {"workspaceId": "elsewhere", "name": "Other"})
    status, headers, listed = get(api, "/api/sessions?workspaceId=default")
    assert status == 200 and headers["cache-control"] == "no-store"
    assert [(s["id"], s["title"], s["workspace"]) for s in listed["sessions"]] == \
        [(created["sessionId"], "My Session", "default")]
    status, headers, acp = get(api, "/api/acp/sessions?workspaceId=default")
    assert status == 200 and headers["cache-control"] == "no-store"
    (session,) = acp["sessions"]
    assert set(session) == {"sessionId", "name", "workspaceId", "createdAt", "lastActivity", "status"}
    assert (session["sessionId"], session["name"], session["workspaceId"], session["status"]) == \
        (created["sessionId"], "My Session", "default", "idle")
    assert session["createdAt"].endswith("Z") and "T" in session["lastActivity"]
    store = Store(db_path)
    try:
        store.archive_session(created["sessionId"])
    finally:
        store.close()
    assert get(api, "/api/acp/sessions?workspaceId=default")[2]["sessions"][0]["status"] == "closed"
    assert len(get(api, "/api/acp/sessions")[2]["sessions"]) == 2


def test_cancel_busy_and_modes_over_http(api, db_path):
    _, made = api.call("POST", "/api/sessions", {"title": "slow one", "agent": "slow"})
    sid = made["session"]["id"]  # a REST session is an ACP session: the ids are the same
    prompt = "a long prompt for the slow agent to echo " * 4
    answers = []
    sender = threading.Thread(target=lambda: answers.append(
        rpc(api, "session/prompt", {"sessionId": sid, "prompt": [{"type": "text", "text": prompt}]})))
    sender.start()
    store = Store(db_path)
    try:
        deadline = time.monotonic() + 20
        while not ((turn := store.running_turn(sid)) and len(turn.text) > 10) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert get(api, "/api/acp/sessions")[2]["sessions"][0]["status"] == "active"
        busy = rpc(api, "session/prompt", {"sessionId": sid, "prompt": [{"type": "text", "text": "me too"}]}, id=2)
        assert busy["error"]["code"] == -32001 and f"session {sid} is busy" in busy["error"]["message"]
        assert rpc(api, "session/cancel", {"sessionId": sid}, id=None) == {"jsonrpc": "2.0", "id": None, "result": None}
        sender.join(20)
        assert answers[0]["result"]["stopReason"] == "cancelled"
        stopped = store.list_turns(sid)[-1]
        assert stopped.status == "stopped" and stopped.text and echo_reply(prompt).startswith(stopped.text)
        assert rpc(api, "session/set_mode", {"sessionId": sid, "modeId": "readonly"}) == \
            {"jsonrpc": "2.0", "id": 1, "result": {}}
        assert store.get_session(sid).mode == "readonly"
        wild = rpc(api, "session/set_mode", {"sessionId": sid, "modeId": "wild"})
        assert wild["error"]["message"] == "unknown mode 'wild' (modes: ask, bypass, readonly)"
    finally:
        store.close()
    replay = updates(api, sid, last_event_id="0",
                     until=lambda got: any(u["sessionUpdate"] == "current_mode_update" for _, u in got))
    assert replay[-1][1] == {"sessionUpdate": "current_mode_update", "currentModeId": "readonly"}


@pytest.mark.parametrize(("body", "status", "needle"), [
    (b"{not json", 400, "invalid JSON"),
    (b"[]", 400, "batch requests are not supported"),
    (b'"text"', 400, "the body must be a JSON-RPC request object"),
])
def test_a_body_that_is_not_one_json_rpc_object_is_a_400(api, body, status, needle):
    got, answer = api.call("POST", "/api/acp", raw=body)
    assert got == status and needle in answer["error"] and set(answer) == {"error"}


@pytest.mark.parametrize(("message", "code", "text"), [
    ({"jsonrpc": "2.0", "id": 3, "method": 5}, -32600, "invalid request: method must be str"),
    ({"jsonrpc": "1.0", "id": 3, "method": "initialize"}, -32600, "invalid request: jsonrpc must be one of '2.0'"),
    ({"jsonrpc": "2.0", "id": 3, "method": "session/prompt",
      "params": {"sessionId": "NOPE", "prompt": [{"type": "text", "text": "hi"}]}}, -32602,
     "no session matches id 'NOPE'"),
    ({"jsonrpc": "2.0", "id": 3, "method": "session/prompt", "params": {"prompt": []}}, -32602,
     "invalid params for session/prompt: sessionId: field required"),
    ({"jsonrpc": "2.0", "id": 3, "method": "session/fly", "params": {}}, -32601, "unknown method 'session/fly'"),
])
def test_bad_calls_get_one_line_json_rpc_errors(api, message, code, text):
    status, answer = api.call("POST", "/api/acp", message)
    assert status == 200 and answer["id"] == 3 and answer["error"]["code"] == code
    assert answer["error"]["message"].startswith(text) and "\n" not in answer["error"]["message"]


def test_the_event_stream_refuses_a_missing_or_unknown_session(api):
    status, _, body = get(api, "/api/acp")
    assert status == 422 and body == {"error": "missing query parameter(s): sessionId"}
    status, _, body = get(api, "/api/acp?sessionId=NOPE")
    assert status == 404 and body == {"error": "no session matches id 'NOPE'"}


def test_a_failing_database_is_a_500_in_the_seeds_shape(api, db_path):
    rpc(api, "session/new", {"cwd": "/w", "mcpServers": []})
    with sqlite3.connect(db_path) as conn:  # the table the listings read is gone
        conn.execute("ALTER TABLE sessions RENAME TO sessions_gone")
    conn.close()
    for path in ("/api/sessions", "/api/acp/sessions?workspaceId=default"):
        status, _, body = get(api, path)
        assert status == 500 and set(body) == {"error"}
        assert body["error"].startswith("failed to load sessions from the database: ") and "sessions" in body["error"]
