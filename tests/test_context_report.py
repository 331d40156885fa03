"""/context's numbers (no Textual): the parts add up to `context_tokens` of what the model is
sent (plus the system prompt), turns split by age in thirds, pastes apart, the summary
counted and compacted turns not, the biggest turns listed, and the hint is the real
compaction plan's (what `/compact --window N` would take out), with the window unknown,
nothing to compact and a running turn said plainly. The bar's cells fit its width."""

from __future__ import annotations

from chinwag.app.agents.base import estimate_tokens
from chinwag.app.core.compaction import plan
from chinwag.app.core.context import context_tokens
from chinwag.app.core.context_report import context_report, keep_window, thirds
from chinwag.storage import Store
from chinwag.widgets.context_bar import bar_text, cells


def exchange(store: Store, session_id: str, prompt: str, reply: str, **meta) -> None:
    _, agent = store.begin_exchange(session_id, prompt)
    store.finish_turn(agent.id, "complete", text=reply, input_tokens=10, output_tokens=10)
    if meta:
        user = [t for t in store.list_turns(session_id) if t.role == "user"][-1]
        store.merge_turn_metadata(user.id, meta)


def parts(report) -> dict[str, int]:
    return {part.name: part.tokens for part in report.parts}


def test_the_parts_add_up_to_what_the_model_is_sent(store):
    session = store.create_session(agent="echo")
    for n in range(9):
        exchange(store, session.id, f"question {n} " + "word " * (10 * n), f"answer {n} " + "text " * (40 * n))
    report = context_report(store, session.id, window=100_000, system_prompt="Answer briefly.")
    sent = context_tokens(store.context_turns(session.id))
    assert sent == store.context_size(session.id)  # the status bar's meter
    prompt = estimate_tokens("Answer briefly.") + 4
    assert report.total == sent + prompt and parts(report)["system prompt"] == prompt
    turns = store.context_turns(session.id)
    oldest, middle, newest = thirds(turns)
    assert (len(oldest), len(middle), len(newest)) == (6, 6, 6)
    assert parts(report)["oldest third"] == context_tokens(oldest)
    assert parts(report)["newest third"] == context_tokens(newest) > parts(report)["middle third"]
    assert parts(report)["summary"] == 0 and parts(report)["pastes"] == 0
    assert report.turns == 18 and report.window == 100_000
    assert report.share == report.total / 100_000
    # the biggest turns first: the last answers
    assert [item.seq for item in report.items] == [t.seq for t in sorted(turns, key=lambda t: -len(t.text))[:5]]
    assert report.items[0].words.startswith("answer 8 text") and report.items[0].words.endswith("…")
    assert report.items[0].tokens == estimate_tokens(turns[-1].text) + 4


def test_pastes_are_counted_apart_and_the_sum_still_holds(store):
    session = store.create_session(agent="echo")
    pasted = "log line\n" * 400
    prompt = "look at this: " + pasted
    exchange(store, session.id, prompt, "seen", pastes=[[14, 14 + len(pasted)]])
    report = context_report(store, session.id)
    assert parts(report)["pastes"] == estimate_tokens(pasted)
    assert report.total == context_tokens(store.context_turns(session.id))
    assert report.share is None  # the window is not known


def test_a_summary_counts_and_the_turns_it_replaced_do_not(store):
    session = store.create_session(agent="echo")
    for n in range(6):
        exchange(store, session.id, f"q{n} " * 50, f"a{n} " * 200)
    head, _ = plan(store, session.id, 2)
    store.add_compaction(session.id, "summary", "the gist " * 30, head)
    report = context_report(store, session.id, window=8000)
    assert parts(report)["summary"] == estimate_tokens("the gist " * 30) + 4
    assert report.total == context_tokens(store.context_turns(session.id)) == store.context_size(session.id)
    assert report.turns == 3  # the summary and the two turns kept


def test_the_hint_is_what_the_compaction_plan_would_free(store):
    session = store.create_session(agent="echo")
    for _ in range(10):
        exchange(store, session.id, "q " * 100, "a " * 1000)
    turns = store.context_turns(session.id)
    window = 2 * context_tokens(turns)  # half full: keep every turn that fits in half the window...
    assert keep_window(turns, window) == 4  # ...everything fits, so the default window
    window = context_tokens(turns)  # full: keep what fits in half
    keep = keep_window(turns, window)
    assert 0 < keep < len(turns) and context_tokens(turns[-keep:]) <= window // 2 < context_tokens(turns[-keep - 1:])
    report = context_report(store, session.id, window=window)
    head, _ = plan(store, session.id, keep)
    freed = context_tokens(head)
    assert report.hint.startswith(f"/compact --window {keep} frees ~{freed / 1000:.1f}k")
    unknown = context_report(store, session.id)
    assert unknown.hint.startswith("/compact --window 4 frees") and "context window is not known" in unknown.hint


def test_the_hint_when_there_is_nothing_to_compact_or_a_turn_runs(store):
    session = store.create_session(agent="echo")
    exchange(store, session.id, "hello", "hi")
    assert context_report(store, session.id, window=1000).hint.startswith("nothing to compact")
    store.begin_exchange(session.id, "another")
    assert context_report(store, session.id, window=1000).hint.startswith("a turn is running")


def test_tool_outputs_are_listed_apart_not_in_the_bar(store):
    session = store.create_session(agent="echo")
    _, agent = store.begin_exchange(session.id, "read it")
    store.start_tool_call(agent.id, "c1", "read_file", "a.py")
    store.update_tool_call(agent.id, "c1", output="x" * 4000, status="completed")
    store.finish_turn(agent.id, "complete", text="done")
    report = context_report(store, session.id)
    assert report.tool_output_tokens == 1000
    assert report.total == context_tokens(store.context_turns(session.id))


def test_the_bar_fits_its_width_and_shows_every_part_with_tokens():
    parts_ = [("system prompt", 5, "system"), ("summary", 0, "summary"), ("newest third", 9000, "user")]
    shares = cells(parts_, 100_000, 40)
    assert shares[0] == 1 and shares[1] == 0 and shares[2] == round(9000 * 40 / 100_000)
    text = bar_text(parts_, 100_000, 40)
    bar, legend = text.plain.split("\n")
    assert len(bar) == 40 and bar.count("░") == 40 - sum(shares)
    assert "system prompt ~5" in legend and "summary" not in legend and "free ~91k" in legend
    over = cells([("a", 150, "user"), ("b", 50, "agent")], 100, 20)  # past the window: scaled to the total
    assert sum(over) == 20 and over == [15, 5]
