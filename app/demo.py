"""Demo and synthetic data: a small, realistic set of sessions for screenshots and
snapshot tests (fixed clock, fixed ids), and large synthetic conversations for benchmarks.
"""

from __future__ import annotations

import os
import random
from datetime import UTC, datetime, timedelta

from chinwag.app.core.compaction import plan
from chinwag.storage import Store
from chinwag.storage.clock import FixedClock, SequentialIds

DEMO_NOW = datetime(2026, 11, 25, 9, 30, 0, tzinfo=UTC)

PARSER_REPLY = """The run target is parsed in `cli/target.py`, in `parse_target()`. It accepts three shapes:

1. a **local path** (`./repo`, `/abs/path`)
2. a **GitHub reference** like `github:owner/repo#42`
3. a bare **issue number**, resolved against the current repo

```python
def parse_target(text: str) -> Target:
    if text.startswith("github:"):
        owner, _, rest = text[7:].partition("/")
        repo, _, issue = rest.partition("#")
        return GitHubTarget(owner, repo, int(issue) if issue else None)
    return PathTarget(Path(text).expanduser())
```

The writer side lives in `cli/writer.py`; want me to trace that too?"""

WRITER_REPLY = """The writer side mirrors it: `write_target()` serializes a `Target` back to text.
Two things stand out:

- `GitHubTarget` drops the issue number when it is `0` — a bug if issue `#0` is valid.
- paths are written **absolute**, so a session moved between machines breaks.

I would normalize both in one place, `Target.__str__`."""


