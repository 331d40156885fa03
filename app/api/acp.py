"""ACP over HTTP, behind the API's bearer token (routes in `app.ROUTES`, handlers here):

- `POST /api/acp`: one JSON-RPC 2.0 message, answered in the body with the same methods
  and errors as `chinwag acp` on stdio (`chinwag.app.acp_agent`); a prompt is answered when
  its turn has settled. A body that is not JSON is a 400 `{"error"}`; a JSON object that is
  not a JSON-RPC request gets the JSON-RPC error -32600.
- `GET /api/acp?sessionId=ID`: the session's `session/update` notifications as Server-Sent
  Events, read from the database (turns running anywhere are seen), resumable with
  `Last-Event-ID` like `/api/sessions/{id}/events`; `last_event_id=0` replays the whole
  session (what `session/load` replays on stdio). Permission questions are not asked over
  HTTP: in `ask` mode they are refused, as for any turn the API runs.
- `GET /api/acp/sessions[?workspaceId=]`: the ACP-shaped listing `{"sessions": [{sessionId,
  name, workspaceId, createdAt, lastActivity, status}]}`, status active (a turn runs) | idle |
  closed (archived); `Cache-Control: no-store`; a failing database is a 500 `{"error"}`.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from chinwag.app.acp_agent import mapping, rpc
from chinwag.app.acp_agent.agent import ChinwagAgent
from chinwag.app.api import models
from chinwag.app.api.app import Api, ApiError, Json, _raw_body, answer, query_of
from chinwag.app.api.events import follow_events
from chinwag.app.api.wire import json_text, refuse_constant
from chinwag.storage import Store
from chinwag.storage.models import Session

NO_STORE = {"cache-control": "no-store"}


def _handle(api: Api) -> rpc.Handler:
    """The API's one ACP agent: its store, its runner (turns in worker threads like the API's own)."""
    if api.acp is None:
        agent = ChinwagAgent(api.store, api.config, offload=api.db)
        agent.attach(api.runner)
        api.acp = rpc.handler(agent)
    return api.acp


async def rpc_call(api: Api, request: Request) -> Response:
    raw = await _raw_body(request)
    try:
        message = json.loads(raw, parse_constant=refuse_constant)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError(400, f"invalid JSON: {exc}") from None
    if isinstance(message, list):
        raise ApiError(400, "batch requests are not supported: send one JSON-RPC object")
    if not isinstance(message, dict):
        raise ApiError(400, "the body must be a JSON-RPC request object")
    try:
        models.AcpRequest.model_validate(message)
    except ValidationError as exc:
        request_id = message.get("id") if isinstance(message.get("id"), (int, str)) else None
        reason = models.refusal(exc, models.AcpRequest)
        return answer(models.AcpResponse, id=request_id, error={"code": -32600, "message": f"invalid request: {reason}"})
    response = await rpc.dispatch(_handle(api), message) or {"jsonrpc": "2.0", "id": None, "result": None}
    return Json(response)


def acp_message(store: Store, event: str, data: dict, cursor: str) -> str | None:
    """One stored item as the SSE messages of its `session/update`s (none when ACP has no such update)."""
    updates = mapping.event_updates(event, data, store.get_turn)
    session_id = data.get("session_id") or ""
    if not updates:
        return None
    return "".join(f"id: {cursor}\nevent: message\ndata: {json_text(_notification(session_id, u))}\n\n"
                   for u in updates)


def _notification(session_id: str, update: Any) -> dict:
    return {"jsonrpc": "2.0", "method": "session/update",
            "params": {"sessionId": session_id, "update": update.model_dump(mode="json", by_alias=True,
                                                                            exclude_none=True)}}


async def stream(api: Api, request: Request) -> Response:
    query = query_of(request, models.AcpEventsQuery)
    session = await api.db(api.store.get_session, query.sessionId)
    resume = request.headers.get("last-event-id") or query.last_event_id

    def render(store: Store, event: str, data: dict, cursor: str) -> str | None:
        return acp_message(store, event, {**data, "session_id": session.id}, cursor)

    events = follow_events(api.store, session.id, resume, is_disconnected=request.is_disconnected, offload=api.db,
                           render=render)
    return StreamingResponse(events, media_type="text/event-stream",
                             headers={"cache-control": "no-cache", "x-accel-buffering": "no"})


def status(session: Session, running: set[str]) -> str:
    if session.archived:
        return "closed"
    return "active" if session.id in running or session.state == "busy" else "idle"


async def sessions(api: Api, request: Request) -> Response:
    query = query_of(request, models.AcpSessionsQuery)

    def read():
        rows = api.store.list_sessions(filter="all", workspace=query.workspaceId, limit=query.limit,
                                       offset=query.offset)
        return rows, api.store.running_session_ids()

    rows, running = await api.listing(read)
    listed = [{"sessionId": s.id, "name": s.title, "workspaceId": s.workspace, "createdAt": s.created_at,
               "lastActivity": s.last_activity_at, "status": status(s, running)} for s in rows]
    response = answer(models.AcpSessionList, sessions=listed)
    response.headers.update(NO_STORE)
    return response
