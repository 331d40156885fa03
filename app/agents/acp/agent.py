"""Coding agents over the Agent Client Protocol (kind `acp`): Chinwag is the client.

The agent runs as a subprocess over stdio (`command`, `env`, `cwd` from its profile),
kept alive between turns (see `acp_pool`). The first turn `initialize`s it (its
capabilities are kept on the session) and opens its session with `session/new` in the
session's workspace, or `session/load` when reopening a session the agent can load; when
it cannot, the earlier conversation is replayed as text in the first prompt. Each turn is
one `session/prompt`; its `session/update`s become our events. Cancel sends
`session/cancel` and waits briefly; an agent that does not finish is terminated with its
whole process group (see `process_group`). A crash, a hang at start-up or garbage on stdout
ends the turn with an error and the agent's stderr tail; "Authentication required" lists
the agent's authMethods and how to log in. The agent gets Chinwag's environment without
secrets (see `environment`). Imported only when an ACP agent is used.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shlex
from collections.abc import AsyncIterator
from pathlib import Path

from acp import PROTOCOL_VERSION, text_block
from acp.client.connection import ClientSideConnection
from acp.schema import ClientCapabilities, FileSystemCapabilities, Implementation

from chinwag.app import version
from chinwag.app.agents.acp import pool as acp_pool
from chinwag.app.agents.acp import process_group
from chinwag.app.agents.acp.client import ChinwagClient
from chinwag.app.agents.acp.environment import agent_environment
from chinwag.app.agents.base import (
    AgentError,
    AgentEvent,
    Done,
    Failed,
    Message,
    SessionMeta,
    Usage,
)
from chinwag.app.config import paths
from chinwag.app.config.schema import Mode
from chinwag.storage import files

INIT_TIMEOUT = 30.0
CANCEL_GRACE = 2.0
EOF_GRACE = 1.0  # an agent told stdin is closed gets this long to exit by itself
IDLE_TIMEOUT = 600.0
STDERR_TAIL = 600
LINE_LIMIT = 16 * 1024 * 1024  # one JSON-RPC message may carry a whole file
ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(\x07|\x1b\\)?|\x1b.")
AUTH_REQUIRED = -32000  # the ACP error code for "Authentication required"


class AcpProcess:
    """One running agent subprocess with its connection and client."""

    def __init__(self, name: str, command: list[str], *, env: dict, cwd: str, workspace: str, stderr_path: Path):
        self.name = name
        self.command = command
        self.env = env
        self.cwd = cwd
        self.client = ChinwagClient(workspace, lambda: Mode.ASK, env=env)
        self.stderr_path = stderr_path
        self.capabilities: dict = {}
        self.agent_name = ""  # what the agent calls itself (initialize's agentInfo)
        self.auth_methods: list = []  # initialize's authMethods, for "Authentication required"
        self.session_id: str | None = None
        self.process = None
        self.conn: ClientSideConnection | None = None
        self._stderr = None

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.returncode is None

    def stderr_tail(self) -> str:
        try:
            data = self.stderr_path.read_bytes()[-STDERR_TAIL:]
        except OSError:
            return ""
        text = ANSI.sub("", data.decode("utf-8", errors="replace"))  # agents log in colour
        return " ".join("".join(c for c in text if c.isprintable() or c.isspace()).split())

    def failure(self, what: str, exc: BaseException) -> str:
        """`what` failed with `exc`: how to log in when the agent wants that, else its stderr tail."""
        if is_auth_required(exc):
            return login_hint(self.name, self.command, exc, self.auth_methods)
        return self.explain(f"{what}: {exc}")

    def explain(self, what: str) -> str:
        tail = self.stderr_tail()
        return f"{what}" + (f" — its stderr: …{tail}" if tail else " (nothing on its stderr)")

    async def start(self, init_timeout: float) -> None:
        files.ensure_private_dir(self.stderr_path.parent)
        self._stderr = files.open_private(self.stderr_path, "wb")
        try:
            self.process = await process_group.start(
                self.command[0], *self.command[1:], stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
                stderr=self._stderr.fileno(), env=self.env, cwd=self.cwd, limit=LINE_LIMIT,
            )
            self.conn = ClientSideConnection(self.client, self.process.stdin, self.process.stdout)
        except OSError as exc:
            await self.close()
            raise AgentError(f"cannot start agent {self.name!r} ({shlex.join(self.command)}): "
                             f"{exc.strerror or exc}") from None
        initialize = asyncio.ensure_future(self.conn.initialize(
            protocol_version=PROTOCOL_VERSION,
            client_capabilities=ClientCapabilities(
                fs=FileSystemCapabilities(read_text_file=True, write_text_file=True), terminal=True),
            client_info=Implementation(name="chinwag", title="Chinwag", version=_version()),
        ))
        exited = asyncio.ensure_future(process_group.exited(self.process))
        done, _ = await asyncio.wait({initialize, exited}, timeout=init_timeout, return_when=asyncio.FIRST_COMPLETED)
        exited.cancel()
        if initialize not in done:
            initialize.cancel()
            code = self.process.returncode
            await self.close()
            what = (f"agent {self.name!r} exited with code {code} before answering initialize" if code is not None
                    else f"agent {self.name!r} did not answer initialize within {init_timeout:g} s")
            raise AgentError(self.explain(what))
        try:
            response = initialize.result()
        except Exception as exc:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(process_group.exited(self.process), 1)
            code = self.process.returncode
            await self.close()
            what = (f"agent {self.name!r} exited with code {code} before answering initialize" if code is not None
                    else f"agent {self.name!r} failed to initialize: {exc}")
            raise AgentError(self.explain(what)) from None
        caps = response.agent_capabilities
        self.capabilities = caps.model_dump(mode="json", exclude_none=True) if caps is not None else {}
        self.auth_methods = list(getattr(response, "auth_methods", None) or [])
        info = getattr(response, "agent_info", None)
        self.agent_name = (getattr(info, "title", None) or getattr(info, "name", None) or "") if info else ""

    async def open_session(self, known_id: str | None) -> bool:
        """Open the agent's session; True when an earlier one was loaded (history restored)."""
        if known_id and self.capabilities.get("load_session"):
            try:
                await self.conn.load_session(cwd=self.client.workspace.as_posix(), session_id=known_id, mcp_servers=[])
                self.session_id = known_id
                return True
            except Exception:  # the agent forgot it: start afresh, the caller replays the context
                pass
        try:
            response = await self.conn.new_session(cwd=self.client.workspace.as_posix(), mcp_servers=[])
        except Exception as exc:
            if not (is_auth_required(exc) and await self._authenticate()):
                raise
            response = await self.conn.new_session(cwd=self.client.workspace.as_posix(), mcp_servers=[])
        self.session_id = response.session_id
        return False

    async def _authenticate(self) -> bool:
        """`authenticate` with an env_var method whose variables the agent was given (pass_env)."""
        for method in self.auth_methods:
            required = [v.name for v in getattr(method, "vars", None) or [] if not getattr(v, "optional", False)]
            if getattr(method, "type", None) == "env_var" and required and all(self.env.get(n) for n in required):
                try:
                    await self.conn.authenticate(method_id=method.id)
                    return True
                except Exception:  # noqa: BLE001 - try the next method; the caller explains the failure
                    continue
        return False

    async def close(self) -> None:
        """Stop the agent and all it spawned: its terminals, EOF on stdin, then its process group."""
        await self.client.aclose()
        if self.conn is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.conn.close(), EOF_GRACE)
        if self.process is not None:
            if self.process.stdin is not None:
                with contextlib.suppress(Exception):
                    self.process.stdin.close()
            if self.process.returncode is None:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(process_group.exited(self.process), EOF_GRACE)
            await process_group.terminate(self.process)
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None


