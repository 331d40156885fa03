"""The runner (one turn's life), the echo agent, context building, compaction and config."""

from __future__ import annotations

import asyncio

import pytest

from chinwag.app.agents.base import (
    Done,
    Failed,
    TextDelta,
    ThinkingDelta,
    ToolCallEnd,
    ToolCallStart,
    ToolCallUpdate,
    Usage,
)
from chinwag.app.agents.echo import EchoAgent, echo_reply
from chinwag.app.config.loader import Config, ConfigError, load_config
from chinwag.app.core.compaction import CompactionError, compact
from chinwag.app.core.events import TitleChanged, TurnSettled, TurnStarted, TurnText
from chinwag.app.core.runner import Runner
from chinwag.storage import SessionBusy, Store


class ScriptedAgent:
    """Yields the given events; optionally checks the database when called."""

    def __init__(self, events, *, delay=0.0, check=None, raise_after=None):
        self.name, self.model = "scripted", "s-1"
        self.events, self.delay, self.check, self.raise_after = events, delay, check, raise_after
        self.seen = None
        self.purposes = []

    async def stream(self, messages, *, purpose="chat"):
        self.purposes.append(purpose)
        if purpose == "title":  # the follow-up title request gets a fixed answer
            yield TextDelta("A Scripted Title")
            yield Done()
            return
        self.seen = messages
        if self.check:
            self.check()
        for index, event in enumerate(self.events):
            if self.raise_after is not None and index == self.raise_after:
                raise RuntimeError("socket closed")
            await asyncio.sleep(self.delay)
            yield event


def runner_with(store, agent, **kwargs):
    return Runner(store, Config(), agent_factory=lambda name, model: agent, **kwargs)


async def collect(agent, prompt):
    from chinwag.app.agents.base import Message

    return [e async for e in agent.stream([Message("user", prompt)])]


async def test_echo_is_deterministic_and_estimated():
    agent = EchoAgent(delay=0, chunk=4)
    events = await collect(agent, "hi there")
    text = "".join(e.text for e in events if isinstance(e, TextDelta))
    assert text == echo_reply("hi there")
    assert all(len(e.text) <= 4 for e in events if isinstance(e, TextDelta))
    usage = next(e for e in events if isinstance(e, Usage))
    assert usage.estimated and usage.output_tokens > 0
    assert isinstance(events[-1], Done)
    assert events == await collect(agent, "hi there")


async def test_echo_tool_word_emits_a_nested_tool_call_and_think_emits_thinking():
    events = await collect(EchoAgent(delay=0), "use a tool, think")
    starts = [e for e in events if isinstance(e, ToolCallStart)]
    assert [s.parent_id for s in starts] == [None, starts[0].call_id]
    assert any(isinstance(e, ToolCallUpdate) for e in events)
    assert {e.call_id for e in events if isinstance(e, ToolCallEnd)} == {s.call_id for s in starts}
    assert any(isinstance(e, ThinkingDelta) for e in events)
    plain = await collect(EchoAgent(delay=0), "toolbox")
    assert not any(isinstance(e, ToolCallStart) for e in plain)


async def test_success_commits_user_turn_before_calling_agent(store):
    session = store.create_session()

    def check():
        turns = store.list_turns(session.id)
        assert turns[0].role == "user" and turns[0].text == "question"

    agent = ScriptedAgent([TextDelta("ans"), TextDelta("wer"), Usage(12, 3), Done()], check=check)
    updates = []
    runner = runner_with(store, agent, on_event=updates.append)
    turn = await runner.send(session.id, "question")
    assert (turn.status, turn.text, turn.input_tokens, turn.output_tokens, turn.tokens_estimated) == ("complete", "answer", 12, 3, False)
    assert turn.model == "s-1"
    assert agent.seen[-1].text == "question"
    await runner.drain()
    assert agent.purposes == ["chat", "title"]
    assert store.get_session(session.id).title == "A Scripted Title"
    assert TitleChanged(session.id, "A Scripted Title") in updates
    s = store.get_session(session.id)
    assert (s.state, s.input_tokens, s.output_tokens) == ("ready", 12, 3)
    kinds = [type(u) for u in updates]
    assert kinds[0] is TurnStarted and kinds[-2:] == [TurnSettled, TitleChanged] and TurnText in kinds
    started = updates[0]
    assert (started.user.role, started.user.text, started.turn.status) == ("user", "question", "streaming")
    assert started.user == store.list_turns(session.id)[0]  # the committed prompt, handed on: no read-back
    assert updates[-2].turn == store.get_turn(turn.id)
    types = [e.type for e in store.list_events(session.id)]
    assert types.index("user_message") < types.index("generation_start") < types.index("generation_end")


