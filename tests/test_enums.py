"""Storage's closed sets of values (kinds, states, roles, statuses, event types): StrEnums
that are stored and exported as plain text, and the one source of every check."""

from __future__ import annotations

import json
import sqlite3

import pytest

from chinwag.storage import NotFound, StorageError
from chinwag.storage.enums import EventType, SessionKind, SessionState, ToolStatus, TurnRole, TurnStatus
from chinwag.storage.states import TRANSITIONS


def test_members_are_stored_and_exported_as_plain_text(store, db_path):
    session = store.create_session(kind=SessionKind.PROJECT)
    store.add_turn(session.id, TurnRole.SYSTEM, "hi", status=TurnStatus.COMPLETE)
    raw = sqlite3.connect(db_path)
    try:
        assert raw.execute("SELECT kind, typeof(kind), state FROM sessions").fetchone() == ("project", "text", "ready")
        assert raw.execute("SELECT role, typeof(role), status FROM turns").fetchone() == ("system", "text", "complete")
    finally:
        raw.close()
    read = store.get_session(session.id)
    assert type(read.kind) is str and read.kind == SessionKind.PROJECT
    document = json.loads(store.export_json(session.id))
    assert document["session"]["kind"] == "project" and document["turns"][0]["role"] == "system"


@pytest.mark.parametrize(
    "call, enum",
    [
        (lambda store, sid: store.create_session(kind="party"), SessionKind),
        (lambda store, sid: store.update_session(sid, kind="party"), SessionKind),
        (lambda store, sid: store.add_turn(sid, "robot", "x"), TurnRole),
        (lambda store, sid: store.add_turn(sid, "user", "x", status="done"), TurnStatus),
        (lambda store, sid: store.append_event(sid, "party"), EventType),
    ],
    ids=["create kind", "update kind", "turn role", "turn status", "event type"],
)
def test_every_unknown_value_is_refused_naming_the_choices(store, call, enum):
    session = store.create_session()
    before = store.export_json(session.id)
    with pytest.raises(StorageError) as caught:
        call(store, session.id)
    assert f"(choose from {', '.join(enum.values())})" in str(caught.value)
    assert store.export_json(session.id) == before


@pytest.mark.parametrize(
    "part, column, enum",
    [("session", "kind", SessionKind), ("session", "state", SessionState), ("turns", "role", TurnRole),
     ("turns", "status", TurnStatus), ("tool_calls", "status", ToolStatus), ("events", "type", EventType)],
)
def test_import_checks_each_column_against_its_enum(store, part, column, enum):
    session = store.create_session()
    _, reply = store.begin_exchange(session.id, "hi", agent="echo", model="")
    store.start_tool_call(reply.id, "c", "tool")
    store.finish_turn(reply.id, "complete")
    document = json.loads(store.export_json(session.id))
    store.delete_session(session.id, force=True)
    record = document[part] if part == "session" else document[part][0]
    record[column] = "bogus"
    with pytest.raises(StorageError) as caught:
        store.import_session(json.dumps(document))
    assert f"unknown {column} 'bogus' (one of {', '.join(enum.values())})" in str(caught.value)
    assert store.count_sessions(filter="all") == 0


def test_the_state_machine_covers_exactly_the_states():
    assert set(TRANSITIONS) == set(SessionState)
    assert set().union(*TRANSITIONS.values()) <= set(SessionState)


def test_a_session_deleted_after_its_id_resolved_is_not_found(store, monkeypatch):
    session = store.create_session()
    monkeypatch.setattr(store, "resolve_session_id", lambda *args, **kwargs: session.id)
    store.delete_session(session.id, force=True)
    with pytest.raises(NotFound, match="no session"):
        store.get_session(session.id)
