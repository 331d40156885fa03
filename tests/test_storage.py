"""Storage: opening and refusing files, migrations, every session and turn operation,
the append-only event log, crash recovery and batched stream writes.
"""

from __future__ import annotations

import hashlib
import os
import random
import sqlite3
import stat
import subprocess
import sys
from datetime import timedelta

import pytest

from chinwag.app.demo import DEMO_NOW as FIXED_NOW
from chinwag.storage import (
    AmbiguousId,
    DatabaseTooNew,
    InvalidTransition,
    NotADatabase,
    NotFound,
    ReadOnlyDatabase,
    SessionBusy,
    StorageError,
    Store,
)
from chinwag.storage.clock import FixedClock, SequentialIds
from chinwag.storage.schema import MIGRATIONS, SCHEMA_VERSION
from chinwag.storage.stream_writer import StreamWriter


def digest(path) -> str:
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


# -- opening the file ------------------------------------------------------------------------
def test_new_database_is_private_wal_with_foreign_keys(store, db_path):
    assert stat.S_IMODE(os.stat(db_path).st_mode) == 0o600
    conn = store.db.conn
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] >= 5000
    assert store.db.schema_version == SCHEMA_VERSION
    assert {"sessions", "turns", "events", "tool_calls", "turns_fts"} <= set(store.db.utils.table_names())


def test_migrates_an_older_schema_forward_keeping_data(db_path):
    conn = sqlite3.connect(db_path)
    for statement in MIGRATIONS[0]:
        conn.execute(statement)
    conn.execute(
        "INSERT INTO sessions (id, title, created_at, updated_at, last_activity_at) VALUES ('01OLD', 'kept', 'x', 'x', 'x')"
    )
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()
    with Store(db_path) as store:
        assert store.db.schema_version == SCHEMA_VERSION
        assert store.get_session("01OLD").title == "kept"
        store.add_prompt_history("migration 2 works")
        assert store.prompt_history() == ["migration 2 works"]


