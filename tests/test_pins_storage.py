"""Pins in storage (schema 4): a turn or a session pinned and unpinned, recorded as events,
kept by the migration from schema 3, carried by export format 3 (older exports import with
nothing pinned)."""

from __future__ import annotations

import json
import sqlite3

from chinwag.storage import Store
from chinwag.storage.schema import MIGRATIONS, SCHEMA_VERSION


def exchange(store: Store, sid: str, prompt: str):
    user, agent = store.begin_exchange(sid, prompt, agent="echo", model="")
    store.finish_turn(agent.id, "complete", text=f"re: {prompt}")
    return user, store.get_turn(agent.id)


def test_a_turn_is_pinned_and_unpinned_and_each_change_is_an_event(store):
    sid = store.create_session().id
    user, agent = exchange(store, sid, "keep this")
    assert not user.pinned and store.pinned_turn_ids(sid) == set()
    assert store.set_turn_pinned(user.id, True).pinned
    assert store.pinned_turn_ids(sid) == {user.id}
    store.set_turn_pinned(user.id, True)  # already pinned: no second event
    assert not store.set_turn_pinned(user.id, False).pinned
    pins = [e for e in store.list_events(sid) if e.type == "pin"]
    assert [(e.turn_id, e.data) for e in pins] == [(user.id, {"pinned": True}), (user.id, {"pinned": False})]


def test_pinned_sessions_are_listed_most_recently_pinned_first_and_deleted_ones_drop_out(store):
    ids = [store.create_session(title=f"s{n}").id for n in range(3)]
    for sid in ids:
        exchange(store, sid, "hello")
    store.set_session_pinned(ids[0], True)
    store.set_session_pinned(ids[2], True)
    assert store.pinned_session_ids() == [ids[2], ids[0]]
    assert store.get_session(ids[2]).pinned_at is not None
    store.delete_session(ids[2])
    assert store.pinned_session_ids() == [ids[0]]
    assert store.set_session_pinned(ids[0], False).pinned_at is None
    assert store.pinned_session_ids() == []


def test_the_migration_from_schema_3_leaves_nothing_pinned(db_path):
    conn = sqlite3.connect(db_path)
    for statements in MIGRATIONS[:3]:
        for statement in statements:
            conn.execute(statement)
    conn.execute("PRAGMA user_version = 3")
    conn.execute("INSERT INTO sessions (id, title, created_at, updated_at, last_activity_at) VALUES ('S', 'S', 'x', 'x', 'x')")
    conn.execute("INSERT INTO turns (id, session_id, seq, role, text, created_at) VALUES ('T', 'S', 1, 'user', 'hi', 'x')")
    conn.commit()
    conn.close()
    with Store(db_path) as store:
        assert store.db.schema_version == SCHEMA_VERSION >= 4
        assert store.get_turn("T").pinned is False and store.get_session("S").pinned_at is None
        assert store.set_turn_pinned("T", True).pinned


def test_pins_round_trip_through_an_export_and_a_version_2_export_imports_unpinned(store):
    sid = store.create_session().id
    user, _ = exchange(store, sid, "keep this")
    store.set_turn_pinned(user.id, True)
    store.set_session_pinned(sid, True)
    document = store.export_session(sid)
    assert document["version"] == 3 and document["turns"][0]["pinned"] is True
    store.delete_session(sid, force=True)
    store.import_session(json.dumps(document))
    assert store.get_turn(user.id).pinned and store.get_session(sid).pinned_at is not None
    store.delete_session(sid, force=True)
    document["version"] = 2
    del document["session"]["pinned_at"]
    for turn in document["turns"]:
        del turn["pinned"]
    store.import_session(json.dumps(document))
    assert not store.get_turn(user.id).pinned and store.get_session(sid).pinned_at is None
