"""Pins and compaction undo: pinned turns are sent verbatim and never summarized (what the
runner really sends, through the fake LLM server), `session pin`, `session compact --undo`,
and the context rule (SQL and the plain walk agree) with pins and undone compactions."""

from __future__ import annotations

import json

import pytest
from cli_results import ok, one_line_error
from fake_llm import FakeLLM, Reply
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_tree import reference_path

from chinwag.app.agents import agent_for_session
from chinwag.app.agents.echo import EchoAgent
from chinwag.app.config.loader import Config
from chinwag.app.core import compaction
from chinwag.app.core.context import context_tokens
from chinwag.app.core.runner import Runner
from chinwag.storage import Store
from chinwag.storage.compaction import NothingToUndo
from chinwag.storage.tree import select_context


def texts(turns) -> list[str]:
    return [t.text for t in turns]


def exchange(store: Store, sid: str, prompt: str, reply: str | None = None):
    user, agent = store.begin_exchange(sid, prompt, agent="echo")
    store.finish_turn(agent.id, "complete", text=reply or f"answer to {prompt} " + "words " * 20)
    return user, store.get_turn(agent.id)


# -- what the model is sent ------------------------------------------------------------------
@pytest.fixture
def fake():
    with FakeLLM() as server:
        yield server


def fake_config(fake: FakeLLM) -> Config:
    return Config(agents={"fake": {"kind": "openai", "base_url": fake.url + "/v1", "model": "fake-small",
                                   "api_key_env": "FAKE_KEY", "timeout": 2, "max_retries": 0}})


async def test_a_pinned_turn_is_left_out_of_the_summary_and_sent_verbatim_after_it(store, fake, monkeypatch):
    monkeypatch.setenv("FAKE_KEY", "sk-test")
    config = fake_config(fake)
    session = store.create_session(agent="fake", model="fake-small", title="t")
    runner = Runner(store, config)
    for n in range(4):
        fake.script(Reply(chunks=[f"long answer number {n} " * 20]))
        await runner.send(session.id, f"question {n} PIN{n}")
        await runner.drain()
    pinned = store.resolve_turn(session.id, "@2")
    store.set_turn_pinned(pinned.id, True)
    fake.script(Reply(chunks=["SUMMARY: the questions."]))
    agent = agent_for_session(store.get_session(session.id), config)
    result = await compaction.compact(store, agent, session.id, window=2)
    summary_input = json.dumps(fake.chat_requests()[-1].body)
    assert "PIN0" in summary_input and "PIN1" not in summary_input  # the pinned prompt is not summarized
    assert not store.get_turn(pinned.id).compacted and result.kept == 3
    fake.script(Reply(chunks=["next"]))
    await runner.send(session.id, "question 4")
    await runner.drain()
    sent = fake.chat_requests()[-1].body["messages"]
    contents = [m["content"] if isinstance(m["content"], str) else json.dumps(m["content"]) for m in sent]
    summary_at = next(n for n, c in enumerate(contents) if "SUMMARY: the questions." in c)
    pinned_at = next(n for n, c in enumerate(contents) if "question 1 PIN1" in c)
    assert summary_at < pinned_at < next(n for n, c in enumerate(contents) if "question 3 PIN3" in c)
    assert not any("PIN0" in c for c in contents)  # summarized: only the summary speaks for it
    assert sum("PIN1" in c for c in contents) == 1  # verbatim, once


def test_pinned_turns_count_even_before_a_clear_and_stay_undimmed(store):
    sid = store.create_session().id
    first, _ = exchange(store, sid, "keep me")
    exchange(store, sid, "drop me")
    store.set_turn_pinned(first.id, True)
    store.add_compaction(sid, "system", "Context cleared", store.context_turns(sid))
    assert texts(store.context_turns(sid)) == ["keep me", "Context cleared"]
    assert not store.get_turn(first.id).compacted
    assert store.context_size(sid) == context_tokens(store.context_turns(sid))


# -- undo --------------------------------------------------------------------------------------
async def test_undo_takes_the_last_compaction_back_and_the_one_before_holds_again(store):
    sid = store.create_session().id
    for n in range(4):
        exchange(store, sid, f"p{n}")
    await compaction.compact(store, EchoAgent(delay=0), sid, window=2)
    for n in range(4, 6):
        exchange(store, sid, f"p{n}")
    before_second = [t.id for t in store.context_turns(sid)]
    second = await compaction.compact(store, EchoAgent(delay=0), sid, window=2)
    assert store.context_turns(sid)[0].id == second.summary.id
    marker, revived = compaction.undo(store, sid)
    assert marker.id == second.summary.id and marker.undone and marker.metadata["undone_at"]
    assert [t.id for t in store.context_turns(sid)] == before_second  # the first summary, then p2..p5
    assert revived == len(before_second) - 2 == second.summarized  # the first summary among them
    assert not any(t.compacted for t in store.context_turns(sid))
    assert store.get_turn(second.summary.id).role == "summary"  # kept as history
    events = [e for e in store.list_events(sid) if e.type == "compaction" and "undo" in e.data]
    assert events[-1].data == {"undo": second.summary.id, "revived": revived}
    compaction.undo(store, sid)
    assert len(store.context_turns(sid)) == 12 and not any(t.role == "summary" for t in store.context_turns(sid))
    with pytest.raises(NothingToUndo, match="nothing to undo"):
        compaction.undo(store, sid)
    assert store.context_size(sid) == context_tokens(store.context_turns(sid))


