"""The SQL one echo turn costs, counted with `sqlite3.Connection.set_trace_callback`
(tests/sql_trace.py says what is counted): through the runner (`session send`) and through
the TUI (one Enter, Pilot). The ceilings are half of what it cost before typed runner events
and the one-statement hot paths (measured 2026-12-01, on the commit before):

    runner: 27 SELECT, 19 writes, 3 transactions, 13 savepoints, 4 pragmas (66 statements)
    TUI:    52 SELECT, 21 writes, 4 transactions, 13 savepoints, 4 pragmas (94 statements)

After: runner 6 / 7 / 2 / 0 / 4 (19); TUI 21 / 9 / 3 / 0 / 4 (37). Transactions cannot
halve: the prompt commits (durably) before the agent is called and the settle commits on its
own; the TUI adds the prompt history's. Each durable commit switches `synchronous` twice.
"""

from __future__ import annotations

import sql_trace

BEFORE = {
    "runner": {"select": 27, "write": 19, "transaction": 3, "savepoint": 13, "pragma": 4},
    "tui": {"select": 52, "write": 21, "transaction": 4, "savepoint": 13, "pragma": 4},
}
DURABLE_COMMITS = 2  # the prompt and the settle


def check(figures: dict[str, int], before: dict[str, int]) -> None:
    shown = ", ".join(f"{k} {figures[k]} (was {before[k]})" for k in before)
    for kind in ("select", "write", "savepoint"):
        assert figures[kind] <= before[kind] // 2, shown
    assert sum(figures[k] for k in before) <= sum(before.values()) // 2, shown
    assert figures["transaction"] < before["transaction"], shown
    assert figures["pragma"] == 2 * DURABLE_COMMITS, shown  # FULL then NORMAL around each durable commit


async def test_an_echo_turn_through_the_runner_costs_half_the_sql(db_path):
    counter = await sql_trace.runner_turn(db_path)
    check(counter.figures(), BEFORE["runner"])


async def test_one_enter_on_an_echo_turn_in_the_tui_costs_half_the_sql(db_path):
    from chinwag.storage import Store

    counter = await sql_trace.tui_turn(db_path)
    check(counter.figures(), BEFORE["tui"])
    with Store(db_path) as store:
        session_id = store.most_recent_session_id()
        assert counter.shown == [t.id for t in store.list_turns(session_id)]  # the prompt and the reply
    # the prompt's turn is shown from TurnStarted, not read back (it was: the newest two turns)
    assert not any("ORDER BY seq DESC LIMIT 2" in s for s in counter.statements)
    # the status bar and the sidebar read once when the turn starts and once when it is over (its
    # first page; a page that is not full is its own total: no count, which is made off the UI loop)
    assert sum("0 AS part FROM sessions" in s for s in counter.statements) == 2
    assert not any("count(*)" in s and "FROM sessions" in s for s in counter.statements)
