"""What turns and sessions cost in money: token counts priced with genai-prices (pydantic's
maintained price table) on the turn's provider and model, or at a profile's own prices.

Which prices apply is decided when a turn settles and kept in its metadata as `price`
(`turn_record`, which the runner calls), so a profile edited or an environment changed later
does not reprice the past. From the agent's profile, first match wins:

    price_input / price_output / price_cached   own prices, USD per million tokens
    provider = "openrouter"                      that provider's prices in the table
    kind anthropic or openai, no base_url        the kind's provider
    base_url                                     the provider the table matches the URL to
                                                 (OpenRouter, Groq, Together ...)

A local server that names neither, and echo and ACP agents, get no prices (`{}`). A turn that
settled without a record (before there were prices) is priced by its agent's profile as
configured now. A model the table does not know, or a turn without prices, costs None (shown
`–`), never a guess; estimated token counts give an estimated cost (shown `~`).

Sessions and stats price SQL aggregates (`storage/stats.py`), never turn by turn: a group
only holds turns the table prices alike, where its price is linear in the token counts, so
the table's rates there are read once (`Prices.rates`) and each group costs a few
multiplications. Groups the table prices differently inside (input tiers, prices from a date
or at some hours) are first split in SQL by those tiers and periods. A front end keeps one
`Pricer` for its lookups and rates; `turn_cost` and `session_costs` are the one-off calls.

genai-prices loads on the first price looked up (about 0.7 s), never at start-up: a front end
can `warm()` it in a worker thread.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from chinwag.app.agents import AgentError, profile_for
from chinwag.app.config.loader import Config
from chinwag.app.config.schema import PROVIDER_KINDS
from chinwag.storage.clock import parse_ts
from chinwag.storage.models import Turn
from chinwag.storage.stats import Only, Period, UsageGroup, usage_groups
from chinwag.storage.tokens import NOT_REPORTED

CURRENCY = "USD"
PRICE_KEY = "price"  # in a turn's metadata: the prices its cost is taken from
OWN = ("input", "output", "cached")
MILLION = Decimal(1_000_000)


@dataclass(frozen=True)
class Cost:
    """An amount of money, None when it is not known; `estimated` when any token count in it is."""

    amount: float | None = None
    currency: str = CURRENCY
    estimated: bool = False

    def text(self) -> str:
        """`$0.42`, `~$0.42` (from estimated tokens) or `–` (not known)."""
        if self.amount is None:
            return NOT_REPORTED
        return ("~" if self.estimated else "") + money(self.amount)

    def as_json(self) -> dict[str, Any]:
        return {"amount": self.amount, "currency": self.currency, "estimated": self.estimated}


UNKNOWN = Cost()


def money(amount: float) -> str:
    """Dollars with the precision a small amount needs: `$0.0042`, `$3.10`, `$1,204`."""
    if amount == 0:
        return "$0.00"
    if amount < 0.01:
        return f"${amount:.4f}"
    return f"${amount:,.2f}" if amount < 10_000 else f"${amount:,.0f}"


def total(costs: Iterable[Cost]) -> Cost:
    """The sum of the known costs; unknown when none is known."""
    known = [cost for cost in costs if cost.amount is not None]
    if not known:
        return UNKNOWN
    return Cost(float(sum(Decimal(str(cost.amount)) for cost in known)), CURRENCY,
                any(cost.estimated for cost in known))


# -- which prices a turn has --------------------------------------------------------------
def public_url(url: str) -> str:
    """The scheme, host, port and path of a URL: no user, password, query or fragment (which
    may hold a key), as the table's URL patterns match it."""
    parts = urlsplit(url.strip())
    host = parts.hostname or ""
    host = f"[{host}]" if ":" in host else host
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        port = ""
    return f"{parts.scheme}://{host}{port}{parts.path}".rstrip("/")


def identity(profile: dict) -> dict:
    """The prices a profile's turns are costed at: own prices, a provider or a URL; {} for none."""
    from chinwag.app.agents.providers.agent import is_local_url  # lazy: ipaddress, only when pricing

    if profile.get("kind") not in PROVIDER_KINDS:
        return {}
    own = {key: float(profile[f"price_{key}"]) for key in OWN if profile.get(f"price_{key}") is not None}
    if own:
        return own
    if profile.get("provider"):
        return {"provider": str(profile["provider"])}
    url = str(profile.get("base_url") or "")
    if not url:
        return {"provider": str(profile["kind"])}
    if profile.get("local") or is_local_url(url):
        return {}
    return {"base_url": public_url(url)}


