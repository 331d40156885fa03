"""What the TUI shows of money: each settled agent turn's cost (block headers) and the open
session's (status bar), with `pricing.Pricer` kept for the app's life and no price table on
the UI loop.

Pricing a turn needs genai-prices' table only when its prices come from a provider or a URL
(`identity`); own prices (`price_input` ...) and no prices (echo, ACP agents, a local
server) are known without it. Until the table is loaded (`warm`, in a worker thread: ~0.5 s
of imports) such a cost is `None` here, "not known yet", and the caller asks again after
warming. Costs are cached by turn id and everything they depend on (tokens, status,
metadata's price record and cached tokens), so a header re-rendered costs a dict look-up.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable

from chinwag.app.agents import AgentError, profile_for
from chinwag.app.config.loader import Config
from chinwag.app.config.schema import PROVIDER_KINDS
from chinwag.app.core import pricing
from chinwag.app.core.pricing import OWN, PRICE_KEY, Cost, Pricer
from chinwag.storage.models import Turn
from chinwag.storage.stats import usage_groups

_TABLE_READY = threading.Event()  # process-wide: the table, once loaded, stays loaded


def table_ready() -> bool:
    return _TABLE_READY.is_set()


def warm() -> None:
    """Load the price table (call it from a worker thread)."""
    pricing.warm()
    _TABLE_READY.set()


def needs_table(ident: dict | None, model: str) -> bool:
    """Whether prices of this identity and model are read from the table (not own prices, not none)."""
    return bool(ident) and not set(ident) <= set(OWN) and bool(model)  # type: ignore[arg-type]


def priced(turn: Turn) -> bool:
    """A turn that has a cost to show: a settled agent turn."""
    return turn.role == "agent" and turn.status != "streaming"


def _key(turn: Turn) -> tuple:
    meta = turn.metadata or {}
    return (turn.id, turn.status, turn.agent, turn.model, turn.input_tokens, turn.output_tokens,
            turn.tokens_estimated, turn.created_at, json.dumps(meta.get(PRICE_KEY), sort_keys=True),
            meta.get("cached_tokens"), PRICE_KEY in meta)


class CostBook:
    """Turn and session costs for one front end; `None` means "needs the table, not loaded"."""

    def __init__(self, config: Config, environ=None):
        self.config, self.environ = config, environ
        self.pricer = Pricer(config, environ)
        self._turns: dict[str, tuple[tuple, Cost]] = {}
        self._agents: dict[str, dict | None] = {}
        self._kinds: dict[str, bool] = {}

    def _identity(self, agent: str, record) -> dict | None:
        if record is not None:
            return record if isinstance(record, dict) else {}
        if agent not in self._agents:
            self._agents[agent] = pricing.agent_identity(agent, self.config, self.environ)
        return self._agents[agent]

    def _is_model(self, agent: str) -> bool:
        """A model over HTTP (money is spent on its turns), not echo or a coding agent over ACP."""
        if agent not in self._kinds:
            try:
                self._kinds[agent] = profile_for(agent, self.config, self.environ).get("kind") in PROVIDER_KINDS
            except AgentError:
                self._kinds[agent] = False
        return self._kinds[agent]

    def costs_money(self, turn: Turn) -> bool:
        """Whether the turn's header shows a cost at all: a model's turn (its settled price
        record says so, or its profile does now). Echo and ACP agents' turns show none, rather
        than a `–` on every block of an offline session."""
        return PRICE_KEY in (turn.metadata or {}) or self._is_model(turn.agent)

    def turn_needs_table(self, turn: Turn) -> bool:
        meta = turn.metadata or {}
        return needs_table(self._identity(turn.agent, meta.get(PRICE_KEY) if PRICE_KEY in meta else None),
                           turn.model)

    def turn_cost(self, turn: Turn) -> Cost | None:
        """The turn's cost (unknown for a turn with none to show); None: the table is needed first."""
        if not priced(turn):
            return pricing.UNKNOWN
        key = _key(turn)
        known = self._turns.get(turn.id)
        if known is not None and known[0] == key:
            return known[1]
        if not table_ready() and self.turn_needs_table(turn):
            return None
        cost = self.pricer.turn_cost(turn)
        self._turns[turn.id] = (key, cost)
        return cost

    def texts(self, turns: Iterable[Turn]) -> tuple[dict[str, str], list[Turn]]:
        """The cost text of each settled agent turn that can be priced now, and those that
        wait for the table."""
        texts, waiting = {}, []
        for turn in turns:
            if not priced(turn) or not self.costs_money(turn):
                continue
            cost = self.turn_cost(turn)
            if cost is None:
                waiting.append(turn)
            else:
                texts[turn.id] = cost.text()
        return texts, waiting

    def session_cost(self, store, session_id: str) -> Cost | None:
        """The session's cost from SQL sums (a few groups): unknown when it has no settled agent
        turn or none with prices; None: the table is needed first. Before the table is loaded
        the groups are read once: without table prices in them, none needs splitting."""
        if table_ready():
            groups = self.pricer.groups(store, by=("session",), session_ids=[session_id])
        else:
            groups = usage_groups(store, by=("session",), session_ids=[session_id])
            if any(needs_table(self._identity(group.agent, _record(group.price)), group.model) for group in groups):
                return None
        if not any(group.price is not None or self._is_model(group.agent) for group in groups):
            return NO_TURNS  # no turn of a model: nothing to show (echo, ACP agents)
        return self.pricer.costs(groups, lambda group: group.session_id).get(session_id, pricing.UNKNOWN)


