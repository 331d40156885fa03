"""Usage aggregates in SQL, for what turns cost and for `chinwag stats`.

Settled agent turns are summed (turns, input, output and cached tokens) per agent, model,
estimated-or-not and the price record the turn settled with (its metadata's `price`), and
per UTC day or per session when asked, so a caller prices a few hundred groups, never every
turn. A group whose price changes inside it (a tier above some input size, a price that
starts on a date or holds at some hours) is asked for again split into `periods` and input
tiers, in SQL too. `session_totals` sums turns and tokens per session (busiest, longest).

Over a million turns a plain scan of the turns table is too slow, so covering indexes, each
in the order a query groups by, let SQLite sum as it reads: `USAGE_INDEX` and `SESSIONS_INDEX`.
Both are of plain columns (the price record and the cached tokens are columns of their own
since schema 5, kept equal to the metadata by triggers), so they cover on any SQLite. They
are not part of the migration: `ensure_stats_indexes` builds them the first time statistics
are asked for (seconds over a million turns, which neither a start-up nor a database that is
never asked for statistics should pay). benchmarks/stats.py measures with and without.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from chinwag.storage.base import StoreBase

DAY = "substr(created_at, 1, 10)"
PRICE, CACHED = "price", "cached_tokens"  # columns: what the turn's metadata says (storage/schema.py, 5)
_KEY = f"agent, model, tokens_estimated, {PRICE}"
USAGE_INDEX_NAME, SESSIONS_INDEX_NAME = "turns_usage", "turns_by_session"
USAGE_INDEX = (f"CREATE INDEX IF NOT EXISTS {USAGE_INDEX_NAME} ON turns(role, {_KEY}, {DAY}, status, created_at, "
               f"input_tokens, output_tokens, {CACHED}, session_id)")
SESSIONS_INDEX = (f"CREATE INDEX IF NOT EXISTS {SESSIONS_INDEX_NAME} ON turns(role, session_id, status, created_at, "
                  "input_tokens, output_tokens, tokens_estimated)")
CHUNK = 500  # session ids per statement


@dataclass(frozen=True)
class UsageGroup:
    """Settled agent turns that share an agent, model, estimation and price record (and, as
    asked, a day, a session, a price period and an input tier; "" when not asked)."""

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
    refined: bool = False  # split by periods and tiers (the caller says so)


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


def _chunks(session_ids: Sequence[str] | None) -> list[list[str] | None]:
    if session_ids is None:
        return [None]
    ids = list(dict.fromkeys(session_ids))
    return [ids[start:start + CHUNK] for start in range(0, len(ids), CHUNK)]


def _where(chunk: list[str] | None, since: str | None) -> tuple[list[str], list]:
    # given sessions, `+role` keeps SQLite on the session's own index, not on a statistics one
    clauses, params = ["role = 'agent'" if chunk is None else "+role = 'agent'", "status != 'streaming'"], []
    if chunk is not None:
        clauses.insert(0, f"session_id IN ({', '.join('?' for _ in chunk)})")
        params += chunk
    if since is not None:
        clauses.append("created_at >= ?")
        params.append(since)
    return clauses, params


def usage_groups(store: StoreBase, *, by: Sequence[str] = (), session_ids: Sequence[str] | None = None,
                 since: str | None = None, only: Only | None = None, periods: Sequence[Period] = (),
                 input_edges: Sequence[int] = ()) -> list[UsageGroup]:
    """The settled agent turns of `session_ids` (else of every session), created at or after
    `since` (an ISO stamp), summed per agent, model, estimation and price record, and per
    `by` ("day", "session"); with `only`, the turns of one agent, model and price record,
    split further by `periods` and `input_edges`."""
    period, tier, bucket_params = _buckets(periods, input_edges)
    day = DAY if "day" in by else "''"
    session = "session_id" if "session" in by else "''"
    # only what is asked for, spelled as in USAGE_INDEX: a constant or other term would need a sort
    terms = [_KEY, *([DAY] if "day" in by else []), *(["session_id"] if "session" in by else []),
             *([period] if len(periods) > 1 else []), *([tier] if input_edges else [])]
    groups: list[UsageGroup] = []
    for chunk in _chunks(session_ids):
        clauses, params = _where(chunk, since)
        if only is not None:
            clauses += ["agent = ?", "model = ?", f"{PRICE} IS ?"]
            params += [only.agent, only.model, only.price]
        # grouped in USAGE_INDEX's order, so with the index SQLite sums as it reads (no sort)
        rows = store.db.query(
            f"""SELECT {day} AS day, {session} AS of_session, agent, model, tokens_estimated AS estimated,
                       {PRICE} AS price, COUNT(*) AS turns, SUM(input_tokens) AS input_tokens,
                       SUM(output_tokens) AS output_tokens, COALESCE(SUM({CACHED}), 0) AS cached_tokens,
                       MIN(created_at) AS first_at, MAX(created_at) AS last_at,  -- before the input's MIN/MAX:
                       MIN(input_tokens) AS min_input, MAX(input_tokens) AS max_input,  -- 3x faster (SQLite 3.51)
                       {period} AS period, {tier} AS tier
                FROM turns WHERE {" AND ".join(clauses)}
                GROUP BY {", ".join(terms)}""",
            (*bucket_params, *params, *(bucket_params if len(periods) > 1 else [])))
        for row in rows:
            row["session_id"] = row.pop("of_session")  # not named session_id: GROUP BY would take the column
            groups.append(UsageGroup(**{**row, "estimated": bool(row["estimated"])}))
    return groups


@dataclass(frozen=True)
class SessionTotal:
    """A session's turns and tokens, summed."""

    session_id: str
    turns: int
    input_tokens: int
    output_tokens: int
    estimated: bool  # some of its counts are estimates


def session_totals(store: StoreBase, *, since: str | None = None) -> list[SessionTotal]:
    """Settled agent turns and their tokens per session, created at or after `since`."""
    clauses, params = _where(None, since)
    rows = store.db.query(
        f"""SELECT session_id, COUNT(*) AS turns, SUM(input_tokens) AS input_tokens,
                   SUM(output_tokens) AS output_tokens, MAX(tokens_estimated) AS estimated
            FROM turns WHERE {" AND ".join(clauses)} GROUP BY session_id""", tuple(params))
    return [SessionTotal(**{**row, "estimated": bool(row["estimated"])}) for row in rows]


STATS_INDEXES = {USAGE_INDEX_NAME: USAGE_INDEX, SESSIONS_INDEX_NAME: SESSIONS_INDEX}


def missing_stats_indexes(store: StoreBase) -> list[str]:
    """The statistics indexes `ensure_stats_indexes` would build now (none in a read-only database)."""
    if store.db.readonly:
        return []
    present = {row["name"] for row in store.db.query("SELECT name FROM sqlite_master WHERE type = 'index'")}
    return [name for name in STATS_INDEXES if name not in present]


def ensure_stats_indexes(store: StoreBase) -> list[str]:
    """Build the indexes statistics read if the database lacks them and can be written;
    returns the names of those built now."""
    built = missing_stats_indexes(store)
    for name in built:
        with store.db.transaction() as conn:
            conn.execute(STATS_INDEXES[name])
    return built


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