def is_auth_required(exc: BaseException) -> bool:
    return getattr(exc, "code", None) == AUTH_REQUIRED or "authentication required" in str(exc).lower()


def login_hint(name: str, command: list[str], exc: BaseException, methods: list) -> str:
    """One line: the agent's authMethods (id, name, description) and what to do for each kind."""
    offered, steps, variables = [], [], []
    for method in methods:
        description = f": {method.description}" if getattr(method, "description", None) else ""
        offered.append(f"{method.id} ({method.name}{description})")
        kind = getattr(method, "type", None) or "agent"
        if kind == "env_var":
            variables += [var.name for var in getattr(method, "vars", None) or []]
        elif kind == "terminal":
            env = "".join(f"{k}={shlex.quote(v)} " for k, v in (getattr(method, "env", None) or {}).items())
            steps.append(f"run `{env}{shlex.join([*command, *(getattr(method, 'args', None) or [])])}` in a terminal")
    if variables:
        names = " or ".join(f"{n}=..." for n in dict.fromkeys(variables))
        steps.append(f"export {names} and name it in pass_env in [agents.{name}] of config.toml "
                     "(Chinwag passes no keys to agents unless named)")
    if not steps or any((getattr(m, "type", None) or "agent") == "agent" for m in methods):
        steps.insert(0, "run the agent's own login command in a terminal (its docs name it)")
    listed = f"; it offers: {'; '.join(offered)}" if offered else " (it lists no authMethods)"
    return (f"agent {name!r} needs you to log in ({exc}){listed}. To log in, "
            f"{', or '.join(dict.fromkeys(steps))}; then send again")


