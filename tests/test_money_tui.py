"""Money in the TUI: each agent block's header shows the turn's cost (genai-prices' own price
for a known model, a profile's own prices, `–` for a model the table does not know, `~` for
estimated tokens), the status bar the session's total; /stats shows usage plots (with data
and with none) and builds its indexes off the UI loop."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from genai_prices import Usage, calc_price

from chinwag.app.config.loader import Config
from chinwag.app.core import pricing
from chinwag.app.tui.app import ChinwagApp
from chinwag.storage import Store
from chinwag.storage.clock import FixedClock, SequentialIds, parse_ts
from tests.tui_helpers import wait_for

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


# -- /context ---------------------------------------------------------------------------------------
WINDOWED = Config(agents={"echo": {"kind": "echo", "delay": 0, "chunk": 64, "context_window": 4000}})


def conversation(store: Store, count: int = 6):
    session = store.create_session(title="Parser questions", agent="echo")
    for n in range(count):
        _, reply = store.begin_exchange(session.id, f"question {n}: " + "why is this so " * (4 * n + 1))
        store.finish_turn(reply.id, "complete", text=f"answer {n}: " + "because of the parser " * (12 * n + 2),
                          input_tokens=40 * n + 10, output_tokens=60 * n + 10, estimated=True)
    return session


async def test_context_opens_with_the_reports_numbers(clocked):
    from chinwag.app.core.context import context_tokens
    from chinwag.widgets.context_bar import ContextBar, ContextScreen

    session = conversation(clocked)
    app = ChinwagApp(store=clocked, config=WINDOWED, session_id=session.id, animate=False)
    async with app.run_test(size=(120, 40)) as pilot:
        app.chat.run_slash("/context")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ContextScreen)
        bar = screen.query_one(ContextBar)
        sent = context_tokens(clocked.context_turns(session.id))
        assert sum(tokens for _, tokens, _ in bar.parts) == sent and bar.window == 4000
        assert f"{100 * sent / 4000:.0f}%" in screen._title
        body = shown(screen.query_one("#info-body"))
        assert "biggest items" in body and "/compact --window" in body
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, ContextScreen)


def test_snapshot_context_bar(snap_compare, clocked):
    session = conversation(clocked)

    async def run_before(pilot):
        pilot.app.chat.run_slash("/context")
        await pilot.pause()

    app = ChinwagApp(store=clocked, config=WINDOWED, session_id=session.id, animate=False)
    assert snap_compare(app, terminal_size=(110, 36), run_before=run_before)


# -- a header with its cost -------------------------------------------------------------------------
def test_snapshot_block_header_with_cost(snap_compare, clocked):
    session = clocked.create_session(title="Priced", agent="mine", model="local-7b")
    settle(clocked, session, 100_000, 10_000, OWN, text="The parser lives in `cli/target.py`.")
    settle(clocked, session, 12_000, 800, OWN, estimated=True, text="And the writer next to it.")

    async def run_before(pilot):
        await settled_costs(pilot, pilot.app)

    app = ChinwagApp(store=clocked, config=OWN, session_id=session.id, animate=False)
    assert snap_compare(app, terminal_size=(110, 20), run_before=run_before)


# -- /stats ---------------------------------------------------------------------------------------------
STATS_CONFIG = Config(agents={**OWN.agents, **LOCAL.agents})


def usage(store: Store) -> None:
    """Three days of turns over two agents and models, at fixed times."""
    from datetime import timedelta

    clock = store.clock
    for day, (agent, model, turns) in enumerate([("mine", "local-7b", 3), ("local", "llama3", 2), ("mine", "local-7b", 5)]):
        clock._now = START + timedelta(days=day)  # type: ignore[attr-defined]
        session = store.create_session(title=f"{agent} on day {day + 1}", agent=agent, model=model)
        for n in range(turns):
            settle(store, session, 20_000 * (n + 1), 2_000 * (n + 1), STATS_CONFIG)
    clock._now = START + timedelta(days=3)  # type: ignore[attr-defined]


def shown(static) -> str:
    """A Static's content as plain text."""
    from rich.console import Console

    console = Console(width=160, record=True, color_system=None)
    console.print(static.content)
    return console.export_text()


async def wait_for_stats(pilot, app):
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


