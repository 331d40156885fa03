"""The `/api` request and response models (pydantic v2): what a body or query may hold,
what every answer holds, and the one-line message a refused input gets.

Handlers validate with these models and build their answers from them, and the OpenAPI
document (`openapi.py`) is generated from the same classes, so what is checked, what is
sent and what is documented cannot drift apart. Imported only by `chinwag serve`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError
from pydantic_core import PydanticCustomError

from chinwag.app.config.schema import KINDS, MODES
from chinwag.app.config.schema import Kind as SessionKind
from chinwag.app.config.schema import Mode as SessionMode
from chinwag.app.core.compaction import DEFAULT_WINDOW
from chinwag.storage.sessions import MAX_TITLE, clean_title

PAGE_MAX = 500
Kind = Literal[KINDS]  # type: ignore[valid-type]  # the schema's enums, spelled once
Mode = Literal[MODES]  # type: ignore[valid-type]


# -- query values: parsed as the handlers always have (int(), true/false/1/0) -------------
def _query_int(raw: Any) -> Any:
    if not isinstance(raw, str):
        return raw
    try:
        return int(raw)
    except ValueError:
        raise PydanticCustomError("int_parsing", "must be an integer") from None


def _query_bool(raw: Any) -> Any:
    if not isinstance(raw, str):
        return raw
    if raw.lower() not in ("true", "false", "1", "0"):
        raise PydanticCustomError("bool_parsing", "must be true or false")
    return raw.lower() in ("true", "1")


QueryInt = Annotated[int, BeforeValidator(_query_int)]
QueryBool = Annotated[bool, BeforeValidator(_query_bool)]


def _no_null_defaults(schema: dict[str, Any]) -> None:
    # a field defaulting to None means "not given": it has no default value to document
    for prop in schema.get("properties", {}).values():
        if "default" in prop and prop["default"] is None:
            del prop["default"]


class Query(BaseModel):
    """Query parameters: strings parsed to their types; unknown parameters are ignored."""

    model_config = ConfigDict(extra="ignore", json_schema_extra=_no_null_defaults)


class Body(BaseModel):
    """A JSON object body: known fields only, each of exactly its JSON type (no nulls:
    a field left out is the way to not give it). A field declared `= Field(None)` on a
    non-optional type reads None only when it was left out (defaults are not validated)."""

    model_config = ConfigDict(extra="forbid", strict=True, json_schema_extra=_no_null_defaults)


# -- path and query parameters ------------------------------------------------------------
class SessionPath(BaseModel):
    id: str = Field(min_length=1, description="a session id or a unique prefix of one")


class ListQuery(Query):
    archived: QueryBool = Field(False, description="archived sessions instead of active ones")
    workspace: str = Field(None, description="only sessions of this workspace")
    workspaceId: str = Field(None, description="the same as `workspace` (as ACP session listings spell it)")
    kind: Kind = Field(None, description="only sessions of this kind")
    limit: QueryInt = Field(50, ge=1, le=PAGE_MAX)
    offset: QueryInt = Field(0, ge=0, le=10**9)


class DeleteQuery(Query):
    force: QueryBool = Field(False, description="delete for good (otherwise the session can be restored)")


class EventsQuery(Query):
    last_event_id: str = Field("", description="resume after this SSE id (`0`: from the start); "
                                                "the Last-Event-ID header does the same")


class AcpSessionsQuery(Query):
    workspaceId: str = Field(None, description="only sessions of this workspace")
    limit: QueryInt = Field(100, ge=1, le=PAGE_MAX)
    offset: QueryInt = Field(0, ge=0, le=10**9)


class AcpEventsQuery(Query):
    sessionId: str = Field(min_length=1, description="the session (an ACP session id is a Chinwag session id)")
    last_event_id: str = Field("", description="resume after this SSE id (`0`: the whole session from its start, "
                                                "as `session/load` would replay it); the Last-Event-ID header "
                                                "does the same")


class SearchQuery(Query):
    q: str = Field(min_length=1, pattern=r"\S", description="full-text query")
    limit: QueryInt = Field(50, ge=1, le=PAGE_MAX)


# -- request bodies -------------------------------------------------------------------------
TITLE_NOTE = f"one line; a longer title than {MAX_TITLE} characters is cut (ending with …)"


class CreateSession(Body):
    title: str = Field("", description=f"{TITLE_NOTE}; empty: a default title")
    kind: Kind = SessionKind.GENERAL.value
    workspace: str = Field("", description="empty: the configured default workspace, else the server's folder")
    agent: str = Field("", description="an agent profile of the config; empty: the default")
    model: str = Field("", description="empty: the agent's default model")
    mode: Mode = SessionMode.ASK.value
    prompt: str = Field("", description="a first prompt to send (empty: none)")
    metadata: dict[str, Any] = Field(default_factory=dict)


class PatchSession(Body):
    title: str = Field(None, min_length=1, pattern=r"\S", description=TITLE_NOTE)
    metadata: dict[str, Any] = Field(None, description="keys merged into the session's metadata")


class SendMessage(Body):
    prompt: str = Field(min_length=1)


class AcpRequest(Body):
    """One JSON-RPC 2.0 message of the Agent Client Protocol (no batches)."""

    jsonrpc: Literal["2.0"]
    id: int | str = Field(None, description="left out for a notification (`session/cancel`)")
    method: str = Field(min_length=1, description="initialize, session/new, session/load, session/list, "
                                                  "session/set_mode, session/prompt, session/cancel")
    params: dict[str, Any] = Field(default_factory=dict, description="as the ACP schema has them for the method")


class Compact(Body):
    window: int = Field(DEFAULT_WINDOW, ge=0, description="how many of the newest turns are kept as they are")
    instructions: str = Field("", description="extra instructions for the summary")


# -- responses ------------------------------------------------------------------------------
class Out(BaseModel):
    """A response model, built from storage's dataclasses by attribute."""

    model_config = ConfigDict(from_attributes=True)


