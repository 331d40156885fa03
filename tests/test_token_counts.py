"""Token counts read the same everywhere: `~` marks an estimate (the echo agent, a provider
that sent no usage, the context meter), `–` a coding agent that reported none. Checked in
the status bar, /status, /runs, /transcript and block headers (Pilot), `chinwag session
list` and its `--json` (a real subprocess), and the runner with a real ACP agent process.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from test_app_flows import submit, wait_for

from chinwag.app.agents.acp import pool as acp_pool
from chinwag.app.config.loader import Config
from chinwag.app.core.runner import Runner
from chinwag.app.tui.app import ChinwagApp
from chinwag.storage import Store, tokens
from chinwag.widgets.role_block import format_tokens

AGENT = str(Path(__file__).parent / "fake_acp_agent.py")
ECHO = Config(agents={"echo": {"kind": "echo", "delay": 0}})


def screen_text(app) -> str:
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def settled_reply(store, session_id, *, usage: str, tokens_in=0, tokens_out=0):
    _, reply = store.begin_exchange(session_id, "question", agent="echo", model="")
    store.append_stream(reply.id, "an answer")
    metadata = {"usage": usage}
    return store.finish_turn(reply.id, "complete", input_tokens=tokens_in, output_tokens=tokens_out,
                             estimated=usage == tokens.ESTIMATED, metadata=metadata)


def test_counts_carry_their_marks():
    assert tokens.pair(2311, 246) == "⇡ 2,311 ⇣ 246"
    assert tokens.pair(12, 40, tokens.ESTIMATED) == "⇡ ~12 ⇣ ~40"
    assert tokens.pair(0, 0, tokens.UNREPORTED) == "⇡ – ⇣ –"
    assert tokens.count(12_300, tokens.ESTIMATED, compact=True) == "~12k"
    assert [tokens.session_usage(*args) for args in [(0, 0, 0), (3, 0, 0), (3, 1, 0), (3, 0, 3), (3, 0, 1)]] == \
        [tokens.REPORTED, tokens.REPORTED, tokens.ESTIMATED, tokens.UNREPORTED, tokens.ESTIMATED]


def test_store_tells_how_each_sessions_totals_read(store):
    fresh, reported, estimated, unreported, mixed = (store.create_session(title=t).id for t in "abcde")
    settled_reply(store, reported, usage=tokens.REPORTED, tokens_in=10, tokens_out=5)
    settled_reply(store, estimated, usage=tokens.REPORTED, tokens_in=10, tokens_out=5)
    settled_reply(store, estimated, usage=tokens.ESTIMATED, tokens_in=10, tokens_out=5)
    settled_reply(store, unreported, usage=tokens.UNREPORTED)
    settled_reply(store, unreported, usage=tokens.UNREPORTED)
    settled_reply(store, mixed, usage=tokens.REPORTED, tokens_in=10, tokens_out=5)
    settled_reply(store, mixed, usage=tokens.UNREPORTED)
    assert store.token_usage([fresh, reported, estimated, unreported, mixed]) == {
        fresh: tokens.REPORTED, reported: tokens.REPORTED, estimated: tokens.ESTIMATED,
        unreported: tokens.UNREPORTED, mixed: tokens.ESTIMATED}
    assert "tokens ⇡ – ⇣ –" in store.export_markdown(unreported)
    assert "tokens ⇡ ~20 ⇣ ~10" in store.export_markdown(estimated)


async def test_an_acp_agent_that_reports_no_usage_records_none(store, tmp_path):
    config = Config(agents={"fake": {"kind": "acp", "command": [sys.executable, AGENT], "timeout": 20,
                                     "env": {"FAKE_ACP_STATE": str(tmp_path / "state.json")}}})
    session = store.create_session(agent="fake", workspace=str(tmp_path), mode="bypass", title="acp")
    try:
        silent = await Runner(store, config).send(session.id, "hello")
        assert (silent.input_tokens, silent.output_tokens, silent.tokens_estimated) == (0, 0, False)
        assert silent.metadata["usage"] == tokens.UNREPORTED
        assert format_tokens(silent) == "⇡ – ⇣ –"
        assert store.token_usage([session.id])[session.id] == tokens.UNREPORTED
        assert "⇡ – ⇣ –" in store.export_markdown(session.id)
        counted = await Runner(store, config).send(session.id, "usage please")
        assert format_tokens(counted) == "⇡ 120 ⇣ 30"
        assert store.token_usage([session.id])[session.id] == tokens.ESTIMATED  # one turn's count is missing
    finally:
        await acp_pool.close_all()


async def test_tui_marks_estimates_in_the_status_bar_status_and_transcript(db_path):
    store = Store(db_path)
    app = ChinwagApp(store=store, config=ECHO, animate=False)
    async with app.run_test(size=(140, 36)) as pilot:
        sid = app.chat.session.id
        await submit(pilot, app, "hello there, count me")
        await wait_for(pilot, lambda: any(t.status == "complete" for t in store.list_turns(sid) if t.role == "agent"))
        await wait_for(pilot, lambda: app.chat.status.token_usage == tokens.ESTIMATED)
        await pilot.pause()
        s = store.get_session(sid)
        bar = screen_text(app).splitlines()[-1]
        assert f"⇡ ~{s.input_tokens:,} ⇣ ~{s.output_tokens:,}" in bar and "ctx ~" in bar
        await submit(pilot, app, "/status")
        assert f"⇡ ~{s.input_tokens:,} ⇣ ~{s.output_tokens:,}" in screen_text(app)
        app.pop_screen()
        await submit(pilot, app, "/transcript")
        assert f"tokens ⇡ ~{s.input_tokens:,} ⇣ ~{s.output_tokens:,}" in screen_text(app)
    store.close()


async def test_tui_shows_a_dash_for_an_agent_that_reported_nothing(db_path):
    store = Store(db_path)
    session = store.create_session(title="coding agent")
    settled_reply(store, session.id, usage=tokens.UNREPORTED)
    app = ChinwagApp(store=store, config=ECHO, animate=False, session_id=session.id)
    async with app.run_test(size=(140, 36)) as pilot:
        await pilot.pause()
        screen = screen_text(app)
        assert "⇡ – ⇣ –" in screen.splitlines()[-1]  # the status bar
        assert "echo · ⇡ – ⇣ –" in screen  # the block header
        assert "⇡ 0" not in screen
        await submit(pilot, app, "/runs")
        assert " – " in screen_text(app) and "⇡ 0" not in screen_text(app)
    store.close()


def test_cli_session_list_marks_estimates_and_unreported_counts(cli, db_path):
    with Store(db_path) as store:
        reported, unreported = store.create_session(title="reported").id, store.create_session(title="silent").id
        settled_reply(store, reported, usage=tokens.REPORTED, tokens_in=1234, tokens_out=56)
        settled_reply(store, unreported, usage=tokens.UNREPORTED)
    started = cli("session", "start", "--agent", "echo", "--json", "--title", "echoed", "hello")
    assert started.returncode == 0, started.stderr
    with Store(db_path) as store:
        echoed = store.get_session(json.loads(started.stdout)["session_id"])
    table = cli("session", "list")
    assert table.returncode == 0, table.stderr
    rows = {line.lstrip("* ").split()[0]: line for line in table.stdout.splitlines()[1:]}
    assert f"~{echoed.input_tokens:,}" in rows[echoed.id] and f"~{echoed.output_tokens:,}" in rows[echoed.id]
    assert "1,234" in rows[reported] and "~" not in rows[reported].split("reported")[1]
    assert rows[unreported].split().count("–") == 3  # ⇡ and ⇣ unreported, and no cost known
    listed = {s["id"]: s for s in json.loads(cli("session", "list", "--json").stdout)}
    assert (listed[echoed.id]["tokens_estimated"], listed[echoed.id]["tokens_unreported"]) == (True, False)
    assert (listed[reported]["tokens_estimated"], listed[reported]["tokens_unreported"]) == (False, False)
    assert (listed[unreported]["tokens_estimated"], listed[unreported]["tokens_unreported"]) == (False, True)
