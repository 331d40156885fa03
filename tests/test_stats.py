"""`chinwag stats` and the function behind it: turns, tokens and cost per day, model and
agent, the busiest and longest sessions, from SQL aggregates (a few statements whatever
the number of turns); plain text within 80 columns, `--json`, and one line for a bad --since."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from cli_results import ok, one_line_error
from test_pricing import CLAUDE, library, settle

from chinwag.app.cli.stats import BY as CLI_BY
from chinwag.app.cli.stats import bar, cells, fit
from chinwag.app.config.loader import Config
from chinwag.app.core import stats as core_stats
from chinwag.app.core.stats import usage_stats
from chinwag.storage import Store
from chinwag.storage.clock import FixedClock, SequentialIds
from chinwag.storage.stats import SESSIONS_INDEX_NAME, USAGE_INDEX_NAME

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
CONFIG = Config(agents={**CLAUDE.agents, "gpt": {"kind": "openai", "model": "gpt-4o"}})


@pytest.fixture
def history(db_path):
    """Three sessions over three days: claude on two models, gpt, and echo (no price)."""
    store = Store(db_path, clock=FixedClock(NOW, step_ms=10), new_id=SequentialIds())
    turns = []

    def on(day: int, session, n: int, size: int, model=None, config=CONFIG, estimated=False):
        store.clock._now = NOW - timedelta(days=day)  # type: ignore[attr-defined]
        for _ in range(n):
            turns.append((session, settle(store, session, size, size // 10, config=config, model=model,
                                          estimated=estimated)))

    big = store.create_session(agent="claude", model="claude-sonnet-4-5", title="big claude")
    chat = store.create_session(agent="gpt", model="gpt-4o", title="gpt chat")
    toy = store.create_session(agent="echo", model="echo-1", title="echo \x1b[31mtoy")
    on(2, big, 3, 10_000)
    on(2, big, 1, 250_000)  # past Sonnet's 200k-token tier: its group is split before it is priced
    on(1, big, 2, 300_000, model="claude-haiku-4-5")
    on(1, chat, 6, 1000)
    on(0, toy, 1, 40, estimated=True)
    on(40, chat, 4, 1000)  # outside the last 30 days
    store.clock._now = NOW  # type: ignore[attr-defined]
    yield store, turns, {"big": big, "chat": chat, "toy": toy}
    store.close()


def expected_cost(turns) -> float:
    where = {"claude": {"provider_id": "anthropic"}, "gpt": {"provider_id": "openai"}}
    return float(sum(library(t, t.model, **where[t.agent]) for _, t in turns if t.agent in where))


def test_per_day_rows_totals_and_costs_match_the_turns(history):
    store, turns, sessions = history
    recent = [(s, t) for s, t in turns if t.created_at >= "2026-10-26"]
    result = usage_stats(store, CONFIG, since=timedelta(days=30), by="day")
    assert [r.key for r in result.rows][0] == "2026-10-26" and result.rows[-1].key == "2026-11-25"
    assert len(result.rows) == 31  # every day of the window, quiet ones included
    by_day = {r.key: r for r in result.rows}
    assert (by_day["2026-11-23"].turns, by_day["2026-11-24"].turns, by_day["2026-11-25"].turns) == (4, 8, 1)
    assert by_day["2026-11-24"].input_tokens == 2 * 300_000 + 6 * 1000
    assert by_day["2026-11-24"].cost.amount == pytest.approx(expected_cost([x for x in recent
                                                                           if x[1].created_at.startswith("2026-11-24")]))
    assert by_day["2026-11-25"].cost.amount is None and by_day["2026-11-25"].tokens_estimated  # echo: no price
    assert result.total.turns == 13 and result.total.cost.amount == pytest.approx(expected_cost(recent))
    assert [r.key for r in result.busiest] == [sessions["big"].id, sessions["chat"].id, sessions["toy"].id]
    assert [r.key for r in result.longest][0] == sessions["big"].id
    assert result.busiest[0].cost.amount == pytest.approx(expected_cost([x for x in recent if x[0] == sessions["big"]]))
    everything = usage_stats(store, CONFIG, since=None)
    assert everything.total.turns == 17 and everything.rows[0].key == "2026-10-16"


def test_rows_by_model_and_by_agent(history):
    store, turns, _ = history
    by_model = {r.key: r for r in usage_stats(store, CONFIG, by="model").rows}
    assert set(by_model) == {"claude-sonnet-4-5", "claude-haiku-4-5", "gpt-4o", "echo-1"}
    haiku = [x for x in turns if x[1].model == "claude-haiku-4-5"]
    assert by_model["claude-haiku-4-5"].turns == 2
    assert by_model["claude-haiku-4-5"].cost.amount == pytest.approx(expected_cost(haiku))
    by_agent = usage_stats(store, CONFIG, by="agent").rows
    assert [r.key for r in by_agent] == ["gpt", "claude", "echo"]  # most turns first
    assert by_agent[0].turns == 10 and by_agent[1].turns == 6
    assert core_stats.BY == CLI_BY


def test_stats_are_a_few_statements_whatever_the_turns(history):
    store, _, sessions = history

    def selects() -> list[str]:
        statements: list[str] = []
        store.db.conn.set_trace_callback(statements.append)
        try:
            usage_stats(store, CONFIG)
        finally:
            store.db.conn.set_trace_callback(None)
        return [s for s in statements if s.lstrip().upper().startswith("SELECT")]

    before = selects()
    # groups by day (and a re-split of the model whose 250k-token turn passes Sonnet's tier), the
    # totals per session, the top sessions' groups (and their re-split), their titles
    assert len(before) == 6, before
    for _ in range(200):
        settle(store, sessions["chat"], 1000, 100, config=CONFIG)
    assert len(selects()) == len(before)


def test_the_command_prints_80_columns_with_bars(cli, chinwag_home):
    (chinwag_home / "config.toml").write_text('[agents.claude]\nkind = "anthropic"\nmodel = "claude-sonnet-4-5"\n')
    with Store(chinwag_home / "chinwag.db") as store:
        session = store.create_session(agent="claude", model="claude-sonnet-4-5",
                                       title="\x1b[31m a long title with 漢字 and escape characters in it")
        for size in (1000, 5000, 20_000):
            settle(store, session, size, 100)
    out = ok(cli("stats")).stdout
    lines = out.splitlines()
    assert all(cells(line) <= 80 for line in lines), [line for line in lines if cells(line) > 80]
    assert lines[0].startswith("since ") and "3 turns" in lines[0] and "$" in lines[0]
    assert "█" in out and "busiest sessions" in out and "longest sessions" in out
    assert "\x1b" not in out and "^[" in out  # the title's escape is shown, not obeyed
    data = json.loads(ok(cli("stats", "--by", "model", "--json")).stdout)
    assert data["by"] == "model" and data["rows"][0]["key"] == "claude-sonnet-4-5"
    assert data["total"]["turns"] == 3 and data["total"]["cost"]["currency"] == "USD"
    assert data["busiest"][0]["session_id"] == session.id


def test_no_turns_is_one_line_saying_so(cli):
    assert ok(cli("stats")).stdout.splitlines()[-1] == "no agent turns in this time"
    assert json.loads(ok(cli("stats", "--json", "--since", "all")).stdout)["total"]["turns"] == 0


@pytest.mark.parametrize("bad", ["3x", "yesterday", "-5d", ""])
def test_a_bad_since_is_one_line_and_exit_2(cli, bad):
    line = one_line_error(cli("stats", "--since", bad), code=2)
    assert "--since" in line and "chinwag stats --help" in line


def test_bad_by_is_a_usage_error(cli):
    assert "--by" in one_line_error(cli("stats", "--by", "week"), code=2)


def test_text_helpers_fit_wide_characters_and_draw_eighths():
    assert cells(fit("漢字漢字漢字", 8)) == 8 and fit("漢字漢字漢字", 8).endswith("… ")
    assert fit("short", 8) == "short   "
    assert bar(1, 1, 4) == "████" and bar(0.5, 1, 4) == "██" and bar(1, 8 * 4, 4) == "▏" and bar(0, 1, 4) == ""


def test_the_first_stats_build_their_indexes_once(cli, chinwag_home):
    ok(cli("session", "start", "--agent", "echo", "hi"))
    first, second = ok(cli("stats")), ok(cli("stats"))
    assert "built the indexes" in first.stderr and "index" not in second.stderr
    with Store(chinwag_home / "chinwag.db") as store:
        names = {row["name"] for row in store.db.query("SELECT name FROM sqlite_master WHERE type = 'index'")}
        plan = store.db.query("EXPLAIN QUERY PLAN SELECT session_id, COUNT(*), SUM(input_tokens) FROM turns "
                              "WHERE role = 'agent' AND status != 'streaming' AND created_at >= '' GROUP BY session_id")
    assert {SESSIONS_INDEX_NAME, USAGE_INDEX_NAME} <= names  # covering on any SQLite (schema 5's columns)
    details = " ".join(row["detail"] for row in plan)
    assert f"COVERING INDEX {SESSIONS_INDEX_NAME}" in details and "TEMP B-TREE" not in details  # summed as read
