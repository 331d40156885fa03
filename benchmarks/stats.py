"""Stats benchmark: `chinwag stats` numbers over 1,000,000 turns, and a 10,000-turn session's cost.

    python benchmarks/stats.py [--turns N] [--keep PATH] [--section NAME]

Builds a database of N turns (default 1,000,000: half prompts, half replies) in 2,000
sessions over 90 days, fast (executemany in one transaction, the FTS trigger held off while
loading), at schema 4, and times its migration to schema 5 (the usage columns filled from
every turn's metadata) as Chinwag does it on opening: agents priced by the table (Anthropic, OpenAI, OpenRouter by URL, some turns past
Sonnet's 200k-token tier), a local server (no price) and echo, replies with ~200 characters
of text, reported and estimated counts, cache reads. Then times `app/core/stats.usage_stats`
(every figure of `chinwag stats`: SQL aggregates, prices, busiest and longest sessions) for
the last 30 days and for everything, by day, without and with the indexes `chinwag stats`
builds on first use (`storage/stats.ensure_stats_indexes`: the usage and the sessions index,
covering on any SQLite since schema 5); and `pricing.session_cost` of a 10,000-turn
session (what the TUI's status bar will call). Target (issue 16): stats over 1,000,000 turns
< 1 s. Writes the `## Stats` section of RESULTS.md (or `--section NAME`). To measure another
SQLite, put a `pysqlite3` module on PYTHONPATH: it is then used instead of the standard one.
"""

from __future__ import annotations

import argparse
import heapq
import json
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
try:  # another SQLite than the interpreter's, when one is on PYTHONPATH (see the docstring)
    import pysqlite3.dbapi2 as _other_sqlite  # type: ignore[import-not-found]

    sys.modules["sqlite3"] = _other_sqlite
except ImportError:
    pass
import sqlite3  # noqa: E402  (after the swap: the SQLite measured)

from results import machine_line, write_section  # noqa: E402

from chinwag.app.config.loader import Config  # noqa: E402
from chinwag.app.core import pricing  # noqa: E402
from chinwag.app.core.stats import usage_stats  # noqa: E402
from chinwag.storage import Store  # noqa: E402
from chinwag.storage.clock import FixedClock, format_ts  # noqa: E402
from chinwag.storage.schema import MIGRATIONS  # noqa: E402
from chinwag.storage.stats import STATS_INDEXES, ensure_stats_indexes  # noqa: E402

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
DAYS = 90
SESSIONS = 2000
CONFIG = Config(agents={"claude": {"kind": "anthropic"}, "gpt": {"kind": "openai"},
                        "router": {"kind": "openai", "base_url": "https://openrouter.ai/api/v1"},
                        "local": {"kind": "openai", "base_url": "http://127.0.0.1:8080/v1"}})
AGENTS = [("claude", "claude-sonnet-4-5"), ("claude", "claude-haiku-4-5"), ("gpt", "gpt-4.1-mini"),
          ("router", "openai/gpt-4o"), ("local", "qwen2.5-coder"), ("echo", "echo-1")]
TEXT = "lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt " * 2
COLUMNS = ("id, session_id, seq, role, text, status, agent, model, input_tokens, output_tokens, tokens_estimated, "
           "created_at, started_at, finished_at, metadata")


BEFORE_COLUMNS = 4  # the schema the database is written in, so its migration is timed
OLD_INDEXES = ("turns_by_time",)  # what an earlier `chinwag stats` built beside STATS_INDEXES