def agent_identity(agent: str, config: Config, environ=None) -> dict | None:
    """The prices of an agent's profile as configured now; None when there is no such agent."""
    try:
        return identity(profile_for(agent, config, environ))
    except AgentError:
        return None


def turn_record(agent: str, config: Config, environ=None) -> dict:
    """What a settling turn of `agent` keeps in its metadata: `{"price": ...}` for a model over
    HTTP, nothing for echo, ACP agents or an agent no longer configured."""
    try:
        profile = profile_for(agent, config, environ)
    except AgentError:
        return {}
    return {PRICE_KEY: identity(profile)} if profile.get("kind") in PROVIDER_KINDS else {}


# -- prices -------------------------------------------------------------------------------
def _snapshot():
    from genai_prices import data_snapshot  # lazy: the price table takes ~0.7 s to load

    return data_snapshot.get_snapshot()


def warm() -> None:
    """Load the price table now (e.g. in a worker thread, before the first cost is shown)."""
    _snapshot()


def _utc_time(value) -> str:
    if value.tzinfo is not None:
        value = datetime.combine(date(1970, 1, 1), value).astimezone(UTC).time()
    return value.strftime("%H:%M:%S")


def _period(constraint) -> Period:
    from genai_prices.types import StartDateConstraint, TimeOfDateConstraint  # lazy: the price table

    if constraint is None:
        return ("always",)
    if isinstance(constraint, StartDateConstraint):
        return ("from", constraint.start_date.isoformat())
    if isinstance(constraint, TimeOfDateConstraint):
        return ("hours", _utc_time(constraint.start_time), _utc_time(constraint.end_time))
    raise LookupError(f"a price constraint this version cannot split by: {type(constraint).__name__}")


@dataclass(frozen=True)
class Split:
    """How a group must be divided before it is priced: the table's periods and input edges."""

    periods: tuple[Period, ...]
    input_edges: tuple[int, ...]


Rates = tuple[Decimal, Decimal, Decimal, Decimal]  # per turn, per uncached input, cached input, output token


