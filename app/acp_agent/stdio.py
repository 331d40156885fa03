"""`chinwag acp`: the agent on stdin/stdout, newline-delimited JSON-RPC (the ACP SDK's
connection), with Chinwag's own runner: turns stream as `session/update`s, permission
questions of an underlying agent in `ask` mode go to the client as
`session/request_permission`.

Stdout carries protocol only; logging (the SDK's too) goes to Chinwag's log file. The
process ends when stdin closes or on SIGTERM/SIGINT: running turns are settled as
`stopped` (their text kept), agent processes it started are closed with it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

from acp.connection import Connection
from acp.meta import CLIENT_METHODS
from acp.schema import RequestPermissionRequest, RequestPermissionResponse, SessionNotification
from acp.stdio import stdio_streams
from acp.utils import notify_model, request_model

from chinwag.app.acp_agent.agent import ChinwagAgent, Outbox
from chinwag.app.acp_agent.rpc import handler
from chinwag.app.agents.acp import pool as acp_pool
from chinwag.app.config import paths
from chinwag.app.config.loader import Config
from chinwag.app.core.runner import Runner
from chinwag.storage import Store

LINE_LIMIT = 50 * 1024 * 1024  # one message may carry whole files (embedded context)


class NotPiped(OSError):
    """stdin or stdout is a regular file (told in one line, like any OSError of a command)."""


class ClientSide:
    """What the agent asks of the client over the connection."""

    def __init__(self, conn: Connection):
        self.conn = conn

    async def session_update(self, session_id: str, update) -> None:
        await notify_model(self.conn, CLIENT_METHODS["session_update"],
                           SessionNotification(session_id=session_id, update=update))

    async def request_permission(self, *, session_id: str, options, tool_call) -> RequestPermissionResponse:
        return await request_model(self.conn, CLIENT_METHODS["session_request_permission"],
                                   RequestPermissionRequest(session_id=session_id, options=options,
                                                            tool_call=tool_call),
                                   RequestPermissionResponse)


def log_to_file() -> None:
    """Everything logged, by Chinwag or the SDK, goes to the log file, never to stdout."""
    root = logging.getLogger()
    try:
        handler_ = paths.log_handler()
    except OSError:
        handler_ = logging.NullHandler()
    handler_.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    root.addHandler(handler_)
    logging.getLogger("chinwag").setLevel(logging.INFO)


async def serve(store: Store, config: Config, *, agent_name: str = "", mode: str = "") -> bool:
    """Serve one client until stdin closes (True) or a signal stops it (False)."""
    try:
        reader, writer = await stdio_streams(limit=LINE_LIMIT)
    except ValueError:  # asyncio's pipe transports take pipes, sockets and terminals only
        raise NotPiped("stdin and stdout must be pipes or a terminal: run `chinwag acp` from an ACP client "
                       "(Zed, Toad, ...)") from None
    client: ClientSide | None = None

    async def send(session_id: str, update) -> None:
        assert client is not None
        await client.session_update(session_id, update)

    agent = ChinwagAgent(store, config, agent_name=agent_name, mode=mode, outbox=Outbox(send))
    agent.attach(Runner(store, config, on_event=agent.on_runner_event, on_permission=agent.on_permission))
    conn = Connection(handler(agent), writer, reader, listening=False)
    client = agent.client = ClientSide(conn)
    main = asyncio.current_task()
    assert main is not None
    stopped = False

    def stop() -> None:
        nonlocal stopped
        stopped = True
        main.cancel()

    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop)
    try:
        await conn.main_loop()
    except asyncio.CancelledError:
        if not stopped:
            raise
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
        with contextlib.suppress(Exception):
            await conn.close()  # in-flight prompts are cancelled: their turns settle as stopped
        await acp_pool.close_all()
    return not stopped
