"""The API's pydantic models and the OpenAPI document generated from them: the document
lists today's operations, status codes and security scheme, every schema in it is a
model's, every served route is documented, refused values get one line naming the field,
and no stored value (a lone surrogate, NaN, a title from before the cap) breaks an answer."""

from __future__ import annotations

import dataclasses
import json
import sqlite3

import pytest
from api_server import ApiServer
from pydantic import BaseModel, TypeAdapter

from chinwag.app.api import models
from chinwag.app.api.app import ROUTES, create_api, document
from chinwag.app.config.loader import Config
from chinwag.storage import Store
from chinwag.storage.models import SearchHit, Session, Turn
from chinwag.storage.sessions import MAX_TITLE

FAST = Config(agents={"echo": {"kind": "echo", "delay": 0.002, "chunk": 3}})
REF = "#/components/schemas/{model}"

# the operations and status codes of the hand-written document this one replaces
OPERATIONS = {
    ("GET", "/sessions"): (200, 401, 403, 422, 500),
    ("POST", "/sessions"): (201, 400, 401, 403, 408, 413, 422),
    ("GET", "/sessions/{id}"): (200, 400, 401, 403, 404),
    ("PATCH", "/sessions/{id}"): (200, 400, 401, 403, 404, 408, 409, 413, 422),
    ("DELETE", "/sessions/{id}"): (200, 400, 401, 403, 404, 409, 422),
    ("POST", "/sessions/{id}/messages"): (202, 400, 401, 403, 404, 408, 409, 413, 422),
    ("GET", "/sessions/{id}/events"): (200, 400, 401, 403, 404),
    ("POST", "/sessions/{id}/cancel"): (200, 400, 401, 403, 404),
    ("POST", "/sessions/{id}/compact"): (200, 400, 401, 403, 404, 408, 409, 413, 422),
    ("GET", "/search"): (200, 401, 403, 422),
    ("GET", "/openapi.json"): (200, 401, 403),
    ("POST", "/acp"): (200, 400, 401, 403, 408, 413, 422),
    ("GET", "/acp"): (200, 400, 401, 403, 404, 422),
    ("GET", "/acp/sessions"): (200, 401, 403, 422, 500),
}


def operations(doc: dict) -> dict:
    return {(method.upper(), path): op for path, item in doc["paths"].items() for method, op in item.items()
            if method != "parameters"}


def test_the_document_lists_the_same_operations_statuses_and_security_scheme():
    doc = document()
    assert doc["openapi"].startswith("3.1")
    assert {key: tuple(sorted(int(code) for code in op["responses"])) for key, op in operations(doc).items()} \
        == OPERATIONS
    assert doc["security"] == [{"bearer": []}]
    assert doc["components"]["securitySchemes"] == {"bearer": {"type": "http", "scheme": "bearer"}}


def test_every_schema_in_the_document_is_generated_from_a_model():
    doc = document()
    schemas = doc["components"]["schemas"]
    # each model's own schema (its nested models by reference) is the document's entry for it
    for name, schema in schemas.items():
        model = getattr(models, name)
        mode = "validation" if issubclass(model, models.Body) else "serialization"
        generated = TypeAdapter(model).json_schema(mode=mode, ref_template=REF)
        generated.pop("$defs", None)
        assert schema == generated, name
    # and every body and answer of the route table points at its model's entry
    for op in ROUTES:
        documented = operations(doc)[(op.method, op.path)]
        if op.body is not None:
            assert documented["requestBody"]["content"]["application/json"]["schema"] == \
                {"$ref": REF.format(model=op.body.__name__)}
        for status, answer in documented["responses"].items():
            schema = answer["content"].get("application/json", {}).get("schema")
            if status != str(op.status):
                assert schema == {"$ref": REF.format(model="Error")}
            elif isinstance(op.response, type) and issubclass(op.response, BaseModel):
                assert schema == {"$ref": REF.format(model=op.response.__name__)}


def test_titles_are_documented_at_the_storage_cap():
    schemas = document()["components"]["schemas"]
    assert schemas["SessionOut"]["properties"]["title"]["maxLength"] == MAX_TITLE == 200
    assert '"maxLength": 500' not in json.dumps(document())
    assert f"{MAX_TITLE} characters" in schemas["PatchSession"]["properties"]["title"]["description"]


def test_every_served_route_is_documented_and_nothing_else(db_path):
    store = Store(db_path)
    try:
        app = create_api(store, FAST, "t")
        served = {(method, route.path) for route in app.routes for method in route.methods if method != "HEAD"}
    finally:
        store.close()
    assert served == set(operations(document())) == set(OPERATIONS)


@pytest.mark.parametrize(("model", "row"), [(models.SessionOut, Session), (models.TurnOut, Turn),
                                            (models.SearchHitOut, SearchHit)])
def test_answers_carry_every_stored_field(model: type[BaseModel], row):
    computed = ["cost"] if model is models.SessionOut else []  # not stored: priced when answered
    assert list(model.model_fields) == [f.name for f in dataclasses.fields(row)] + computed


@pytest.fixture
def api(db_path):
    with ApiServer(db_path, FAST) as server:
        yield server


