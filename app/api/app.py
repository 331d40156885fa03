"""The local HTTP API under `/api` (Starlette): sessions, messages, live events (SSE),
cancel, compact and search, on the same storage and runner as the TUI and the CLI.

Every request needs `Authorization: Bearer TOKEN`. Bodies are JSON objects with known
fields only, at most `MAX_BODY` bytes, sent within `BODY_TIMEOUT` seconds; anything else is a 4xx with `{"error": "..."}` and
changes nothing. Turns sent here run in this process's runner; turns running anywhere
else (the TUI, a worker) are seen through the database by the event stream.

Every database call (handlers, the runner's turns, the event stream) runs in a worker
thread (`offload.in_thread`): a locked or slow database delays only the requests that
need it, never the event loop that serves every client.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import os
from dataclasses import asdict

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from chinwag.app.api.events import follow_events
from chinwag.app.api.openapi import openapi_document
from chinwag.app.config.loader import Config
from chinwag.app.core.offload import in_thread
from chinwag.app.core.runner import Runner
from chinwag.storage import AmbiguousId, NotFound, SessionBusy, StorageError, Store
from chinwag.storage.models import SESSION_KINDS

MAX_BODY = 1_000_000
DRAIN_LIMIT = 20 * MAX_BODY  # beyond this the connection is cut rather than read
PAGE_MAX = 500
BODY_TIMEOUT = 30.0  # seconds to send a whole body: a stalled client does not hold a request open

CREATE_FIELDS = {"title": str, "kind": str, "workspace": str, "agent": str, "model": str, "mode": str,
                 "prompt": str, "metadata": dict}
PATCH_FIELDS = {"title": str, "metadata": dict}
MESSAGE_FIELDS = {"prompt": str}
COMPACT_FIELDS = {"window": int, "instructions": str}


class ApiError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


class TokenAuth(BaseHTTPMiddleware):
    """Bearer token on every /api request (compared in constant time)."""

    def __init__(self, app, token: str):
        super().__init__(app)
        self.token = token

    async def dispatch(self, request: Request, call_next):
        header = request.headers.get("authorization", "")
        scheme, _, given = header.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), self.token.encode()):
            return error(401, "missing or wrong bearer token (chinwag serve --show-token prints it)")
        return await call_next(request)


async def body_of(request: Request, fields: dict, *, required: tuple[str, ...] = ()) -> dict:
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > DRAIN_LIMIT:
        raise ApiError(413, f"body larger than {MAX_BODY:,} bytes")
    raw, size = bytearray(), 0
    try:
        async with asyncio.timeout(BODY_TIMEOUT):
            async for chunk in request.stream():  # read it all (a client gets its 413, not a broken pipe)
                size += len(chunk)
                if size > DRAIN_LIMIT:
                    raise ApiError(413, f"body larger than {MAX_BODY:,} bytes")
                if size <= MAX_BODY:
                    raw += chunk
    except TimeoutError:
        raise ApiError(408, f"the body did not arrive within {BODY_TIMEOUT:g} s") from None
    if size > MAX_BODY:
        raise ApiError(413, f"body larger than {MAX_BODY:,} bytes")
    raw = bytes(raw)
    if not raw.strip():
        data = {}
    else:
        try:
            data = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ApiError(400, f"invalid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ApiError(400, "the body must be a JSON object")
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise ApiError(422, f"unknown field(s): {', '.join(unknown)} (known: {', '.join(sorted(fields))})")
    for name, kind in fields.items():
        if name in data and (not isinstance(data[name], kind) or isinstance(data[name], bool)):
            raise ApiError(422, f"{name} must be {kind.__name__}")
    missing = [name for name in required if not data.get(name)]
    if missing:
        raise ApiError(422, f"missing field(s): {', '.join(missing)}")
    return data


def _int_param(request: Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(422, f"{name} must be an integer") from None
    if not low <= value <= high:
        raise ApiError(422, f"{name} must be between {low} and {high}")
    return value


def _bool_param(request: Request, name: str) -> bool | None:
    raw = request.query_params.get(name)
    if raw is None:
        return None
    if raw.lower() not in ("true", "false", "1", "0"):
        raise ApiError(422, f"{name} must be true or false")
    return raw.lower() in ("true", "1")


class Api:
    """Handlers bound to one store, config and runner; `self.db(fn, ...)` runs blocking
    storage work off the event loop."""

    def __init__(self, store: Store, config: Config, runner: Runner):
        self.store, self.config, self.runner = store, config, runner
        self.db = in_thread
        self.tasks: set[asyncio.Task] = set()

    async def stop_turns(self) -> None:
        """On shutdown: cancel the turns this server runs; the runner settles each as stopped."""
        for task in list(self.tasks):
            task.cancel()
        if self.tasks:
            await asyncio.wait(list(self.tasks), timeout=5)

    async def _start_turn(self, session_id: str, prompt: str) -> str:
        _, reply = await self.db(self.runner.begin, session_id, prompt)
        task = asyncio.ensure_future(self.runner.run_reply(reply))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return reply.id

    async def list_sessions(self, request: Request):
        scope = "archived" if _bool_param(request, "archived") else "active"
        limit = _int_param(request, "limit", 50, 1, PAGE_MAX)
        offset = _int_param(request, "offset", 0, 0, 10**9)
        kind = request.query_params.get("kind")
        if kind is not None and kind not in SESSION_KINDS:
            raise ApiError(422, f"kind must be one of {', '.join(SESSION_KINDS)}")
        workspace = request.query_params.get("workspace")

        def read():
            rows = self.store.list_sessions(filter=scope, workspace=workspace, kind=kind, limit=limit, offset=offset)
            return rows, self.store.count_sessions(filter=scope, workspace=workspace, kind=kind)

        rows, total = await self.db(read)
        return JSONResponse({"sessions": [asdict(s) for s in rows], "total": total, "limit": limit, "offset": offset})

    async def create_session(self, request: Request):
        from chinwag.app.agents.settings import new_session_choice

        data = await body_of(request, CREATE_FIELDS)
        if "mode" in data and data["mode"] not in ("ask", "bypass", "readonly"):
            raise ApiError(422, "mode must be ask, bypass or readonly")
        if "kind" in data and data["kind"] not in SESSION_KINDS:
            raise ApiError(422, f"kind must be one of {', '.join(SESSION_KINDS)}")
        workspace = data.get("workspace") or self.config.defaults.get("workspace") or os.getcwd()
        try:
            choice = await self.db(new_session_choice, self.config, workspace, agent=data.get("agent", ""),
                                   model=data.get("model", ""))
        except Exception as exc:  # unknown agent
            raise ApiError(422, str(exc)) from None
        session = await self.db(
            self.store.create_session, title=data.get("title"), kind=data.get("kind", "general"), workspace=workspace,
            agent=choice.agent, model=choice.model, mode=data.get("mode", "ask"), metadata=data.get("metadata"),
        )
        turn_id = await self._start_turn(session.id, data["prompt"]) if data.get("prompt") else None
        return JSONResponse({"session": asdict(await self.db(self.store.get_session, session.id)), "turn_id": turn_id},
                            status_code=201)

    async def get_session(self, request: Request):
        def read():
            session = self.store.get_session(request.path_params["id"])
            return session, self.store.list_turns(session.id)

        session, turns = await self.db(read)
        return JSONResponse({"session": asdict(session), "turns": [asdict(t) for t in turns]})

    async def patch_session(self, request: Request):
        session = await self.db(self.store.get_session, request.path_params["id"])
        data = await body_of(request, PATCH_FIELDS)
        if not data:
            raise ApiError(422, "nothing to change (title, metadata)")
        if "title" in data:
            session = await self.db(self.store.rename_session, session.id, data["title"])
        if "metadata" in data:
            session = await self.db(self.store.merge_session_metadata, session.id, data["metadata"])
        return JSONResponse({"session": asdict(session)})

    async def delete_session(self, request: Request):
        force = _bool_param(request, "force") or False
        session = await self.db(self.store.delete_session, request.path_params["id"], force=force)
        return JSONResponse({"deleted": session.id, "permanent": force})

    async def send_message(self, request: Request):
        session = await self.db(self.store.get_session, request.path_params["id"])
        data = await body_of(request, MESSAGE_FIELDS, required=("prompt",))
        return JSONResponse({"turn_id": await self._start_turn(session.id, data["prompt"])}, status_code=202)

    async def cancel(self, request: Request):
        def read():
            session = self.store.get_session(request.path_params["id"])
            return session, self.store.running_turn(session.id)

        session, turn = await self.db(read)
        if turn is None:
            return JSONResponse({"cancelled": None})
        if not self.runner.cancel(session.id):
            await self.db(self.store.request_stop, turn.id)  # running in another process: it polls for this
        return JSONResponse({"cancelled": turn.id})

    async def compact(self, request: Request):
        from chinwag.app.agents import agent_for_session
        from chinwag.app.core.compaction import DEFAULT_WINDOW
        from chinwag.app.core.compaction import compact as run_compaction

        session = await self.db(self.store.get_session, request.path_params["id"])
        data = await body_of(request, COMPACT_FIELDS)
        window = data.get("window", DEFAULT_WINDOW)
        if window < 0:
            raise ApiError(422, "window must be 0 or more")
        agent = await self.db(agent_for_session, session, self.config)
        result = await run_compaction(self.store, agent, session.id, window=window,
                                      instructions=data.get("instructions", ""), offload=self.db)
        return JSONResponse({"summary_turn_id": result.summary.id, "summarized": result.summarized,
                             "kept": result.kept, "tokens_before": result.tokens_before,
                             "tokens_after": result.tokens_after})

    async def events(self, request: Request):
        session = await self.db(self.store.get_session, request.path_params["id"])
        resume = request.headers.get("last-event-id") or request.query_params.get("last_event_id") or ""
        stream = follow_events(self.store, session.id, resume, is_disconnected=request.is_disconnected,
                               offload=self.db)
        return StreamingResponse(stream, media_type="text/event-stream",
                                 headers={"cache-control": "no-cache", "x-accel-buffering": "no"})

    async def search(self, request: Request):
        query = request.query_params.get("q", "")
        if not query.strip():
            raise ApiError(422, "q is required")
        limit = _int_param(request, "limit", 50, 1, PAGE_MAX)
        return JSONResponse({"hits": [asdict(h) for h in await self.db(self.store.search, query, limit=limit)]})

    async def openapi(self, request: Request):
        return JSONResponse(openapi_document())


def _guard(handler):
    async def run(request: Request) -> Response:
        try:
            return await handler(request)
        except ApiError as exc:
            return error(exc.status, str(exc))
        except NotFound as exc:
            return error(404, str(exc))
        except AmbiguousId as exc:
            return error(400, str(exc))
        except SessionBusy as exc:
            return error(409, str(exc))
        except StorageError as exc:
            return error(400 if "ambiguous" in str(exc) else 422, str(exc))

    return run


def create_api(store: Store, config: Config, token: str, runner: Runner | None = None) -> Starlette:
    api = Api(store, config, runner or Runner(store, config, offload=in_thread))
    routes = [
        Route("/sessions", _guard(api.list_sessions), methods=["GET"]),
        Route("/sessions", _guard(api.create_session), methods=["POST"]),
        Route("/sessions/{id}", _guard(api.get_session), methods=["GET"]),
        Route("/sessions/{id}", _guard(api.patch_session), methods=["PATCH"]),
        Route("/sessions/{id}", _guard(api.delete_session), methods=["DELETE"]),
        Route("/sessions/{id}/messages", _guard(api.send_message), methods=["POST"]),
        Route("/sessions/{id}/events", _guard(api.events), methods=["GET"]),
        Route("/sessions/{id}/cancel", _guard(api.cancel), methods=["POST"]),
        Route("/sessions/{id}/compact", _guard(api.compact), methods=["POST"]),
        Route("/search", _guard(api.search), methods=["GET"]),
        Route("/openapi.json", _guard(api.openapi), methods=["GET"]),
    ]
    async def not_found(request: Request, exc) -> JSONResponse:
        status = getattr(exc, "status_code", 404)
        return error(status, "no such route" if status == 404 else str(getattr(exc, "detail", "")) or "bad request")

    app = Starlette(routes=routes, middleware=[Middleware(TokenAuth, token=token)],
                    exception_handlers={404: not_found, 405: not_found})
    app.state.api = api
    return app
