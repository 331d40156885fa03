"""Compaction you can review and undo, in the TUI (Pilot): `/compact` opens the summary for
review (accept / edit / cancel), `/compact --undo`, `p` pins a block (its header says so),
the warning before auto-compaction (once per crossing), the automatic summary's reason;
and the two-step API (`prepare` / `apply`) they share. Snapshot: the review modal."""

from __future__ import annotations

import pytest

from chinwag.app.agents.echo import EchoAgent
from chinwag.app.config.loader import Config
from chinwag.app.config.schema import Scope, keys
from chinwag.app.core import compaction
from chinwag.app.core.after_turn import auto_compact
from chinwag.app.demo import DEMO_NOW, build_demo
from chinwag.app.tui.app import ChinwagApp
from chinwag.app.tui.compaction import ContextWatch
from chinwag.storage.clock import FixedClock
from chinwag.widgets.compact_review import CompactReview
from chinwag.widgets.role_block import RenderOptions, header_text
from tests.tui_helpers import app_factory, submit, wait_for

FAST = Config(agents={"echo": {"kind": "echo", "delay": 0, "chunk": 400}})


@pytest.fixture
def make_app(db_path):
    with app_factory(db_path, FAST) as make:
        yield make


def screen_text(app) -> str:
    return "\n".join("".join(s.text for s in strip) for strip in app.screen._compositor.render_strips())


def seed(store, session_id, n=4):
    for i in range(n):
        store.add_turn(session_id, "user", f"question number {i} with enough words to be worth summarizing later")
        store.add_turn(session_id, "agent", f"answer number {i} " + "with filler words " * 12, agent="echo",
                       model="echo-1")


def state(store, sid):
    return [(t.id, t.compacted, t.text) for t in store.list_turns(sid)]


async def open_review(pilot, app, store, text="/compact --window 2"):
    sid = app.chat.session.id
    seed(store, sid)
    app.chat.open_session(sid)
    before = state(store, sid)
    await submit(pilot, app, text)
    await wait_for(pilot, lambda: isinstance(app.screen, CompactReview))
    await pilot.pause()
    return sid, before


# -- review ------------------------------------------------------------------------------------
async def test_compact_shows_the_summary_for_review_and_accept_stores_it(make_app):
    app, store = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        sid, before = await open_review(pilot, app, store)
        review = app.screen
        shown = review.area.text
        assert shown and state(store, sid) == before  # nothing written while it is reviewed
        assert "replaces 6 turns" in review._about and not app.chat.controller.compacting
        assert "Review the summary" in str(review.query_one("#dialog-title").render())
        await pilot.press("a")
        await wait_for(pilot, lambda: any(t.role == "summary" for t in store.list_turns(sid)))
        summary = store.list_turns(sid)[-1]
        assert summary.role == "summary" and summary.text == shown.strip() and "edited" not in summary.metadata
        assert sum(t.compacted for t in store.list_turns(sid)) == 6
        await wait_for(pilot, lambda: any("compacted 6 turns" in t for t in app.chat.notices.texts))


async def test_edit_in_the_review_stores_the_edited_text(make_app):
    app, store = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        sid, _ = await open_review(pilot, app, store)
        await pilot.press("e")
        assert app.screen.editing and app.focused is app.screen.area
        await pilot.press(*"EDITED ")
        await pilot.press("escape")  # stops editing, keeps the text
        assert not app.screen.editing and isinstance(app.screen, CompactReview)
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: any(t.role == "summary" for t in store.list_turns(sid)))
        summary = store.list_turns(sid)[-1]
        assert summary.text.startswith("EDITED Summary") and summary.metadata["edited"] is True
        assert store.context_turns(sid)[0].id == summary.id


async def test_cancel_in_the_review_changes_nothing(make_app):
    app, store = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        sid, before = await open_review(pilot, app, store)
        events = len(store.list_events(sid))
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, CompactReview))
        await pilot.pause()
        assert state(store, sid) == before and not any(t.role == "summary" for t in store.list_turns(sid))
        assert len(store.list_events(sid)) == events
        assert any("compaction cancelled: nothing changed" in t for t in app.chat.notices.texts)
        assert "Summarizing" not in screen_text(app)  # no working block left behind
        await submit(pilot, app, "/compact --window 2")  # and it can run again
        await wait_for(pilot, lambda: isinstance(app.screen, CompactReview))


