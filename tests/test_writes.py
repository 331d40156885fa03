"""Writes under real trouble: a full disk (SQLite's own SQLITE_FULL, via max_page_count), a
write lock held past the busy timeout by another connection, a turn settled elsewhere
while its owner still streams, a merge racing a settle, and which commits are fsynced.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3

import pytest

from chinwag.app.agents.base import Done, TextDelta, ToolCallStart, Usage
from chinwag.app.config.loader import Config
from chinwag.app.core.runner import Runner
from chinwag.storage import Store
from chinwag.storage.errors import DatabaseLocked, DiskFull, TurnLost
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


# -- item 4: a turn settled elsewhere while its owner still streams ----------------------------
def test_appends_and_finishes_only_reach_a_streaming_turn_of_their_owner(store, db_path):
    session = store.create_session()
    _, reply = store.begin_exchange(session.id, "q", agent="echo", model="", owner_pid=os.getpid())
    store.append_stream(reply.id, "before ", owner_pid=os.getpid())
    with Store(db_path, recover=False) as other:  # what `session stop` does once it gives up waiting
        assert other.mark_interrupted(other.get_turn(reply.id))
        assert not other.mark_interrupted(other.get_turn(reply.id))  # a second recoverer loses quietly
    with pytest.raises(TurnLost, match="already settled"):
        store.append_stream(reply.id, "after", owner_pid=os.getpid())
    with pytest.raises(TurnLost):
        store.start_tool_call(reply.id, "c1", "read", owner_pid=os.getpid())
    with pytest.raises(TurnLost):
        store.finish_turn(reply.id, "complete", output_tokens=9, owner_pid=os.getpid())
    with pytest.raises(TurnLost):
        store.finish_turn(reply.id, "complete")  # not twice, whoever asks
    turn = store.get_turn(reply.id)
    assert (turn.status, turn.text, turn.output_tokens) == ("interrupted", "before ", 0)
    assert generation_ends(store, reply.id) == 1
    assert store.list_tool_calls([reply.id]) == []


def test_a_turn_taken_over_by_another_process_refuses_its_old_owner(store):
    session = store.create_session()
    _, reply = store.begin_exchange(session.id, "q", agent="echo", model="", owner_pid=os.getpid())
    store.set_turn_owner(reply.id, os.getpid() + 1)  # a detached worker claimed it
    with pytest.raises(TurnLost, match="now run by pid"):
        store.append_stream(reply.id, "stale", owner_pid=os.getpid())
    with pytest.raises(TurnLost):
        store.heartbeat(reply.id, owner_pid=os.getpid())
    store.append_stream(reply.id, "fresh", owner_pid=os.getpid() + 1)
    assert store.get_turn(reply.id).text == "fresh"


async def test_runner_stops_streaming_into_a_turn_settled_elsewhere(store, db_path):
    session = store.create_session()
    gate = asyncio.Event()
    agent = Agent([f"part {i} " for i in range(400)], gate=gate, pause_after=100)
    runner = runner_for(store, agent, flush_interval=0.0, poll_interval=0.01)
    task = asyncio.create_task(runner.send(session.id, "q"))
    await until(lambda: agent.sent == 100 and store.running_turn(session.id).text.count("part") == 100)
    with Store(db_path, recover=False) as other:
        other.mark_interrupted(other.running_turn(session.id))
    kept = store.list_turns(session.id)[-1].text
    gate.set()
    turn = await asyncio.wait_for(task, 20)
    assert turn.status == "interrupted" and turn.text == kept
    assert store.get_turn(turn.id).text == kept
    assert generation_ends(store, turn.id) == 1
    assert agent.sent < 400  # it stopped asking the agent for more


async def test_runner_tool_call_into_a_turn_settled_elsewhere_is_not_recorded(store, db_path):
    session = store.create_session()
    gate = asyncio.Event()

    class ToolAgent(Agent):
        async def stream(self, messages, *, purpose="chat"):
            yield TextDelta("looking ")
            await gate.wait()
            yield ToolCallStart("c1", "read", "file")
            yield Done()

    runner = runner_for(store, ToolAgent([]), flush_interval=0.0)
    task = asyncio.create_task(runner.send(session.id, "q"))
    await until(lambda: store.list_turns(session.id)[-1].text == "looking ")
    with Store(db_path, recover=False) as other:
        other.mark_interrupted(other.running_turn(session.id))
    gate.set()
    turn = await asyncio.wait_for(task, 20)
    assert turn.status == "interrupted" and store.list_tool_calls([turn.id]) == []
    assert generation_ends(store, turn.id) == 1


# -- item 5: finish_turn's read-modify-write of metadata --------------------------------------
def test_finish_turn_keeps_a_metadata_merge_committed_just_before_its_transaction(store, db_path):
    session = store.create_session()
    _, reply = store.begin_exchange(session.id, "q", agent="echo", model="")
    other = Store(db_path, recover=False)
    armed = [True]

    def race(statement: str) -> None:
        # another process merges a plan at the last moment before the settle takes the lock
        if armed[0] and statement.startswith("BEGIN IMMEDIATE"):
            armed[0] = False
            other.merge_turn_metadata(reply.id, {"plan": [["read", "done"]]})

    store.db.conn.set_trace_callback(race)
    try:
        settled = store.finish_turn(reply.id, "complete", metadata={"usage": "reported"})
    finally:
        store.db.conn.set_trace_callback(None)
        other.close()
    assert not armed[0]
    assert settled.metadata == {"plan": [["read", "done"]], "usage": "reported"}
    assert store.get_turn(reply.id).metadata == settled.metadata


# -- item 23: the prompt and each settled turn are fsynced; streaming batches are not -----------
def commit_levels(store: Store, action) -> list[str]:
    """Run `action`, returning the synchronous level in force at each COMMIT it issued."""
    level, levels = ["NORMAL"], []

    def trace(statement: str) -> None:
        text = statement.strip().upper()
        if text.startswith("PRAGMA SYNCHRONOUS"):
            level[0] = text.split("=")[1].strip()
        elif text == "COMMIT":
            levels.append(level[0])

    store.db.conn.set_trace_callback(trace)
    try:
        action()
    finally:
        store.db.conn.set_trace_callback(None)
    return levels


def test_prompt_and_settle_commit_with_synchronous_full_streaming_batches_stay_normal(store, db_path):
    session = store.create_session()
    replies = []
    assert commit_levels(store, lambda: replies.append(
        store.begin_exchange(session.id, "keep me", agent="echo", model="")[1])) == ["FULL"]
    reply = replies[0]
    assert commit_levels(store, lambda: store.append_stream(reply.id, "batch")) == ["NORMAL"]
    assert commit_levels(store, lambda: store.finish_turn(reply.id, "complete")) == ["FULL"]
    assert store.db.conn.execute("PRAGMA synchronous").fetchone()[0] == 1  # back to NORMAL
    _, orphan = store.begin_exchange(session.id, "again", agent="echo", model="", owner_pid=2**22 + 1)
    with Store(db_path, recover=False) as other:
        assert commit_levels(other, other.recover_interrupted) == ["FULL"]
    assert store.get_turn(orphan.id).status == "interrupted"