def build_demo(path, *, now: datetime = DEMO_NOW) -> Store:
    """Create the demo database at `path` (fresh) and return an open store on it."""
    clock = FixedClock(now - timedelta(days=9))
    store = Store(path, clock=clock, new_id=SequentialIds("01JDEM"))

    def at(delta: timedelta) -> None:
        clock._now = now - delta

    # An older, archived campaign.
    at(timedelta(days=9))
    blog = store.create_session(title="Q1 blog series", kind="campaign", workspace="~/marketing", agent="echo")
    _exchange(store, blog.id, "Outline four posts about local-first software.", "1. Why local-first\n2. Sync without servers\n3. CRDTs in practice\n4. Shipping it", 812, 96)
    store.archive_session(blog.id)

    at(timedelta(days=3))
    lead = store.create_session(title="Acme Corp engagement", kind="lead", workspace="~/clients/acme", agent="echo")
    _exchange(store, lead.id, "Draft a short follow-up email after yesterday's call.", "Hi Dana,\n\nThanks for the call yesterday — here is the summary we promised…", 640, 180)

    at(timedelta(days=1, hours=2))
    scratch = store.create_session(title="Scratch pad", kind="general", workspace="~", agent="echo")
    _exchange(store, scratch.id, "What's the difference between WAL and rollback journal?", "WAL appends changes to a separate log and lets readers continue while one writer commits…", 233, 410)
    user, reply = store.begin_exchange(scratch.id, "Now compare it with LMDB", agent="echo", model="echo-1", owner_pid=1)
    store.append_stream(reply.id, "LMDB is a memory-mapped B+tree with a single writer and")
    store.finish_turn(reply.id, "error", input_tokens=0, output_tokens=0, estimated=True,
                      error="connection refused: http://127.0.0.1:11434/v1/chat/completions")

    at(timedelta(hours=3))
    flaky = store.create_session(title="Flaky CI investigation", kind="project", workspace="~/src/chinwag", agent="echo")
    _exchange(store, flaky.id, "Why does test_stream_pinned fail one run in twenty?", "It races the 20 fps flush timer: the assertion reads the transcript before the last batch lands.", 1904, 122)
    user, reply = store.begin_exchange(flaky.id, "Walk me through every timer in the app and how each one can race the others.", agent="echo", model="echo-1", owner_pid=1)
    store.append_stream(reply.id, "There are three timers: the runner's flush (100 ms), the render batch (50 ms) and")
    store.finish_turn(reply.id, "stopped", input_tokens=2120, output_tokens=31, estimated=False)

    # The main conversation: open in the screenshots.
    at(timedelta(minutes=42))
    main = store.create_session(title="Where is the run target parsed?", kind="project", workspace="~/src/rupu", agent="claude-code", model="sonnet-4.5")
    store.update_session(main.id, mode="ask")
    _exchange(store, main.id, "Earlier we looked at the config loader.", "Yes — `load_config()` merges global, department and session layers.", 1210, 64)
    _exchange(store, main.id, "And the cascade order?", "Global → department → session; later layers win key by key.", 1311, 40)
    head, tail = plan(store, main.id, 0)
    summary = store.add_turn(main.id, "summary", "Summary of 4 earlier messages:\n- user asked about the config loader\n- agent: `load_config()` merges global → department → session layers, later wins", agent="claude-code", metadata={"summarized": 4, "tokens_before": 2625, "tokens_after": 180})
    store.mark_compacted([t.id for t in head])
    store.append_event(main.id, "compaction", {"summarized": 4, "kept": 0, "tokens_before": 2625, "tokens_after": 180}, turn_id=summary.id)
    at(timedelta(minutes=40))
    user, reply = store.begin_exchange(main.id, "where is the run target parsed?", agent="claude-code", model="sonnet-4.5", owner_pid=1)
    store.start_tool_call(reply.id, "t1", "search", 'pattern="parse_target" path=src/')
    store.start_tool_call(reply.id, "t2", "read_file", "src/cli/target.py lines 1-80", parent_id="t1")
    store.update_tool_call(reply.id, "t2", output="def parse_target(text: str) -> Target:\n    ...", status="completed")
    store.start_tool_call(reply.id, "t3", "read_file", "src/cli/legacy_target.py", parent_id="t1")
    store.update_tool_call(reply.id, "t3", output="No such file or directory", status="failed")
    store.update_tool_call(reply.id, "t1", output="2 matches in 1 file", status="completed")
    store.append_stream(reply.id, PARSER_REPLY, "The user wants the parsing location; search first, then read the file.")
    at(timedelta(minutes=39, seconds=52))
    store.finish_turn(reply.id, "complete", input_tokens=2311, output_tokens=246)
    at(timedelta(minutes=12))
    user, reply = store.begin_exchange(main.id, "now also check the writer side", agent="claude-code", model="sonnet-4.5", owner_pid=1)
    store.start_tool_call(reply.id, "w1", "read_file", "src/cli/writer.py")
    store.update_tool_call(reply.id, "w1", output="def write_target(target: Target) -> str: ...", status="completed")
    store.append_stream(reply.id, WRITER_REPLY)
    at(timedelta(minutes=11, seconds=40))
    store.finish_turn(reply.id, "complete", input_tokens=2890, output_tokens=131)
    store.set_active_session_id(main.id)
    return store


def _exchange(store: Store, session_id: str, prompt: str, reply_text: str, tokens_in: int, tokens_out: int,
              *, estimated: bool = False) -> None:
    _, reply = store.begin_exchange(session_id, prompt, agent=store.get_session(session_id).agent,
                                    model=store.get_session(session_id).model or "echo-1", owner_pid=1)
    store.append_stream(reply.id, reply_text)
    store.finish_turn(reply.id, "complete", input_tokens=tokens_in, output_tokens=tokens_out, estimated=estimated)


# -- synthetic conversations for benchmarks -------------------------------------------------
WORDS = (
    "session turn agent model token stream context window summary compact index query cache "
    "parser writer config layer schema migration cursor buffer render widget prompt popup "
    "sidebar transcript latency throughput memory thread process signal socket payload"
).split()

CODE = '''```python
def handle_{n}(request):
    """Process request {n}."""
    data = request.json()
    return {{"id": {n}, "ok": bool(data)}}
```'''


def synthetic_text(rng: random.Random, n: int) -> str:
    words = " ".join(rng.choice(WORDS) for _ in range(40))
    parts = [f"**Step {n}.** {words[:180]}.", f"- `{rng.choice(WORDS)}` then {rng.choice(WORDS)}",
             f"- see [docs](https://example.com/{n})"]
    if n % 3 == 0:
        parts.append(CODE.format(n=n))
    return "\n\n".join(parts)


