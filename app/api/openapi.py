"""The OpenAPI 3.1 document of the `/api` routes (served at `/api/openapi.json`), generated:
every schema comes from the pydantic models in `models.py`, assembled into paths by the
route table (`Operation` rows, which also route the requests), so nothing is written twice.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, TypeAdapter

from chinwag.app.api.models import Error

REF = "#/components/schemas/{model}"
FOREIGN_ORIGIN = "sent by a page of another origin (an Origin header that is not this server's)"
STATUS_TEXT = {400: "bad request", 401: "missing or wrong token", 403: FOREIGN_ORIGIN, 404: "no such session",
               408: "the body did not arrive in time", 409: "the session is busy", 413: "body too large",
               422: "invalid field", 500: "the database failed"}
OK_TEXT = {201: "created", 202: "accepted"}
BODY_ERRORS = (400, 408, 413, 422)  # bad JSON, a stalled or oversized body, a wrong field
ALWAYS = (401, 403)  # the token check and the Origin check run before any route


@dataclass(frozen=True)
class Operation:
    """One route: how it is served and how it is documented."""

    method: str
    path: str
    handler: Callable[..., Any]  # an unbound `Api` method
    summary: str
    response: Any  # a model (or type) of the answer; None: a Server-Sent Events stream
    status: int = 200
    errors: tuple[int, ...] = ()  # besides ALWAYS, and BODY_ERRORS when there is a body
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    path_params: type[BaseModel] | None = None

    def statuses(self) -> list[int]:
        return sorted({*ALWAYS, *self.errors, *(BODY_ERRORS if self.body else ())})


def _json(ref: dict) -> dict:
    return {"content": {"application/json": {"schema": ref}}}


def _parameters(model: type[BaseModel], where: str) -> list[dict]:
    schema = model.model_json_schema(ref_template=REF)
    required = set(schema.get("required", ()))
    out = []
    for name, prop in schema["properties"].items():
        prop = {key: value for key, value in prop.items() if key != "title"}
        parameter = {"name": name, "in": where, "required": where == "path" or name in required}
        if "description" in prop:
            parameter["description"] = prop.pop("description")
        out.append({**parameter, "schema": prop})
    return out


def openapi_document(operations: list[Operation], version: str) -> dict:
    adapters: dict[tuple[str, str], TypeAdapter] = {("Error", "serialization"): TypeAdapter(Error)}
    for op in operations:
        if op.body is not None:
            adapters[(op.body.__name__, "validation")] = TypeAdapter(op.body)
        if op.response is not None:
            adapters[(_name(op.response), "serialization")] = TypeAdapter(op.response)
    refs, defs = TypeAdapter.json_schemas([(key, mode, adapter) for (key, mode), adapter in adapters.items()],
                                          ref_template=REF)
    paths: dict[str, dict] = {}
    for op in operations:
        operation: dict[str, Any] = {"summary": op.summary, "operationId": op.handler.__name__}
        parameters = [*(_parameters(op.path_params, "path") if op.path_params else ()),
                      *(_parameters(op.query, "query") if op.query else ())]
        if set(re.findall(r"{(\w+)}", op.path)) != {p["name"] for p in parameters if p["in"] == "path"}:
            raise ValueError(f"{op.path}: its path parameters and `path_params` differ")
        if parameters:
            operation["parameters"] = parameters
        if op.body is not None:
            operation["requestBody"] = {"required": bool(op.body.model_json_schema().get("required")),
                                        **_json(refs[(op.body.__name__, "validation")])}
        if op.response is None:
            ok = {"description": "an event stream", "content": {"text/event-stream": {"schema": {"type": "string"}}}}
        else:
            ok = {"description": OK_TEXT.get(op.status, "OK"), **_json(refs[(_name(op.response), "serialization")])}
        error = refs[("Error", "serialization")]
        operation["responses"] = {str(op.status): ok, **{str(code): {"description": STATUS_TEXT[code], **_json(error)}
                                                         for code in op.statuses()}}
        paths.setdefault(op.path, {})[op.method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": "Chinwag local API", "version": version,
                 "description": "Sessions, messages and live events of the Chinwag database."},
        "servers": [{"url": "/api"}],
        "security": [{"bearer": []}],
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
                       "schemas": defs.get("$defs", {})},
        "paths": paths,
    }


def _name(kind: Any) -> str:
    return getattr(kind, "__name__", None) or repr(kind)