async def test_missing_usage_is_estimated(store):
    session = store.create_session()
    turn = await runner_with(store, ScriptedAgent([TextDelta("x" * 40), Done()])).send(session.id, "q")
    assert turn.tokens_estimated and turn.output_tokens == 10 and turn.input_tokens > 0


async def test_cancel_keeps_partial_text_as_stopped(store):
    session = store.create_session()
    agent = ScriptedAgent([TextDelta("word ") for _ in range(200)] + [Done()], delay=0.01)
    runner = runner_with(store, agent, flush_interval=0.02)
    task = asyncio.create_task(runner.send(session.id, "q"))
    await asyncio.sleep(0.2)
    assert runner.is_running(session.id)
    assert runner.cancel(session.id)
    turn = await task
    assert turn.status == "stopped" and 0 < len(turn.text) < 1000
    assert store.get_turn(turn.id).text == turn.text
    assert store.get_session(session.id).state == "ready"
    assert not runner.is_running(session.id)


async def test_cancelling_the_caller_also_settles_the_turn(store):
    session = store.create_session()
    agent = ScriptedAgent([TextDelta("w ") for _ in range(200)], delay=0.01)
    task = asyncio.create_task(runner_with(store, agent).send(session.id, "q"))
    await asyncio.sleep(0.15)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    reply = store.list_turns(session.id)[-1]
    assert reply.status == "stopped" and reply.text.startswith("w ")


async def test_agent_exception_becomes_error_with_partial_text(store):
    session = store.create_session()
    agent = ScriptedAgent([TextDelta("half "), TextDelta("way"), Done()], raise_after=2)
    turn = await runner_with(store, agent).send(session.id, "q")
    assert turn.status == "error" and turn.text == "half way" and "socket closed" in turn.error
    assert store.get_session(session.id).state == "error"
    again = await runner_with(store, ScriptedAgent([TextDelta("ok"), Done()])).send(session.id, "retry")
    assert again.status == "complete"


async def test_failed_event_is_an_error(store):
    session = store.create_session()
    turn = await runner_with(store, ScriptedAgent([TextDelta("a"), Failed("rate limited")])).send(session.id, "q")
    assert (turn.status, turn.error, turn.text) == ("error", "rate limited", "a")


async def test_unknown_agent_is_an_error_turn_not_a_crash(store):
    session = store.create_session(agent="nope")
    turn = await Runner(store, Config()).send(session.id, "q")
    assert turn.status == "error" and "unknown agent" in turn.error


async def test_stop_request_through_the_database(store, db_path):
    session = store.create_session()
    agent = ScriptedAgent([TextDelta("w ") for _ in range(500)], delay=0.01)
    runner = runner_with(store, agent, poll_interval=0.05)
    task = asyncio.create_task(runner.send(session.id, "q"))
    await asyncio.sleep(0.2)
    with Store(db_path) as other:
        other.request_stop(other.running_turn(session.id).id)
    turn = await asyncio.wait_for(task, 2)
    assert turn.status == "stopped"


async def test_writes_are_batched(store, monkeypatch):
    session = store.create_session()
    calls = []
    original = store.append_stream
    monkeypatch.setattr(store, "append_stream", lambda *a, **k: (calls.append(a), original(*a, **k)))
    agent = ScriptedAgent([TextDelta("x") for _ in range(5000)] + [Done()])
    turn = await runner_with(store, agent).send(session.id, "q")
    assert len(turn.text) == 5000 and len(calls) < 50


async def test_listener_failure_does_not_break_persistence(store):
    session = store.create_session()

    def boom(update):
        raise ValueError("listener bug")

    turn = await runner_with(store, ScriptedAgent([TextDelta("fine"), Done()]), on_event=boom).send(session.id, "q")
    assert turn.status == "complete" and store.get_turn(turn.id).text == "fine"