# -- SQL and the plain walk agree with pins and undos -----------------------------------------
OPS = st.lists(st.tuples(st.sampled_from(["send", "send", "pin", "unpin", "compact", "clear", "undo", "edit",
                                          "checkout"]), st.integers(0, 10_000)), min_size=1, max_size=25)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=OPS)
def test_context_with_pins_and_undos_matches_the_plain_rule(tmp_path_factory, ops):
    with Store(tmp_path_factory.mktemp("pins") / "chinwag.db") as store:
        sid = store.create_session().id
        for n, (op, pick) in enumerate(ops):
            everything = store.list_turns(sid, all_branches=True)
            prompts = [t for t in everything if t.role == "user"]
            context = store.context_turns(sid)
            if op == "send" or not everything:
                exchange(store, sid, f"p{n}")
            elif op in ("pin", "unpin"):
                store.set_turn_pinned(everything[pick % len(everything)].id, op == "pin")
            elif op in ("compact", "clear") and context:
                cut = context[: max(1, pick % len(context))] if op == "compact" else context
                cut = [t for t in cut if not (t.pinned and t.role != "summary")] if op == "compact" else cut
                if cut:
                    store.add_compaction(sid, "summary" if op == "compact" else "system", f"m{n}", cut)
            elif op == "undo" and store.last_compaction(sid) is not None:
                store.undo_compaction(sid)
            elif op == "edit" and prompts:
                user, agent = store.begin_exchange(sid, f"e{n}", agent="echo",
                                                   parent=prompts[pick % len(prompts)].parent_id)
                store.finish_turn(agent.id, "complete", text=f"r{n}")
            elif op == "checkout":
                store.checkout(sid, everything[pick % len(everything)].id)
        everything = store.list_turns(sid, all_branches=True)
        for tip in [store.get_session(sid).head, *(t.id for t in everything[:: max(1, len(everything) // 4)])]:
            expected = select_context(reference_path(everything, tip))
            assert [t.id for t in store.context_turns(sid, tip=tip)] == [t.id for t in expected]
        assert store.context_size(sid) == context_tokens(store.context_turns(sid))
        for turn in store.context_turns(sid):
            assert not turn.undone


# -- the CLI -------------------------------------------------------------------------------------
def started(cli, turns: int = 3) -> str:
    sid = json.loads(ok(cli("session", "start", "--json", "--agent", "echo")).stdout)["id"]
    for n in range(turns):
        ok(cli("session", "send", sid, f"message {n} with quite a few words in it to summarize later on"))
    return sid


def shown(cli, sid: str) -> dict:
    return json.loads(ok(cli("session", "show", sid, "--json")).stdout)


def test_session_pin_a_turn_and_off_again(cli):
    sid = started(cli)
    result = ok(cli("session", "pin", sid, "@2"))
    document = shown(cli, sid)
    prompt = [t for t in document["turns"] if t["role"] == "user"][1]
    assert prompt["id"] in result.stdout and prompt["pinned"] is True
    assert [t["pinned"] for t in document["turns"]].count(True) == 1
    ok(cli("session", "pin", sid, prompt["id"], "--off"))
    assert not any(t["pinned"] for t in shown(cli, sid)["turns"])


def test_session_pin_without_turn_pins_the_session(cli):
    sid = started(cli, 1)
    assert shown(cli, sid)["session"]["pinned"] is False
    ok(cli("session", "pin", sid))
    document = shown(cli, sid)
    assert document["session"]["pinned"] is True and document["session"]["pinned_at"]
    ok(cli("session", "pin", sid, "--off"))
    assert shown(cli, sid)["session"]["pinned"] is False


def test_session_pin_with_a_bad_turn_says_so_in_one_line_and_changes_nothing(cli, db_path):
    sid = started(cli, 2)
    assert "bad turn" in one_line_error(cli("session", "pin", sid, "not-a-turn!"), code=2)
    assert "no prompt @9" in one_line_error(cli("session", "pin", sid, "@9"))
    assert "no turn" in one_line_error(cli("session", "pin", sid, "ZZZZZZ"))
    assert "no session" in one_line_error(cli("session", "pin", "NOSUCHSESSION", "@1"))
    with Store(db_path) as store:
        assert store.pinned_turn_ids(sid) == set() and store.pinned_session_ids() == []
        assert not [e for e in store.list_events(sid) if e.type == "pin"]


def test_session_compact_undo_brings_the_turns_back_and_keeps_the_summary(cli, db_path):
    sid = started(cli, 3)
    ok(cli("session", "compact", sid, "--window", "2"))
    with Store(db_path) as store:
        compacted = len(store.context_turns(sid))
    result = ok(cli("session", "compact", sid, "--undo"))
    assert "undid the compaction" in result.stdout and "4 turn(s) are sent again" in result.stdout
    with Store(db_path) as store:
        context = store.context_turns(sid)
        assert len(context) == 6 > compacted and not any(t.role == "summary" for t in context)
        summary = [t for t in store.list_turns(sid) if t.role == "summary"][0]
        assert summary.undone
    assert "nothing to undo" in one_line_error(cli("session", "compact", sid, "--undo"))
    assert "--undo takes no --window" in one_line_error(cli("session", "compact", sid, "--undo", "--window", "2"),
                                                        code=2)
