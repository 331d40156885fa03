"""Real providers against a real HTTP server on 127.0.0.1 (tests/fake_llm.py): streaming,
usage (reported and estimated), thinking, replay records, every error the issue names,
cancellation, titles, compaction, discovery and the settings cascade."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from fake_llm import FakeLLM, Reply

from chinwag.app.agents import agent_for_session, build_agent, list_agents
from chinwag.app.agents.discovery import ECHO_HINT, discover_default
from chinwag.app.agents.settings import effective, new_session_choice
from chinwag.app.config.loader import Config
from chinwag.app.core.compaction import compact
from chinwag.app.core.events import CompactionFinished, TurnText
from chinwag.app.core.runner import Runner

KEY = "sk-test-marker-0123456789"
KINDS = ("openai", "anthropic")


@pytest.fixture
def fake():
    with FakeLLM() as server:
        yield server


def profile(fake: FakeLLM, kind: str, **extra) -> dict:
    url = fake.url + "/v1" if kind == "openai" else fake.url
    return {"kind": kind, "base_url": url, "model": "fake-small", "api_key_env": "FAKE_KEY", "timeout": 2,
            "max_retries": 2, **extra}


def config_for(fake: FakeLLM, kind: str, **extra) -> Config:
    return Config(agents={"fake": profile(fake, kind, **extra)})


@pytest.fixture
def keyed(monkeypatch):
    monkeypatch.setenv("FAKE_KEY", KEY)


async def send(store, config: Config, prompt: str = "hello", session=None, **runner_kwargs):
    session = session or store.create_session(agent="fake", model="fake-small", title="set by the test")
    runner = Runner(store, config, **runner_kwargs)
    turn = await runner.send(session.id, prompt)
    await runner.drain()
    return session, turn


# -- streaming and usage -------------------------------------------------------------------------
@pytest.mark.parametrize("kind", KINDS)
async def test_streams_text_thinking_and_reported_usage(store, fake, keyed, kind):
    fake.script(Reply(thinking=["Let me ", "think."], chunks=["Par", "is is ", "the capital."], usage=(321, 45)))
    session, turn = await send(store, config_for(fake, kind), "capital of France?")
    assert (turn.status, turn.text, turn.thinking) == ("complete", "Paris is the capital.", "Let me think.")
    assert (turn.input_tokens, turn.output_tokens, turn.tokens_estimated) == (321, 45, False)
    assert turn.metadata["usage"] == "reported" and turn.metadata["provider"] == kind
    record = json.loads(turn.metadata["provider_record"])
    assert record[0]["parts"][-1]["content"] == "Paris is the capital."
    s = store.get_session(session.id)
    assert (s.input_tokens, s.output_tokens, s.state) == (321, 45, "ready")
    sent = fake.chat_requests()[0]
    assert sent.headers.get("authorization") == f"Bearer {KEY}" or sent.headers.get("x-api-key") == KEY
    assert sent.body["stream"] is True and sent.body["model"] == "fake-small"


@pytest.mark.parametrize("kind", KINDS)
async def test_no_usage_from_the_server_is_estimated(store, fake, keyed, kind):
    fake.script(Reply(chunks=["x" * 40], usage=None))
    _, turn = await send(store, config_for(fake, kind))
    assert turn.status == "complete" and turn.tokens_estimated and turn.output_tokens == 10
    assert turn.metadata["usage"] == "estimated"


async def test_second_turn_sends_history_and_cascaded_settings(store, fake, keyed):
    config = Config(defaults={"temperature": 0.3}, agents={"fake": profile(fake, "openai", system_prompt="Be terse.")})
    session, _ = await send(store, config, "first question")
    await send(store, config, "second question", session=session)
    body = fake.chat_requests()[-1].body
    roles = [(m["role"], m["content"]) for m in body["messages"]]
    assert roles[0] == ("system", "Be terse.")
    assert [r for r, _ in roles[1:]] == ["user", "assistant", "user"]
    assert roles[2][1] == "Hello from the fake." and roles[3][1] == "second question"
    assert body["temperature"] == 0.3


# -- errors: a clear message in the turn, partial text kept --------------------------------------
ERRORS = {
    "401": (Reply(status=401, error={"error": {"message": f"Incorrect API key {KEY}", "type": "auth"}}),
            ["refused the API key", "FAKE_KEY"]),
    "404": (Reply(status=404, error={"error": {"message": "model not found", "type": "not_found_error",
                                               "code": "model_not_found"}}),
            ["unknown model 'fake-small'", "fake-large", "fake-coder"]),
    "context": (Reply(status=400, error={"error": {"message": "maximum context length is 8192 tokens",
                                                   "type": "invalid_request_error",
                                                   "code": "context_length_exceeded"}}),
                ["context window", "/compact"]),
    "500": (Reply(status=500, error={"error": {"message": "internal boom"}}), ["HTTP 500", "internal boom"]),
    "stall": (Reply(hang=3), ["did not answer within 2 s"]),
    "empty": (Reply(empty=True, usage=None), ["empty reply"]),
}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("case", sorted(ERRORS))
async def test_errors_are_one_clear_line_and_never_show_the_key(store, fake, keyed, kind, case):
    reply, needles = ERRORS[case]
    fake.script(reply)
    session, turn = await send(store, config_for(fake, kind))
    assert turn.status == "error" and "\n" not in turn.error
    for needle in needles:
        assert needle in turn.error
    assert KEY not in turn.error
    assert store.get_session(session.id).state == "error"


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("case", ["malformed", "cut"])
async def test_broken_streams_keep_the_partial_text(store, fake, keyed, kind, case):
    fake.script(Reply(chunks=["partial ", "answer"], **{case: True}))
    _, turn = await send(store, config_for(fake, kind))
    assert turn.status == "error" and turn.text.startswith("partial ")
    assert ("malformed" if case == "malformed" else "ended before the reply was finished") in turn.error


@pytest.mark.parametrize("kind", KINDS)
async def test_rate_limit_is_retried_honouring_retry_after(store, fake, keyed, kind):
    limited = Reply(status=429, headers={"retry-after-ms": "150"}, error={"error": {"message": "slow down"}})
    fake.script(limited, limited, Reply(chunks=["finally"]))
    start = time.monotonic()
    _, turn = await send(store, config_for(fake, kind))
    assert turn.status == "complete" and turn.text == "finally"
    assert len(fake.chat_requests()) == 3 and time.monotonic() - start >= 0.3


async def test_rate_limit_gives_up_after_bounded_retries(store, fake, keyed):
    fake.script(Reply(status=429, headers={"retry-after": "0"}, error={"error": {"message": "slow down"}}))
    _, turn = await send(store, config_for(fake, "openai", max_retries=1))
    assert turn.status == "error" and "rate limited" in turn.error and "2 attempt" in turn.error
    assert len(fake.chat_requests()) == 2


async def test_connection_refused_names_the_url(store, keyed):
    config = Config(agents={"fake": {"kind": "openai", "base_url": "http://127.0.0.1:9/v1", "api_key_env": "FAKE_KEY"}})
    _, turn = await send(store, config)
    assert turn.status == "error" and "cannot connect to http://127.0.0.1:9/v1" in turn.error


async def test_missing_key_names_the_variable_and_sends_nothing(store, fake):
    _, turn = await send(store, config_for(fake, "anthropic"))
    assert turn.status == "error" and "FAKE_KEY is not set" in turn.error
    assert fake.chat_requests() == []


@pytest.mark.parametrize("kind", KINDS)
async def test_cancel_closes_the_stream_promptly_and_keeps_the_text(store, fake, keyed, kind):
    fake.script(Reply(chunks=[f"word{i} " for i in range(200)], delay=0.02))
    session = store.create_session(agent="fake", model="fake-small")
    seen = asyncio.Event()
    runner = Runner(store, config_for(fake, kind), on_event=lambda e: isinstance(e, TurnText) and e.turn.text.count("word") >= 5 and seen.set())
    task = asyncio.ensure_future(runner.send(session.id, "long please"))
    await asyncio.wait_for(seen.wait(), 10)
    cancelled_at = time.monotonic()
    runner.cancel(session.id)
    turn = await task
    await asyncio.sleep(0.3)
    assert turn.status == "stopped" and turn.text.startswith("word0 word1 word2 word3 word4")
    assert fake.disconnected_at is not None and fake.disconnected_at - cancelled_at < 0.2


# -- titles and compaction -------------------------------------------------------------------------
async def test_first_exchange_gets_a_title_from_the_model(store, fake, keyed):
    fake.script(Reply(chunks=["It is sunny."]), Reply(chunks=['"Weather in Paris."']))
    session = store.create_session(agent="fake", model="fake-small")
    await send(store, config_for(fake, "openai"), "what is the weather in paris today?", session=session)
    title_request = fake.chat_requests()[1].body
    limit = title_request.get("max_completion_tokens") or title_request.get("max_tokens")
    assert "short title" in title_request["messages"][-1]["content"] and limit <= 40
    renamed = store.get_session(session.id)
    assert (renamed.title, renamed.title_source) == ("Weather in Paris", "model")


async def test_a_title_the_user_set_is_never_overwritten(store, fake, keyed):
    session = store.create_session(agent="fake", model="fake-small", title="My own title")
    await send(store, config_for(fake, "openai"), session=session)
    assert store.get_session(session.id).title == "My own title"
    assert len(fake.chat_requests()) == 1  # no title request at all


async def test_failed_title_request_keeps_the_prompt_title(store, fake, keyed):
    fake.script(Reply(chunks=["ok"]), Reply(status=500))
    session = store.create_session(agent="fake", model="fake-small")
    await send(store, config_for(fake, "openai"), "tell me about sqlite wal mode", session=session)
    assert len(fake.chat_requests()) == 2
    assert store.get_session(session.id).title == "tell me about sqlite wal mode"


async def test_compact_sends_a_real_summary_request_and_later_turns_use_it(store, fake, keyed):
    config = config_for(fake, "anthropic")
    session = store.create_session(agent="fake", model="fake-small", title="t")
    for n in range(4):
        fake.script(Reply(chunks=[f"long answer number {n} " * 20]))
        await send(store, config, f"question {n}", session=session)
    fake.script(Reply(chunks=["SUMMARY: four questions answered."]))
    agent = agent_for_session(store.get_session(session.id), config)
    result = await compact(store, agent, session.id, window=2, instructions="keep the numbers")
    summary_request = fake.chat_requests()[-1].body
    assert "Additional instructions: keep the numbers" in json.dumps(summary_request)
    assert result.tokens_after < result.tokens_before
    fake.script(Reply(chunks=["next"]))
    await send(store, config, "question 4", session=session)
    sent = json.dumps(fake.chat_requests()[-1].body)
    assert "SUMMARY: four questions answered." in sent and "question 0" not in sent and "question 3" in sent


async def test_auto_compaction_when_the_context_passes_the_threshold(store, fake, keyed):
    config = config_for(fake, "openai", context_window=400, auto_compact=0.5)
    session = store.create_session(agent="fake", model="fake-small", title="t")
    updates = []
    for n in range(6):
        fake.script(Reply(chunks=[f"answer {n} " + "filler " * 30]), Reply(chunks=["short summary"]))
        await send(store, config, f"question {n}", session=session, on_event=updates.append)
        if any(t.role == "summary" for t in store.list_turns(session.id)):
            break
    summaries = [t for t in store.list_turns(session.id) if t.role == "summary"]
    assert summaries and summaries[0].metadata["auto"] is True
    assert summaries[0].metadata["tokens_after"] < summaries[0].metadata["tokens_before"]
    assert CompactionFinished(session.id, True) in updates
    assert any(e.type == "compaction" and e.data["auto"] for e in store.list_events(session.id))


# -- discovery, cascade, model lists -----------------------------------------------------------------
def test_discovery_order(monkeypatch, fake):
    assert discover_default({}, probe=False).agent == "echo"
    assert discover_default({}, probe=False).hint == ECHO_HINT
    assert discover_default({"OPENAI_API_KEY": "k"}).agent == "openai"
    assert discover_default({"OPENAI_API_KEY": "k", "ANTHROPIC_API_KEY": "k"}).agent == "anthropic"
    found = discover_default({"OLLAMA_HOST": fake.url.removeprefix("http://")})
    assert (found.agent, found.model) == ("ollama", "fake-small")
    assert discover_default({"OLLAMA_HOST": "127.0.0.1:9"}).agent == "echo"


def test_new_session_prefers_config_then_discovery(monkeypatch, fake, tmp_path):
    assert new_session_choice(Config(), str(tmp_path)).agent == "echo"
    assert new_session_choice(Config(), str(tmp_path)).hint
    monkeypatch.setenv("OLLAMA_HOST", fake.url)
    choice = new_session_choice(Config(), str(tmp_path))
    assert (choice.agent, choice.model, choice.hint) == ("ollama", "fake-small", "")
    configured = Config(defaults={"agent": "fake"}, agents={"fake": profile(fake, "openai")})
    assert new_session_choice(configured, str(tmp_path)).agent == "fake"


def test_cascade_session_over_workspace_over_agent_over_global(store, fake, tmp_path):
    project = tmp_path / "project"
    (project / "sub").mkdir(parents=True)
    config = Config(
        defaults={"temperature": 0.1, "system_prompt": "global", "max_tokens": 100},
        agents={"fake": profile(fake, "openai", system_prompt="agent", temperature=0.2)},
        workspaces={str(project): {"temperature": 0.3}},
    )
    session = store.create_session(agent="fake", model="m1", workspace=str(project / "sub"))
    values = effective(config, session=session)
    assert values["max_tokens"].value == 100 and values["max_tokens"].origin.startswith("[defaults]")
    assert values["system_prompt"].value == "agent" and "[agents.fake]" in values["system_prompt"].origin
    assert values["temperature"].value == 0.3 and "workspaces" in values["temperature"].origin
    assert (values["model"].value, values["model"].origin) == ("m1", "session")
    store.update_session(session.id, config={"temperature": 0.9})
    values = effective(config, session=store.get_session(session.id))
    assert (values["temperature"].value, values["temperature"].origin) == (0.9, "session")
    agent = agent_for_session(store.get_session(session.id), config)
    assert (agent.temperature, agent.system_prompt, agent.model) == (0.9, "agent", "m1")


async def test_model_list_from_the_server(fake, keyed):
    for kind in KINDS:
        agent = build_agent("fake", config_for(fake, kind))
        assert await agent.list_models() == ["fake-coder", "fake-large", "fake-small"]


def test_list_agents_tells_what_is_available(fake, monkeypatch):
    infos = {i.name: i for i in list_agents(config_for(fake, "openai"), environ={"FAKE_KEY": "k", "OLLAMA_HOST": "127.0.0.1:9"})}
    assert infos["fake"].available and infos["echo"].available
    assert not infos["openai"].available and "OPENAI_API_KEY is not set" in infos["openai"].detail
    assert not infos["ollama"].available


async def test_provider_record_replays_thinking_exactly_to_the_same_provider(store, fake, keyed):
    config = config_for(fake, "anthropic")
    fake.script(Reply(thinking=["weighing it"], chunks=["first answer"]), Reply(chunks=["second answer"]))
    session, _ = await send(store, config, "one")
    await send(store, config, "two", session=session)
    assistant = fake.chat_requests()[-1].body["messages"][1]
    assert assistant["role"] == "assistant"
    kinds = {block["type"]: block for block in assistant["content"]}
    assert kinds["thinking"]["thinking"] == "weighing it" and kinds["thinking"]["signature"] == "sig"
    assert kinds["text"]["text"] == "first answer"
    # another provider gets the plain text, never a foreign record
    store.update_session(session.id, agent="other")
    other = Config(agents={**config.agents, "other": profile(fake, "openai")})
    await send(store, other, "three", session=session)
    sent = fake.chat_requests()[-1].body["messages"]
    assert sent[1] == {"role": "assistant", "content": "first answer"}
