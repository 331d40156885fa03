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

Sessions and stats price SQL aggregates (`storage/stats.py`), each group once, at the mean
turn of the group times its turns: exact, because a group only holds turns the table prices
alike. Groups the table prices differently inside (input tiers, prices from a date or at some
hours) are first split in SQL by those tiers and periods.

genai-prices loads on the first price looked up (about 0.7 s), never at start-up.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
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


class Prices:
    """The prices of one identity and model: linear own prices, or the table's entry."""

    def __init__(self, own: dict | None = None, provider=None, model=None):
        self.own, self.provider, self.model = own, provider, model
        self._split: Split | None = None

    def cost(self, turns: int, input_tokens: int, cached: int, output: int, at: str) -> Decimal:
        """What `turns` turns with these token sums cost, all of them priced alike (one group)."""
        cached = min(cached, input_tokens)
        if self.own is not None:
            price_in = Decimal(str(self.own.get("input", 0)))
            price_cached = Decimal(str(self.own.get("cached", self.own.get("input", 0))))
            price_out = Decimal(str(self.own.get("output", 0)))
            return ((input_tokens - cached) * price_in + cached * price_cached + output * price_out) / MILLION
        from genai_prices.types import Usage  # lazy: the price table

        # the mean turn, priced once, times the turns: the table's price per turn (its tiers
        # look at one request's input) with the group's totals; linear inside one group
        n = Decimal(turns)
        usage = Usage(input_tokens=Decimal(input_tokens) / n, cache_read_tokens=Decimal(cached) / n,
                      output_tokens=Decimal(output) / n)
        price = self.model.calc_price(usage, self.provider, genai_request_timestamp=parse_ts(at))
        return price.total_price * n

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
            if self.model.get_prices(parse_ts(first_at)) is not self.model.get_prices(parse_ts(last_at)):
                return False
        return sum(min_input > edge for edge in split.input_edges) == sum(max_input > edge
                                                                          for edge in split.input_edges)


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
            try:
                price = json.loads(group.price)
            except ValueError:
                price = {}
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

    def groups(self, store, *, session_ids: Sequence[str] | None = None, since: str | None = None) -> list[UsageGroup]:
        """The usage groups of these sessions (or all) since a time, split where prices change."""
        groups = usage_groups(store, session_ids=session_ids, since=since)
        spans: dict[PriceKey, list] = {}
        for group in groups:
            key = self.group_key(group)
            if key is None:
                continue
            span = spans.setdefault(key, [group.first_at, group.last_at, group.min_input, group.max_input])
            span[0], span[1] = min(span[0], group.first_at), max(span[1], group.last_at)
            span[2], span[3] = min(span[2], group.min_input), max(span[3], group.max_input)
        uneven = set()
        for key, (first_at, last_at, min_input, max_input) in spans.items():
            prices = self._prices[key]
            assert prices is not None
            if not prices.uniform(first_at, last_at, min_input, max_input):
                uneven.add(key)
        if not uneven:
            return groups
        kept, again = [], {}
        for group in groups:
            key = self.group_key(group)
            if key in uneven:
                again[(group.agent, group.model, group.price)] = key
            else:
                kept.append(group)
        for (agent, model, price), key in again.items():
            split = self._prices[key].split()  # type: ignore[union-attr]
            kept += usage_groups(store, session_ids=session_ids, since=since, only=Only(agent, model, price),
                                 periods=split.periods, input_edges=split.input_edges)
        return kept

    def costs(self, groups: Iterable[UsageGroup], by: Callable[[UsageGroup], Hashable]) -> dict[Hashable, Cost]:
        """The cost of the groups summed by `by(group)`: groups priced alike are priced together."""
        sums: dict[tuple, list] = {}
        wanted: dict[Hashable, None] = {}
        for group in groups:
            name = by(group)
            wanted[name] = None
            key = self.group_key(group)
            if key is None:
                continue
            slot = sums.setdefault((name, key, group.estimated, group.period, group.tier),
                                   [0, 0, 0, 0, group.first_at])
            slot[0] += group.turns
            slot[1] += group.input_tokens
            slot[2] += group.cached_tokens
            slot[3] += group.output_tokens
            slot[4] = min(slot[4], group.first_at)
        amounts: dict[Hashable, list] = {}
        for (name, key, estimated, _period, _tier), (turns, input_tokens, cached, output, at) in sums.items():
            prices = self._prices[key]
            assert prices is not None
            amount = prices.cost(turns, input_tokens, cached, output, at)
            entry = amounts.setdefault(name, [Decimal(0), False])
            entry[0] += amount
            entry[1] = entry[1] or estimated
        return {name: Cost(float(amounts[name][0]), CURRENCY, amounts[name][1]) if name in amounts else UNKNOWN
                for name in wanted}


# -- the calls front ends make --------------------------------------------------------------
def turn_cost(turn: Turn, config: Config, environ=None) -> Cost:
    """One turn's cost (no SQL: from the turn as loaded). The first call loads the price table."""
    return Pricer(config, environ).turn_cost(turn)


def session_costs(store, session_ids: Sequence[str], config: Config, environ=None) -> dict[str, Cost]:
    """Each session's cost, from token sums grouped in SQL (a few groups per session)."""
    if not session_ids:
        return {}
    pricer = Pricer(config, environ)
    costs = pricer.costs(pricer.groups(store, session_ids=session_ids), lambda group: group.session_id)
    return {session_id: costs.get(session_id, UNKNOWN) for session_id in session_ids}  # type: ignore[misc]


def session_cost(store, session_id: str, config: Config, environ=None) -> Cost:
    return session_costs(store, [session_id], config, environ)[session_id]