async def test_a_review_the_session_moved_on_from_is_refused(make_app):
    app, store = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        sid, _ = await open_review(pilot, app, store)
        store.set_turn_pinned(store.list_turns(sid)[0].id, True)  # another process pins a summarized turn
        await pilot.press("a")
        await wait_for(pilot, lambda: any("the session changed" in t for t in app.chat.notices.texts))
        assert not any(t.role == "summary" for t in store.list_turns(sid))


async def test_compact_undo_in_the_tui_brings_the_turns_back_and_shows_the_summary_undone(make_app):
    app, store = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        sid = app.chat.session.id
        seed(store, sid)
        app.chat.open_session(sid)
        await submit(pilot, app, "/compact --yes --window 2")
        await wait_for(pilot, lambda: any(t.role == "summary" for t in store.list_turns(sid)))
        await wait_for(pilot, lambda: "≡ summary" in screen_text(app))
        await submit(pilot, app, "/compact --undo")
        await wait_for(pilot, lambda: len(store.context_turns(sid)) == 8)
        await pilot.pause()
        assert "undone: not sent" in screen_text(app)
        assert not any(t.compacted for t in store.list_turns(sid))
        assert any("undid the compaction: 6 turn(s)" in t for t in app.chat.notices.texts)
        await submit(pilot, app, "/compact --undo")
        await wait_for(pilot, lambda: any("nothing to undo" in t for t in app.chat.notices.texts))


# -- pins ------------------------------------------------------------------------------------
async def test_p_on_a_selected_block_pins_it_and_its_header_says_so(make_app):
    app, store = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        sid = app.chat.session.id
        seed(store, sid, 2)
        app.chat.open_session(sid)
        await pilot.press("ctrl+t")
        await pilot.press("up", "up")  # the last prompt
        selected = app.chat.transcript.selected_turn_id
        assert store.get_turn(selected).role == "user"
        await pilot.press("p")
        await wait_for(pilot, lambda: store.get_turn(selected).pinned)
        await pilot.pause()
        headers = [line.split("│")[-1].strip() for line in screen_text(app).splitlines() if "▸ you" in line]
        assert any(h.startswith("▸ you") and h.endswith("• pinned") for h in headers), headers  # the mark ends it
        assert any("pinned: sent verbatim" in t for t in app.chat.notices.texts)
        await pilot.press("p")
        await wait_for(pilot, lambda: not store.get_turn(selected).pinned)
        await pilot.pause()
        assert "• pinned" not in screen_text(app)


async def test_p_with_no_block_selected_says_how(make_app):
    app, store = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        sid = app.chat.session.id
        seed(store, sid, 1)
        app.chat.open_session(sid)
        await pilot.press("ctrl+t")
        await pilot.press("p")
        await pilot.pause()
        assert any("select a prompt or a reply first" in t for t in app.chat.notices.texts)
        assert store.pinned_turn_ids(sid) == set()


def test_the_header_shows_the_pin_mark_last_and_an_automatic_summary_says_why(store):
    sid = store.create_session().id
    turn = store.set_turn_pinned(store.add_turn(sid, "user", "hi").id, True)
    assert header_text(turn, [], RenderOptions(width=80)).plain.endswith("• pinned")
    summary = store.add_turn(sid, "summary", "s", metadata={"auto": True,
                                                            "reason": "context at 83% of the 128k window"})
    assert header_text(summary, [], RenderOptions(width=120)).plain.startswith(
        "≡ summary · automatic: context at 83% of the 128k window")


# -- automatic compaction ---------------------------------------------------------------------
async def test_auto_compaction_records_why_in_its_summary(store):
    sid = store.create_session().id
    seed(store, sid)
    size = store.context_size(sid)
    result = await auto_compact(store, EchoAgent(delay=0), sid, 1000, size / 1000 - 0.01)
    assert result is not None
    assert result.summary.metadata["auto"] is True
    assert result.summary.metadata["reason"] == f"context at {size / 1000:.0%} of the 1k window"


def test_auto_compact_can_be_turned_off_with_false():
    spec = keys(Scope.AGENT)["auto_compact"]
    assert spec.accepts(False) and not spec.accepts(True) and spec.problem(False) == ""
    assert spec.parse("off") == 0 and spec.parse("false") == 0 and spec.parse("0.7") == 0.7