def _version() -> str:
    return version()


def replay_text(messages: list[Message]) -> str:
    """The earlier conversation as text, for an agent that cannot load its session."""
    lines = ["(Chinwag: the agent was restarted and could not restore this session; "
             "the earlier conversation follows.)"]
    for message in messages[:-1]:
        who = {"user": "User", "assistant": "Agent"}.get(message.role, "Note")
        lines.append(f"{who}: {message.text}")
    lines.append("")
    lines.append(messages[-1].text)
    return "\n\n".join(lines)


class AcpAgent:
    kind = "acp"

    def __init__(self, name: str, profile: dict, *, session_id: str, workspace: str, mode: str,
                 known_session: str | None = None):
        command = profile.get("command")
        if isinstance(command, str):
            command = shlex.split(command)
        if not command or not all(isinstance(part, str) for part in command):
            raise AgentError(f"agent {name!r}: kind \"acp\" needs command = [\"program\", \"arg\", ...]")
        self.name = name
        self._model = profile.get("model", "")
        self.command = list(command)
        self.env = agent_environment(profile)
        self.workspace = workspace or os.getcwd()
        self.cwd = profile.get("cwd") or self.workspace
        self.session_id = session_id
        self.mode = mode or Mode.ASK.value
        self.known_session = known_session
        self.init_timeout = float(profile.get("timeout") or INIT_TIMEOUT)
        self.idle_timeout = float(profile.get("idle_timeout") or IDLE_TIMEOUT)
        self.files_gate = None  # the turn's workspace checkpoint: writes and terminals wait for it (the runner sets it)

    @property
    def model(self) -> str:
        """The profile's model, else the name the running agent gave, else its program."""
        process = acp_pool.get(self.session_id)
        return self._model or (process.agent_name if process is not None else "") or Path(self.command[0]).name

    async def _process(self) -> tuple[AcpProcess, bool]:
        process = acp_pool.get(self.session_id)
        if process is not None:
            return process, False
        process = AcpProcess(self.name, self.command, env=self.env, cwd=self.cwd, workspace=self.workspace,
                             stderr_path=paths.private_dir("acp") / f"{self.session_id}.stderr.log")
        await process.start(self.init_timeout)
        acp_pool.put(self.session_id, process)
        return process, True

    async def stream(self, messages: list[Message], *, purpose: str = "chat") -> AsyncIterator[AgentEvent]:
        if purpose != "chat":
            yield Failed(f"{self.name} is an ACP agent: it manages its own context, so /compact and titles "
                         "are left to it", sent=False)
            return
        acp_pool.touch(self.session_id, None)
        try:
            process, fresh = await self._process()
        except AgentError as exc:
            yield Failed(str(exc), sent=False)
            return
        process.client.mode = lambda: self.mode
        process.client.gate = self.files_gate
        prompt = messages[-1].text if messages else ""
        if process.session_id is None:
            try:
                restored = await process.open_session(self.known_session)
            except Exception as exc:
                await acp_pool.close(self.session_id)
                yield Failed(process.failure(f"agent {self.name!r} could not open a session", exc), sent=False)
                return
            yield SessionMeta({"acp_session_id": process.session_id, "acp_agent": self.name,
                               "acp_agent_info": process.agent_name, "acp_capabilities": process.capabilities,
                               "acp_restored": restored})
            if not restored and len(messages) > 1:
                prompt = replay_text(messages)
        async for event in self._turn(process, prompt):
            yield event

    async def _turn(self, process: AcpProcess, prompt: str) -> AsyncIterator[AgentEvent]:
        queue: asyncio.Queue = asyncio.Queue()
        sink = queue.put_nowait
        process.client.begin_turn(sink)
        answer = asyncio.ensure_future(process.conn.prompt(session_id=process.session_id, prompt=[text_block(prompt)]))
        exited = asyncio.ensure_future(process_group.exited(process.process))
        getter: asyncio.Future | None = None
        finished = False
        try:
            while True:
                getter = asyncio.ensure_future(queue.get())
                done, _ = await asyncio.wait({getter, answer, exited}, return_when=asyncio.FIRST_COMPLETED)
                if getter in done:
                    yield getter.result()
                    continue
                getter.cancel()
                while not queue.empty():
                    yield queue.get_nowait()
                for event in process.client.end_turn(sink):
                    yield event
                finished = True
                if answer in done and answer.exception() is None:
                    response = answer.result()
                    usage = getattr(response, "usage", None)
                    if usage is not None:
                        yield Usage(int(usage.input_tokens), int(usage.output_tokens),
                                    cached_tokens=int(usage.cached_read_tokens or 0),
                                    reasoning_tokens=int(usage.thought_tokens or 0))
                    yield Done(str(response.stop_reason))
                    return
                if answer in done:
                    error = answer.exception()
                    await asyncio.sleep(0.05)  # let an exiting process settle so its code is known
                    code = process.process.returncode
                    message = (process.explain(f"agent {self.name!r} exited with code {code} mid-turn")
                               if code is not None else process.failure(f"agent {self.name!r} failed", error))
                else:
                    message = process.explain(f"agent {self.name!r} exited with code "
                                              f"{process.process.returncode} mid-turn")
                await acp_pool.close(self.session_id)
                yield Failed(message)
                return
        except asyncio.CancelledError:
            await self._cancel(process, answer)
            raise
        finally:
            if getter is not None:
                getter.cancel()
            exited.cancel()
            if not finished:
                process.client.end_turn(sink)
            if acp_pool.get(self.session_id) is process:
                acp_pool.touch(self.session_id, self.idle_timeout)

    async def _cancel(self, process: AcpProcess, answer: asyncio.Future) -> None:
        """`session/cancel`, then a short wait for the agent to end the turn; else terminate it."""
        with contextlib.suppress(Exception):
            await asyncio.wait_for(process.conn.cancel(session_id=process.session_id), CANCEL_GRACE)
        try:
            await asyncio.wait_for(asyncio.shield(answer), CANCEL_GRACE)
        except BaseException:  # noqa: BLE001 - timeout or an error: the agent did not end the turn cleanly
            answer.cancel()
            await acp_pool.close(self.session_id)
