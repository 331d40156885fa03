"""The local HTTP API under `/api` (Starlette): sessions, messages, live events (SSE),
cancel, compact and search, on the same storage and runner as the TUI and the CLI.

Every request needs `Authorization: Bearer TOKEN`. Bodies are JSON objects of the fields
their model in `models.py` knows, at most `MAX_BODY` bytes, sent within `BODY_TIMEOUT`
seconds; anything else is a 4xx with `{"error": "..."}` (one line naming the field) and
changes nothing. Answers are built from the response models, and `ROUTES` both routes the
requests and generates the OpenAPI document. Turns sent here run in this process's runner; turns running anywhere
else (the TUI, a worker) are seen through the database by the event stream.

Every database call (handlers, the runner's turns, the event stream) runs in a worker
thread (`offload.in_thread`): a locked or slow database delays only the requests that
need it, never the event loop that serves every client.
"""

from __future__ import annotations

import asyncio
import functools
import hmac
import json
import os
import sqlite3
from collections.abc import Callable
from dataclasses import asdict
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from chinwag.app.api import models
from chinwag.app.api.events import follow_events
from chinwag.app.api.openapi import Operation, openapi_document
from chinwag.app.api.wire import json_text, refuse_constant
from chinwag.app.config.loader import Config
from chinwag.app.core import pricing
from chinwag.app.core.offload import in_thread
from chinwag.app.core.runner import Runner
from chinwag.app.core.worker import request_stop
from chinwag.app.errors import first_line
from chinwag.storage import AmbiguousId, NotFound, SessionBusy, StorageError, Store

MAX_BODY = 1_000_000
DRAIN_LIMIT = 20 * MAX_BODY  # beyond this the connection is cut rather than read
BODY_TIMEOUT = 30.0  # seconds to send a whole body: a stalled client does not hold a request open

Model = TypeVar("Model", bound=BaseModel)


class ApiError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


class Json(JSONResponse):
    """A JSON answer that is valid UTF-8 whatever a stored value holds (`wire.json_text`)."""

    def render(self, content: Any) -> bytes:
        return json_text(content, separators=(",", ":")).encode("utf-8")


def error(status: int, message: str) -> Json:
    return Json(models.Error(error=message).model_dump(), status_code=status)


def answer(model: type[BaseModel], status: int = 200, **values: Any) -> Json:
    """A response built from its model (storage dataclasses are read by attribute)."""
    return Json(model.model_validate(values, from_attributes=True).model_dump(mode="json"), status_code=status)


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


async def _raw_body(request: Request) -> bytes:
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
    return bytes(raw)