def build_synthetic_session(store: Store, turns: int, *, seed: int = 7, title: str | None = None) -> str:
    """A session with `turns` turns (alternating user/agent, realistic Markdown), bulk-inserted."""
    rng = random.Random(seed)
    session = store.create_session(title=title or f"synthetic {turns:,} turns", kind="project", agent="echo")
    now = store.clock.stamp()
    rows, calls = [], []
    parent = None
    for seq in range(1, turns + 1):
        role = "user" if seq % 2 else "agent"
        text = f"Question {seq}: how does the {rng.choice(WORDS)} interact with the {rng.choice(WORDS)}?" if role == "user" else synthetic_text(rng, seq)
        turn_id = store.new_id()
        rows.append((turn_id, session.id, seq, role, text, "complete", "echo", "echo-1", 120 + seq % 50, 300, now, now, now, parent))
        parent = turn_id
        if role == "agent" and seq % 4 == 0:
            calls.append((f"c{seq}", turn_id, session.id, None, 0, "read_file", f"src/mod_{seq}.py", "completed", "ok", now, now))
            calls.append((f"c{seq}b", turn_id, session.id, f"c{seq}", 1, "grep", f"pattern=x{seq}", "completed", "3 matches", now, now))
    with store.db.transaction() as conn:
        conn.executemany(
            """INSERT INTO turns (id, session_id, seq, role, text, status, agent, model, input_tokens, output_tokens,
               created_at, started_at, finished_at, parent_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""", rows)
        conn.executemany(
            """INSERT INTO tool_calls (id, turn_id, session_id, parent_id, seq, name, args, status, output, started_at,
               finished_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""", calls)
        conn.execute("UPDATE sessions SET turn_count = ?, input_tokens = ?, output_tokens = ?, head = ? WHERE id = ?",
                     (turns, turns * 140, turns * 150, parent, session.id))
    return session.id


AGENT_PLAN = [["Read the failing test", "completed"], ["Reproduce it with pytest", "in_progress"],
              ["Fix the race in the flush timer", "pending"]]


def build_agent_at_work(path, *, now: datetime = DEMO_NOW) -> tuple[Store, str]:
    """One coding-agent session caught mid-turn: a plan, three tool calls (done, running,
    failed) and a pending permission request. For the snapshot of the ACP look."""
    store = Store(path, clock=FixedClock(now, step_ms=700), new_id=SequentialIds("01AGNT"))
    session = store.create_session(title="Fix the flaky stream test", kind="project", workspace="~/src/chinwag",
                                   agent="claude-code", model="claude-code-acp", mode="ask")
    _, reply = store.begin_exchange(session.id, "test_stream_pinned is flaky. Find out why and fix it.",
                                    agent="claude-code", model="claude-code-acp", owner_pid=os.getpid())
    store.append_stream(reply.id, "I'll read the test first, then reproduce it.", thinking="The flush timer may race.")
    store.start_tool_call(reply.id, "c1", "Read tests/test_stream.py", "read tests/test_stream.py")
    store.update_tool_call(reply.id, "c1", output="148 lines", status="completed")
    store.start_tool_call(reply.id, "c2", "Search for flush_interval", "search flush_interval")
    store.update_tool_call(reply.id, "c2", output="rg: command not found", status="failed")
    store.start_tool_call(reply.id, "c3", "Run pytest -k stream_pinned", "execute pytest -k stream_pinned -x")
    store.update_tool_call(reply.id, "c3", output="collected 1 item")
    store.merge_turn_metadata(reply.id, {
        "plan": AGENT_PLAN,
        "permission": {"call_id": "c4", "title": "Edit app/runner.py", "kind": "edit",
                       "options": [["once", "Allow once", "allow_once"], ["always", "Allow always", "allow_always"],
                                   ["reject", "Reject", "reject_once"]]},
    })
    return store, session.id
