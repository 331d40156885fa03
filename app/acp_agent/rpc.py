"""JSON-RPC for both transports: a method call is routed to the agent by the ACP SDK's
router, and every failure becomes an error object with one clear line as its message
(`{"code", "message", "data"}`), never a dead process or a bare "Invalid params".

    unknown method      -32601  unknown method 'x' (known: initialize, session/new, ...)
    malformed params    -32602  invalid params for session/prompt: sessionId: field required
    unknown session     -32602  no session matches id 'X'
    a prompt while one  -32001  session X is busy: a prompt is already running ...
    anything else       -32603  its first line

The seed's `session/new` params (`workspaceId`, `name`) are taken as `cwd` and the title.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from acp import RequestError
from acp.agent.router import build_agent_router
from acp.meta import AGENT_METHODS
from pydantic import BaseModel, ValidationError

from chinwag.app.agents.base import AgentError
from chinwag.app.errors import first_line
from chinwag.storage.errors import NotFound, SessionBusy, StorageError

log = logging.getLogger("chinwag.acp_agent")
BUSY = -32001  # a server error of JSON-RPC's reserved range (ACP uses -32000 for "Authentication required")
SERVED = ("initialize", "authenticate", "session/new", "session/load", "session/list", "session/set_mode",
          "session/prompt", "session/cancel")

Handler = Callable[[str, Any, bool], Awaitable[Any]]


def invalid(message: str, **data: Any) -> RequestError:
    return RequestError(-32602, message, data or None)


def busy(session_id: str) -> RequestError:
    return RequestError(BUSY, f"session {session_id} is busy: a prompt is already running "
                              "(wait for it, or send session/cancel first)", {"sessionId": session_id})


def _validation_line(method: str, exc: ValidationError) -> str:
    error = exc.errors(include_url=False)[0]
    where = ".".join(str(part) for part in error["loc"]) or "params"
    message = error["msg"][:1].lower() + error["msg"][1:]
    return f"invalid params for {method}: {where}: {message}"


def as_request_error(method: str, exc: BaseException) -> RequestError:
    """Any failure of a handler as the error object the client gets."""
    if isinstance(exc, RequestError):
        if exc.code == -32601:
            return RequestError(-32601, f"unknown method {method!r} (known: {', '.join(SERVED)})", exc.data)
        return exc
    if isinstance(exc, ValidationError):
        return RequestError(-32602, _validation_line(method, exc), {"errors": exc.errors(include_url=False,
                                                                                          include_context=False)})
    if isinstance(exc, NotFound):
        return invalid(first_line(exc))
    if isinstance(exc, SessionBusy):
        return RequestError(BUSY, first_line(exc))
    if isinstance(exc, (StorageError, AgentError, ValueError)):
        return RequestError(-32603, first_line(exc))
    log.exception("ACP method %s failed", method, exc_info=exc)
    return RequestError(-32603, f"{method} failed: {first_line(exc)}")


def seed_params(method: str, params: Any) -> Any:
    """`session/new` as the seed's HTTP clients send it: `workspaceId` for cwd, `name` for the title."""
    if method != AGENT_METHODS["session_new"] or not isinstance(params, dict) or "cwd" in params:
        return params
    if "workspaceId" not in params and "name" not in params:
        return params
    meta = dict(params.get("_meta") or {})
    if "name" in params:
        meta["title"] = params["name"]
    return {"cwd": str(params.get("workspaceId") or ""), "mcpServers": params.get("mcpServers") or [],
            "_meta": meta}


def handler(agent) -> Handler:
    """The agent's methods as a connection handler whose errors are one line each."""
    router = build_agent_router(agent)

    async def handle(method: str, params: Any, is_notification: bool) -> Any:
        try:
            result = await router(method, seed_params(method, params), is_notification)
        except Exception as exc:  # noqa: BLE001 - every failure is told to the client
            raise as_request_error(method, exc) from None
        if isinstance(result, BaseModel):
            return result.model_dump(mode="json", by_alias=True, exclude_none=True, exclude_unset=True)
        return result

    return handle


async def dispatch(handle: Handler, message: Any) -> dict | None:
    """One JSON-RPC message (as the HTTP endpoint receives it) -> its response, or None for a
    notification."""
    if not isinstance(message, dict) or message.get("jsonrpc") != "2.0" or not isinstance(message.get("method"), str):
        return _error(message.get("id") if isinstance(message, dict) else None,
                      RequestError(-32600, 'invalid request: a JSON-RPC 2.0 request needs "jsonrpc": "2.0" and '
                                           'a "method" string'))
    method, request_id = message["method"], message.get("id")
    if "id" not in message:
        try:
            await handle(method, message.get("params"), True)
        except RequestError as exc:
            log.warning("notification %s refused: %s", method, exc)
        return None
    try:
        result = await handle(method, message.get("params"), False)
    except RequestError as exc:
        return _error(request_id, exc)
    return {"jsonrpc": "2.0", "id": request_id, "result": result}


def _error(request_id: Any, exc: RequestError) -> dict:
    return {"jsonrpc": "2.0", "id": request_id, "error": exc.to_error_obj()}
