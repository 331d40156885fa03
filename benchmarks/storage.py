"""Storage benchmark: the queries the app runs most, on big databases.

    python benchmarks/storage.py [--quick]

Targets (issue 3, this 2-core machine): first page of 100,000 sessions < 50 ms; newest
100 turns of a 100,000-turn session < 20 ms; FTS over 1,000,000 turns < 100 ms;
persisting a 20,000-delta stream adds < 1 s; and the size of 1,000 turns on disk.
Also what one durable commit costs: the user's prompt and the settled turn (both fsynced,
synchronous=FULL) beside one streaming batch (synchronous=NORMAL, no fsync).
Writes the `## Storage` section of benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from results import machine_line, write_section  # noqa: E402

from chinwag.app.demo import WORDS, build_synthetic_session  # noqa: E402
from chinwag.storage import Store  # noqa: E402
from chinwag.storage.stream_writer import StreamWriter  # noqa: E402


def median_ms(fn, runs: int = 7) -> float:
    fn()  # warm the page cache once
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def bulk_sessions(store: Store, n: int) -> None:
    now = store.clock.stamp()
    rows = [(f"01BENCH{i:019d}", f"session {i} about {WORDS[i % len(WORDS)]}", now, now,
             f"2026-{1 + i % 12:02d}-{1 + i % 28:02d}T{i % 24:02d}:00:00.000Z") for i in range(n)]
    with store.db.transaction() as conn:
        conn.executemany("INSERT INTO sessions (id, title, created_at, updated_at, last_activity_at, state) "
                         "VALUES (?, ?, ?, ?, ?, 'ready')", rows)


VOCABULARY = None


def vocabulary(rng: random.Random) -> list[str]:
    global VOCABULARY
    if VOCABULARY is None:
        letters = "abcdefghijklmnopqrstuvwxyz"
        words = {"".join(rng.choice(letters) for _ in range(rng.randint(3, 9))) for _ in range(5000)}
        VOCABULARY = sorted(words) + ["def", "return", "self", "None", "async", "await", "import", "class"]
    return VOCABULARY


def bulk_turns(store: Store, sessions: int, turns_per: int, rng: random.Random) -> None:
    words = vocabulary(rng)
    weights = [1 / (i + 1) for i in range(len(words))]  # Zipf-like: some words common, most rare
    now = store.clock.stamp()
    for s in range(sessions):
        session = store.create_session(title=f"fts {s}")
        batch = []
        parent = None
        for seq in range(1, turns_per + 1):
            text = " ".join(rng.choices(words, weights, k=40))
            turn_id = f"{session.id}{seq:08d}"
            batch.append((turn_id, session.id, seq, "user" if seq % 2 else "agent", text, now, parent))
            parent = turn_id
        with store.db.transaction() as conn:
            conn.executemany("INSERT INTO turns (id, session_id, seq, role, text, created_at, parent_id) "
                             "VALUES (?, ?, ?, ?, ?, ?, ?)", batch)
            conn.execute("UPDATE sessions SET head = ? WHERE id = ?", (parent, session.id))


def stream_cost(store: Store, deltas: int) -> tuple[float, int]:
    session = store.create_session()
    chunks = [f"w{i % 10} " for i in range(deltas)]
    start = time.perf_counter()
    for _chunk in chunks:
        pass
    bare = time.perf_counter() - start
    _, reply = store.begin_exchange(session.id, "stream", agent="echo", model="")
    start = time.perf_counter()
    writer = StreamWriter(store, reply.id)
    for chunk in chunks:
        writer.add(text=chunk)
    writer.flush()
    store.finish_turn(reply.id, "complete", output_tokens=deltas)
    return time.perf_counter() - start - bare, writer.writes


def commit_costs(store: Store, runs: int = 41) -> tuple[float, float, float]:
    """Median µs of committing a prompt (begin_exchange), one streaming batch, and settling."""
    session = store.create_session()
    begins, batches, settles = [], [], []
    for i in range(runs):
        start = time.perf_counter()
        _, reply = store.begin_exchange(session.id, f"prompt {i}", agent="echo", model="")
        begins.append(time.perf_counter() - start)
        start = time.perf_counter()
        store.append_stream(reply.id, "a batch of streamed text " * 20)
        batches.append(time.perf_counter() - start)
        start = time.perf_counter()
        store.finish_turn(reply.id, "complete", output_tokens=100)
        settles.append(time.perf_counter() - start)
    return tuple(statistics.median(s) * 1_000_000 for s in (begins, batches, settles))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="10x smaller, for a smoke test")
    args = parser.parse_args()
    scale = 10 if args.quick else 1
    rng = random.Random(42)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        n_sessions = 100_000 // scale
        with Store(tmp / "sessions.db") as store:
            t = time.perf_counter()
            bulk_sessions(store, n_sessions)
            build = time.perf_counter() - t
            ms = median_ms(lambda: store.list_sessions(limit=100))
            results.append((f"list first page of {n_sessions:,} sessions", ms, 50, "ms", f"built in {build:.1f} s"))

        n_turns = 100_000 // scale
        with Store(tmp / "turns.db") as store:
            t = time.perf_counter()
            sid = build_synthetic_session(store, n_turns)
            build = time.perf_counter() - t
            ms = median_ms(lambda: store.list_turns(sid, limit=100))
            results.append((f"newest 100 turns of a {n_turns:,}-turn session", ms, 20, "ms", f"built in {build:.1f} s"))
            store.db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            size = (tmp / "turns.db").stat().st_size
            per_thousand = size / n_turns * 1000
            results.append(("database size per 1,000 turns (Markdown ~350 chars, FTS)", per_thousand / 1024, None, "KiB", ""))

        total = 1_000_000 // scale
        with Store(tmp / "fts.db") as store:
            t = time.perf_counter()
            bulk_turns(store, 100, total // 100, rng)
            build = time.perf_counter() - t
            words = vocabulary(rng)
            for label, query in (("rare word", words[4000]), ("common word", words[0]),
                                 ("two words", f"{words[3] } {words[50]}"), ("prefix (sidebar filter)", words[10][:3])):
                prefix = label.startswith("prefix")
                ms = median_ms(lambda q=query, p=prefix: store.search(q, limit=50, prefix=p))
                results.append((f"FTS over {total:,} turns: {label}", ms, 100, "ms", f"built in {build:.0f} s"))

        with Store(tmp / "stream.db") as store:
            added, writes = stream_cost(store, 20_000)
            results.append(("persisting a 20,000-delta stream (added time)", added * 1000, 1000, "ms", f"{writes} writes"))
            begin, batch, settle = commit_costs(store)
            results.append(("commit a user's prompt (begin_exchange, fsynced)", begin, None, "µs", ""))
            results.append(("one streaming batch (append_stream, not fsynced)", batch, None, "µs", ""))
            results.append(("settle a turn (finish_turn, fsynced)", settle, None, "µs", ""))

    lines = [machine_line(), "", "| measurement | figure | target | |", "|---|---:|---:|---|"]
    for name, value, target, unit, note in results:
        verdict = "" if target is None else ("✓" if value < target else "✗ MISSED")
        target_text = "" if target is None else f"< {target} {unit}"
        print(f"{name:<60} {value:10.1f} {unit:<4} {target_text:<10} {verdict} {note}")
        lines.append(f"| {name} | {value:,.1f} {unit} | {target_text} | {verdict} {note} |")
    if args.quick:
        lines.append("\n(quick run: sizes 10x smaller than the targets name)")
    write_section("Storage", "\n".join(lines))


if __name__ == "__main__":
    main()
