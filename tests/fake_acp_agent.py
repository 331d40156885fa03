"""A scripted ACP agent for tests (agent side of the `agent-client-protocol` package).

Run as `python fake_acp_agent.py`; Chinwag spawns it like any ACP agent. What it does in a
turn depends on words in the prompt:

    plan        a plan with two entries, then updated in place
    tool        a tool call: pending -> in_progress (text) -> a diff -> completed
    permission  asks for permission to edit a file; replies with the chosen option id
    read PATH   calls the client's fs/read_text_file; replies with the text or the error
    write PATH  calls fs/write_text_file with "written by the agent"
    toolwrite PATH...  one edit tool call per PATH (call-w1, call-w2, ...), each writing
                "edited by call-wN" to its PATH through fs/write_text_file
    diskwrite PATH...  one tool call (call-d1) that asks permission, then writes "written to
                disk" to each PATH itself, straight to disk (not through Chinwag)
    diskdelete PATH... the same (call-x1), deleting each PATH straight from disk
    terminal    runs `echo terminal-ok` through the client's terminal methods
    commands    advertises two slash commands
    slow        streams 200 words 20 ms apart, stopping when cancelled
    hang        never answers (ignores cancel) until killed
    crash       prints to stderr and exits mid-turn
    usage       reports token usage
    env         replies `env: ["NAME", ...]` (the names in its environment)
    termenv     the same names as seen by a terminal it opens
    bgterminal  opens a terminal whose shell starts `sleep 300` in the background and
                replies `terminal child: PID` (the terminal is left running)

Otherwise it answers `echo #N: PROMPT` (N counts this session's turns, so a resumed
session shows whether the agent remembers). Environment: FAKE_ACP_STATE (a JSON file the
sessions are kept in, for session/load), FAKE_ACP_NO_LOAD=1 (no load support),
FAKE_ACP_GARBAGE=1 (junk on stdout), FAKE_ACP_NO_INIT=1 (never answers initialize),
FAKE_ACP_EXIT=1 (exits at once with a message on stderr), FAKE_ACP_PIDS (a file it appends
`agent PID` to at start), FAKE_ACP_HELPER=1 (starts a `sleep 300` helper child at start that
inherits its stdout and stderr, appended as `helper PID`), FAKE_ACP_AUTH=1 (advertises two authMethods and refuses
session/new with "Authentication required" until `authenticate`d with fake-key, which
needs FAKE_AGENT_API_KEY).
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

if os.environ.get("FAKE_ACP_PIDS"):
    with open(os.environ["FAKE_ACP_PIDS"], "a") as pids:
        pids.write(f"agent {os.getpid()}\n")
        if os.environ.get("FAKE_ACP_HELPER"):  # a helper it runs (an MCP server...), holding its stdout and stderr
            helper = subprocess.Popen(["sleep", "300"], stdin=subprocess.DEVNULL)
            pids.write(f"helper {helper.pid}\n")
if os.environ.get("FAKE_ACP_EXIT"):
    print("fake agent: missing credentials, exiting", file=sys.stderr)
    sys.exit(2)
if os.environ.get("FAKE_ACP_GARBAGE"):
    sys.stdout.write("this is not json-rpc\n{broken\n")
    sys.stdout.flush()

from acp import (  # noqa: E402
    PROTOCOL_VERSION,
    plan_entry,
    run_agent,
    start_tool_call,
    text_block,
    tool_content,
    tool_diff_content,
    update_agent_message_text,
    update_agent_thought_text,
    update_plan,
    update_tool_call,
    update_user_message_text,
)
from acp.helpers import update_available_commands  # noqa: E402
from acp.schema import (  # noqa: E402
    AgentCapabilities,
    AuthEnvVar,
    AuthMethodAgent,
    AvailableCommand,
    EnvVarAuthMethod,
    Implementation,
    InitializeResponse,
    LoadSessionResponse,
    NewSessionResponse,
    PermissionOption,
    PromptResponse,
    ToolCallUpdate,
    Usage,
    UsageUpdate,
)

STATE = Path(os.environ["FAKE_ACP_STATE"]) if os.environ.get("FAKE_ACP_STATE") else None


def load_state() -> dict:
    if STATE and STATE.exists():
        return json.loads(STATE.read_text())
    return {}


def save_state(state: dict) -> None:
    if STATE:
        STATE.write_text(json.dumps(state))


class FakeAgent:
    def __init__(self) -> None:
        self.conn = None
        self.sessions = load_state()
        self.cancelled: set[str] = set()

    def on_connect(self, conn) -> None:
        self.conn = conn

    async def initialize(self, protocol_version: int, client_capabilities=None, client_info=None, **kwargs):
        if os.environ.get("FAKE_ACP_NO_INIT"):
            await asyncio.sleep(3600)
        self.client_capabilities = client_capabilities
        methods = [
            AuthMethodAgent(id="fake-login", name="Log in with Fake", description="Run `fake-agent login` in a terminal"),
            EnvVarAuthMethod(type="env_var", id="fake-key", name="Use an API key",
                             description="Requires FAKE_AGENT_API_KEY", vars=[AuthEnvVar(name="FAKE_AGENT_API_KEY")]),
        ] if os.environ.get("FAKE_ACP_AUTH") else []
        return InitializeResponse(
            protocol_version=PROTOCOL_VERSION,
            agent_capabilities=AgentCapabilities(load_session=not os.environ.get("FAKE_ACP_NO_LOAD")),
            agent_info=Implementation(name="fake-acp-agent", title="Fake ACP agent", version="1.0"),
            auth_methods=methods,
        )

    async def new_session(self, cwd: str, mcp_servers=None, **kwargs):
        if os.environ.get("FAKE_ACP_AUTH") and not getattr(self, "authenticated", False):
            from acp import RequestError

            raise RequestError.auth_required()
        session_id = "fake-" + uuid.uuid4().hex[:8]
        self.sessions[session_id] = {"cwd": cwd, "history": []}
        save_state(self.sessions)
        return NewSessionResponse(session_id=session_id)

    async def load_session(self, cwd: str, session_id: str, mcp_servers=None, **kwargs):
        if session_id not in self.sessions:
            from acp import RequestError

            raise RequestError.invalid_params({"sessionId": "unknown session"})
        for role, text in self.sessions[session_id]["history"]:
            update = update_user_message_text(text) if role == "user" else update_agent_message_text(text)
            await self.conn.session_update(session_id, update)
        return LoadSessionResponse()

    async def authenticate(self, method_id: str, **kwargs):
        if method_id != "fake-key" or not os.environ.get("FAKE_AGENT_API_KEY"):
            from acp import RequestError

            raise RequestError.auth_required()
        self.authenticated = True

    async def cancel(self, session_id: str, **kwargs) -> None:
        self.cancelled.add(session_id)

    async def say(self, session_id: str, text: str) -> None:
        await self.conn.session_update(session_id, update_agent_message_text(text))

    async def prompt(self, session_id: str, prompt, **kwargs):
        text = " ".join(getattr(block, "text", "") for block in prompt)
        session = self.sessions.setdefault(session_id, {"cwd": os.getcwd(), "history": []})
        self.cancelled.discard(session_id)
        words = text.split()
        reply: list[str] = []

        async def say(part: str) -> None:
            reply.append(part)
            await self.say(session_id, part)

        if "crash" in words:
            await say("about to crash… ")
            await asyncio.sleep(0.05)
            print("fake agent: crashing on purpose (segfault simulation)", file=sys.stderr, flush=True)
            os._exit(3)
        if "hang" in words:
            await asyncio.sleep(3600)
        if "commands" in words:
            await self.conn.session_update(session_id, update_available_commands([
                AvailableCommand(name="review", description="review the current diff"),
                AvailableCommand(name="init", description="write an AGENTS.md"),
            ]))
        if "plan" in words:
            entries = [plan_entry("Read the code"), plan_entry("Write the fix")]
            await self.conn.session_update(session_id, update_plan(entries))
            entries = [plan_entry("Read the code", status="completed"),
                       plan_entry("Write the fix", status="in_progress")]
            await self.conn.session_update(session_id, update_plan(entries))
        if "tool" in words:
            await self.conn.session_update(session_id, update_agent_thought_text("I should edit the file."))
            await self.conn.session_update(session_id, start_tool_call(
                "call-1", "Edit src/app.py", kind="edit", status="pending", raw_input={"path": "src/app.py"}))
            await self.conn.session_update(session_id, update_tool_call(
                "call-1", status="in_progress", content=[tool_content(text_block("opening src/app.py"))]))
            await self.conn.session_update(session_id, update_tool_call(
                "call-1", status="completed",
                content=[tool_diff_content("src/app.py", "print('new')\n", "print('old')\n")]))
        if "permission" in words:
            answer = await self.conn.request_permission(
                session_id=session_id,
                tool_call=ToolCallUpdate(tool_call_id="call-p", title="Write config.toml", kind="edit"),
                options=[PermissionOption(option_id="allow-once", name="Allow once", kind="allow_once"),
                         PermissionOption(option_id="allow-always", name="Allow always", kind="allow_always"),
                         PermissionOption(option_id="reject", name="Reject", kind="reject_once")],
            )
            outcome = answer.outcome
            await say(f"permission: {getattr(outcome, 'option_id', None) or outcome.outcome} ")
        for verb in ("read", "write"):
            if verb in words and words.index(verb) + 1 < len(words):
                path = words[words.index(verb) + 1]
                try:
                    if verb == "read":
                        result = await self.conn.read_text_file(session_id=session_id, path=path)
                        await say(f"read ok: {result.content.strip()} ")
                    else:
                        await self.conn.write_text_file(session_id=session_id, path=path, content="written by the agent")
                        await say("write ok ")
                except Exception as exc:  # the client refused
                    await say(f"{verb} refused: {exc} ")
        await self.file_tools(session_id, words, say)
        if "terminal" in words:
            term = await self.conn.create_terminal(session_id=session_id, command="echo", args=["terminal-ok"])
            await self.conn.wait_for_terminal_exit(session_id=session_id, terminal_id=term.terminal_id)
            output = await self.conn.terminal_output(session_id=session_id, terminal_id=term.terminal_id)
            await self.conn.release_terminal(session_id=session_id, terminal_id=term.terminal_id)
            await say(f"terminal said: {output.output.strip()} ")
        if "env" in words:
            await say(f"env: {json.dumps(sorted(os.environ))} ")
        if "termenv" in words:
            term = await self.conn.create_terminal(
                session_id=session_id, command=sys.executable,
                args=["-c", "import json, os; print(json.dumps(sorted(os.environ)))"])
            await self.conn.wait_for_terminal_exit(session_id=session_id, terminal_id=term.terminal_id)
            output = await self.conn.terminal_output(session_id=session_id, terminal_id=term.terminal_id)
            await self.conn.release_terminal(session_id=session_id, terminal_id=term.terminal_id)
            await say(f"termenv: {output.output.strip()} ")
        if "bgterminal" in words:
            term = await self.conn.create_terminal(session_id=session_id, command="sh",
                                                   args=["-c", "sleep 300 & echo $!; wait"])
            output = ""
            while not output.strip():
                await asyncio.sleep(0.02)
                output = (await self.conn.terminal_output(session_id=session_id, terminal_id=term.terminal_id)).output
            await say(f"terminal child: {output.strip()} ")
        if "slow" in words:
            for n in range(200):
                if session_id in self.cancelled:
                    return PromptResponse(stop_reason="cancelled")
                await say(f"w{n} ")
                await asyncio.sleep(0.02)
        if "usage" in words:
            await self.conn.session_update(session_id, UsageUpdate(session_update="usage_update", used=1500, size=200000))
        turn = sum(1 for role, _ in session["history"] if role == "user") + 1
        await say(f"echo #{turn}: {text}")
        session["history"] += [["user", text], ["agent", "".join(reply)]]
        save_state(self.sessions)
        usage = Usage(input_tokens=120, output_tokens=30, total_tokens=150) if "usage" in words else None
        return PromptResponse(stop_reason="end_turn", usage=usage)

    async def file_tools(self, session_id: str, words: list[str], say) -> None:
        """toolwrite / diskwrite / diskdelete: the paths are the words after the verb that
        contain a dot or a slash."""
        def paths_after(verb: str) -> list[str]:
            if verb not in words:
                return []
            found = []
            for word in words[words.index(verb) + 1:]:
                if "." not in word and "/" not in word:
                    break
                found.append(word)
            return found

        for number, path in enumerate(paths_after("toolwrite"), 1):
            call = f"call-w{number}"
            await self.conn.session_update(session_id, start_tool_call(
                call, f"Edit {path}", kind="edit", status="in_progress", raw_input={"path": path}))
            await self.conn.write_text_file(session_id=session_id, path=path, content=f"edited by {call}\n")
            await self.conn.session_update(session_id, update_tool_call(call, status="completed"))
            await say(f"{call} wrote {path} ")
        for verb, call in (("diskwrite", "call-d1"), ("diskdelete", "call-x1")):
            paths = paths_after(verb)
            if not paths:
                continue
            await self.conn.session_update(session_id, start_tool_call(
                call, f"{verb} {' '.join(paths)}", kind="edit" if verb == "diskwrite" else "delete",
                status="in_progress"))
            answer = await self.conn.request_permission(  # as coding agents do before they edit
                session_id=session_id, tool_call=ToolCallUpdate(tool_call_id=call, title=verb, kind="edit"),
                options=[PermissionOption(option_id="allow", name="Allow", kind="allow_once"),
                         PermissionOption(option_id="reject", name="Reject", kind="reject_once")])
            if getattr(answer.outcome, "option_id", None) != "allow":
                await say(f"{verb} refused ")
                continue
            for path in paths:
                target = Path(self.sessions[session_id]["cwd"]) / path
                if verb == "diskwrite":
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_text("written to disk\n")
                else:
                    target.unlink()
            await self.conn.session_update(session_id, update_tool_call(call, status="completed"))
            await say(f"{verb} done ")


if __name__ == "__main__":
    asyncio.run(run_agent(FakeAgent()))