def build(path: Path, turns: int, big_session: int = 10_000) -> tuple[str, float]:
    """The benchmark database, written at schema 4 and then migrated by opening it; returns
    the id of its `big_session`-turn session and the seconds the migration took."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("BEGIN")
    for statements in MIGRATIONS[:BEFORE_COLUMNS]:
        for statement in statements:
            conn.execute(statement)
    conn.execute(f"PRAGMA user_version = {BEFORE_COLUMNS}")
    conn.execute("COMMIT")
    records = {agent: json.dumps(pricing.turn_record(agent, CONFIG)) for agent, _ in AGENTS}
    start = NOW - timedelta(days=DAYS)
    sessions = [(f"01BENCH{i:019d}", f"session {i}", *AGENTS[i % len(AGENTS)]) for i in range(SESSIONS)]
    stamp = format_ts(NOW)
    insert = f"INSERT INTO turns ({COLUMNS}) VALUES ({', '.join('?' for _ in COLUMNS.split(', '))})"
    conn.execute("BEGIN")
    conn.executemany("INSERT INTO sessions (id, title, agent, model, created_at, updated_at, last_activity_at,"
                     " state) VALUES (?, ?, ?, ?, ?, ?, ?, 'ready')",
                     [(sid, title, agent, model, stamp, stamp, stamp) for sid, title, agent, model in sessions])
    conn.execute("DROP TRIGGER turns_fts_insert")  # loading only: put back below
    rest = turns - big_session
    counts = [big_session] + [rest // (SESSIONS - 1)] * (SESSIONS - 1)
    counts[-1] += turns - sum(counts)
    streams = [_session_turns(random.Random(n), sid, agent, model, count, records[agent], start)
               for n, ((sid, _title, agent, model), count) in enumerate(zip(sessions, counts, strict=True))]
    rows: list[tuple] = []
    for row in heapq.merge(*streams, key=lambda row: row[11]):  # in time order, as a real database grows
        rows.append(row)
        if len(rows) >= 50_000:
            conn.executemany(insert, rows)
            rows.clear()
    conn.executemany(insert, rows)
    conn.execute("INSERT INTO turns_fts (turns_fts) VALUES ('rebuild')")
    conn.execute("""CREATE TRIGGER turns_fts_insert AFTER INSERT ON turns WHEN NEW.status != 'streaming'
                    BEGIN INSERT INTO turns_fts(rowid, text) VALUES (NEW.pk, NEW.text); END""")
    conn.execute("UPDATE sessions SET turn_count = (SELECT COUNT(*) FROM turns WHERE session_id = sessions.id)")
    conn.execute("COMMIT")
    conn.close()
    begin = time.perf_counter()
    Store(path, recover=False).close()  # migrates to the current schema (its WAL checkpointed on close)
    return sessions[0][0], time.perf_counter() - begin


def _session_turns(rng: random.Random, sid: str, agent: str, model: str, count: int, record: str, start: datetime):
    """One session's turns, oldest first: prompts and replies, sizes and usage as described above."""
    price = json.loads(record).get("price")
    moment = start + timedelta(seconds=rng.randrange(0, DAYS * 86400 // 2))
    step = max(1, (NOW - moment).total_seconds() / max(count, 1) * 2)
    for seq in range(1, count + 1):
        moment = min(moment + timedelta(seconds=rng.uniform(0, step)), NOW)
        when = format_ts(moment)
        if seq % 2:
            yield (f"T{sid[7:]}{seq:07d}", sid, seq, "user", TEXT[:80], "complete", agent, model, 0, 0, 0, when, when,
                   when, "{}")
            continue
        estimated = agent in ("echo", "local") or rng.random() < 0.02
        size = rng.randrange(500, 60_000) if rng.random() > 0.01 else rng.randrange(200_001, 400_000)
        metadata: dict = {"usage": "estimated" if estimated else "reported"}
        if not estimated and rng.random() < 0.6:
            metadata["cached_tokens"] = size * 3 // 4
        if price is not None:
            metadata["price"] = price
        yield (f"T{sid[7:]}{seq:07d}", sid, seq, "agent", TEXT, "complete", agent, model, size,
               rng.randrange(20, 3000), int(estimated), when, when, when, json.dumps(metadata, separators=(",", ":")))


class At(Store):
    """The benchmark database seen at its own `NOW`, so `--since 30d` covers the same turns every run."""

    def __init__(self, path):
        super().__init__(path, clock=FixedClock(NOW), recover=False)


def median_s(fn, runs: int = 5) -> float:
    fn()  # warm the page cache and the price table once
    samples = []
    for _ in range(runs):
        begin = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - begin)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--turns", type=int, default=1_000_000)
    parser.add_argument("--keep", metavar="PATH", help="build (or reuse) the database at PATH")
    parser.add_argument("--section", default="Stats", help="the RESULTS.md section to write")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        os.environ["CHINWAG_HOME"] = home  # never the real home
        path = Path(args.keep) if args.keep else Path(home) / "stats.db"
        begin = time.perf_counter()
        if not path.exists():
            big, migration = build(path, args.turns)
            built = f"built in {time.perf_counter() - begin:.0f} s"
        else:
            big, migration, built = "01BENCH" + "0" * 19, None, "reused"
        store = At(path)
        figures: dict = {}
        try:
            for name in (*STATS_INDEXES, *OLD_INDEXES):
                store.db.conn.execute(f"DROP INDEX IF EXISTS {name}")
            for label in ("no indexes", "indexes"):
                if label == "indexes":
                    begin = time.perf_counter()
                    figures["built"] = ensure_stats_indexes(store)
                    figures["index build"] = time.perf_counter() - begin
                for since, name in ((timedelta(days=30), "30d"), (None, "all")):
                    figures[(label, name)] = median_s(lambda s=since: usage_stats(store, CONFIG, since=s, by="day"))
                figures[(label, "session")] = median_s(lambda: pricing.session_cost(store, big, CONFIG), runs=9)
            result = usage_stats(store, CONFIG, since=None)
            size_mb = path.stat().st_size / 1e6
        finally:
            if not args.keep:
                for name in STATS_INDEXES:
                    store.db.conn.execute(f"DROP INDEX IF EXISTS {name}")
            store.close()
    print(figures)
    lines = [machine_line(), "",
             f"A database of {args.turns:,} turns ({result.total.turns:,} replies) in {SESSIONS:,} sessions over "
             f"{DAYS} days, {size_mb:,.0f} MB ({built}); `usage_stats` is everything `chinwag stats` prints (SQL "
             "aggregates, the groups priced with genai-prices, busiest and longest sessions), median of 5 after "
             "one warm run. Re-run with `python benchmarks/stats.py`.", "",
             "| | stats, last 30 days | stats, all 90 days | cost of the 10,000-turn session |", "|---|---:|---:|---:|"]
    for label in ("no indexes", "indexes"):
        lines.append(f"| {label} | {figures[(label, '30d')]:.2f} s | {figures[(label, 'all')]:.2f} s | "
                     f"{figures[(label, 'session')] * 1000:.0f} ms |")
    moved = (f"The migration to schema 5 (the price record and cached tokens of every turn copied from its "
             f"metadata into columns, in one transaction) took {migration:.1f} s on this database. "
             if migration is not None else "")
    lines += ["", f"Total priced: {result.total.cost.text()}. {moved}The indexes `chinwag stats` builds on first "
              f"use: {', '.join(figures['built']) or 'none'} ({figures['index build']:.1f} s); they stay out of the "
              "migration (see storage/stats.py)."]
    if sqlite3.__name__ != "sqlite3":  # another SQLite than the interpreter's (see the docstring)
        lines += ["", f"Measured with SQLite {sqlite3.sqlite_version} from `{sqlite3.__name__}` (pysqlite3-binary in a "
                  "scratch folder put on PYTHONPATH for this one run), not the interpreter's own."]
    write_section(args.section, "\n".join(lines))


if __name__ == "__main__":
    main()
