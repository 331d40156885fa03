"""Money in the TUI: each agent block's header shows the turn's cost (genai-prices' own price
for a known model, a profile's own prices, `–` for a model the table does not know, `~` for
estimated tokens), the status bar the session's total; /stats shows usage plots (with data
and with none) and builds its indexes off the UI loop."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from genai_prices import Usage, calc_price

from chinwag.app.config.loader import Config
from chinwag.app.core import pricing
from chinwag.app.tui.app import ChinwagApp
from chinwag.storage import Store
from chinwag.storage.clock import FixedClock, SequentialIds, parse_ts

START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
CLAUDE = Config(agents={"claude": {"kind": "anthropic", "model": "claude-sonnet-4-5"}})
OWN = Config(agents={"mine": {"kind": "openai", "base_url": "http://127.0.0.1:8080/v1", "model": "local-7b",
                              "price_input": 2.0, "price_output": 10.0}})
LOCAL = Config(agents={"local": {"kind": "openai", "base_url": "http://127.0.0.1:11434/v1", "model": "llama3"}})


@pytest.fixture
def clocked(db_path):
    store = Store(db_path, clock=FixedClock(START, step_ms=10), new_id=SequentialIds())
    yield store
    store.close()


def settle(store: Store, session, input_tokens: int, output_tokens: int, config: Config, *,
           estimated: bool = False, text: str = "an answer"):
    """One exchange settled as the runner settles it (the price record included)."""
    _, reply = store.begin_exchange(session.id, "a question")
    store.append_stream(reply.id, text)
    metadata = {"usage": "estimated" if estimated else "reported", **pricing.turn_record(reply.agent, config)}
    return store.finish_turn(reply.id, "complete", input_tokens=input_tokens, output_tokens=output_tokens,
                             estimated=estimated, metadata=metadata)


async def wait_for(pilot, condition, timeout: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError("condition not met in time")
        await pilot.pause(0.05)


def headers(app) -> dict[str, str]:
    """Each agent block's header line as drawn."""
    transcript = app.chat.transcript
    return {block.turn.id: transcript._strips(position)[0].text
            for position, block in enumerate(transcript._blocks) if block.turn.role == "agent"}


async def settled_costs(pilot, app) -> None:
    """Until the price table (if a cost needs it) has loaded and the headers show it."""
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


async def test_a_header_shows_the_librarys_price_of_a_known_model(clocked):
    session = clocked.create_session(agent="claude", model="claude-sonnet-4-5")
    turns = [settle(clocked, session, 48_000, 900, CLAUDE), settle(clocked, session, 250_000, 1200, CLAUDE)]
    app = ChinwagApp(store=clocked, config=CLAUDE, session_id=session.id, animate=False)
    async with app.run_test(size=(140, 40)) as pilot:
        await settled_costs(pilot, app)
        shown = headers(app)
        for turn in turns:
            price = calc_price(Usage(input_tokens=turn.input_tokens, output_tokens=turn.output_tokens),
                               "claude-sonnet-4-5", provider_id="anthropic",
                               genai_request_timestamp=parse_ts(turn.created_at)).total_price
            assert f"⇣ {turn.output_tokens:,} · {pricing.money(float(price))} ·" in shown[turn.id]
        # the status bar: the session's total, as `session list` prices it
        total = pricing.session_cost(clocked, session.id, CLAUDE)
        assert total.amount and app.chat.status.cost == total.text()
        assert total.text() in app.chat.status.render().plain


async def test_a_header_at_a_profiles_own_prices_and_estimated_tokens(clocked):
    session = clocked.create_session(agent="mine", model="local-7b")
    exact = settle(clocked, session, 100_000, 10_000, OWN)  # 0.1M at $2 + 0.01M at $10
    guess = settle(clocked, session, 100_000, 10_000, OWN, estimated=True)
    app = ChinwagApp(store=clocked, config=OWN, session_id=session.id, animate=False)
    async with app.run_test(size=(140, 40)) as pilot:
        await settled_costs(pilot, app)
        shown = headers(app)
        assert " · $0.30 · " in shown[exact.id]
        assert " · ~$0.30 · " in shown[guess.id]
        assert app.chat.status.cost == "~$0.60"


async def test_an_unknown_model_or_a_local_server_without_prices_shows_a_dash(clocked):
    unknown = clocked.create_session(agent="claude", model="claude-not-a-model-9")
    settle(clocked, unknown, 1000, 100, CLAUDE)
    local = clocked.create_session(agent="local", model="llama3")
    settle(clocked, local, 1000, 100, LOCAL)
    config = Config(agents={**CLAUDE.agents, **LOCAL.agents})
    for session in (unknown, local):
        app = ChinwagApp(store=clocked, config=config, session_id=session.id, animate=False)
        async with app.run_test(size=(140, 40)) as pilot:
            await settled_costs(pilot, app)
            (header,) = headers(app).values()
            assert "⇣ 100 · – ·" in header and "$" not in header
            assert app.chat.status.cost == "–" and "cost –" in app.chat.status.render().plain
