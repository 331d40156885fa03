"""The OpenAPI 3.0 document of the `/api` routes (served at `/api/openapi.json`).

Kept next to the handlers' field tables so a new field is documented where it is checked.
"""

from __future__ import annotations

from chinwag.storage.models import SESSION_KINDS

ERROR = {"$ref": "#/components/schemas/Error"}
OBJECT = {"type": "object"}
FOREIGN_ORIGIN = "sent by a page of another origin (an Origin header that is not this server's)"


def _json(schema: dict) -> dict:
    return {"content": {"application/json": {"schema": schema}}}


def _responses(ok: int, *errors: int, description: str = "OK") -> dict:
    out = {str(ok): {"description": description, **_json(OBJECT)}}
    for code in (401, 403, *errors, *((408,) if 413 in errors else ())):
        out[str(code)] = {"description": {400: "bad request", 401: "missing or wrong token",
                                          403: FOREIGN_ORIGIN, 404: "no such session",
                                          408: "the body did not arrive in time", 409: "the session is busy",
                                          413: "body too large", 422: "invalid field"}[code], **_json(ERROR)}
    return out


def _body(properties: dict, required: list[str] | None = None) -> dict:
    schema = {"type": "object", "properties": properties, "additionalProperties": False}
    if required:
        schema["required"] = required
    return {"required": False if not required else True, **_json(schema)}


SESSION_ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "string", "minLength": 1},
              "description": "a session id or a unique prefix of one"}
TEXT = {"type": "string", "maxLength": 100_000}


def openapi_document() -> dict:
    from chinwag.app import version

    session_path = {"parameters": [SESSION_ID]}
    return {
        "openapi": "3.0.3",
        "info": {"title": "Chinwag local API", "version": version(),
                 "description": "Sessions, messages and live events of the Chinwag database."},
        "servers": [{"url": "/api"}],
        "security": [{"bearer": []}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {"Error": {"type": "object", "properties": {"error": {"type": "string"}},
                                  "required": ["error"]}},
        },
        "paths": {
            "/sessions": {
                "get": {
                    "summary": "list sessions, newest activity first",
                    "parameters": [
                        {"name": "archived", "in": "query", "schema": {"type": "boolean"}},
                        {"name": "workspace", "in": "query", "schema": {"type": "string"}},
                        {"name": "kind", "in": "query", "schema": {"type": "string", "enum": list(SESSION_KINDS)}},
                        {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 500}},
                        {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0}},
                    ],
                    "responses": _responses(200, 422),
                },
                "post": {
                    "summary": "create a session, optionally sending a first prompt",
                    "requestBody": _body({
                        "title": TEXT, "kind": {"type": "string", "enum": list(SESSION_KINDS)},
                        "workspace": TEXT, "agent": TEXT, "model": TEXT,
                        "mode": {"type": "string", "enum": ["ask", "bypass", "readonly"]},
                        "prompt": TEXT, "metadata": OBJECT,
                    }),
                    "responses": _responses(201, 400, 413, 422, description="created"),
                },
            },
            "/sessions/{id}": {
                **session_path,
                "get": {"summary": "a session with its turns", "responses": _responses(200, 400, 404)},
                "patch": {"summary": "rename, or merge metadata",
                          "requestBody": _body({"title": {"type": "string", "minLength": 1, "maxLength": 500},
                                                "metadata": OBJECT}),
                          "responses": _responses(200, 400, 404, 409, 413, 422)},
                "delete": {"summary": "delete (soft; ?force=true permanently)",
                           "parameters": [{"name": "force", "in": "query", "schema": {"type": "boolean"}}],
                           "responses": _responses(200, 400, 404, 409, 422)},
            },
            "/sessions/{id}/messages": {
                **session_path,
                "post": {"summary": "send a prompt; returns the agent turn's id",
                         "requestBody": _body({"prompt": {"type": "string", "minLength": 1, "maxLength": 100_000}},
                                              ["prompt"]),
                         "responses": _responses(202, 400, 404, 409, 413, 422, description="accepted")},
            },
            "/sessions/{id}/events": {
                **session_path,
                "get": {"summary": "live events (Server-Sent Events), resumable with Last-Event-ID",
                        "parameters": [{"name": "last_event_id", "in": "query", "schema": {"type": "string"}}],
                        "responses": {"200": {"description": "an event stream",
                                              "content": {"text/event-stream": {"schema": {"type": "string"}}}},
                                      "401": {"description": "missing or wrong token", **_json(ERROR)},
                                      "403": {"description": FOREIGN_ORIGIN, **_json(ERROR)},
                                      "400": {"description": "bad request", **_json(ERROR)},
                                      "404": {"description": "no such session", **_json(ERROR)}}},
            },
            "/sessions/{id}/cancel": {
                **session_path,
                "post": {"summary": "cancel the running turn (its partial text is kept)",
                         "responses": _responses(200, 400, 404)},
            },
            "/sessions/{id}/compact": {
                **session_path,
                "post": {"summary": "summarize older turns",
                         "requestBody": _body({"window": {"type": "integer", "minimum": 0, "maximum": 100_000},
                                               "instructions": TEXT}),
                         "responses": _responses(200, 400, 404, 409, 413, 422)},
            },
            "/search": {
                "get": {"summary": "full-text search over turns and titles",
                        "parameters": [{"name": "q", "in": "query", "required": True,
                                        "schema": {"type": "string", "minLength": 1}},
                                       {"name": "limit", "in": "query",
                                        "schema": {"type": "integer", "minimum": 1, "maximum": 500}}],
                        "responses": _responses(200, 422)},
            },
            "/openapi.json": {"get": {"summary": "this document", "responses": _responses(200)}},
        },
    }
