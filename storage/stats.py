"""Usage aggregates in SQL, for what turns cost and for `chinwag stats`.

Settled agent turns are summed (turns, input, output and cached tokens) per UTC day, session,
agent, model, estimated-or-not and the price record the turn settled with (its metadata's
`price`), so a caller prices a handful of groups, never every turn. A group whose price
changes inside it (a tier above some input size, a price that starts on a date or holds at
some hours) is asked for again split into `periods` and input `tiers`, in SQL too.

The queries read the turns table as it is (no migration). Over a million turns a covering
index makes them several times faster: `STATS_INDEX` is that index, in the order the query
groups by (a future migration can add it; benchmarks/stats.py measures with and without).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from chinwag.storage.base import StoreBase

DAY = "substr(created_at, 1, 10)"
PRICE = "CASE WHEN json_valid(metadata) THEN json_extract(metadata, '$.price') END"
CACHED = "CASE WHEN json_valid(metadata) THEN json_extract(metadata, '$.cached_tokens') END"
_GROUP = f"agent, model, tokens_estimated, {DAY}, session_id, {PRICE}"
STATS_INDEX = (f"CREATE INDEX IF NOT EXISTS turns_usage ON turns(role, {_GROUP}, created_at, status, "
               f"input_tokens, output_tokens, {CACHED})")
CHUNK = 500  # session ids per statement


@dataclass(frozen=True)
class UsageGroup:
    """Settled agent turns that share a day, session, agent, model, estimation and price record
    (and, when asked, a price period and input tier)."""

    day: str
    session_id: str
    agent: str
    model: str
    estimated: bool
    price: str | None  # the JSON text of the turns' `price` record; None: they settled without one
    turns: int
    input_tokens: int
    output_tokens: int
    cached_tokens: int
    min_input: int
    max_input: int
    first_at: str
    last_at: str
    period: int = 0  # the index of the period the turns fall in (see `usage_groups`)
    tier: int = 0  # how many of the input edges the turns' input tokens are above


@dataclass(frozen=True)
class Only:
    """One agent, model and price record: the turns a refined query is about."""

    agent: str
    model: str
    price: str | None


# ("always",) | ("from", "YYYY-MM-DD"): on and after that UTC date | ("hours", "HH:MM:SS", "HH:MM:SS"):
# from the first UTC time of day to before the second (through midnight when the second is smaller)
Period = tuple[str, ...]


def _condition(period: Period) -> tuple[str, tuple[str, ...]]:
    kind, *values = period
    if kind == "always":
        return "1", ()
    if kind == "from":
        return "created_at >= ?", (values[0],)
    if kind == "hours":
        start, end = values
        joined = "OR" if end < start else "AND"
        return f"(substr(created_at, 12, 8) >= ? {joined} substr(created_at, 12, 8) < ?)", (start, end)
    raise ValueError(f"unknown period {period!r}")


def _buckets(periods: Sequence[Period], input_edges: Sequence[int]) -> tuple[str, str, list]:
    """SQL for the period (the last one whose condition holds, else the first: as a price table
    picks among conditional prices) and the tier (how many edges the input is above)."""
    params: list = []
    if len(periods) > 1:
        whens = []
        for index in range(len(periods) - 1, 0, -1):
            sql, values = _condition(periods[index])
            whens.append(f"WHEN {sql} THEN {index}")
            params += values
        period = f"CASE {' '.join(whens)} ELSE 0 END"
    else:
        period = "0"
    tier = " + ".join(f"(input_tokens > {int(edge)})" for edge in sorted(input_edges)) or "0"
    return period, tier, params


def usage_groups(store: StoreBase, *, session_ids: Sequence[str] | None = None, since: str | None = None,
                 only: Only | None = None, periods: Sequence[Period] = (),
                 input_edges: Sequence[int] = ()) -> list[UsageGroup]:
    """The settled agent turns of `session_ids` (else of every session not deleted for good),
    created at or after `since` (an ISO stamp), summed per group; with `only`, the turns of one
    agent, model and price record, split further by `periods` and `input_edges`."""
    period, tier, bucket_params = _buckets(periods, input_edges)
    clauses = ["role = 'agent'", "status != 'streaming'"]
    params: list = []
    if since is not None:
        clauses.append("created_at >= ?")
        params.append(since)
    if only is not None:
        clauses += ["agent = ?", "model = ?", f"{PRICE} IS ?"]
        params += [only.agent, only.model, only.price]
    sql = f"""SELECT {DAY} AS day, session_id, agent, model, tokens_estimated AS estimated, {PRICE} AS price,
                     COUNT(*) AS turns, SUM(input_tokens) AS input_tokens, SUM(output_tokens) AS output_tokens,
                     COALESCE(SUM({CACHED}), 0) AS cached_tokens, MIN(input_tokens) AS min_input,
                     MAX(input_tokens) AS max_input, MIN(created_at) AS first_at, MAX(created_at) AS last_at,
                     {period} AS period, {tier} AS tier
              FROM turns WHERE {{where}}
              GROUP BY {_GROUP}, period, tier"""
    if session_ids is None:
        chunks: list[Sequence[str] | None] = [None]
    else:
        ids = list(dict.fromkeys(session_ids))
        chunks = [ids[start:start + CHUNK] for start in range(0, len(ids), CHUNK)]
    groups: list[UsageGroup] = []
    for chunk in chunks:
        where = list(clauses)
        values = list(params)
        if chunk is not None:
            where.insert(0, f"session_id IN ({', '.join('?' for _ in chunk)})")
            values = [*chunk, *values]
        rows = store.db.query(sql.format(where=" AND ".join(where)), (*bucket_params, *values))
        groups += [UsageGroup(**{**row, "estimated": bool(row["estimated"])}) for row in rows]
    return groups


def session_titles(store: StoreBase, session_ids: Sequence[str]) -> dict[str, str]:
    """The titles of these sessions (a session deleted for good is left out)."""
    titles: dict[str, str] = {}
    ids = list(dict.fromkeys(session_ids))
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        rows = store.db.query(f"SELECT id, title FROM sessions WHERE id IN ({', '.join('?' for _ in chunk)})",
                              tuple(chunk))
        titles.update({row["id"]: row["title"] for row in rows})
    return titles