async def test_context_notes_interrupted_reply_and_skips_compacted(store):
    session = store.create_session()
    agent = ScriptedAgent([TextDelta("w ") for _ in range(100)], delay=0.01)
    runner = runner_with(store, agent)
    task = asyncio.create_task(runner.send(session.id, "first"))
    await asyncio.sleep(0.1)
    runner.cancel(session.id)
    await task
    probe = ScriptedAgent([TextDelta("ok"), Done()])
    await runner_with(store, probe).send(session.id, "second")
    assert "stopped before it finished" in probe.seen[1].text
    first = store.list_turns(session.id)[0]
    store.add_compaction(session.id, "summary", "earlier: a question", [first])  # a compaction marks its own branch
    probe2 = ScriptedAgent([Done()])
    await runner_with(store, probe2).send(session.id, "third")
    assert "first" not in [m.text for m in probe2.seen]


async def test_second_turn_in_same_session_is_refused_while_running(store):
    session = store.create_session()
    agent = ScriptedAgent([TextDelta("w") for _ in range(100)], delay=0.01)
    runner = runner_with(store, agent)
    task = asyncio.create_task(runner.send(session.id, "one"))
    await asyncio.sleep(0.05)
    with pytest.raises(SessionBusy):
        await runner.send(session.id, "two")
    runner.cancel(session.id)
    await task


# -- compaction -------------------------------------------------------------------------------
async def exchanges(store, session_id, n):
    runner = Runner(store, Config(agents={"echo": {"kind": "echo", "delay": 0}}))
    for i in range(n):
        await runner.send(session_id, f"message {i} about the parser and the writer and more words")


async def test_compaction_summarizes_all_but_the_window(store):
    session = store.create_session()
    await exchanges(store, session.id, 3)
    result = await compact(store, EchoAgent(delay=0), session.id, window=2, instructions="keep names")
    turns = store.list_turns(session.id)
    assert result.summarized == 4 and result.kept == 2
    assert result.tokens_after < result.tokens_before
    assert [t.compacted for t in turns[:4]] == [True] * 4 and not turns[4].compacted
    assert turns[-1].role == "summary" and "focus: keep names" in turns[-1].text
    assert turns[-1].metadata["tokens_before"] == result.tokens_before
    event = [e for e in store.list_events(session.id) if e.type == "compaction"][0]
    assert event.data["tokens_after"] == result.tokens_after
    with pytest.raises(CompactionError, match="nothing to compact"):
        await compact(store, EchoAgent(delay=0), session.id, window=2)


async def test_compaction_refuses_when_summary_is_not_smaller(store):
    session = store.create_session()
    await exchanges(store, session.id, 2)
    before = store.export_json(session.id)
    with pytest.raises(CompactionError, match="would not shrink"):
        await compact(store, ScriptedAgent([TextDelta("y" * 50_000), Done()]), session.id, window=0)
    assert store.export_json(session.id) == before


async def test_compaction_refuses_while_a_turn_runs(store):
    session = store.create_session()
    await exchanges(store, session.id, 2)
    store.begin_exchange(session.id, "running", agent="echo", model="")
    with pytest.raises(SessionBusy):
        await compact(store, EchoAgent(delay=0), session.id, window=0)


# -- config -------------------------------------------------------------------------------------
def test_config_missing_valid_and_invalid(chinwag_home):
    assert load_config().defaults == {}
    path = chinwag_home / "config.toml"
    path.write_text('[defaults]\nagent = "slow"\n\n[agents.slow]\nkind = "echo"\ndelay = 0.5\n')
    config = load_config()
    assert config.defaults["agent"] == "slow" and config.agents["slow"]["delay"] == 0.5
    path.write_text("[defaults]\nagent = \n")
    with pytest.raises(ConfigError, match="config.toml.*line 2"):
        load_config()
    path.write_text('[defaults]\nagent = "echo"\ncolour = "red"\n')
    with pytest.raises(ConfigError, match=r"config.toml:3: unknown key 'colour'"):
        load_config()
    path.write_text("[agents.x]\ndelay = \"fast\"\n")
    with pytest.raises(ConfigError, match="wrong type"):
        load_config()


async def test_context_size_in_sql_matches_the_python_formula(store):
    from chinwag.app.core.context import context_tokens

    session = store.create_session()
    await exchanges(store, session.id, 3)
    await compact(store, EchoAgent(delay=0), session.id, window=2)
    await exchanges(store, session.id, 1)
    assert store.context_size(session.id) == context_tokens(store.context_turns(session.id)) > 0