async def test_stats_with_data_builds_its_indexes_off_the_ui_loop(clocked, monkeypatch):
    import threading

    from chinwag.app.tui import stats_screen
    from chinwag.storage import stats

    usage(clocked)
    built_on = []
    real = stats.ensure_stats_indexes

    def spy(store):
        built_on.append(threading.current_thread() is threading.main_thread())
        return real(store)

    monkeypatch.setattr(stats, "ensure_stats_indexes", spy)
    told = []
    monkeypatch.setattr(stats_screen.StatsScreen, "tell", lambda self, note: told.append(note))
    app = ChinwagApp(store=clocked, config=STATS_CONFIG, animate=False)
    async with app.run_test(size=(120, 40)) as pilot:
        app.chat.run_slash("/stats")
        await wait_for_stats(pilot, app)
        screen = app.screen
        assert isinstance(screen, stats_screen.StatsScreen)
        assert built_on == [False] and told == ["building the statistics index (once)…"]
        day = screen.stats["day"]
        assert day.total.turns == 10 and [r.turns for r in day.rows[-4:]] == [3, 2, 5, 0]
        # mine's turns at its own prices: 20k·n in at $2/M + 2k·n out at $10/M, n = 1..3 and 1..5
        mine = sum(0.04 * n + 0.02 * n for n in (*range(1, 4), *range(1, 6)))
        assert day.total.cost.amount == pytest.approx(mine)
        assert {r.key: r.turns for r in screen.stats["model"].rows} == {"local-7b": 8, "llama3": 2}
        assert "10 turns" in shown(screen.query_one("#stats-summary"))
        await pilot.press("m")
        await pilot.press("c")
        assert (screen.by, screen.what) == ("model", "cost")
        assert "cost (USD) per model" in shown(screen.query_one("#stats-title"))
    # the indexes are there now: the next /stats builds nothing
    assert not stats_screen_missing(clocked)


def stats_screen_missing(store) -> bool:
    from chinwag.app.tui.money import stats_indexes_missing

    return stats_indexes_missing(store)


async def test_stats_with_no_turns(clocked):
    app = ChinwagApp(store=clocked, config=STATS_CONFIG, animate=False)
    async with app.run_test(size=(120, 40)) as pilot:
        app.chat.run_slash("/stats")
        await wait_for_stats(pilot, app)
        screen = app.screen
        assert screen.stats["day"].total.turns == 0
        assert "0 turns" in shown(screen.query_one("#stats-summary"))
        for key in ("a", "k", "d"):
            await pilot.press(key)  # every view of nothing draws without failing
        await pilot.pause()


def test_snapshot_stats_screen(snap_compare, clocked):
    usage(clocked)

    async def run_before(pilot):
        pilot.app.chat.run_slash("/stats")
        await wait_for_stats(pilot, pilot.app)

    app = ChinwagApp(store=clocked, config=STATS_CONFIG, animate=False)
    assert snap_compare(app, terminal_size=(120, 40), run_before=run_before)


async def test_the_price_table_loads_in_a_worker_and_only_when_a_cost_needs_it(clocked, monkeypatch):
    import threading

    from chinwag.app.core import cost_book

    loads: list[bool] = []
    real = pricing.warm
    monkeypatch.setattr(cost_book, "_TABLE_READY", threading.Event())  # as in a fresh process
    monkeypatch.setattr(cost_book.pricing, "warm", lambda: (loads.append(threading.current_thread()
                                                                         is threading.main_thread()), real())[1])
    own = clocked.create_session(agent="mine", model="local-7b")
    settle(clocked, own, 1000, 100, OWN)
    app = ChinwagApp(store=clocked, config=Config(agents={**OWN.agents, **CLAUDE.agents}), session_id=own.id,
                     animate=False)
    async with app.run_test(size=(140, 40)) as pilot:
        await settled_costs(pilot, app)
        assert loads == [] and "$" in next(iter(headers(app).values()))  # own prices: no table needed
    claude = clocked.create_session(agent="claude", model="claude-sonnet-4-5")
    settle(clocked, claude, 1000, 100, CLAUDE)
    app = ChinwagApp(store=clocked, config=CLAUDE, session_id=claude.id, animate=False)
    async with app.run_test(size=(140, 40)) as pilot:
        await settled_costs(pilot, app)
        assert loads == [False]  # once, off the UI thread
        assert "$" in next(iter(headers(app).values()))