def test_the_warning_shows_once_per_crossing_of_90_percent_of_the_threshold():
    watch = ContextWatch()
    window, share = 128_000, 0.8  # threshold 102,400; 90% of it 92,160
    assert watch.check("s", 90_000, window, share) is None
    warning = watch.check("s", 93_000, window, share)
    assert warning and "context at 73% of the 128k window" in warning and "at 80%" in warning
    assert watch.check("s", 95_000, window, share) is None  # still above: not again
    assert watch.check("s", 20_000, window, share) is None  # compacted: armed again
    assert watch.check("s", 93_000, window, share)
    assert watch.check("t", 93_000, window, 0) is None  # auto-compaction off: no warning


async def test_the_warning_notice_shows_once_in_the_app(make_app):
    config = Config(agents={"echo": {"kind": "echo", "delay": 0, "chunk": 400, "auto_compact": 0.9}})
    app, store = make_app(config)
    async with app.run_test(size=(120, 36), notifications=True) as pilot:
        sid = app.chat.session.id
        seed(store, sid, 3)
        # a window the context fills past 90% of the threshold (0.9 of it), not to the threshold
        config.agents["echo"]["context_window"] = int(store.context_size(sid) / 0.85)
        app.chat.open_session(sid)
        app.chat.update_status()
        app.chat.update_status()
        await pilot.pause()
        warnings = [n.message for n in app._notifications if "compacted automatically" in n.message]
        assert len(warnings) == 1


# -- the two steps, without a UI ----------------------------------------------------------------
async def test_prepare_writes_nothing_and_apply_stores_the_text_given(store):
    sid = store.create_session().id
    seed(store, sid)
    before = [(t.id, t.compacted) for t in store.list_turns(sid)]
    proposal = await compaction.prepare(store, EchoAgent(delay=0), sid, window=2)
    assert [(t.id, t.compacted) for t in store.list_turns(sid)] == before and proposal.text
    with pytest.raises(compaction.CompactionError, match="empty summary"):
        compaction.apply(store, proposal, "   ")
    result = compaction.apply(store, proposal, "mine")
    assert result.summary.text == "mine" and result.summary.metadata["edited"] is True
    with pytest.raises(compaction.CompactionError, match="session changed"):
        compaction.apply(store, proposal)  # already applied: the context moved on


# -- the modal's look ---------------------------------------------------------------------------
def test_review_modal_snapshot(snap_compare, db_path):
    store = build_demo(db_path)
    store.clock = FixedClock(DEMO_NOW)

    async def run_before(pilot):
        pilot.app.push_screen(CompactReview(
            "The user is moving the parser to `cli/target.py`; decided: keep `parse_target()` pure, "
            "test it with three shapes (path, module, [markup]). Open: the legacy flag.",
            "It replaces 12 turns (context ~8,400 tokens now); the last 4 and 1 pinned stay as they are."))
        await pilot.pause()

    try:
        assert snap_compare(ChinwagApp(store=store, config=Config(), animate=False), terminal_size=(100, 30),
                            run_before=run_before)
    finally:
        store.close()


async def test_auto_compact_false_in_a_profile_turns_it_off(store, tmp_path):
    from chinwag.app.config.loader import load_config
    from chinwag.app.core.runner import Runner

    path = tmp_path / "config.toml"
    path.write_text('[agents.quiet]\nkind = "echo"\ndelay = 0\ncontext_window = 200\nauto_compact = false\n\n'
                    '[agents.eager]\nkind = "echo"\ndelay = 0\ncontext_window = 200\nauto_compact = 0.5\n')
    config = load_config(path)
    for name, compacts in (("quiet", False), ("eager", True)):
        session = store.create_session(agent=name)
        runner = Runner(store, config)
        for n in range(4):
            await runner.send(session.id, f"question {n} " + "words " * 30)
            await runner.drain()
        summaries = [t for t in store.list_turns(session.id) if t.role == "summary"]
        assert bool(summaries) is compacts, name
        if compacts:
            assert summaries[0].metadata["reason"].startswith("context at ")
            assert summaries[0].metadata["reason"].endswith("% of the 200 window")
