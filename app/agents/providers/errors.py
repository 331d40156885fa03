"""Provider failures told in one line that says what to do, and which ones to retry.

Imported only after a request failed (it needs pydantic-ai's exception classes). A key
never appears in a message: the text is scrubbed of the key's value before it leaves.
"""

from __future__ import annotations

import asyncio
import socket

from pydantic_ai import exceptions as pe

from chinwag.app.errors import first_line

MAX_LISTED_MODELS = 5


def _status(exc: BaseException) -> int | None:
    return getattr(exc, "status_code", None)


def retry_delay(exc: BaseException, attempt: int, cap: float) -> float | None:
    """Seconds to wait before retrying `exc`, or None when retrying would not help."""
    retryable = isinstance(exc, (pe.ModelRateLimitError, pe.ModelOverloadedError)) or _status(exc) in (429, 503, 529)
    if not retryable:
        return None
    asked = getattr(exc, "retry_after", None)
    if asked is None:
        try:
            asked = float((getattr(exc, "headers", None) or {}).get("retry-after", ""))
        except ValueError:
            asked = None
    wait = float(asked) if asked is not None else float(2**attempt)
    return max(0.0, min(wait, cap))


def _server_message(exc: BaseException) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        error = body.get("error", body)
        if isinstance(error, dict) and error.get("message"):
            return str(error["message"])
        if isinstance(error, str):
            return error
    return first_line(exc)


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    while exc is not None and all(exc is not e for e in seen):
        seen.append(exc)
        exc = exc.__cause__ or exc.__context__
    return seen


def _root_cause(exc: BaseException) -> BaseException:
    return _chain(exc)[-1]


def reached_server(exc: BaseException) -> bool:
    """False when the request never got to a server: refused, unknown host, connect timeout.
    A connection the server closed mid-reply (RemoteProtocolError, ReadError) did reach it."""
    for link in _chain(exc):
        if isinstance(link, (ConnectionRefusedError, socket.gaierror)) \
                or type(link).__name__ in ("ConnectError", "ConnectTimeout"):
            return False
    return True


def _connection_detail(exc: BaseException) -> str:
    root = _root_cause(exc)
    text = f"{type(root).__name__}: {root}".lower()
    if "refused" in text or "all connection attempts failed" in text:
        return "connection refused"
    if "name or service" in text or "nodename" in text or "getaddrinfo" in text:
        return "host not found"
    return str(root) or type(root).__name__


async def _some_models(agent) -> str:
    try:
        models = await asyncio.wait_for(agent.list_models(), timeout=5)
    except Exception:
        return ""
    if not models:
        return ""
    shown = ", ".join(models[:MAX_LISTED_MODELS])
    more = f" and {len(models) - MAX_LISTED_MODELS} more" if len(models) > MAX_LISTED_MODELS else ""
    return f"; models there include: {shown}{more} (/model lists them)"


async def describe(exc: BaseException, agent, *, key: str = "", attempts: int = 1, produced: bool = False) -> str:
    message = await _describe(exc, agent, attempts, produced)
    if key and len(key) >= 4:
        message = message.replace(key, "***")
    return " ".join(message.split())


async def _describe(exc: BaseException, agent, attempts: int, produced: bool = False) -> str:
    where = agent.base_url
    status = _status(exc)
    detail = _server_message(exc)
    if isinstance(exc, pe.ModelAuthenticationError) or status in (401, 403):
        return (f"{where} refused the API key (HTTP {status or 401}): check {agent.key_env} "
                f"for agent {agent.name!r} ({detail})")
    if isinstance(exc, pe.ModelNotFoundError) or status == 404:
        return f"unknown model {agent.model!r} at {where} ({detail}){await _some_models(agent)}"
    if isinstance(exc, pe.ModelContextWindowExceededError) or "context length" in detail.lower() \
            or "context_length" in detail.lower() or "too many tokens" in detail.lower():
        return f"the conversation is longer than {agent.model}'s context window ({detail}): run /compact and send again"
    if isinstance(exc, pe.ModelRateLimitError) or status == 429:
        return f"rate limited by {where} (HTTP 429) after {attempts} attempt(s): {detail}; try again later"
    if isinstance(exc, pe.ModelQuotaExceededError):
        return f"{where} says the account's quota is used up: {detail}"
    if isinstance(exc, (pe.ModelTimeoutError, pe.ModelRequestTimeout)):
        return f"{where} did not answer within {agent.timeout:g} s (timeout); nothing more was received"
    if isinstance(exc, pe.ModelConnectionError):
        if produced or reached_server(exc):
            kept = "; the partial text is kept" if produced else ""
            return f"{where}: the server closed the stream before the reply was finished ({_connection_detail(exc)}){kept}"
        return f"cannot connect to {where} ({_connection_detail(exc)}): is the server running?"
    if isinstance(exc, pe.ModelHTTPError) or status:
        return f"{where} answered HTTP {status}: {detail}"
    if isinstance(exc, pe.UnexpectedModelBehavior):
        return f"malformed reply from {where}: {detail}"
    root = _root_cause(exc)
    name = type(root).__name__
    if "timeout" in name.lower():
        return f"{where} did not answer within {agent.timeout:g} s (timeout); nothing more was received"
    if "connect" in name.lower() or "protocol" in name.lower():
        return f"the connection to {where} broke mid-reply ({name}: {root}); the partial text is kept"
    if "json" in name.lower() or "validation" in name.lower() or "decode" in name.lower():
        return f"malformed stream from {where} ({name}); the partial text is kept"
    return f"{agent.kind} request to {where} failed: {name}: {root}"


def cut_off(agent) -> str:
    return f"the stream from {agent.base_url} ended before the reply was finished; the partial text is kept"


def empty_reply(agent) -> str:
    return f"{agent.base_url} returned an empty reply for model {agent.model!r} (no text at all); try again or /model"