async def test_a_long_sessions_cost_is_read_in_a_worker(clocked, monkeypatch):
    import threading

    from chinwag.app.core.cost_book import CostBook
    from chinwag.app.tui import money

    monkeypatch.setattr(money, "SYNC_TURNS", 1)  # every session is "long"
    read_on: list[bool] = []
    real = CostBook.session_cost

    def spy(self, store, session_id):
        read_on.append(threading.current_thread() is threading.main_thread())
        return real(self, store, session_id)

    monkeypatch.setattr(CostBook, "session_cost", spy)
    session = clocked.create_session(agent="mine", model="local-7b")
    settle(clocked, session, 100_000, 10_000, OWN)
    app = ChinwagApp(store=clocked, config=OWN, session_id=session.id, animate=False)
    async with app.run_test(size=(140, 40)) as pilot:
        await settled_costs(pilot, app)
        assert app.chat.status.cost == "$0.30" and read_on and not any(read_on)
        app.chat.update_status()  # the totals did not move: nothing read again
        await settled_costs(pilot, app)
        assert len(read_on) == 1


async def test_a_turn_that_settles_gets_its_cost_and_the_status_its_new_total(db_path, monkeypatch):
    from fake_llm import FakeLLM, Reply

    from chinwag.app.core import cost_book

    cost_book.warm()  # loaded already: nothing reprices the transcript later, the settle itself must
    monkeypatch.setenv("FAKE_KEY", "sk-test")
    store = Store(db_path)
    try:
        with FakeLLM() as fake:
            fake.script(Reply(chunks=["Paris", "."], usage=(3210, 45)))
            config = Config(agents={"fake": {"kind": "anthropic", "base_url": fake.url, "api_key_env": "FAKE_KEY",
                                             "provider": "anthropic", "model": "claude-sonnet-4-5"}})
            session = store.create_session(agent="fake", model="claude-sonnet-4-5")
            app = ChinwagApp(store=store, config=config, session_id=session.id, animate=False)
            async with app.run_test(size=(140, 40)) as pilot:
                assert app.chat.status.cost == ""  # no agent turn yet: nothing to show
                app.chat.prompt.text = "capital of France?"
                await pilot.pause()
                app.chat.prompt.focus_input()
                await pilot.press("enter")
                await wait_for(pilot, lambda: any(t.role == "agent" and t.status == "complete"
                                                  for t in store.list_turns(session.id)))
                await settled_costs(pilot, app)
                await wait_for(pilot, lambda: app.chat.status.cost.startswith("$"))
                turn = [t for t in store.list_turns(session.id) if t.role == "agent"][0]
                price = calc_price(Usage(input_tokens=3210, output_tokens=45), "claude-sonnet-4-5",
                                   provider_id="anthropic", genai_request_timestamp=parse_ts(turn.created_at))
                expected = pricing.money(float(price.total_price))
                assert f"⇣ 45 · {expected} ·" in headers(app)[turn.id]
                assert app.chat.status.cost == expected
    finally:
        store.close()


def test_a_settle_carries_the_session_cost_forward_without_sql_and_only_when_its_tokens_explain_it(clocked):
    from dataclasses import replace

    from chinwag.app.core.cost_book import NO_TURNS, CostBook, SessionTotal

    book, total = CostBook(OWN), SessionTotal()
    session = clocked.create_session(agent="mine", model="local-7b")
    key = (session.id, 0, 0, 0)
    total.keep(key, NO_TURNS)
    turn = settle(clocked, session, 100_000, 10_000, OWN)
    total.saw([replace(turn, status="streaming")])
    total.saw([turn])  # seen streaming, then settled: a turn of this screen
    after = (session.id, 100_000, 10_000, 2)
    assert total.carried(book, after).text() == "$0.30" == pricing.session_cost(clocked, session.id, OWN).text()
    total.keep(after, total.carried(book, after))
    other = settle(clocked, session, 5_000, 500, OWN)  # settled by another process: never seen streaming
    total.saw([other])
    assert total.carried(book, (session.id, 105_000, 10_500, 4)) is None  # read again from SQL
    assert total.carried(book, ("another session", 0, 0, 0)) is None


async def test_echo_turns_show_no_cost_in_their_headers_nor_the_status_bar(make_app):
    """Offline echo (and ACP agents) spend no money through Chinwag: no `–` on every block, and
    the status bar's total stays empty after turns settle (it said `cost –`)."""
    from tests.tui_helpers import submit

    app, store = make_app()
    async with app.run_test(size=(120, 30)) as pilot:
        for text in ("first question", "second question"):
            await submit(pilot, app, text)
            await wait_for(pilot, lambda: not app.chat.runner.running_sessions())
        await pilot.pause(0.3)
        agent_headers = [h for h in headers(app).values() if "echo" in h]
        assert len(agent_headers) == 2 and not any("–" in h or "$" in h for h in agent_headers), agent_headers
        assert app.chat.status.cost == ""