class Prices:
    """The prices of one identity and model: own prices, or the table's entry for the model.

    Inside one price period and input tier the table's price is linear in the token counts
    (plus any price per request), so its rates there are read off the table once (four
    prices of probe turns) and every group of that period and tier is priced with them."""

    def __init__(self, own: dict | None = None, provider=None, model=None):
        self.own, self.provider, self.model = own, provider, model
        self._split: Split | None = None
        self._rates: dict[tuple[int, int], Rates] = {}

    def _price(self, at, input_tokens: int, cached: int = 0, output: int = 0) -> Decimal:
        from genai_prices.types import Usage  # lazy: the price table

        usage = Usage(input_tokens=input_tokens, cache_read_tokens=cached, output_tokens=output)
        return self.model.calc_price(usage, self.provider, genai_request_timestamp=at).total_price

    def period(self, at: str) -> int:
        """Which of the table's conditional prices holds at `at` (0 for a model with one)."""
        listed = self.model.prices
        if not isinstance(listed, list):
            return 0
        chosen = self.model.get_prices(parse_ts(at))
        return next((n for n, conditional in enumerate(listed) if conditional.prices is chosen), 0)

    def tier(self, input_tokens: int) -> int:
        return sum(input_tokens > edge for edge in self.split().input_edges)

    def rates(self, period: int, tier: int, at: str) -> Rates:
        """The rates of one period and tier (`at`: a time in that period)."""
        if self.own is not None:
            price_in = Decimal(str(self.own.get("input", 0)))
            price_cached = Decimal(str(self.own.get("cached", self.own.get("input", 0))))
            return Decimal(0), price_in / MILLION, price_cached / MILLION, Decimal(str(self.own.get("output", 0))) / MILLION
        if (period, tier) not in self._rates:
            edges = self.split().input_edges
            low = edges[tier - 1] if tier else 0
            m, moment = low + 1, parse_ts(at)  # probe turns just above the tier's lower edge: inside it
            one = self._price(moment, m)
            per_input = self._price(moment, m + 1) - one
            per_turn = one - per_input * m
            per_cached = (self._price(moment, m, cached=m) - per_turn) / m
            per_output = (self._price(moment, m, output=1_000_000) - one) / MILLION
            self._rates[(period, tier)] = (per_turn, per_input, per_cached, per_output)
        return self._rates[(period, tier)]

    def cost(self, turns: int, input_tokens: int, cached: int, output: int, at: str, *,
             period: int | None = None, tier: int | None = None) -> Decimal:
        """What `turns` turns of one period and tier with these token sums cost (`period` and
        `tier` default to those of `at` and of `input_tokens`: right for a single turn)."""
        cached = min(cached, input_tokens)
        if self.own is None:
            period = self.period(at) if period is None else period
            tier = self.tier(input_tokens) if tier is None else tier
        per_turn, per_input, per_cached, per_output = self.rates(period or 0, tier or 0, at)
        return turns * per_turn + (input_tokens - cached) * per_input + cached * per_cached + output * per_output

    def split(self) -> Split:
        """The periods (conditional prices, in the table's order) and the input edges (tier
        starts) the table's prices for this model change at."""
        if self._split is None:
            from genai_prices.types import ModelPrice, TieredPrices  # lazy: the price table

            listed = self.model.prices
            prices = [listed] if isinstance(listed, ModelPrice) else [c.prices for c in listed]
            periods = (("always",),) if isinstance(listed, ModelPrice) else tuple(_period(c.constraint)
                                                                                  for c in listed)
            edges = {tier.start for price in prices for value in vars(price).values()
                     if isinstance(value, TieredPrices) for tier in value.tiers}
            self._split = Split(periods, tuple(sorted(edges)))
        return self._split

    def uniform(self, first_at: str, last_at: str, min_input: int, max_input: int) -> bool:
        """Whether turns between these times and input sizes all pay the same prices."""
        if self.own is not None:
            return True
        split = self.split()
        if len(split.periods) > 1:
            if any(period[0] == "hours" for period in split.periods):
                return False
            if self.period(first_at) != self.period(last_at):
                return False
        return self.tier(min_input) == self.tier(max_input)


def _lookup(ident: dict, model: str) -> Prices | None:
    if not ident:
        return None
    if set(ident) <= set(OWN):
        return Prices(own=ident)
    if not model:
        return None
    try:
        if "provider" in ident:
            provider, info = _snapshot().find_provider_model(model, None, str(ident["provider"]), None)
        else:
            provider, info = _snapshot().find_provider_model(model, None, None, str(ident.get("base_url", "")))
        prices = Prices(provider=provider, model=info)
        prices.split()  # a constraint this version cannot split by: no price rather than a wrong one
        return prices
    except LookupError:
        return None


PriceKey = tuple[str, str]  # the identity's JSON and the model