def _stored_title(value: Any) -> Any:
    # a database written before titles were capped may hold longer ones: answer them as
    # storage stores titles today, so every answer matches its schema
    return clean_title(value) if isinstance(value, str) else value


class CostOut(Out):
    amount: float | None = Field(description="null: not known (a model the price table does not know, a local "
                                             "server without prices, echo or an ACP agent)")
    currency: Literal["USD"]
    estimated: bool = Field(description="some of the token counts it is priced from are estimates")


class SessionOut(Out):
    id: str
    title: Annotated[str, BeforeValidator(_stored_title), Field(max_length=MAX_TITLE)]
    kind: str
    workspace: str
    agent: str
    model: str
    mode: str
    state: str
    title_source: str
    created_at: str
    updated_at: str
    last_activity_at: str
    archived_at: str | None
    deleted_at: str | None
    parent_id: str | None
    config: dict[str, Any]
    metadata: dict[str, Any]
    turn_count: int
    input_tokens: int
    output_tokens: int
    head: str | None  # the tip of the active branch; `turns` answers its path
    pinned_at: str | None  # pinned to the top of the session list since (None: not pinned)
    cost: CostOut | None = Field(None, description="what the session's turns cost (in the list and a session's "
                                                   "own answer)")


class TurnOut(Out):
    id: str
    session_id: str
    seq: int
    role: str
    text: str
    status: str
    agent: str
    model: str
    thinking: str
    input_tokens: int
    output_tokens: int
    tokens_estimated: bool
    compacted: bool
    created_at: str
    started_at: str | None
    finished_at: str | None
    error: str | None
    owner_pid: int | None
    heartbeat_at: str | None
    stop_requested: bool
    metadata: dict[str, Any]
    parent_id: str | None  # the turn it follows (None: a root)
    pinned: bool  # sent to the model verbatim, never summarized


class SearchHitOut(Out):
    session_id: str
    session_title: str
    turn_id: str | None
    role: str | None
    snippet: str
    created_at: str


class SessionPage(Out):
    sessions: list[SessionOut]
    total: int
    limit: int
    offset: int


class SessionCreated(Out):
    session: SessionOut
    turn_id: str | None = Field(description="the first prompt's agent turn, if one was sent")


class SessionWithTurns(Out):
    session: SessionOut
    turns: list[TurnOut]


class SessionChanged(Out):
    session: SessionOut


class Deleted(Out):
    deleted: str
    permanent: bool


class TurnStarted(Out):
    turn_id: str = Field(description="the agent turn that will hold the reply")


class Cancelled(Out):
    cancelled: str | None = Field(description="the stopped turn; null when none was running")


class Compacted(Out):
    summary_turn_id: str
    summarized: int
    kept: int
    tokens_before: int
    tokens_after: int


class SearchHits(Out):
    hits: list[SearchHitOut]


class AcpErrorOut(Out):
    code: int
    message: str = Field(description="one line saying what was wrong")
    data: Any = None


class AcpResponse(Out):
    """The JSON-RPC answer (for a notification: `result` null, nothing more to wait for)."""

    jsonrpc: Literal["2.0"] = "2.0"
    id: int | str | None = None
    result: Any = None
    error: AcpErrorOut | None = None


class AcpSessionOut(Out):
    sessionId: str
    name: str
    workspaceId: str
    createdAt: str = Field(description="ISO 8601")
    lastActivity: str = Field(description="ISO 8601")
    status: Literal["active", "idle", "closed"] = Field(description="active: a turn is running; closed: archived")


class AcpSessionList(Out):
    sessions: list[AcpSessionOut]


class Error(Out):
    error: str


# -- one line for a refused input ---------------------------------------------------------
TYPE_NAMES = {"string_type": "str", "int_type": "int", "dict_type": "dict", "bool_type": "bool"}


def _one(error: dict) -> str:
    name = ".".join(str(part) for part in error["loc"]) or "the body"
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind in TYPE_NAMES:
        return f"{name} must be {TYPE_NAMES[kind]}"
    if kind == "literal_error":
        return f"{name} must be one of {ctx['expected']}"
    if kind == "greater_than_equal":
        return f"{name} must be {ctx['ge']} or more"
    if kind == "less_than_equal":
        return f"{name} must be {ctx['le']} or less"
    if kind in ("string_too_short", "string_pattern_mismatch"):
        return f"{name} must not be empty"
    if kind in ("int_parsing", "bool_parsing") and error["msg"].startswith("must"):
        return f"{name} {error['msg']}"
    return f"{name}: {error['msg'][:1].lower()}{error['msg'][1:]}"


def refusal(exc: ValidationError, model: type[BaseModel], *, what: str = "field") -> str:
    """The one-line message for a body or query `model` refused: unknown names first (with
    the known ones), then the first wrong value, then what is missing."""
    errors = exc.errors(include_url=False)
    unknown = sorted(str(e["loc"][0]) for e in errors if e["type"] == "extra_forbidden")
    if unknown:
        return f"unknown {what}(s): {', '.join(unknown)} (known: {', '.join(sorted(model.model_fields))})"
    wrong = [e for e in errors if e["type"] != "missing"]
    if wrong:
        return _one(wrong[0])
    return f"missing {what}(s): {', '.join(str(e['loc'][0]) for e in errors)}"
