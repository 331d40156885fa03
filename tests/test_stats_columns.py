"""Schema 5: a turn's price record and cached tokens as columns of their own (what statistics
read), filled by the migration from every turn's metadata in one transaction and kept equal
to the metadata by triggers whoever writes a turn; the statistics indexes cover on any
SQLite, so `chinwag stats` sums from the index alone."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest
from cli_results import ok
from test_pricing import CLAUDE

from chinwag.app.config.loader import Config
from chinwag.app.core import pricing
from chinwag.app.core.stats import usage_stats
from chinwag.storage import Store, stats
from chinwag.storage import db as storage_db
from chinwag.storage.clock import FixedClock
from chinwag.storage.errors import DatabaseTooNew, StorageError
from chinwag.storage.schema import MIGRATIONS, SCHEMA_VERSION

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
CONFIG = Config(agents={**CLAUDE.agents, "gpt": {"kind": "openai", "model": "gpt-4o"}})
PRICE = pricing.turn_record("claude", CONFIG)["price"]
GPT = pricing.turn_record("gpt", CONFIG)["price"]
# (role, agent, model, input, output, estimated, metadata): what schema 4 kept only in the JSON
TURNS = [
    ("user", "claude", "claude-sonnet-4-5", 0, 0, 0, "{}"),
    ("agent", "claude", "claude-sonnet-4-5", 12_000, 300, 0, json.dumps({"price": PRICE, "cached_tokens": 9000})),
    ("agent", "claude", "claude-sonnet-4-5", 250_000, 900, 0, json.dumps({"price": PRICE})),
    ("agent", "gpt", "gpt-4o", 1000, 100, 0, json.dumps({"usage": "reported", "price": GPT, "cached_tokens": 500})),
    ("agent", "echo", "echo-1", 40, 4, 1, json.dumps({"usage": "estimated"})),
    ("agent", "gpt", "gpt-4o", 800, 80, 0, "not json"),  # a damaged record: no price, no cached tokens
    ("user", "gpt", "gpt-4o", 0, 0, 0, json.dumps({"pastes": [[0, 4]]})),
]


def write_turns(conn: sqlite3.Connection, *, day: str = "2026-11-24") -> None:
    conn.execute("INSERT INTO sessions (id, title, agent, model, created_at, updated_at, last_activity_at, state) "
                 "VALUES ('S', 'old', 'claude', 'claude-sonnet-4-5', ?, ?, ?, 'ready')", (day, day, day))
    for seq, (role, agent, model, tin, tout, estimated, metadata) in enumerate(TURNS, 1):
        stamp = f"{day}T10:{seq:02d}:00.000Z"
        conn.execute("INSERT INTO turns (id, session_id, seq, role, text, agent, model, input_tokens, output_tokens, "
                     "tokens_estimated, created_at, metadata) VALUES (?, 'S', ?, ?, 'text', ?, ?, ?, ?, ?, ?, ?)",
                     (f"T{seq}", seq, role, agent, model, tin, tout, estimated, stamp, metadata))


def schema_4(path, *, extra: tuple[str, ...] = ()) -> None:
    """A database as Chinwag wrote it before schema 5 (with the expression index and the time
    index an earlier `chinwag stats` built), with TURNS in it."""
    conn = sqlite3.connect(path)
    for statements in MIGRATIONS[:4]:
        for statement in statements:
            conn.execute(statement)
    conn.execute("PRAGMA user_version = 4")
    write_turns(conn)
    old_price = "CASE WHEN json_valid(metadata) THEN json_extract(metadata, '$.price') END"
    conn.execute(f"CREATE INDEX turns_usage ON turns(role, agent, model, {old_price})")
    conn.execute("CREATE INDEX turns_by_time ON turns(role, created_at)")
    for statement in extra:
        conn.execute(statement)
    conn.commit()
    conn.close()


def columns(store: Store) -> dict[str, tuple]:
    return {r["id"]: (r["price"], r["cached_tokens"]) for r in store.db.query("SELECT id, price, cached_tokens FROM turns")}


def expected_columns() -> dict[str, tuple]:
    def of(metadata: str) -> tuple:
        try:
            data = json.loads(metadata)
        except ValueError:
            return None, None
        price = data.get("price")
        return (json.dumps(price, separators=(",", ":")) if price is not None else None), data.get("cached_tokens")
    return {f"T{seq}": of(turn[-1]) for seq, turn in enumerate(TURNS, 1)}


def comparable(columns_read: dict[str, tuple]) -> dict[str, tuple]:
    """The price record as data (SQLite's JSON text and Python's may space it differently)."""
    return {k: (json.loads(p) if p else None, c) for k, (p, c) in columns_read.items()}


# -- the migration ---------------------------------------------------------------------------------
def test_the_migration_fills_the_columns_from_the_metadata_and_drops_the_old_indexes(db_path):
    schema_4(db_path)
    with Store(db_path) as store:
        assert store.db.schema_version == SCHEMA_VERSION == 5
        assert comparable(columns(store)) == comparable(expected_columns())
        names = {r["name"] for r in store.db.query("SELECT name FROM sqlite_master WHERE type = 'index'")}
        assert "turns_by_time" not in names and "turns_usage" not in names  # the expression one: rebuilt on use
        assert stats.missing_stats_indexes(store) == ["turns_usage", "turns_by_session"]


def test_a_failing_migration_changes_nothing(db_path):
    # a trigger of the new migration's name already there: its CREATE fails after the columns were added and filled
    schema_4(db_path, extra=("CREATE TRIGGER turns_usage_insert AFTER INSERT ON turns BEGIN SELECT 1; END",))
    with pytest.raises(StorageError):
        Store(db_path)
    conn = sqlite3.connect(db_path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 4
    assert "price" not in {row[1] for row in conn.execute("PRAGMA table_info(turns)")}  # rolled back as one
    conn.close()


def test_an_older_chinwag_refuses_the_newer_database(db_path, monkeypatch):
    Store(db_path).close()
    before = db_path.read_bytes()
    monkeypatch.setattr(storage_db, "SCHEMA_VERSION", 4)  # as Chinwag before schema 5 opens it
    with pytest.raises(DatabaseTooNew, match="schema version 5, newer than this Chinwag understands"):
        Store(db_path)
    assert db_path.read_bytes() == before


def test_the_statistics_are_the_same_migrated_or_written_now(tmp_path, monkeypatch):
    monkeypatch.setenv("CHINWAG_HOME", str(tmp_path))
    old, new = tmp_path / "old.db", tmp_path / "new.db"
    schema_4(old)
    Store(new).close()
    conn = sqlite3.connect(new)
    write_turns(conn)  # the same turns through schema 5's triggers
    conn.commit()
    conn.close()
    results = []
    for path in (old, new):
        with Store(path, clock=FixedClock(NOW)) as store:
            assert comparable(columns(store)) == comparable(expected_columns())
            stats.ensure_stats_indexes(store)
            results.append({by: usage_stats(store, CONFIG, since=timedelta(days=30), by=by).as_json()
                            for by in ("day", "model", "agent")})
    assert results[0] == results[1]
    day = results[0]["day"]
    assert day["total"]["turns"] == 5 and day["total"]["input_tokens"] == 12_000 + 250_000 + 1000 + 40 + 800
    assert day["total"]["cost"]["amount"] > 0


# -- writes after it -------------------------------------------------------------------------------
def test_every_writer_keeps_the_columns_equal_to_the_metadata(store):
    session = store.create_session(agent="claude", model="claude-sonnet-4-5")
    _, reply = store.begin_exchange(session.id, "q")
    assert columns(store)[reply.id] == (None, None)  # streaming: nothing yet
    store.finish_turn(reply.id, "complete", input_tokens=5000, output_tokens=50,
                      metadata={"usage": "reported", "cached_tokens": 4000, **pricing.turn_record("claude", CONFIG)})
    assert comparable(columns(store))[reply.id] == (PRICE, 4000)  # settled: as the runner settles it
    store.merge_turn_metadata(reply.id, {"cached_tokens": 4500})
    assert comparable(columns(store))[reply.id] == (PRICE, 4500)
    store.merge_turn_metadata(reply.id, {"note": "kept"})  # other keys: the columns stay
    assert comparable(columns(store))[reply.id] == (PRICE, 4500)
    fork = store.fork_session(session.id)
    copied = [t for t in store.list_turns(fork.id) if t.role == "agent"][0]
    assert comparable(columns(store))[copied.id] == (PRICE, 4500)
    document = store.export_session(session.id)
    assert all("price" not in t and "cached_tokens" not in t for t in document["turns"])  # the format is unchanged
    store.delete_session(session.id, force=True)
    store.import_session(json.dumps(document))
    assert comparable(columns(store))[reply.id] == (PRICE, 4500)
    assert store.export_session(session.id) == document  # round trip


def test_session_show_json_is_unchanged_by_the_columns(cli, chinwag_home):
    ok(cli("session", "start", "--agent", "echo", "hello"))
    with Store(chinwag_home / "chinwag.db") as store:
        session = store.list_sessions()[0]
        reply = [t for t in store.list_turns(session.id) if t.role == "agent"][0]
        store.merge_turn_metadata(reply.id, {"cached_tokens": 7})
    shown = json.loads(ok(cli("session", "show", session.id, "--json")).stdout)
    turn = next(t for t in shown["turns"] if t["id"] == reply.id)
    assert "cached_tokens" not in turn and "price" not in turn and turn["metadata"]["cached_tokens"] == 7


# -- the plan ----------------------------------------------------------------------------------------
def test_the_statistics_read_only_their_covering_indexes(store, monkeypatch):
    session = store.create_session(agent="claude", model="claude-sonnet-4-5")
    _, reply = store.begin_exchange(session.id, "q")
    store.finish_turn(reply.id, "complete", input_tokens=10, output_tokens=1,
                      metadata={"cached_tokens": 3, **pricing.turn_record("claude", CONFIG)})
    assert stats.ensure_stats_indexes(store) == ["turns_usage", "turns_by_session"]
    seen: list[tuple] = []
    query = store.db.query
    monkeypatch.setattr(store.db, "query", lambda sql, params=(): seen.append((sql, params)) or query(sql, params))
    stats.usage_groups(store, by=("day",), since="2026-01-01")
    stats.usage_groups(store, by=("day",))
    stats.session_totals(store, since="2026-01-01")
    monkeypatch.undo()
    plans = [" ".join(r["detail"] for r in store.db.query("EXPLAIN QUERY PLAN " + sql, params)) for sql, params in seen]
    assert plans[0] == plans[1] == "SEARCH turns USING COVERING INDEX turns_usage (role=?)"  # summed as read
    assert plans[2] == "SEARCH turns USING COVERING INDEX turns_by_session (role=?)"