class Pricer:
    """Prices usage groups: each group's prices found once, groups split where prices change."""

    def __init__(self, config: Config, environ=None):
        self.config, self.environ = config, environ
        self._agents: dict[str, dict | None] = {}
        self._prices: dict[PriceKey, Prices | None] = {}
        self._records: dict[str, Any] = {}

    def key(self, agent: str, model: str, price: Any) -> PriceKey | None:
        """Which prices turns of this agent and model with this `price` record (None: settled
        without one) are costed at; None when they have none."""
        if price is None:
            if agent not in self._agents:
                self._agents[agent] = agent_identity(agent, self.config, self.environ)
            ident = self._agents[agent]
        else:
            ident = price if isinstance(price, dict) else {}
        if not ident:
            return None
        key = (json.dumps(ident, sort_keys=True), model)
        if key not in self._prices:
            self._prices[key] = _lookup(ident, model)
        return key if self._prices[key] is not None else None

    def group_key(self, group: UsageGroup) -> PriceKey | None:
        price = None
        if group.price is not None:
            if group.price not in self._records:
                try:
                    self._records[group.price] = json.loads(group.price)
                except ValueError:
                    self._records[group.price] = {}
            price = self._records[group.price]
        return self.key(group.agent, group.model, price)

    def turn_cost(self, turn: Turn) -> Cost:
        if turn.role != "agent" or turn.status == "streaming":
            return UNKNOWN
        meta = turn.metadata or {}
        key = self.key(turn.agent, turn.model, meta.get(PRICE_KEY, {}) if PRICE_KEY in meta else None)
        if key is None:
            return UNKNOWN
        prices = self._prices[key]
        assert prices is not None
        cached = meta.get("cached_tokens")
        amount = prices.cost(1, turn.input_tokens, cached if isinstance(cached, int) else 0, turn.output_tokens,
                             turn.created_at)
        return Cost(float(amount), CURRENCY, turn.tokens_estimated)

    def groups(self, store, *, by: Sequence[str] = (), session_ids: Sequence[str] | None = None,
               since: str | None = None) -> list[UsageGroup]:
        """The usage groups (`storage.stats.usage_groups`) of these sessions (or all) since a
        time; the turns of an agent, model and price record any of whose groups the table
        prices differently inside are asked for again, split by that model's periods and tiers."""
        groups = usage_groups(store, by=by, session_ids=session_ids, since=since)
        again: dict[tuple, PriceKey] = {}
        for group in groups:
            key = self.group_key(group)
            if key is None or (group.agent, group.model, group.price) in again:
                continue
            prices = self._prices[key]
            assert prices is not None
            if not prices.uniform(group.first_at, group.last_at, group.min_input, group.max_input):
                again[(group.agent, group.model, group.price)] = key
        if not again:
            return groups
        kept = [group for group in groups if (group.agent, group.model, group.price) not in again]
        for (agent, model, price), key in again.items():
            split = self._prices[key].split()  # type: ignore[union-attr]
            kept += [replace(group, refined=True) for group in
                     usage_groups(store, by=by, session_ids=session_ids, since=since, only=Only(agent, model, price),
                                  periods=split.periods, input_edges=split.input_edges)]
        return kept

    def costs(self, groups: Iterable[UsageGroup], by: Callable[[UsageGroup], Hashable]) -> dict[Hashable, Cost]:
        """The cost of the groups summed by `by(group)`: unknown for a name none of whose
        groups has prices."""
        amounts: dict[Hashable, list] = {}
        names: dict[Hashable, None] = {}
        for group in groups:
            name = by(group)
            names[name] = None
            key = self.group_key(group)
            if key is None:
                continue
            prices = self._prices[key]
            assert prices is not None
            # one price throughout the group (Pricer.groups saw to it): that of any of its turns,
            # or, split by the model's periods in SQL, the group's own period
            if prices.own is not None:
                period = tier = 0
            else:
                period = group.period if group.refined else prices.period(group.first_at)
                tier = prices.tier(group.min_input)
            amount = prices.cost(group.turns, group.input_tokens, group.cached_tokens, group.output_tokens,
                                 group.first_at, period=period, tier=tier)
            entry = amounts.setdefault(name, [Decimal(0), False])
            entry[0] += amount
            entry[1] = entry[1] or group.estimated
        return {name: Cost(float(amounts[name][0]), CURRENCY, amounts[name][1]) if name in amounts else UNKNOWN
                for name in names}


# -- the calls front ends make --------------------------------------------------------------
def turn_cost(turn: Turn, config: Config, environ=None) -> Cost:
    """One turn's cost (no SQL: from the turn as loaded). The first call loads the price table."""
    return Pricer(config, environ).turn_cost(turn)


def session_costs(store, session_ids: Sequence[str], config: Config, environ=None) -> dict[str, Cost]:
    """Each session's cost, from token sums grouped in SQL (a few groups per session)."""
    if not session_ids:
        return {}
    pricer = Pricer(config, environ)
    groups = pricer.groups(store, by=("session",), session_ids=session_ids)
    costs = pricer.costs(groups, lambda group: group.session_id)
    return {session_id: costs.get(session_id, UNKNOWN) for session_id in session_ids}


def session_cost(store, session_id: str, config: Config, environ=None) -> Cost:
    return session_costs(store, [session_id], config, environ)[session_id]