async def body_of(request: Request, model: type[Model]) -> Model:
    """The request's JSON object body as `model` (an empty body is `{}`); 400/408/413/422 otherwise."""
    raw = await _raw_body(request)
    try:
        data = json.loads(raw, parse_constant=refuse_constant) if raw.strip() else {}
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError(400, f"invalid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ApiError(400, "the body must be a JSON object")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ApiError(422, models.refusal(exc, model)) from None


def query_of(request: Request, model: type[Model]) -> Model:
    try:
        return model.model_validate(dict(request.query_params))
    except ValidationError as exc:
        raise ApiError(422, models.refusal(exc, model, what="query parameter")) from None


def with_costs(store: Store, config: Config, sessions: list) -> list[dict]:
    """Sessions as answer dicts, each with its cost (one grouped query for all of them)."""
    costs = pricing.session_costs(store, [s.id for s in sessions], config)
    return [{**asdict(s), "cost": costs[s.id].as_json()} for s in sessions]


class Api:
    """Handlers bound to one store, config and runner; `self.db(fn, ...)` runs blocking
    storage work off the event loop."""

    def __init__(self, store: Store, config: Config, runner: Runner):
        self.store, self.config, self.runner = store, config, runner
        self.db = in_thread
        self.tasks: set[asyncio.Task] = set()
        self.acp: Any = None  # the ACP side (`acp.py`), made on the first /api/acp request

    async def listing(self, read: Callable[[], Any]) -> Any:
        """A session listing's read: a failing database is the 500 `{"error"}` ACP listings expect."""
        try:
            return await self.db(read)
        except (StorageError, sqlite3.Error) as exc:
            raise ApiError(500, f"failed to load sessions from the database: {first_line(exc)}") from None

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

    async def list_sessions(self, request: Request) -> Response:
        query = query_of(request, models.ListQuery)
        scope = "archived" if query.archived else "active"

        def read():
            where = dict(filter=scope, workspace=query.workspace or query.workspaceId, kind=query.kind)
            sessions = self.store.list_sessions(**where, limit=query.limit, offset=query.offset)
            return with_costs(self.store, self.config, sessions), self.store.count_sessions(**where)

        rows, total = await self.listing(read)
        response = answer(models.SessionPage, sessions=rows, total=total, limit=query.limit, offset=query.offset)
        response.headers["cache-control"] = "no-store"
        return response

    async def create_session(self, request: Request) -> Response:
        from chinwag.app.agents.settings import new_session_choice  # lazy: agent settings on the first new session

        body = await body_of(request, models.CreateSession)
        workspace = body.workspace or self.config.defaults.get("workspace") or os.getcwd()
        try:
            choice = await self.db(new_session_choice, self.config, workspace, agent=body.agent, model=body.model)
        except Exception as exc:  # unknown agent
            raise ApiError(422, str(exc)) from None
        session = await self.db(
            self.store.create_session, title=body.title, kind=body.kind, workspace=workspace,
            agent=choice.agent, model=choice.model, mode=body.mode, metadata=body.metadata,
        )
        turn_id = await self._start_turn(session.id, body.prompt) if body.prompt else None
        return answer(models.SessionCreated, 201, session=await self.db(self.store.get_session, session.id),
                      turn_id=turn_id)

    async def get_session(self, request: Request) -> Response:
        def read():
            session = self.store.get_session(request.path_params["id"])
            return with_costs(self.store, self.config, [session])[0], self.store.list_turns(session.id)

        session, turns = await self.db(read)
        return answer(models.SessionWithTurns, session=session, turns=turns)

    async def patch_session(self, request: Request) -> Response:
        session = await self.db(self.store.get_session, request.path_params["id"])
        body = await body_of(request, models.PatchSession)
        if not body.model_fields_set:
            raise ApiError(422, f"nothing to change ({', '.join(models.PatchSession.model_fields)})")
        if body.title is not None:
            session = await self.db(self.store.rename_session, session.id, body.title)
        if body.metadata is not None:
            session = await self.db(self.store.merge_session_metadata, session.id, body.metadata)
        return answer(models.SessionChanged, session=session)

    async def delete_session(self, request: Request) -> Response:
        force = query_of(request, models.DeleteQuery).force
        session = await self.db(self.store.delete_session, request.path_params["id"], force=force)
        return answer(models.Deleted, deleted=session.id, permanent=force)

    async def send_message(self, request: Request) -> Response:
        session = await self.db(self.store.get_session, request.path_params["id"])
        body = await body_of(request, models.SendMessage)
        return answer(models.TurnStarted, 202, turn_id=await self._start_turn(session.id, body.prompt))

    async def cancel(self, request: Request) -> Response:
        def read():
            session = self.store.get_session(request.path_params["id"])
            return session, self.store.running_turn(session.id)

        session, turn = await self.db(read)
        if turn is None:
            return answer(models.Cancelled, cancelled=None)
        if not self.runner.cancel(session.id):
            await self.db(request_stop, self.store, turn)  # another process: it polls for this (a worker is signalled)
        return answer(models.Cancelled, cancelled=turn.id)

    async def compact(self, request: Request) -> Response:
        from chinwag.app.agents import agent_for_session  # lazy: with compaction, on first use
        from chinwag.app.core.compaction import compact as run_compaction  # lazy: compaction loads on first use

        session = await self.db(self.store.get_session, request.path_params["id"])
        body = await body_of(request, models.Compact)
        agent = await self.db(agent_for_session, session, self.config)
        result = await run_compaction(self.store, agent, session.id, window=body.window,
                                      instructions=body.instructions, offload=self.db)
        return answer(models.Compacted, summary_turn_id=result.summary.id, summarized=result.summarized,
                      kept=result.kept, tokens_before=result.tokens_before, tokens_after=result.tokens_after)

    async def events(self, request: Request) -> Response:
        session = await self.db(self.store.get_session, request.path_params["id"])
        resume = request.headers.get("last-event-id") or query_of(request, models.EventsQuery).last_event_id
        stream = follow_events(self.store, session.id, resume, is_disconnected=request.is_disconnected,
                               offload=self.db)
        return StreamingResponse(stream, media_type="text/event-stream",
                                 headers={"cache-control": "no-cache", "x-accel-buffering": "no"})

    async def search(self, request: Request) -> Response:
        query = query_of(request, models.SearchQuery)
        return answer(models.SearchHits, hits=await self.db(self.store.search, query.q, limit=query.limit))

    async def openapi(self, request: Request) -> Response:
        return Json(document())

    # -- ACP over HTTP (`acp.py`, which loads the ACP SDK on first use) ----------------------
    async def acp_call(self, request: Request) -> Response:
        from chinwag.app.api import acp  # lazy: the ACP SDK loads on the first ACP request

        return await acp.rpc_call(self, request)

    async def acp_events(self, request: Request) -> Response:
        from chinwag.app.api import acp  # lazy: the ACP SDK loads on the first ACP request

        return await acp.stream(self, request)

    async def acp_sessions(self, request: Request) -> Response:
        from chinwag.app.api import acp  # lazy: the ACP SDK loads on the first ACP request

        return await acp.sessions(self, request)


ID = models.SessionPath
ROUTES = [
    Operation("GET", "/sessions", Api.list_sessions, "list sessions, newest activity first", models.SessionPage,
              query=models.ListQuery, errors=(422, 500)),
    Operation("POST", "/sessions", Api.create_session, "create a session, optionally sending a first prompt",
              models.SessionCreated, 201, body=models.CreateSession),
    Operation("GET", "/sessions/{id}", Api.get_session, "a session with its turns", models.SessionWithTurns,
              errors=(400, 404), path_params=ID),
    Operation("PATCH", "/sessions/{id}", Api.patch_session, "rename, or merge metadata", models.SessionChanged,
              errors=(404, 409), body=models.PatchSession, path_params=ID),
    Operation("DELETE", "/sessions/{id}", Api.delete_session, "delete (soft; ?force=true permanently)",
              models.Deleted, errors=(400, 404, 409, 422), query=models.DeleteQuery, path_params=ID),
    Operation("POST", "/sessions/{id}/messages", Api.send_message, "send a prompt; returns the agent turn's id",
              models.TurnStarted, 202, errors=(404, 409), body=models.SendMessage, path_params=ID),
    Operation("GET", "/sessions/{id}/events", Api.events,
              "live events (Server-Sent Events), resumable with Last-Event-ID", None, errors=(400, 404),
              query=models.EventsQuery, path_params=ID),
    Operation("POST", "/sessions/{id}/cancel", Api.cancel, "cancel the running turn (its partial text is kept)",
              models.Cancelled, errors=(400, 404), path_params=ID),
    Operation("POST", "/sessions/{id}/compact", Api.compact, "summarize older turns", models.Compacted,
              errors=(404, 409), body=models.Compact, path_params=ID),
    Operation("GET", "/search", Api.search, "full-text search over turns and titles", models.SearchHits,
              query=models.SearchQuery, errors=(422,)),
    Operation("GET", "/openapi.json", Api.openapi, "this document", dict[str, Any]),
    Operation("POST", "/acp", Api.acp_call, "one Agent Client Protocol JSON-RPC call (initialize, session/new, "
              "session/load, session/list, session/set_mode, session/prompt, session/cancel)", models.AcpResponse,
              body=models.AcpRequest),
    Operation("GET", "/acp", Api.acp_events, "the session's ACP session/update notifications (Server-Sent "
              "Events), resumable with Last-Event-ID", None, errors=(400, 404, 422), query=models.AcpEventsQuery),
    Operation("GET", "/acp/sessions", Api.acp_sessions, "sessions as ACP clients list them (status active, idle "
              "or closed)", models.AcpSessionList, query=models.AcpSessionsQuery, errors=(422, 500)),
]


@functools.cache
def document() -> dict:
    """The OpenAPI document of ROUTES, generated once per process."""
    from chinwag.app import version  # lazy: only the version route

    return openapi_document(ROUTES, version())


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
    routes = [Route(op.path, _guard(op.handler.__get__(api)), methods=[op.method]) for op in ROUTES]

    async def not_found(request: Request, exc) -> Json:
        status = getattr(exc, "status_code", 404)
        return error(status, "no such route" if status == 404 else str(getattr(exc, "detail", "")) or "bad request")

    app = Starlette(routes=routes, middleware=[Middleware(TokenAuth, token=token)],
                    exception_handlers={404: not_found, 405: not_found})
    app.state.api = api
    return app
