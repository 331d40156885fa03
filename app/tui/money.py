"""The chat screen's glue for money and usage: each agent block's cost in its header, the
session's cost in the status bar, `/context` (what fills the window) and `/stats` (usage
plots). Mixed into `ChatScreen`; the logic is Textual-free (`app/core/cost_book.py`,
`app/core/context_report.py`, `app/core/stats.py`), the views are widgets.

Costs are computed when turns arrive in the transcript and when the status is read (once
per settle), never while rendering. genai-prices' table is loaded only when a cost needs it,
in a worker thread after the first paint; until then such a cost is simply not shown yet.
/stats reads in a worker thread on its own connection, building the statistics indexes
there the first time (seconds over a million turns), never on the UI loop.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import TYPE_CHECKING

from textual import work

from chinwag.app.errors import first_line
from chinwag.app.lazy import LazyModule
from chinwag.app.tui.guard import guarded, push_modal
from chinwag.storage import Store
from chinwag.storage.models import Session, Turn

if TYPE_CHECKING:
    from chinwag.app.core import cost_book
    from chinwag.app.core.cost_book import CostBook, SessionTotal
    from chinwag.app.core.pricing import Cost
    from chinwag.app.core.stats import StatsRequest
    from chinwag.storage import stats
else:  # prices load with the first turn that has tokens, the statistics with /stats; not with the app
    cost_book = LazyModule("chinwag.app.core.cost_book")
    stats = LazyModule("chinwag.storage.stats")


class MoneyMixin:
    _money: CostBook | None = None
    _warming = False
    _session_total: SessionTotal | None = None

    @guarded
    def on_mount(self) -> None:  # runs after ChatScreen.on_mount (Textual calls each class's handler)
        self.transcript.on_turns = self._price_turns
        self._price_turns(self.transcript.turns)
        self.controller.session_cost = self._session_cost_text
        self._show_session_cost()

    @property
    def _total(self) -> SessionTotal:
        if self._session_total is None:
            self._session_total = cost_book.SessionTotal()
        return self._session_total

    @property
    def money(self) -> CostBook:
        if self._money is None:
            self._money = cost_book.CostBook(self._config)
        return self._money

    # -- costs ---------------------------------------------------------------------------------
    def _price_turns(self, turns: list[Turn]) -> None:
        """The headers' costs of turns the transcript was given (settled agent turns only)."""
        if not turns:
            return  # nothing to price (a new session's first paint loads no prices)
        self._total.saw(turns)
        try:
            texts, waiting = self.money.texts(turns)
        except Exception:  # a cost is a nicety: a damaged price record never breaks the transcript
            return
        if texts:
            self.transcript.set_costs(texts)
        if waiting:
            self._warm_prices()

    def _session_cost_text(self, session: Session) -> str:
        """The status bar's cost: unchanged while the session's totals are; after a settle seen
        here, carried forward by that turn's cost (no SQL); else read from SQL sums, at once
        for a short session, in a worker for a long one (its sums grow with it: off the open path)."""
        if not session.turn_count:
            return ""  # nothing to price: no cost shown (a new session's first paint loads no prices)
        key = (session.id, session.input_tokens, session.output_tokens, session.turn_count)
        total = self._total
        if total.key == key and total.cost is not None:
            return _text(total.cost)
        carried = total.carried(self.money, key)
        if carried is not None:
            total.keep(key, carried)
            return _text(carried)
        shown = _text(total.cost) if total.cost is not None and total.key and total.key[0] == session.id else ""
        if session.turn_count > SYNC_TURNS:
            self._price_session(key)
            return shown
        cost = self._read_session_cost(session.id)
        if cost is None:
            return shown
        total.keep(key, cost)
        return _text(cost)

    def _read_session_cost(self, session_id: str) -> Cost | None:
        """The session's cost; None when the price table is needed first (it is sent for)."""
        try:
            cost = self.money.session_cost(self.store, session_id)
        except Exception:  # a cost is a nicety: a damaged price record never breaks the status
            return cost_book.NO_TURNS
        if cost is None:
            self._warm_prices()
        return cost

    @work(thread=True, group="session-cost", exclusive=True)
    def _price_session(self, key: tuple) -> None:
        cost = self._read_session_cost(key[0])
        if cost is not None:
            self.app.call_from_thread(self._session_cost_found, key, cost)

    def _session_cost_found(self, key: tuple, cost: Cost) -> None:
        self._total.keep(key, cost)
        self._show_session_cost()

    def _show_session_cost(self) -> None:
        """The status bar's cost read again (the status's other parts stay as they are)."""
        controller = self.controller
        if controller.snapshot is None or controller.session is None:
            return
        controller.snapshot = replace(controller.snapshot, cost=self._session_cost_text(controller.session))
        self.status.cost = controller.snapshot.cost

    def _warm_prices(self) -> None:
        if self._warming or cost_book.table_ready():
            return
        self._warming = True
        self.call_after_refresh(self._load_price_table)  # after the frame being drawn: the load holds the GIL

    @work(thread=True, group="prices", exclusive=True)
    def _load_price_table(self) -> None:
        try:
            cost_book.warm()
        except Exception as exc:  # no table: costs stay unshown, the app goes on
            self.app.call_from_thread(self.notify, f"could not load the price table: {first_line(exc)}",
                                      severity="warning")
            return
        self.app.call_from_thread(self._prices_ready)

    def _prices_ready(self) -> None:
        self._warming = False
        self._session_total = None  # read again, with the table's prices
        self._price_turns(self.transcript.turns)  # the shown turns priced again, now all of them
        self._show_session_cost()

    # -- /stats ----------------------------------------------------------------------------------
    def open_stats(self, request: StatsRequest) -> None:
        from chinwag.app.tui.stats_screen import StatsScreen  # lazy: textual-plotext only when /stats opens

        screen = StatsScreen(by=request.by)
        push_modal(self, screen)
        self._read_stats(screen, request.since)

    @work(thread=True, group="stats", exclusive=True)
    def _read_stats(self, screen, since: timedelta | None) -> None:
        """On its own connection: the indexes built (once per database, seconds over a million
        turns), then the statistics per day, model and agent."""
        from chinwag.app.core.stats import BY, usage_stats  # lazy: only when /stats opens

        call = self.app.call_from_thread
        try:
            store = Store(self.store.path, clock=self.store.clock, readonly=self.store.readonly, recover=False)
            try:
                if stats_indexes_missing(store):
                    call(screen.tell, "building the statistics index (once)…")
                    stats.ensure_stats_indexes(store)
                results = {by: usage_stats(store, self._config, since=since, by=by) for by in BY}
            finally:
                store.close()
        except Exception as exc:
            call(screen.tell, f"could not read the statistics: {first_line(exc)}")
            return
        call(screen.show, results)


def _text(cost: Cost) -> str:
    return "" if cost is cost_book.NO_TURNS else cost.text()


SYNC_TURNS = 1000  # up to this many turns a session's cost is read at once (~2 ms), beyond in a worker


def stats_indexes_missing(store: Store) -> bool:
    """Whether `ensure_stats_indexes` has indexes to build (a writable database without them)."""
    return bool(stats.missing_stats_indexes(store))