def _record(price: str | None):
    """A group's price record as `Pricer.group_key` reads it: None (settled without one) or a dict."""
    if price is None:
        return None
    try:
        return json.loads(price)
    except ValueError:
        return {}

NO_TURNS = Cost(None, estimated=True)  # a session with no settled agent turn: nothing to show (not `–`)


class SessionTotal:
    """The open session's cost as last read (from SQL sums), carried forward by the agent turns
    seen settling since (streaming, then settled) while their tokens account exactly for the
    change in the session's totals: a settle then costs no SQL. Anything else (another
    process's turn, a switch of session) and the caller reads it again."""

    def __init__(self) -> None:
        self.key: tuple | None = None  # (session id, input tokens, output tokens, turn count)
        self.cost: Cost | None = None
        self._streaming: set[str] = set()
        self._settled: dict[str, Turn] = {}

    def saw(self, turns: Iterable[Turn]) -> None:
        for turn in turns:
            if turn.role != "agent":
                continue
            if turn.status == "streaming":
                self._streaming.add(turn.id)
            elif turn.id in self._streaming:
                self._streaming.discard(turn.id)
                self._settled[turn.id] = turn

    def keep(self, key: tuple, cost: Cost) -> None:
        self.key, self.cost = key, cost
        self._settled = {tid: t for tid, t in self._settled.items() if t.session_id != key[0]}

    def carried(self, book: CostBook, key: tuple) -> Cost | None:
        """The cost at `key` from the last one kept and the turns settled since; None when they
        do not explain the change (or one needs the price table first)."""
        if self.key is None or self.cost is None or self.key[0] != key[0]:
            return None
        fresh = [t for t in self._settled.values() if t.session_id == key[0]]
        if (sum(t.input_tokens for t in fresh) != key[1] - self.key[1]
                or sum(t.output_tokens for t in fresh) != key[2] - self.key[2]):
            return None
        fresh = [t for t in fresh if book.costs_money(t)]  # echo, ACP agents: nothing to add
        if not fresh:
            return self.cost
        costs = [book.turn_cost(t) for t in fresh]
        if any(cost is None for cost in costs):
            return None
        return pricing.total([self.cost, *costs])  # type: ignore[list-item]
