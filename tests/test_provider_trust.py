"""Providers against real servers' habits: the token limit goes in the field the server
honours (llama.cpp and LiteLLM's openai route read only `max_tokens`), a stream the server
cuts mid-reply is told apart from a server that is not there, and a request that never
reached a server adds no tokens to the session's totals."""

from __future__ import annotations

import socket

import pytest
from fake_llm import FakeLLM, Reply

from chinwag.app.agents import build_agent
from chinwag.app.config.loader import Config
from chinwag.app.core.runner import Runner

KEY = "sk-test-marker-0123456789"


@pytest.fixture
def fake():
    with FakeLLM() as server:
        yield server


@pytest.fixture
def keyed(monkeypatch):
    monkeypatch.setenv("FAKE_KEY", KEY)


def openai_config(url: str, **extra) -> Config:
    return Config(agents={"fake": {"kind": "openai", "base_url": url, "model": "fake-small",
                                   "api_key_env": "FAKE_KEY", "timeout": 5, "max_retries": 0, **extra}})


async def send(store, config: Config, prompt: str = "Name three colors", session=None):
    session = session or store.create_session(agent="fake", model="fake-small")
    runner = Runner(store, config)
    turn = await runner.send(session.id, prompt)
    await runner.drain()
    return session, turn


# -- item 11: max_tokens reaches servers that are not OpenAI's own ---------------------------------
async def test_a_compatible_server_gets_max_tokens_for_the_reply_and_the_title(store, fake, keyed):
    fake.script(Reply(chunks=["red, green, blue"]), Reply(chunks=["Colors"]))
    await send(store, openai_config(fake.url + "/v1", max_tokens=40))
    reply, title = (r.body for r in fake.chat_requests())
    assert reply["max_tokens"] == 40 and "max_completion_tokens" not in reply
    assert title["max_tokens"] == 40 and "max_completion_tokens" not in title


@pytest.mark.parametrize("param, fields", [("max_completion_tokens", {"max_completion_tokens"}),
                                           ("max_tokens", {"max_tokens"}),
                                           ("both", {"max_tokens", "max_completion_tokens"})])
async def test_the_field_is_configurable_per_profile(store, fake, keyed, param, fields):
    await send(store, openai_config(fake.url + "/v1", max_tokens=25, max_tokens_param=param))
    body = fake.chat_requests()[0].body
    assert {k for k in ("max_tokens", "max_completion_tokens") if k in body} == fields
    assert all(body[k] == 25 for k in fields)


def test_openai_itself_keeps_max_completion_tokens(keyed):
    official = build_agent("o", Config(agents={"o": {"kind": "openai", "api_key_env": "FAKE_KEY"}}))
    assert official.max_tokens_param == "max_completion_tokens"
    assert build_agent("fake", openai_config("http://10.0.0.5:4000/v1")).max_tokens_param == "max_tokens"


def test_a_wrong_max_tokens_param_is_one_line_and_exit_1(cli, chinwag_home):
    (chinwag_home / "config.toml").write_text('[agents.x]\nkind = "openai"\nmax_tokens_param = "tokens"\n')
    result = cli("config", "show")
    assert result.returncode != 0 and result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "max_tokens_param" in lines[0] and "max_completion_tokens" in lines[0]


# -- item 14: a cut stream is not "cannot connect"; a refused request costs no tokens ---------------
def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize("kind", ["openai", "anthropic"])
async def test_a_stream_the_server_cut_mid_reply_says_so_and_keeps_the_text(store, fake, keyed, kind):
    fake.script(Reply(chunks=["partial ", "answer"], drop=True, usage=(50, 2)))
    url = fake.url + "/v1" if kind == "openai" else fake.url
    config = Config(agents={"fake": {"kind": kind, "base_url": url, "model": "fake-small",
                                     "api_key_env": "FAKE_KEY", "timeout": 5, "max_retries": 0}})
    _, turn = await send(store, config)
    assert turn.status == "error" and turn.text == "partial answer"
    assert "the server closed the stream before the reply was finished" in turn.error
    assert "cannot connect" not in turn.error and "is the server running" not in turn.error
    assert "\n" not in turn.error


@pytest.mark.parametrize("kind", ["openai", "anthropic"])
async def test_a_refused_request_adds_no_input_tokens(store, keyed, kind):
    config = Config(agents={"fake": {"kind": kind, "base_url": f"http://127.0.0.1:{closed_port()}",
                                     "api_key_env": "FAKE_KEY", "max_retries": 0}})
    session, turn = await send(store, config, "a long prompt " * 200)
    assert turn.status == "error" and "cannot connect" in turn.error
    assert (turn.input_tokens, turn.output_tokens) == (0, 0)
    totals = store.get_session(session.id)
    assert (totals.input_tokens, totals.output_tokens) == (0, 0)


async def test_a_missing_key_adds_no_input_tokens(store, fake):
    session, turn = await send(store, openai_config(fake.url + "/v1"), "a long prompt " * 200)
    assert turn.status == "error" and "FAKE_KEY is not set" in turn.error
    assert store.get_session(session.id).input_tokens == 0


async def test_a_request_that_reached_the_server_still_counts_its_estimate(store, fake, keyed):
    fake.script(Reply(status=500))
    session, turn = await send(store, openai_config(fake.url + "/v1"), "a long prompt " * 200)
    assert turn.status == "error" and store.get_session(session.id).input_tokens > 600
