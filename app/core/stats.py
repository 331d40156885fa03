"""Usage statistics (`chinwag stats` and the /stats screen): turns, tokens and cost
per day, model or agent since a time, and the busiest and longest sessions, all from the SQL
aggregates of `storage/stats.py` priced by `pricing.Pricer` (a few hundred groups, not every
turn). Turns here are settled agent turns (replies); days are UTC days.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from chinwag.app.config.loader import Config
from chinwag.app.core.ages import parse_since
from chinwag.app.core.pricing import Cost, Pricer, total
from chinwag.storage.clock import format_ts
from chinwag.storage.stats import UsageGroup, session_titles, session_totals

BY = ("day", "model", "agent")
TOP = 5
SINCE = "30d"  # the default --since of `chinwag stats` and /stats


@dataclass(frozen=True)
class StatsRequest:
    """What /stats is asked for: how far back (None: everything) and the grouping it opens on."""

    since: timedelta | None = timedelta(days=30)
    by: str = "day"


def parse_request(options: Mapping[str, str], rest: str = "") -> StatsRequest:
    """/stats's arguments, `chinwag stats`'s flags (`--since AGE|all`, `--by day|model|agent`) read by
    the same parser; ValueError, one line naming what is wrong, for anything else."""
    takes = f"/stats takes --since AGE|all and --by {'|'.join(BY)}"
    unknown = [f"--{name}" for name in options if name not in ("since", "by")] + rest.split()
    if unknown:
        raise ValueError(f"{takes}, not {' '.join(unknown)}")
    try:
        since = parse_since(options.get("since", SINCE))
    except ValueError as exc:
        raise ValueError(f"--since: {exc}") from None
    by = options.get("by", "day").strip().lower()
    if by not in BY:
        raise ValueError(f"--by: {by!r} is not one of {', '.join(BY)}")
    return StatsRequest(since, by)


@dataclass(frozen=True)
class Row:
    """Totals of one day, model, agent or session."""

    key: str
    turns: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    tokens_estimated: bool = False  # some of the counts are estimates
    cost: Cost = field(default_factory=Cost)
    title: str = ""  # a session's

    @property
    def tokens(self) -> int:
        return self.input_tokens + self.output_tokens

    def as_json(self) -> dict:
        data = {"key": self.key, "turns": self.turns, "input_tokens": self.input_tokens,
                "output_tokens": self.output_tokens, "tokens_estimated": self.tokens_estimated,
                "cost": self.cost.as_json()}
        if self.title:
            data = {"session_id": self.key, "title": self.title, **{k: v for k, v in data.items() if k != "key"}}
        return data


@dataclass(frozen=True)
class Stats:
    """Turns, tokens and cost over a period, grouped by day, model or agent, with the busiest and longest
    sessions."""

    since: str | None  # an ISO stamp; None: everything
    until: str
    by: str
    rows: list[Row]
    total: Row
    busiest: list[Row]  # most turns
    longest: list[Row]  # most tokens

    def as_json(self) -> dict:
        return {"since": self.since, "until": self.until, "by": self.by, "rows": [r.as_json() for r in self.rows],
                "total": self.total.as_json(), "busiest": [r.as_json() for r in self.busiest],
                "longest": [r.as_json() for r in self.longest]}


def _rows(groups: list[UsageGroup], key: Callable[[UsageGroup], str], costs: dict) -> dict[str, Row]:
    sums: dict[str, list] = {}
    for group in groups:
        entry = sums.setdefault(key(group), [0, 0, 0, False])
        entry[0] += group.turns
        entry[1] += group.input_tokens
        entry[2] += group.output_tokens
        entry[3] = entry[3] or group.estimated
    return {name: Row(name, turns, input_tokens, output_tokens, estimated, costs.get(name, Cost()))
            for name, (turns, input_tokens, output_tokens, estimated) in sums.items()}


def _days(first: str, last: str) -> list[str]:
    day, end = datetime.fromisoformat(first), datetime.fromisoformat(last)
    days = []
    while day <= end:
        days.append(day.date().isoformat())
        day += timedelta(days=1)
    return days


def usage_stats(store, config: Config, *, since: timedelta | None = None, by: str = "day", top: int = TOP,
                environ=None) -> Stats:
    """The statistics of settled agent turns created in the last `since` (None: all of them).
    A handful of statements: the groups by day, agent, model and prices (and a re-split of any
    whose prices change inside), the totals per session, the top sessions' groups, their titles."""
    if by not in BY:
        raise ValueError(f"by must be one of {', '.join(BY)}")
    now = store.clock.now()
    start = format_ts(now - since) if since is not None else None
    pricer = Pricer(config, environ)
    groups = pricer.groups(store, by=("day",), since=start)
    key: Callable[[UsageGroup], str] = {"day": lambda g: g.day, "model": lambda g: g.model or "(none)",
                                        "agent": lambda g: g.agent or "(none)"}[by]
    rows = _rows(groups, key, pricer.costs(groups, key))
    if by == "day":
        first = start[:10] if start else min(rows, default=format_ts(now)[:10])
        listed = [rows.get(day, Row(day)) for day in _days(first, format_ts(now)[:10])]
    else:
        listed = sorted(rows.values(), key=lambda r: (-r.turns, -r.tokens, r.key))
    sessions = [Row(t.session_id, t.turns, t.input_tokens, t.output_tokens, t.estimated)
                for t in session_totals(store, since=start)]
    busiest = sorted(sessions, key=lambda r: (-r.turns, -r.tokens, r.key))[:top]
    longest = sorted(sessions, key=lambda r: (-r.tokens, -r.turns, r.key))[:top]
    chosen = sorted({r.key for r in busiest + longest})
    session_cost = pricer.costs(pricer.groups(store, by=("session",), session_ids=chosen, since=start),
                                lambda g: g.session_id) if chosen else {}
    titles = session_titles(store, chosen)

    def named(row: Row) -> Row:
        return replace(row, cost=session_cost.get(row.key, Cost()), title=titles.get(row.key) or "(deleted)")

    everything = Row("total", sum(r.turns for r in rows.values()), sum(r.input_tokens for r in rows.values()),
                     sum(r.output_tokens for r in rows.values()), any(r.tokens_estimated for r in rows.values()),
                     total(r.cost for r in rows.values()))
    return Stats(start, format_ts(now), by, listed, everything, [named(r) for r in busiest],
                 [named(r) for r in longest])