def test_newer_database_is_refused_and_untouched(db_path):
    Store(db_path).close()
    conn = sqlite3.connect(db_path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.commit()
    conn.close()
    before = digest(db_path)
    with pytest.raises(DatabaseTooNew, match="newer"):
        Store(db_path)
    assert digest(db_path) == before


@pytest.mark.parametrize("content", [b"hello, this is a text file\n" * 50, random.Random(84).randbytes(8192)])
def test_non_sqlite_file_is_refused_and_untouched(db_path, content):
    db_path.write_bytes(content)
    before = digest(db_path)
    with pytest.raises(NotADatabase):
        Store(db_path)
    assert digest(db_path) == before


def test_corrupt_sqlite_file_gives_a_storage_error(db_path):
    with Store(db_path) as store:
        for i in range(200):
            store.create_session(title=f"session {i} " + "x" * 200)
        store.db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray(db_path.read_bytes())
    data[100:4096 * 3] = os.urandom(4096 * 3 - 100)
    db_path.write_bytes(bytes(data))
    for name in ("chinwag.db-wal", "chinwag.db-shm"):
        (db_path.parent / name).unlink(missing_ok=True)
    with pytest.raises(StorageError):
        store = Store(db_path)
        store.list_sessions()


def test_read_only_store_refuses_writes_and_changes_nothing(db_path):
    with Store(db_path) as store:
        session = store.create_session(title="keep")
    before = digest(db_path)
    with Store(db_path, readonly=True) as store:
        assert store.get_session(session.id).title == "keep"
        with pytest.raises(ReadOnlyDatabase):
            store.rename_session(session.id, "changed")
        with pytest.raises(ReadOnlyDatabase):
            store.create_session()
    assert digest(db_path) == before


# -- sessions ----------------------------------------------------------------------------------
def test_create_defaults_and_refuses_unknown_kind(store):
    session = store.create_session()
    assert (session.title, session.kind, session.state, session.title_source) == ("New session", "general", "ready", "default")
    assert [e.type for e in store.list_events(session.id)] == ["state_change"]
    with pytest.raises(StorageError, match="unknown session kind"):
        store.create_session(kind="party")


def test_ids_are_sortable_and_resolve_by_prefix(fixed_store):
    a = fixed_store.create_session(title="a")
    b = fixed_store.create_session(title="b")
    assert a.id < b.id and len(a.id) == 26
    assert fixed_store.get_session(b.id.lower()).id == b.id
    with pytest.raises(AmbiguousId) as info:
        fixed_store.get_session(a.id[:10])
    assert a.id in str(info.value) and b.id in str(info.value)
    with pytest.raises(NotFound):
        fixed_store.get_session("ZZZZ")


def test_list_filters_paging_and_order(fixed_store):
    s = fixed_store
    made = [s.create_session(title=f"s{i}", workspace="w1" if i % 2 else "w2", kind="project" if i < 2 else "general")
            for i in range(5)]
    s.archive_session(made[0].id)
    s.delete_session(made[1].id)
    assert [x.title for x in s.list_sessions()] == ["s4", "s3", "s2"]
    assert [x.title for x in s.list_sessions(filter="archived")] == ["s0"]
    assert [x.title for x in s.list_sessions(filter="all")] == ["s4", "s3", "s2", "s0"]
    assert [x.title for x in s.list_sessions(workspace="w1", filter="all")] == ["s3"]
    assert [x.title for x in s.list_sessions(kind="project", filter="all")] == ["s0"]
    assert [x.title for x in s.list_sessions(limit=2, offset=1)] == ["s3", "s2"]
    assert s.count_sessions(filter="all") == 4
    with pytest.raises(StorageError):
        s.list_sessions(filter="bogus")


def test_rename_rules(store):
    session = store.create_session()
    with pytest.raises(StorageError):
        store.rename_session(session.id, "   ")
    store.rename_session(session.id, "generated", source="auto")
    store.rename_session(session.id, "mine")
    assert store.rename_session(session.id, "generated again", source="auto").title == "mine"
    assert "session_change" in [e.type for e in store.list_events(session.id)]


def test_update_session_records_events(store):
    session = store.create_session()
    store.update_session(session.id, model="m2", mode="bypass")
    assert store.get_session(session.id).model == "m2"
    last = store.list_events(session.id)[-1]
    assert last.type == "session_change" and last.data == {"model": "m2", "mode": "bypass"}
    with pytest.raises(StorageError):
        store.update_session(session.id, title="nope")


def test_archive_restore_soft_delete_and_undelete(store):
    session = store.create_session(title="x")
    assert store.archive_session(session.id).archived
    assert not store.restore_session(session.id).archived
    store.delete_session(session.id)
    assert store.list_sessions(filter="all") == []
    with pytest.raises(NotFound):
        store.get_session(session.id)
    assert store.undelete_session(session.id).deleted_at is None
    assert store.get_session(session.id).title == "x"


def test_force_delete_removes_everything_and_events_are_append_only(store):
    session = store.create_session()
    _, reply = store.begin_exchange(session.id, "hi", agent="echo", model="")
    store.start_tool_call(reply.id, "c1", "tool")
    store.finish_turn(reply.id, "complete")
    store.set_active_session_id(session.id)
    conn = store.db.conn
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute("UPDATE events SET type = 'x'")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute("DELETE FROM events")
    store.delete_session(session.id, force=True)
    for table in ("sessions", "turns", "tool_calls", "events"):
        assert conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0
    assert store.get_active_session_id() is None


def test_prune_empties_the_trash_and_sends_old_archived_sessions_there_first(db_path):
    clock = FixedClock(FIXED_NOW)
    with Store(db_path, clock=clock) as s:
        old = s.create_session(title="old")
        s.archive_session(old.id)
        active_old = s.create_session(title="active old")
        binned = s.create_session(title="binned")
        s.delete_session(binned.id)
        clock.advance(days=40)
        recent = s.create_session(title="recent")
        s.archive_session(recent.id)
        fresh_bin = s.create_session(title="fresh bin")
        s.delete_session(fresh_bin.id)
        pruned = s.prune_sessions(timedelta(days=30), dry_run=True)
        assert [x.title for x in pruned.removed] == ["binned"] and [x.title for x in pruned.trashed] == ["old"]
        assert s.count_sessions(filter="all") == 3 and s.count_sessions(filter="deleted") == 2  # dry run
        pruned = s.prune_sessions(timedelta(days=30))
        assert [x.title for x in pruned.removed] == ["binned"] and [x.title for x in pruned.trashed] == ["old"]
        assert {x.title for x in s.list_sessions(filter="all")} == {"active old", "recent"}
        assert {x.title for x in s.list_sessions(filter="deleted")} == {"old", "fresh bin"}  # in the trash first
        assert s.db.query_one("SELECT count(*) AS n FROM sessions WHERE id = ?", (binned.id,))["n"] == 0
        assert s.restore_session(old.id).archived_at is None  # restore: out of the trash and the archive
        assert not s.get_session(old.id).deleted
        assert active_old.id


def test_drafts_are_reused_per_workspace_and_listed_once_they_have_a_turn(store):
    draft = store.draft_session(workspace="/w", agent="echo")
    again = store.draft_session(workspace="/w", agent="echo", model="m2", title="named")
    assert again.id == draft.id and again.model == "m2" and again.title == "named"
    elsewhere = store.draft_session(workspace="/other")
    assert elsewhere.id != draft.id
    headless = store.create_session(title="by name")  # `session start`, the API: listed at once
    assert [s.id for s in store.list_sessions(filter="all")] == [headless.id]
    assert store.count_sessions(filter="all") == 1 and store.is_draft(draft.id)
    assert store.get_session(draft.id).id == draft.id  # show/send still find it
    store.add_turn(draft.id, "user", "hello")
    assert draft.id in [s.id for s in store.list_sessions()] and not store.is_draft(draft.id)
    assert store.draft_session(workspace="/w").id not in (draft.id, elsewhere.id)  # a session with turns: a new draft
    store.archive_session(elsewhere.id)
    assert store.draft_session(workspace="/other").id != elsewhere.id  # archived drafts are not reused


def test_fork_copies_turns_up_to_a_turn(store):
    source = store.create_session(title="src")
    _, r1 = store.begin_exchange(source.id, "one", agent="echo", model="")
    store.start_tool_call(r1.id, "c1", "read")
    store.update_tool_call(r1.id, "c1", output="out", status="completed")
    store.finish_turn(r1.id, "complete", input_tokens=3, output_tokens=4)
    _, r2 = store.begin_exchange(source.id, "two", agent="echo", model="")
    store.finish_turn(r2.id, "complete")
    fork = store.fork_session(source.id, upto_turn_id=r1.id.lower())
    turns = store.list_turns(fork.id)
    assert fork.parent_id == source.id and fork.title == "src (fork)"
    assert [t.text for t in turns] == ["one", ""]
    assert store.list_tool_calls([turns[1].id])[0].output == "out"
    assert fork.input_tokens == 3
    assert len(store.list_turns(source.id)) == 4


# -- turns, state, recovery ----------------------------------------------------------------------
def test_exchange_lifecycle_and_totals(store):
    session = store.create_session()
    user, reply = store.begin_exchange(session.id, "hello", agent="echo", model="m")
    assert store.get_turn(user.id).text == "hello"
    assert store.get_session(session.id).state == "busy"
    store.append_stream(reply.id, "par", "think")
    store.append_stream(reply.id, "tial")
    done = store.finish_turn(reply.id, "complete", input_tokens=10, output_tokens=5, estimated=True)
    assert (done.text, done.thinking, done.tokens_estimated, done.status) == ("partial", "think", True, "complete")
    s = store.get_session(session.id)
    assert (s.state, s.input_tokens, s.output_tokens, s.turn_count, s.title) == ("ready", 10, 5, 2, "hello")
    types = [e.type for e in store.list_events(session.id)]
    assert types.index("user_message") < types.index("generation_start") < types.index("generation_end")
    with pytest.raises(StorageError):
        store.finish_turn(reply.id, "streaming")


def test_error_turn_moves_session_to_error_and_next_exchange_recovers(store):
    session = store.create_session()
    _, reply = store.begin_exchange(session.id, "x", agent="echo", model="")
    store.finish_turn(reply.id, "error", error="boom")
    assert store.get_session(session.id).state == "error"
    store.begin_exchange(session.id, "again", agent="echo", model="")
    assert store.get_session(session.id).state == "busy"


def test_second_exchange_refused_while_owner_alive(store):
    session = store.create_session()
    store.begin_exchange(session.id, "first", agent="echo", model="", owner_pid=os.getpid())
    with pytest.raises(SessionBusy, match="busy"):
        store.begin_exchange(session.id, "second", agent="echo", model="")
    assert len(store.list_turns(session.id)) == 2


def test_dead_owner_is_interrupted_when_a_new_exchange_begins(store):
    session = store.create_session()
    _, reply = store.begin_exchange(session.id, "first", agent="echo", model="", owner_pid=dead_pid())
    store.append_stream(reply.id, "half")
    store.begin_exchange(session.id, "second", agent="echo", model="")
    old = store.get_turn(reply.id)
    assert old.status == "interrupted" and old.text == "half"


def test_open_recovers_orphaned_streaming_turns(db_path):
    with Store(db_path) as store:
        session = store.create_session()
        _, reply = store.begin_exchange(session.id, "q", agent="echo", model="", owner_pid=dead_pid())
        store.append_stream(reply.id, "partial words")
    with Store(db_path) as store:
        assert [t.id for t in store.recovered] == [reply.id]
        turn = store.get_turn(reply.id)
        assert (turn.status, turn.text) == ("interrupted", "partial words")
        assert "turn_interrupted" in [e.type for e in store.list_events(session.id)]
        assert store.get_session(session.id).state == "ready"


def test_invalid_state_transition_changes_nothing(store):
    session = store.create_session()
    before = len(store.list_events(session.id))
    with pytest.raises(InvalidTransition):
        store.set_state(session.id, "init")
    assert store.get_session(session.id).state == "ready"
    assert len(store.list_events(session.id)) == before


def test_tool_calls_nest_and_settle(store):
    session = store.create_session()
    _, reply = store.begin_exchange(session.id, "q", agent="echo", model="")
    store.start_tool_call(reply.id, "p", "parent", "a=1")
    store.start_tool_call(reply.id, "c", "child", "b=2", parent_id="p")
    store.update_tool_call(reply.id, "c", output="chunk1 ")
    store.update_tool_call(reply.id, "c", output="chunk2", status="completed")
    store.update_tool_call(reply.id, "p", status="failed")
    calls = {c.id: c for c in store.list_tool_calls([reply.id])}
    assert calls["c"].parent_id == "p" and calls["c"].output == "chunk1 chunk2"
    assert (calls["c"].status, calls["p"].status) == ("completed", "failed")
    assert calls["p"].finished_at
    assert [e.type for e in store.list_events(session.id)].count("tool_result") == 2


def test_context_turns_skip_compacted_and_put_summary_first(store):
    session = store.create_session()
    t1 = store.add_turn(session.id, "user", "old")
    store.add_turn(session.id, "agent", "old reply")
    store.mark_compacted([t1.id])
    store.add_turn(session.id, "summary", "sum")
    assert [t.text for t in store.context_turns(session.id)] == ["sum", "old reply"]


def test_stream_writer_batches_and_loses_nothing(store):
    session = store.create_session()
    _, reply = store.begin_exchange(session.id, "q", agent="echo", model="")
    now = [0.0]
    writer = StreamWriter(store, reply.id, interval=0.1, max_bytes=2048, monotonic=lambda: now[0])
    for _ in range(20_000):
        now[0] += 0.0005  # 2,000 deltas a second
        writer.add(text="x")
    writer.flush()
    assert writer.writes < 200
    assert store.get_turn(reply.id).text == "x" * 20_000


def test_prompt_history_dedupes_and_trims(store):
    for text in ["a", "a", "b", "  ", "c"]:
        store.add_prompt_history(text)
    assert store.prompt_history() == ["a", "b", "c"]
    for i in range(20):
        store.add_prompt_history(f"p{i}", keep=5)
    assert len(store.prompt_history()) == 5


def test_sequential_ids_are_ulid_shaped():
    ids = SequentialIds()
    first, second = ids(), ids()
    assert len(first) == 26 and first < second


def test_begin_exchange_returns_both_turns_as_stored_and_logs_in_order(store):
    session = store.create_session(agent="echo", model="echo-1")
    user, reply = store.begin_exchange(session.id, "  first   words  ")
    assert user == store.get_turn(user.id) and reply == store.get_turn(reply.id)
    assert (user.seq, user.agent, reply.seq, reply.status, reply.model) == (1, "echo", 2, "streaming", "echo-1")
    s = store.get_session(session.id)
    assert (s.title, s.title_source, s.turn_count, s.state) == ("first words", "auto", 2, "busy")
    assert [e.type for e in store.list_events(session.id)][-4:] == [
        "session_change", "user_message", "state_change", "generation_start"]


def test_finish_turn_appends_the_last_batch_and_merges_metadata_key_by_key(store):
    session = store.create_session()
    _, reply = store.begin_exchange(session.id, "q")
    store.append_stream(reply.id, "par")
    store.merge_turn_metadata(reply.id, {"plan": [["a", "done"]], "nested": {"a": 1}})
    settled = store.finish_turn(reply.id, "complete", text="tial", thinking="hm", output_tokens=3,
                                metadata={"nested": {"b": 2}, "usage": "estimated", "name": 'quo"te é'})
    assert settled == store.get_turn(reply.id)
    assert (settled.text, settled.thinking, settled.status) == ("partial", "hm", "complete")
    assert settled.metadata == {"plan": [["a", "done"]], "nested": {"b": 2}, "usage": "estimated", "name": 'quo"te é'}
    assert store.get_session(session.id).state == "ready"
    assert [hit.turn_id for hit in store.search("partial")] == [reply.id]  # indexed once settled, text whole


def test_reusing_an_empty_session_reads_the_draft_keys_not_every_session(tmp_path):
    """At 100,000 sessions a join led by the sessions table cost 150 ms of every TUI start."""
    from chinwag.storage import Store

    with Store(tmp_path / "x.db") as store:
        for n in range(50):
            store.create_session(title=f"s{n}")
        draft = store.draft_session()
        plans = []
        store.db.conn.set_trace_callback(lambda sql: plans.append(sql))
        assert store.draft_session().id == draft.id
        store.db.conn.set_trace_callback(None)
        select = next(sql for sql in plans if sql.lstrip().startswith("SELECT sessions.id FROM kv"))
        plan = " ".join(row[3] for row in store.db.conn.execute("EXPLAIN QUERY PLAN " + select))
        assert plan.index("SEARCH kv") < plan.index("sessions"), plan  # kv leads; sessions by id
