"""Counting the SQL one echo turn costs, with `sqlite3.Connection.set_trace_callback`.

Shared by tests/test_query_count.py (ceilings) and benchmarks/queries.py (the figures in
RESULTS.md), so both count the same way:

- only statements Chinwag runs are counted: SQLite reports each trigger subprogram (the
  FTS and append-only triggers) again, as a repeat of the statement that fired it or as
  an `-- ...` comment; those are folded into the statement that caused them;
- `PRAGMA data_version` is left out: the TUI polls it on a timer (other processes'
  writes), so how many land inside one turn depends on timing, not on the turn.

Kinds: `select`, `write` (INSERT/UPDATE/DELETE/REPLACE), `transaction` (BEGIN),
`savepoint` (SAVEPOINT), `pragma` (the durable commits' synchronous switches).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import sqlite3
from pathlib import Path

from chinwag.app.config.loader import Config
from chinwag.storage import Store

FAST = Config(agents={"echo": {"kind": "echo", "delay": 0, "chunk": 16}})
PROMPT = "hello there"
KINDS = ("select", "write", "transaction", "savepoint", "pragma")
_KIND = {"SELECT": "select", "WITH": "select", "INSERT": "write", "UPDATE": "write", "DELETE": "write",
         "REPLACE": "write", "BEGIN": "transaction", "SAVEPOINT": "savepoint", "PRAGMA": "pragma"}


class StatementCounter:
    """A trace callback counting statements by kind while `counting` is True."""

    def __init__(self) -> None:
        self.counts: collections.Counter[str] = collections.Counter()
        self.statements: list[str] = []
        self.counting = False
        self.shown: list[str] = []  # the TUI run: the transcript's turn ids at the end
        self._last = ""

    def __call__(self, sql: str) -> None:
        text = sql.strip()
        if not self.counting or text.startswith("--") or text.startswith("PRAGMA data_version"):
            return
        if "'main'." in text:  # FTS5's own statements (reading its config once a connection), not Chinwag's
            return
        if text == self._last:  # a trigger subprogram of the statement just counted
            return
        self._last = text
        self.statements.append(text)
        self.counts[_KIND.get(text.split(None, 1)[0].upper(), "other")] += 1

    def figures(self) -> dict[str, int]:
        return {kind: self.counts.get(kind, 0) for kind in (*KINDS, "other")}


def trace(store: Store) -> StatementCounter:
    counter = StatementCounter()
    store.db.conn.set_trace_callback(counter)
    return counter


async def runner_turn(db: Path) -> StatementCounter:
    """One echo exchange through `Runner.send`, as `chinwag session send` runs it."""
    from chinwag.app.core.runner import Runner

    store = Store(db)
    try:
        session = store.create_session()
        counter = trace(store)
        runner = Runner(store, FAST)
        counter.counting = True
        await runner.send(session.id, PROMPT)
        await runner.drain()
        counter.counting = False
        return counter
    finally:
        store.close()


def _settled(db: Path) -> bool:
    """Whether the exchange is over, read on a connection of its own (not counted)."""
    with contextlib.closing(sqlite3.connect(db)) as conn:
        row = conn.execute("SELECT COUNT(*) FROM turns WHERE role = 'agent' AND status != 'streaming'").fetchone()
    return row[0] > 0


async def tui_turn(db: Path) -> StatementCounter:
    """One Enter on an echo turn in the TUI (Pilot, headless), from the key press until the
    turn's worker has finished (settled, status and sidebar refreshed)."""
    from chinwag.app.tui.app import ChinwagApp

    store = Store(db)
    try:
        app = ChinwagApp(store=store, config=FAST, animate=False)
        counter = trace(store)
        async with app.run_test(size=(120, 36)) as pilot:
            await pilot.pause()
            app.chat.prompt.text = PROMPT
            await pilot.pause()
            app.chat.prompt.focus_input()
            counter.counting = True
            await pilot.press("enter")
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 30
            while not (_settled(db) and not any(w.group == "turns" for w in app.workers)):
                if loop.time() > deadline:
                    raise AssertionError("the echo turn did not finish")
                await pilot.pause(0.01)
            counter.counting = False
            await pilot.pause()
            counter.shown = list(app.chat.transcript.turn_ids)
        return counter
    finally:
        store.close()