def _session(api) -> str:
    return api.call("POST", "/api/sessions", {"title": "kept", "metadata": {"k": 1}})[1]["session"]["id"]


@pytest.mark.parametrize(("method", "path", "body", "needle"), [
    ("POST", "/api/sessions", {"kind": "weird"}, "kind must be one of 'project'"),
    ("POST", "/api/sessions", {"metadata": [1]}, "metadata must be dict"),
    ("POST", "/api/sessions", {"title": None}, "title must be str"),
    ("PATCH", "/api/sessions/{sid}", {"metadata": "x"}, "metadata must be dict"),
    ("PATCH", "/api/sessions/{sid}", {"title": ""}, "title must not be empty"),
    ("PATCH", "/api/sessions/{sid}", {}, "nothing to change (title, metadata)"),
    ("PATCH", "/api/sessions/{sid}", {"title": "t", "colour": 1}, "unknown field(s): colour (known: metadata, title)"),
    ("POST", "/api/sessions/{sid}/messages", {}, "missing field(s): prompt"),
    ("POST", "/api/sessions/{sid}/messages", {"prompt": ""}, "prompt must not be empty"),
    ("POST", "/api/sessions/{sid}/messages", {"prompt": 5}, "prompt must be str"),
    ("POST", "/api/sessions/{sid}/compact", {"window": True}, "window must be int"),
    ("POST", "/api/sessions/{sid}/compact", {"window": 2.0}, "window must be int"),
    ("POST", "/api/sessions/{sid}/compact", {"window": -1}, "window must be 0 or more"),
    ("GET", "/api/sessions?limit=abc", None, "limit must be an integer"),
    ("GET", "/api/sessions?limit=501", None, "limit must be 500 or less"),
    ("GET", "/api/sessions?offset=-1", None, "offset must be 0 or more"),
    ("GET", "/api/sessions?archived=yes", None, "archived must be true or false"),
    ("DELETE", "/api/sessions/{sid}?force=maybe", None, "force must be true or false"),
    ("GET", "/api/search?q=%20%20", None, "q must not be empty"),
    ("GET", "/api/search", None, "missing query parameter(s): q"),
])
def test_a_refused_value_gets_one_line_naming_it_and_changes_nothing(api, method, path, body, needle):
    sid = _session(api)
    before = api.call("GET", f"/api/sessions/{sid}")[1]
    status, answer = api.call(method, path.format(sid=sid), body)
    assert status == 422 and answer == {"error": answer["error"]}
    assert needle in answer["error"] and "\n" not in answer["error"]
    assert api.call("GET", f"/api/sessions/{sid}")[1] == before
    assert api.call("GET", "/api/sessions")[1]["total"] == 1


def test_nan_is_not_json_and_changes_nothing(api):
    status, answer = api.call("POST", "/api/sessions", raw=b'{"metadata": {"k": NaN}}')
    assert status == 400 and answer["error"].startswith("invalid JSON") and "NaN" in answer["error"]
    assert api.call("GET", "/api/sessions")[1]["total"] == 0


def test_a_lone_surrogate_in_metadata_never_breaks_an_answer_or_the_event_stream(api):
    raw = b'{"title": "broken", "metadata": {"k": "caf\\u00e9 \\ud800"}}'
    status, created = api.call("POST", "/api/sessions", raw=raw)
    assert status == 201 and created["session"]["metadata"] == {"k": "café \ud800"}
    sid = created["session"]["id"]
    status, patched = api.call("PATCH", f"/api/sessions/{sid}", raw=b'{"metadata": {"j": "\\udc00"}}')
    assert status == 200 and patched["session"]["metadata"] == {"k": "café \ud800", "j": "\udc00"}
    assert api.call("GET", f"/api/sessions/{sid}")[0] == 200
    assert api.call("GET", "/api/sessions")[0] == 200
    api.call("POST", f"/api/sessions/{sid}/messages", {"prompt": "after the change"})
    replay = api.events(sid, last_event_id="0")
    change = next(data for _, name, data in replay if name == "session_change")
    assert change["metadata"]["j"] in ("\udc00", "\ufffd") and replay[-1][1] == "turn_end"


def test_a_title_stored_before_the_cap_is_answered_within_its_schema(api, db_path):
    sid = _session(api)
    with sqlite3.connect(db_path) as conn:  # as a database written before titles were capped holds it
        conn.execute("UPDATE sessions SET title = ? WHERE id = ?", ("w" * 500, sid))
    conn.close()
    status, answer = api.call("GET", f"/api/sessions/{sid}")
    assert status == 200 and answer["session"]["title"] == "w" * (MAX_TITLE - 1) + "…"
    status, listed = api.call("GET", "/api/sessions")
    assert status == 200 and len(listed["sessions"][0]["title"]) == MAX_TITLE


def test_an_event_with_a_lone_surrogate_or_nan_is_sent_as_valid_json():
    from chinwag.app.api.events import sse

    message = sse("session_change", {"metadata": {"k": "caf\u00e9 \ud800", "n": float("nan")}}, "1..0")
    data = message.encode("utf-8").decode("utf-8").split("data: ", 1)[1]
    assert json.loads(data, parse_constant=lambda name: pytest.fail(name)) == \
        {"metadata": {"k": "caf\u00e9 \ud800", "n": None}}
