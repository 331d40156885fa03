"""Writes under real trouble: a full disk (SQLite's own SQLITE_FULL, via max_page_count) and
a write lock held past the busy timeout by another connection.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3

import pytest

from chinwag.app.agents.base import Done, TextDelta, Usage
from chinwag.app.config.loader import Config
from chinwag.app.core.runner import Runner
from chinwag.storage import Store
from chinwag.storage.errors import DatabaseLocked, DiskFull
from chinwag.storage.stream_writer import StreamWriter

NO_LIMIT = 1_073_741_823  # SQLite's default max_page_count


def fill_disk(store: Store) -> None:
    """From now on the database cannot grow by a page: SQLite answers SQLITE_FULL."""
    pages = store.db.conn.execute("PRAGMA page_count").fetchone()[0]
    store.db.conn.execute(f"PRAGMA max_page_count = {pages}")


def free_disk(store: Store) -> None:
    store.db.conn.execute(f"PRAGMA max_page_count = {NO_LIMIT}")


def hold_write_lock(db_path) -> sqlite3.Connection:
    other = sqlite3.connect(str(db_path), isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    return other


def generation_ends(store: Store, turn_id: str) -> int:
    return store.db.query_one(
        "SELECT count(*) AS n FROM events WHERE turn_id = ? AND type = 'generation_end'", (turn_id,))["n"]


class Agent:
    """Streams `chunks`; calls `before` first and awaits `gate` (if given) after `pause_after` chunks."""

    def __init__(self, chunks, *, before=None, gate: asyncio.Event | None = None, pause_after: int = 0):
        self.name, self.model = "scripted", "s-1"
        self.chunks, self.before, self.gate, self.pause_after = chunks, before, gate, pause_after
        self.sent = 0

    async def stream(self, messages, *, purpose="chat"):
        if purpose != "chat":
            yield Done()
            return
        if self.before:
            self.before()
        for chunk in self.chunks:
            if self.gate is not None and self.sent == self.pause_after:
                await self.gate.wait()
            self.sent += 1
            yield TextDelta(chunk)
            await asyncio.sleep(0)
        yield Usage(3, 4)
        yield Done()


def runner_for(store, agent, **kwargs) -> Runner:
    runner = Runner(store, Config(), agent_factory=lambda name, model: agent, **kwargs)
    runner.retry_interval = 0.01  # retry refused writes quickly
    return runner


async def until(predicate, timeout: float = 20.0) -> None:
    """Wait for a condition the test cannot await directly (bounded, never asserted on time)."""
    async def poll():
        while not predicate():
            await asyncio.sleep(0.01)
    await asyncio.wait_for(poll(), timeout)


# -- item 3: a full disk, a lock held too long -------------------------------------------------
def test_full_disk_mid_transaction_is_one_clear_error_and_changes_nothing(store):
    session = store.create_session()
    _, reply = store.begin_exchange(session.id, "q", agent="echo", model="")
    fill_disk(store)
    with pytest.raises(DiskFull, match=f"the disk holding {store.path} is full"):
        store.append_stream(reply.id, "x" * 200_000)
    assert not store.db.conn.in_transaction
    free_disk(store)
    assert store.get_turn(reply.id).text == ""
    store.append_stream(reply.id, "after")  # the connection is still usable
    assert store.get_turn(reply.id).text == "after"


def test_full_disk_inside_a_nested_block_rolls_back_cleanly(store):
    session = store.create_session()
    _, reply = store.begin_exchange(session.id, "q", agent="echo", model="")
    fill_disk(store)
    with pytest.raises(DiskFull):
        with store.db.transaction():
            store.append_stream(reply.id, "y" * 200_000)  # a savepoint inside the outer block
    assert not store.db.conn.in_transaction


def test_stream_writer_keeps_a_batch_the_full_disk_refused(store):
    session = store.create_session()
    _, reply = store.begin_exchange(session.id, "q", agent="echo", model="")
    writer = StreamWriter(store, reply.id)
    fill_disk(store)
    chunks = [f"chunk {i} " + "z" * 5000 for i in range(40)]
    for chunk in chunks[:20]:
        writer.add(text=chunk)
    assert writer.flush() is False and isinstance(writer.failure, DiskFull)
    for chunk in chunks[20:]:
        writer.add(text=chunk, thinking="t")
    assert store.get_turn(reply.id).text == ""
    free_disk(store)
    assert writer.flush() is True and writer.failure is None
    turn = store.get_turn(reply.id)
    assert turn.text == "".join(chunks) and turn.thinking == "t" * 20


def test_stream_writer_keeps_a_batch_while_another_process_holds_the_lock(store, db_path):
    session = store.create_session()
    _, reply = store.begin_exchange(session.id, "q", agent="echo", model="")
    store.db.conn.execute("PRAGMA busy_timeout = 20")  # the lock is held longer than this
    writer = StreamWriter(store, reply.id)
    other = hold_write_lock(db_path)
    try:
        writer.add(text="first ")
        assert writer.flush() is False and isinstance(writer.failure, DatabaseLocked)
        writer.add(text="second")
        assert writer.flush() is False
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert writer.flush() is True
    assert store.get_turn(reply.id).text == "first second"


async def test_runner_settles_with_every_character_once_the_full_disk_has_room(store, caplog):
    caplog.set_level(logging.WARNING, "chinwag.runner")
    session = store.create_session()
    chunks = [f"<{i}>" + "w" * 3000 for i in range(60)]
    agent = Agent(chunks, before=lambda: fill_disk(store))
    task = asyncio.create_task(runner_for(store, agent).send(session.id, "a long answer please"))
    await until(lambda: "not saved yet" in caplog.text)  # the stream ended on a full disk
    assert store.list_turns(session.id)[-1].status == "streaming"
    free_disk(store)
    turn = await asyncio.wait_for(task, 20)
    assert turn.text == "".join(chunks)  # every character, once
    assert store.get_turn(turn.id).text == turn.text
    assert turn.status == "error" and turn.error.startswith(f"the disk holding {store.path} is full")
    assert generation_ends(store, turn.id) == 1
    assert store.get_session(session.id).state == "error"
    assert store.list_turns(session.id)[0].text == "a long answer please"


async def test_runner_keeps_streaming_through_a_lock_held_past_the_busy_timeout(store, db_path, caplog):
    caplog.set_level(logging.WARNING, "chinwag.runner")
    session = store.create_session()
    store.db.conn.execute("PRAGMA busy_timeout = 20")
    chunks = [f"[{i}]" + "v" * 1000 for i in range(30)]
    holder: list[sqlite3.Connection] = []
    agent = Agent(chunks, before=lambda: holder.append(hold_write_lock(db_path)))
    runner = runner_for(store, agent, poll_interval=0.01)
    task = asyncio.create_task(runner.send(session.id, "q"))
    await until(lambda: "not saved yet" in caplog.text)  # the stream ended while the lock was held
    holder[0].execute("ROLLBACK")
    holder[0].close()
    turn = await asyncio.wait_for(task, 20)
    assert turn.status == "complete" and turn.error is None
    assert store.get_turn(turn.id).text == "".join(chunks)
    assert generation_ends(store, turn.id) == 1
