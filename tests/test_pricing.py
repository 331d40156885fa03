"""What turns and sessions cost: genai-prices' own price for a known model (the expected
number computed with the library directly), a profile's own prices, unknown models and
local servers (no price, never a guess), estimated tokens (an estimated cost), prices that
change inside a session (input tiers, dates, hours of the day), the price record a turn
settles with, and that a session's cost is a few SQL groups, not a loop over its turns."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from cli_results import ok
from fake_llm import FakeLLM, Reply
from genai_prices import Usage, calc_price

from chinwag.app.config.loader import Config
from chinwag.app.core import pricing
from chinwag.app.core.runner import Runner
from chinwag.storage import Store
from chinwag.storage.clock import FixedClock, SequentialIds, parse_ts

START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
CLAUDE = Config(agents={"claude": {"kind": "anthropic", "model": "claude-sonnet-4-5"}})


@pytest.fixture
def clocked(db_path):
    store = Store(db_path, clock=FixedClock(START, step_ms=10), new_id=SequentialIds())
    yield store
    store.close()


def at(store: Store, moment: datetime) -> None:
    store.clock._now = moment  # type: ignore[attr-defined]


def settle(store: Store, session, input_tokens: int, output_tokens: int, *, cached: int = 0,
           estimated: bool = False, config: Config = CLAUDE, record: bool = True, model: str | None = None):
    """One exchange settled as the runner settles it (the price record included)."""
    _, reply = store.begin_exchange(session.id, "q", model=model)
    metadata = {"usage": "estimated" if estimated else "reported", **({"cached_tokens": cached} if cached else {})}
    if record:
        metadata.update(pricing.turn_record(reply.agent, config))
    return store.finish_turn(reply.id, "complete", input_tokens=input_tokens, output_tokens=output_tokens,
                             estimated=estimated, metadata=metadata)


def library(turn, model: str, **where) -> Decimal:
    cached = turn.metadata.get("cached_tokens", 0)
    return calc_price(Usage(input_tokens=turn.input_tokens, cache_read_tokens=cached, output_tokens=turn.output_tokens),
                      model, genai_request_timestamp=parse_ts(turn.created_at), **where).total_price


def test_a_session_costs_the_librarys_price_of_each_of_its_turns(clocked):
    session = clocked.create_session(agent="claude", model="claude-sonnet-4-5")
    # below and above Anthropic's 200k-token tier, with and without cache reads
    sizes = [(1200, 300, 0), (48_000, 900, 40_000), (250_000, 1200, 200_000), (199_000, 50, 0), (420_000, 10, 0)]
    turns = [settle(clocked, session, i, o, cached=c) for i, o, c in sizes]
    expected = sum(library(t, "claude-sonnet-4-5", provider_id="anthropic") for t in turns)
    cost = pricing.session_cost(clocked, session.id, CLAUDE)
    assert cost.amount == pytest.approx(float(expected), rel=1e-12) and not cost.estimated
    assert cost.currency == "USD" and cost.text() == pricing.money(float(expected))
    for turn in turns:  # and each turn on its own, as its header will show it
        assert pricing.turn_cost(turn, CLAUDE).amount == pytest.approx(float(library(turn, "claude-sonnet-4-5",
                                                                                      provider_id="anthropic")))
    # summing first and pricing the sum once would apply the tier to everything: not what the table charges
    naive = calc_price(Usage(input_tokens=sum(s[0] for s in sizes), cache_read_tokens=sum(s[2] for s in sizes),
                             output_tokens=sum(s[1] for s in sizes)), "claude-sonnet-4-5", provider_id="anthropic")
    assert abs(float(naive.total_price) - cost.amount) > 0.1


def test_a_turn_run_through_the_runner_records_its_prices_and_costs_the_librarys_price(store, monkeypatch):
    monkeypatch.setenv("FAKE_KEY", "sk-test")
    with FakeLLM() as fake:
        fake.script(Reply(chunks=["Paris."], usage=(3210, 45)))
        # a server on 127.0.0.1 that says whose prices apply
        config = Config(agents={"fake": {"kind": "anthropic", "base_url": fake.url, "api_key_env": "FAKE_KEY",
                                         "provider": "anthropic", "model": "claude-sonnet-4-5"}})
        session = store.create_session(agent="fake", model="claude-sonnet-4-5")

        async def run():
            runner = Runner(store, config)
            turn = await runner.send(session.id, "capital of France?")
            await runner.drain()
            return turn

        import asyncio

        turn = asyncio.run(run())
    assert turn.status == "complete" and turn.metadata["price"] == {"provider": "anthropic"}
    expected = calc_price(Usage(input_tokens=3210, output_tokens=45), "claude-sonnet-4-5", provider_id="anthropic",
                          genai_request_timestamp=parse_ts(turn.created_at)).total_price
    assert pricing.turn_cost(turn, config).amount == pytest.approx(float(expected))
    assert pricing.session_cost(store, session.id, config).amount == pytest.approx(float(expected))


def test_a_profile_priced_in_dollars_per_million_tokens(clocked):
    config = Config(agents={"mine": {"kind": "openai", "base_url": "https://llm.example.com/v1",
                                     "price_input": 2.0, "price_output": 10.0, "price_cached": 0.5}})
    session = clocked.create_session(agent="mine", model="whatever-model")
    settle(clocked, session, 1_000_000, 200_000, cached=400_000, config=config)
    settle(clocked, session, 500_000, 0, config=config)
    # 600k uncached at $2 + 400k cached at $0.5 + 200k out at $10, then 500k at $2
    assert pricing.session_cost(clocked, session.id, config).amount == pytest.approx(1.2 + 0.2 + 2.0 + 1.0)
    cheap = Config(agents={"mine": {"kind": "openai", "base_url": "http://127.0.0.1:8080/v1", "price_input": 1.0}})
    assert pricing.identity(cheap.agents["mine"]) == {"input": 1.0}  # a local server with prices is priced
    other = clocked.create_session(agent="mine", model="m")
    settle(clocked, other, 2_000_000, 1_000_000, cached=1_000_000, config=cheap)  # cached at price_input, output 0
    assert pricing.session_cost(clocked, other.id, cheap).amount == pytest.approx(2.0)


def test_a_model_the_table_does_not_know_costs_nothing_known(clocked):
    session = clocked.create_session(agent="claude", model="claude-not-a-model-9")
    turn = settle(clocked, session, 1000, 100)
    cost = pricing.session_cost(clocked, session.id, CLAUDE)
    assert cost.amount is None and cost.text() == "–" and cost.as_json() == {"amount": None, "currency": "USD",
                                                                            "estimated": False}
    assert pricing.turn_cost(turn, CLAUDE).amount is None


@pytest.mark.parametrize("profile", [
    {"kind": "openai", "base_url": "http://127.0.0.1:8080/v1"},  # llama.cpp
    {"kind": "openai", "base_url": "http://192.168.1.20:11434/v1"},  # Ollama on the LAN
    {"kind": "openai", "base_url": "https://gpu-box.local/v1"},
    {"kind": "openai", "base_url": "https://llm.internal.example/v1"},  # a URL the table knows no provider for
])
def test_a_local_or_unknown_server_naming_no_provider_costs_nothing_known(clocked, profile):
    config = Config(agents={"local": profile})
    session = clocked.create_session(agent="local", model="gpt-4o")  # a model the table knows, all the same
    settle(clocked, session, 10_000, 1000, config=config)
    assert pricing.session_cost(clocked, session.id, config).amount is None


def test_the_builtin_ollama_echo_and_acp_agents_have_no_prices():
    config = Config(agents={"code": {"kind": "acp", "command": ["x"], "price_input": 3.0}})
    assert pricing.turn_record("ollama", config) == {"price": {}}
    assert pricing.turn_record("echo", config) == {} and pricing.turn_record("code", config) == {}
    assert pricing.turn_record("gone", config) == {}  # an agent no longer configured


def test_a_local_server_that_names_its_provider_is_priced_as_that_provider(clocked):
    config = Config(agents={"proxy": {"kind": "openai", "base_url": "http://127.0.0.1:4000/v1", "provider": "openai"}})
    session = clocked.create_session(agent="proxy", model="gpt-4o")
    turn = settle(clocked, session, 10_000, 1000, config=config)
    expected = library(turn, "gpt-4o", provider_id="openai")
    assert pricing.session_cost(clocked, session.id, config).amount == pytest.approx(float(expected))


def test_a_base_url_is_priced_as_the_provider_the_table_matches_it_to(clocked):
    config = Config(agents={"router": {"kind": "openai", "base_url": "https://user:secret@openrouter.ai/api/v1?k=1"}})
    record = pricing.turn_record("router", config)
    assert record == {"price": {"base_url": "https://openrouter.ai/api/v1"}}  # no password, no query
    session = clocked.create_session(agent="router", model="openai/gpt-4o")
    turn = settle(clocked, session, 10_000, 1000, config=config)
    expected = library(turn, "openai/gpt-4o", provider_api_url="https://openrouter.ai/api/v1")
    assert expected > 0
    assert pricing.session_cost(clocked, session.id, config).amount == pytest.approx(float(expected))


def test_estimated_tokens_give_an_estimated_cost(clocked):
    session = clocked.create_session(agent="claude", model="claude-sonnet-4-5")
    exact = settle(clocked, session, 1000, 100)
    guessed = settle(clocked, session, 2000, 200, estimated=True)
    cost = pricing.session_cost(clocked, session.id, CLAUDE)
    expected = library(exact, "claude-sonnet-4-5", provider_id="anthropic") + \
        library(guessed, "claude-sonnet-4-5", provider_id="anthropic")
    assert cost.estimated and cost.amount == pytest.approx(float(expected)) and cost.text().startswith("~$")
    assert not pricing.turn_cost(exact, CLAUDE).estimated and pricing.turn_cost(guessed, CLAUDE).estimated


def test_prices_that_change_on_a_date_price_each_turn_at_its_date(clocked):
    # o3 cost $10 per million input tokens until 2025-06-10, then $2
    config = Config(agents={"gpt": {"kind": "openai"}})
    session = clocked.create_session(agent="gpt", model="o3")
    turns = []
    for moment in (datetime(2025, 6, 8, tzinfo=UTC), datetime(2025, 6, 9, 23, tzinfo=UTC),
                   datetime(2025, 6, 10, 1, tzinfo=UTC), datetime(2025, 7, 1, tzinfo=UTC)):
        at(clocked, moment)
        turns.append(settle(clocked, session, 100_000, 1000, config=config))
    expected = sum(library(t, "o3", provider_id="openai") for t in turns)
    assert pricing.session_cost(clocked, session.id, config).amount == pytest.approx(float(expected))
    assert library(turns[0], "o3", provider_id="openai") != library(turns[-1], "o3", provider_id="openai")


def test_prices_that_change_with_the_hour_price_each_turn_at_its_hour(clocked):
    # deepseek-chat is cheaper off-peak (16:30 to 00:30 UTC)
    config = Config(agents={"ds": {"kind": "openai", "base_url": "https://api.deepseek.com/v1"}})
    session = clocked.create_session(agent="ds", model="deepseek-chat")
    turns = []
    for hour, minute in ((3, 0), (16, 29), (16, 31), (23, 59), (0, 29), (0, 31), (12, 0)):
        at(clocked, datetime(2026, 11, 3, hour, minute, tzinfo=UTC))
        turns.append(settle(clocked, session, 50_000, 2000, config=config))
    per_turn = [library(t, "deepseek-chat", provider_api_url="https://api.deepseek.com/v1") for t in turns]
    assert len(set(per_turn)) == 2
    assert pricing.session_cost(clocked, session.id, config).amount == pytest.approx(float(sum(per_turn)))


def test_the_prices_a_turn_settled_with_outlive_a_changed_profile(clocked):
    session = clocked.create_session(agent="claude", model="claude-sonnet-4-5")
    recorded = settle(clocked, session, 10_000, 1000)
    unrecorded = settle(clocked, session, 10_000, 1000, record=False)  # settled before turns had prices
    repriced = Config(agents={"claude": {"kind": "anthropic", "price_input": 100.0, "price_output": 100.0}})
    expected = library(recorded, "claude-sonnet-4-5", provider_id="anthropic") + Decimal("1.1")
    assert pricing.session_cost(clocked, session.id, repriced).amount == pytest.approx(float(expected))
    assert pricing.turn_cost(unrecorded, repriced).amount == pytest.approx(1.1)
    assert pricing.session_cost(clocked, session.id, Config()).amount == pytest.approx(
        float(library(recorded, "claude-sonnet-4-5", provider_id="anthropic")))  # its profile gone: only the record


def test_a_sessions_cost_is_a_few_sql_groups_not_a_loop_over_its_turns(clocked):
    session = clocked.create_session(agent="claude", model="claude-sonnet-4-5")
    for n in range(300):
        settle(clocked, session, 1000 + n, 100, cached=n)
    statements: list[str] = []
    clocked.db.conn.set_trace_callback(statements.append)
    try:
        cost = pricing.session_cost(clocked, session.id, CLAUDE)
    finally:
        clocked.db.conn.set_trace_callback(None)
    assert cost.amount and len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 1


def test_session_list_and_show_carry_the_cost(cli, chinwag_home):
    (chinwag_home / "config.toml").write_text('[agents.claude]\nkind = "anthropic"\nmodel = "claude-sonnet-4-5"\n')
    with Store(chinwag_home / "chinwag.db") as store:
        priced = store.create_session(agent="claude", model="claude-sonnet-4-5", title="priced")
        turn = settle(store, priced, 12_000, 3000)
        echo = store.create_session(agent="echo", model="echo-1", title="echo only")
        settle(store, echo, 10, 10, estimated=True)
    expected = float(library(turn, "claude-sonnet-4-5", provider_id="anthropic"))
    listed = {s["title"]: s for s in json.loads(ok(cli("session", "list", "--json")).stdout)}
    assert listed["priced"]["cost"] == {"amount": pytest.approx(expected), "currency": "USD", "estimated": False}
    assert listed["echo only"]["cost"] == {"amount": None, "currency": "USD", "estimated": False}
    shown = json.loads(ok(cli("session", "show", priced.id, "--json")).stdout)
    assert shown["cost"]["amount"] == pytest.approx(expected)
    table = ok(cli("session", "list")).stdout.splitlines()
    assert "COST" in table[0]
    assert pricing.money(expected) in next(line for line in table if "priced" in line)
    assert " – " in next(line for line in table if "echo only" in line)
    (chinwag_home / "config.toml").write_text("[agents.claude\n")  # a broken config costs prices, not the list
    assert "priced" in ok(cli("session", "list")).stdout


def test_money_reads_at_every_size():
    assert [pricing.money(v) for v in (0, 0.000123, 0.0123, 3.1, 1234.5, 56789.2)] == \
        ["$0.00", "$0.0001", "$0.01", "$3.10", "$1,234.50", "$56,789"]
    assert pricing.Cost(0.5, estimated=True).text() == "~$0.50"
    assert pricing.total([pricing.Cost(0.1), pricing.Cost(), pricing.Cost(0.2, estimated=True)]) == \
        pricing.Cost(pytest.approx(0.3), estimated=True)


def test_the_price_table_loads_only_when_a_price_is_looked_up(clocked):
    code = ("import chinwag.app.core.pricing, chinwag.app.core.runner, chinwag.app.core.stats, chinwag.app.cli.session, "
            "chinwag.app.tui.app\nimport sys; print(' '.join(sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert not [m for m in loaded if m.startswith("genai_prices")]
    session = clocked.create_session(agent="echo")
    settle(clocked, session, 5, 5, estimated=True)
    code = ("from chinwag.storage import Store\nfrom chinwag.app.config.loader import Config\n"
            "from chinwag.app.core import pricing\nimport sys\n"
            f"store = Store({str(clocked.path)!r})\n"
            f"print(pricing.session_cost(store, {session.id!r}, Config()).amount)\n"
            "print(any(m.startswith('genai_prices') for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["None", "False"]  # an echo session is never looked up in the table


def test_start_of_each_hour_window_matches_the_library():
    from genai_prices.types import TimeOfDateConstraint

    assert pricing._period(TimeOfDateConstraint(start_time=(START + timedelta(minutes=30)).timetz(),
                                                end_time=START.timetz())) == ("hours", "09:30:00", "09:00:00")


def test_the_api_answers_sessions_with_their_cost(clocked, db_path):
    from api_server import ApiServer

    session = clocked.create_session(agent="claude", model="claude-sonnet-4-5", title="priced")
    turn = settle(clocked, session, 12_000, 3000)
    expected = float(library(turn, "claude-sonnet-4-5", provider_id="anthropic"))
    with ApiServer(db_path, CLAUDE) as server:
        _, page = server.call("GET", "/api/sessions")
        _, one = server.call("GET", f"/api/sessions/{session.id}")
    assert page["sessions"][0]["cost"] == {"amount": pytest.approx(expected), "currency": "USD", "estimated": False}
    assert one["session"]["cost"]["amount"] == pytest.approx(expected)
