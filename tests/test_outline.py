"""The outline (Ctrl+O), the transcript's jumps (`{ } g G`, Home/End) and timestamps (`T`,
gap markers, tokens/s): the plain logic without Pilot, then the app with Pilot, then
snapshots (the outline; a transcript with a gap marker and times).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from rich.console import Console
from textual.app import App

from chinwag.app.config.loader import Config
from chinwag.app.core.outline import (
    BRANCH,
    ERROR,
    PROMPT,
    SUMMARY,
    TOOL,
    OutlineCache,
    build_rows,
    matching,
    outline,
)
from chinwag.app.demo import DEMO_NOW, build_demo, build_synthetic_session
from chinwag.app.tui.app import ChinwagApp
from chinwag.app.tui.controller import HISTORY_PAGE, ChatController
from chinwag.storage import Store
from chinwag.storage.clock import FixedClock, SequentialIds, format_ts
from chinwag.storage.models import Turn
from chinwag.widgets import time_label
from chinwag.widgets.key_names import key_label, key_name
from chinwag.widgets.outline_screen import OutlineList, OutlineScreen
from chinwag.widgets.role_block import RenderOptions, estimate_height, header_text, render_block
from chinwag.widgets.transcript import Transcript
from tests.tui_helpers import page_down_to_the_end, wait_for

NOW = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)
CONSOLE = Console(width=120, force_terminal=True, color_system="truecolor")


@pytest.fixture
def utc(monkeypatch):
    """Local time is UTC (absolute times and calendar days do not depend on the machine)."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def ago(**delta) -> str:
    return format_ts(NOW - timedelta(**delta))


def agent_turn(**kw) -> Turn:
    values = dict(id="T2", session_id="S", seq=2, role="agent", text="hi", agent="echo", model="m",
                  created_at=ago(hours=3), started_at=ago(hours=3), finished_at=format_ts(NOW - timedelta(hours=3)
                                                                                          + timedelta(seconds=4)),
                  input_tokens=100, output_tokens=152)
    values.update(kw)
    return Turn(**values)


# -- time labels -----------------------------------------------------------------------------
def test_relative_times_are_short_and_exact_enough(utc):
    assert time_label.relative(ago(seconds=20), NOW) == "just now"
    assert time_label.relative(format_ts(NOW + timedelta(seconds=5)), NOW) == "just now"  # a clock a little ahead
    assert time_label.relative(ago(minutes=12), NOW) == "12 min ago"
    assert time_label.relative(ago(hours=3, minutes=59), NOW) == "3 h ago"
    assert time_label.relative(ago(hours=7), NOW) == "today 07:00"
    assert time_label.relative(ago(hours=23, minutes=58), NOW) == "yesterday 14:02"
    assert time_label.relative(ago(days=3), NOW) == "Sat 14:00"
    assert time_label.relative(ago(days=20), NOW) == "11 Nov 14:00"
    assert time_label.relative(ago(days=400), NOW) == "2025-10-27"
    assert time_label.absolute(ago(hours=23, minutes=58)) == "2026-11-30 14:02"
    assert time_label.relative("", NOW) == "" and time_label.absolute("not a time") == ""
    assert time_label.when(ago(minutes=5), NOW, absolute_times=True) == "2026-12-01 13:55"


def test_gap_markers_between_turns_more_than_an_hour_apart():
    # measured from the end of the turn before: a long turn followed at once is no gap
    assert time_label.gap((ago(hours=4), ago(hours=3)), ago(minutes=1)) == "— 3 h later —"  # rounded
    assert time_label.gap((ago(hours=4), ago(minutes=2)), ago(minutes=1)) == ""
    assert time_label.gap((ago(hours=2), None), ago(minutes=59)) == "— 1 h later —"
    assert time_label.gap((ago(hours=1), None), ago(seconds=0)) == ""  # an hour exactly: no marker
    assert time_label.gap((ago(days=3), None), ago(seconds=1)) == "— 3 days later —"
    assert time_label.gap((ago(days=1), None), ago(hours=0)) == "— 1 day later —"
    assert time_label.gap(("", None), ago(hours=0)) == ""


def test_tokens_per_second_only_when_reported_and_timed():
    assert time_label.speed(152, 4.0) == "38 tok/s"
    assert time_label.speed(17, 4.0) == "4.2 tok/s"
    assert time_label.speed(152, 4.0, estimated=True) == "~38 tok/s"
    assert time_label.speed(0, 4.0) == time_label.speed(152, 0.0) == time_label.speed(152, None) == ""


def test_the_new_keys_read_as_typed():
    assert (key_label("left_curly_bracket"), key_label("right_curly_bracket")) == ("{", "}")
    assert (key_name("{"), key_name("}")) == ("left_curly_bracket", "right_curly_bracket")
    assert (key_label("G"), key_name("G"), key_name("g"), key_name("T"), key_name("Ctrl+O")) == ("G", "G", "g", "T",
                                                                                                 "ctrl+o")


# -- block headers -----------------------------------------------------------------------------
def test_agent_header_shows_duration_speed_and_time_in_the_agreed_order(utc):
    text = header_text(agent_turn(), [], RenderOptions(width=120, clock=NOW)).plain
    assert text == "● echo · m · ⇡ 100 ⇣ 152 · 4.0s · 38 tok/s · 3 h ago"
    estimated = header_text(agent_turn(tokens_estimated=True), [], RenderOptions(width=120, clock=NOW)).plain
    assert "· ~38 tok/s ·" in estimated
    unreported = header_text(agent_turn(metadata={"usage": "unreported"}), [], RenderOptions(width=120, clock=NOW))
    assert "tok/s" not in unreported.plain
    instant = agent_turn(finished_at=ago(hours=3))
    assert "tok/s" not in header_text(instant, [], RenderOptions(width=120, clock=NOW)).plain
    absolute = header_text(agent_turn(), [], RenderOptions(width=120, clock=NOW, absolute_times=True)).plain
    assert absolute.endswith("· 38 tok/s · 2026-12-01 11:00")
    user = Turn(id="T1", session_id="S", seq=1, role="user", text="q", created_at=ago(minutes=12))
    assert header_text(user, [], RenderOptions(width=80, clock=NOW)).plain == "▸ you · 12 min ago"
    assert header_text(user, [], RenderOptions(width=80)).plain == "▸ you"  # no clock: no time (exports, tests)


def test_a_gap_marker_is_a_line_of_the_block_and_counted_in_its_height():
    turn = agent_turn()
    plain = render_block(CONSOLE, turn, [], RenderOptions(width=80, clock=NOW))
    gapped = render_block(CONSOLE, turn, [], RenderOptions(width=80, clock=NOW, gap="— 3 h later —"))
    assert len(gapped) == len(plain) + 1
    assert gapped[0].text.strip() == "— 3 h later —" and gapped[0].cell_length == 80
    assert abs(gapped[0].text.index("—") - (80 - len("— 3 h later —")) // 2) <= 1  # centred
    assert [s.text for s in gapped[1:]] == [s.text for s in plain]
    assert estimate_height(turn, [], 80, gap=True) == estimate_height(turn, [], 80) + 1


# -- the outline's rows -----------------------------------------------------------------------------
def tree_store(db_path) -> tuple[Store, str, dict[str, str]]:
    """prompt 1 (two tool calls, one failed) -> reply; prompt 2 -> an error; a summary;
    prompt 3 edited (a sibling: its parent is a branch point) -> reply."""
    clock = FixedClock(NOW - timedelta(hours=5))
    store = Store(db_path, clock=clock, new_id=SequentialIds("01OUTL"))
    session = store.create_session(title="outlined", agent="echo")
    ids: dict[str, str] = {}
    user, reply = store.begin_exchange(session.id, "Where is the PARSER?\nsecond line", owner_pid=1)
    ids["p1"], ids["r1"] = user.id, reply.id
    store.start_tool_call(reply.id, "c1", "grep", "pattern=parse", owner_pid=1)
    store.update_tool_call(reply.id, "c1", status="completed", output="3 hits")
    store.start_tool_call(reply.id, "c2", "read_file", "src/legacy.py", owner_pid=1)
    store.update_tool_call(reply.id, "c2", status="failed", output="no such file")
    clock.advance(seconds=4)
    store.finish_turn(reply.id, "complete", input_tokens=1200, output_tokens=300, owner_pid=1)
    clock.advance(hours=2)
    user, reply = store.begin_exchange(session.id, "and the writer?", owner_pid=1)
    ids["p2"] = user.id
    store.finish_turn(reply.id, "error", error="connection refused\nat line 2", owner_pid=1)
    clock.advance(minutes=1)
    user, reply = store.begin_exchange(session.id, "first try", owner_pid=1)
    ids["p3a"] = user.id
    store.finish_turn(reply.id, "complete", input_tokens=10, output_tokens=5, estimated=True, owner_pid=1)
    parent = store.get_turn(user.id).parent_id
    user, reply = store.begin_exchange(session.id, "second try", owner_pid=1, parent=parent)
    ids["p3b"], ids["branch"] = user.id, parent
    store.finish_turn(reply.id, "complete", input_tokens=20, output_tokens=8, owner_pid=1)
    return store, session.id, ids


def test_outline_rows_prompts_tools_errors_and_branch_points(db_path):
    store, sid, ids = tree_store(db_path)
    try:
        rows = outline(store, sid)
    finally:
        store.close()
    kinds = [(row.kind, row.depth) for row in rows]
    assert kinds == [(PROMPT, 0), (TOOL, 1), (TOOL, 1), (PROMPT, 0), (ERROR, 1), (BRANCH, 1), (PROMPT, 0)]
    first = rows[0]
    assert first.text == "Where is the PARSER?" and first.turn_id == ids["p1"] and first.tokens == "⇡1.2k ⇣300"
    assert rows[1].text.startswith("grep") and rows[2].status == "failed"
    assert rows[4].text == "error: connection refused" and rows[4].turn_id != ids["p2"]
    assert rows[5].text == "branch point: 2 branches after this reply"
    assert rows[6].text == "second try" and rows[6].turn_id == ids["p3b"] and rows[6].tokens == "⇡20 ⇣8"  # the path's
    assert all(row.at for row in rows)


def test_outline_of_a_summary_and_estimated_tokens():
    turns = [dict(id="a", seq=1, role="summary", status="complete", created_at="x", started_at=None,
                  finished_at=None, input_tokens=0, output_tokens=0, tokens_estimated=0, compacted=0, error=None,
                  text="Summary of 4 earlier messages:\n- x", usage=None, auto=1, summarized=4),
             dict(id="b", seq=2, role="user", status="complete", created_at="x", started_at=None, finished_at=None,
                  input_tokens=0, output_tokens=0, tokens_estimated=0, compacted=1, error=None, text="  \n q ",
                  usage=None, auto=None, summarized=None),
             dict(id="c", seq=3, role="agent", status="complete", created_at="x", started_at=None, finished_at=None,
                  input_tokens=12, output_tokens=40, tokens_estimated=1, compacted=1, error=None, text="r",
                  usage=None, auto=None, summarized=None)]
    rows = build_rows(turns, [], {})
    assert [r.kind for r in rows] == [SUMMARY, PROMPT]
    assert rows[0].text == "auto-compacted · 4 turns: Summary of 4 earlier messages:"
    assert rows[1].text == "q" and rows[1].compacted and rows[1].tokens == "⇡~12 ⇣~40"


def test_filter_is_case_smart():
    rows = build_rows([dict(id=str(n), seq=n, role="user", status="complete", created_at="x", started_at=None,
                            finished_at=None, input_tokens=0, output_tokens=0, tokens_estimated=0, compacted=0,
                            error=None, text=text, usage=None, auto=None, summarized=None)
                       for n, text in enumerate(["the Parser", "a parser", "writer"], 1)], [], {})
    assert [r.text for r in matching(rows, "parser")] == ["the Parser", "a parser"]
    assert [r.text for r in matching(rows, "Parser")] == ["the Parser"]
    assert matching(rows, "  ") == rows and matching(rows, "nothing") == []


def test_outline_reads_a_few_statements_whatever_the_length(db_path):
    store = Store(db_path)
    try:
        counts = []
        for turns in (40, 400):
            sid = build_synthetic_session(store, turns)
            statements: list[str] = []
            store.db.conn.set_trace_callback(statements.append)
            try:
                rows = outline(store, sid)
            finally:
                store.db.conn.set_trace_callback(None)
            assert sum(r.kind == PROMPT for r in rows) == turns // 2
            counts.append(len([s for s in statements if not s.startswith("--")]))
        assert counts[0] == counts[1] <= 3
    finally:
        store.close()


def test_the_outline_is_kept_until_anything_is_written_here_or_elsewhere(db_path, monkeypatch):
    import chinwag.app.core.outline as outline_module

    store = Store(db_path)
    other = Store(db_path)
    try:
        sid = build_synthetic_session(store, 40)
        reads, source = [], outline_module.outline_source
        monkeypatch.setattr(outline_module, "outline_source", lambda *a: reads.append(1) or source(*a))
        cache = OutlineCache()
        first = cache.rows(store, sid)
        assert cache.rows(store, sid) is first and len(reads) == 1 and cache.fresh(store, sid)
        store.rename_session(sid, "renamed here")  # a write on this connection
        assert not cache.fresh(store, sid)
        assert cache.rows(store, sid) is not first and len(reads) == 2
        kept = cache.rows(store, sid)
        other.append_stream(other.begin_exchange(sid, "from another process", owner_pid=1)[1].id, "text")
        assert not cache.fresh(store, sid)  # another connection committed
        rows = cache.rows(store, sid)
        assert rows is not kept and rows[-1].text == "from another process" and len(reads) == 3
    finally:
        other.close()
        store.close()


def test_a_window_at_a_far_turn_costs_a_page_and_pages_on_either_way(db_path):
    store = Store(db_path)
    try:
        sid = build_synthetic_session(store, 300)
        controller = ChatController(store, runner=None)
        controller.open(sid)
        path = store.turn_ids_to(sid, store.head_of(sid))
        window = controller.window_at(path[150])
        quarter = HISTORY_PAGE // 4
        assert [t.id for t in window.turns] == path[150 - quarter:150 + HISTORY_PAGE]  # a little above, a page below
        assert window.has_older and window.has_newer and controller.oldest_seq == window.turns[0].seq
        below = controller.newer()
        assert [t.id for t in below.turns] == path[150 + HISTORY_PAGE:150 + 2 * HISTORY_PAGE]
        above = controller.older()
        assert [t.id for t in above.turns] == path[150 - quarter - HISTORY_PAGE:150 - quarter]
        near_start = controller.window_at(path[10])
        assert near_start.turns[0].id == path[0] and not near_start.has_older  # nothing above the first turn
        first = controller.window_at(None)
        assert [t.id for t in first.turns] == path[:HISTORY_PAGE] and first.has_newer and not first.has_older
        last = controller.window_at(path[-5])
        assert last.turns[-1].id == path[-1] and not last.has_newer and controller.newer() is None
        assert controller.window_at("no such turn") is None
    finally:
        store.close()


def test_a_window_is_refused_for_a_turn_off_the_path_shown(db_path):
    store = Store(db_path)
    try:
        sid = build_synthetic_session(store, 20)
        path = store.turn_ids_to(sid, store.head_of(sid))
        user, reply = store.begin_exchange(sid, "a sibling", agent="echo", model="", parent=path[9], owner_pid=1)
        store.finish_turn(reply.id, "complete", text="short", owner_pid=1)
        store.checkout(sid, path[-1])
        controller = ChatController(store, runner=None)
        controller.open(sid)
        assert controller.window_at(user.id) is None and controller.window_at(path[10]) is not None
    finally:
        store.close()


# -- Pilot: the app -------------------------------------------------------------------------------
def long_store(db_path, turns=200):
    store = Store(db_path, clock=FixedClock(NOW), new_id=SequentialIds("01LONG"))
    sid = build_synthetic_session(store, turns, title="long")
    return store, sid


def app_on(store, **kwargs):
    return ChinwagApp(store=store, config=Config(), animate=False, **kwargs)


def visible(transcript: Transcript) -> str:
    return "\n".join(transcript.render_line(y).text for y in range(transcript.scrollable_content_region.height))


def in_view(transcript: Transcript, turn_id: str) -> bool:
    position = transcript._index[turn_id]
    top = int(transcript.scroll_offset.y)
    start = transcript._offsets[position]
    return top <= start < top + transcript.scrollable_content_region.height


async def test_ctrl_o_opens_filters_and_enter_jumps_past_the_loaded_pages(db_path):
    store, sid = long_store(db_path)
    path = store.turn_ids_to(sid, store.head_of(sid))
    app = app_on(store, session_id=sid)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            transcript = app.chat.transcript
            assert len(transcript.turn_ids) == HISTORY_PAGE
            await pilot.press("ctrl+o")
            await pilot.pause()
            assert isinstance(app.screen, OutlineScreen)
            outline_list = app.screen.query_one(OutlineList)
            assert len(outline_list.rows) == 100 + 100  # 100 prompts, two tool calls every 4th turn
            top, height = int(outline_list.scroll_offset.y), outline_list.scrollable_content_region.height
            assert outline_list.cursor > 150 and top <= outline_list.cursor < top + height  # where the view is
            await pilot.press(*"Question 21:")
            await pilot.pause()
            assert [row.text for row in outline_list.rows] == [next(r.text for r in outline_list.rows)]
            assert outline_list.rows[0].text.startswith("Question 21:")
            await pilot.press("enter")
            await pilot.pause()
            assert not isinstance(app.screen, OutlineScreen)
            assert transcript.selected_turn_id == path[20]
            assert in_view(transcript, path[20]) and "Question 21:" in visible(transcript)
            assert transcript.has_focus
    finally:
        store.close()


async def test_a_long_session_s_outline_is_built_ahead_and_opens_where_a_window_is(db_path, monkeypatch):
    import chinwag.app.core.outline as outline_module

    store, sid = long_store(db_path, 600)
    path = store.turn_ids_to(sid, store.head_of(sid))
    app = app_on(store, session_id=sid)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            screen = app.chat
            await wait_for(pilot, lambda: screen.outline_cache().fresh(store, sid))  # built in a thread after opening

            def no_reading(*args):
                raise AssertionError("Ctrl+O read the session again")

            monkeypatch.setattr(outline_module, "outline_source", no_reading)
            await pilot.press("ctrl+o")
            await pilot.pause()
            outline_list = app.screen.query_one(OutlineList)
            assert len(outline_list.rows) == 300 + 300
            await pilot.press(*"Question 21:", "enter")
            await pilot.pause()
            assert screen.transcript.selected_turn_id == path[20] and screen.transcript.has_newer  # a window
            await pilot.press("ctrl+o")
            await pilot.pause()
            outline_list = app.screen.query_one(OutlineList)
            assert outline_list.rows[outline_list.cursor].turn_id == path[20]  # where the view is, not the end
    finally:
        store.close()


async def test_a_stale_outline_opens_at_once_and_the_current_rows_replace_it(db_path, monkeypatch):
    import threading

    import chinwag.app.core.outline as outline_module

    store, sid = long_store(db_path, 600)
    app = app_on(store, session_id=sid)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            screen = app.chat
            await wait_for(pilot, lambda: screen.outline_cache().fresh(store, sid))
            store.begin_exchange(sid, "a prompt written since", owner_pid=1)  # the kept outline is stale now
            release, source = threading.Event(), outline_module.outline_source

            def slow(*args):
                release.wait(10)
                return source(*args)

            monkeypatch.setattr(outline_module, "outline_source", slow)
            await pilot.press("ctrl+o")
            await pilot.pause()
            outline_list = app.screen.query_one(OutlineList)
            assert len(outline_list.rows) == 600 and app.screen.query_one("#outline-filter").has_focus
            await pilot.press(*"question 59")  # typing works while the current rows are read
            await pilot.pause()
            filtered = len(outline_list.rows)
            release.set()
            await wait_for(pilot, lambda: any(r.text == "a prompt written since"
                                              for r in app.screen._all))
            assert len(outline_list.rows) == filtered  # the filter holds on the new rows
            await pilot.press("escape")
    finally:
        store.close()


async def test_a_long_session_not_built_yet_opens_its_outline_at_once_and_the_rows_follow(db_path, monkeypatch):
    """Ctrl+O before the outline was built ahead (within WARM_AFTER of opening the session): the
    outline opens on no rows, saying it reads them, instead of reading 10,000 rows on the key."""
    import threading

    import chinwag.app.core.outline as outline_module
    from chinwag.app.tui import outline as outline_glue

    monkeypatch.setattr(outline_glue, "WARM_AFTER", 60)  # never built ahead in this test
    store, sid = long_store(db_path, 600)
    path = store.turn_ids_to(sid, store.head_of(sid))
    app = app_on(store, session_id=sid)
    release, source, read_on = threading.Event(), outline_module.outline_source, []

    def slow(*args):
        read_on.append(threading.current_thread() is threading.main_thread())
        release.wait(10)
        return source(*args)

    monkeypatch.setattr(outline_module, "outline_source", slow)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            await pilot.press("ctrl+o")
            await pilot.pause()
            assert isinstance(app.screen, OutlineScreen) and app.screen.reading
            outline_list = app.screen.query_one(OutlineList)
            assert outline_list.rows == [] and "reading the outline" in outline_list.render_line(0).text
            assert "reading the session" in str(app.screen.query_one("#outline-hint").render())
            assert read_on == [False]  # read in a thread, the key answered at once
            release.set()
            await wait_for(pilot, lambda: len(outline_list.rows) == 600)
            assert not app.screen.reading
            # where the view is (the transcript shows the newest turns), not the top of the outline
            assert outline_list.cursor >= 580 and outline_list.rows[outline_list.cursor].turn_id in app.chat.transcript.turn_ids
            await pilot.press(*"Question 21:", "enter")
            await pilot.pause()
            assert app.chat.transcript.selected_turn_id == path[20]
    finally:
        release.set()
        store.close()


async def test_esc_closes_the_outline_where_you_were(db_path):
    store, sid = long_store(db_path, 100)
    app = app_on(store, session_id=sid)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            transcript = app.chat.transcript
            transcript.focus()
            await pilot.press("up", "up", "up")
            before = (transcript.selected_turn_id, transcript.scroll_offset.y, len(transcript.turn_ids))
            await pilot.press("ctrl+o")
            await pilot.pause()
            outline_list = app.screen.query_one(OutlineList)
            ids = transcript.turn_ids
            at = ids.index(before[0])  # the cursor starts on the last row at or before the selection
            assert ids.index(outline_list.rows[outline_list.cursor].turn_id) <= at
            assert ids.index(outline_list.rows[outline_list.cursor + 1].turn_id) > at
            await pilot.press("up", "up", "pageup", "escape")
            await pilot.pause()
            assert not isinstance(app.screen, OutlineScreen)
            assert (transcript.selected_turn_id, transcript.scroll_offset.y, len(transcript.turn_ids)) == before
    finally:
        store.close()


async def test_curly_brackets_go_to_prompts_across_a_page_boundary(db_path):
    store, sid = long_store(db_path)
    path = store.turn_ids_to(sid, store.head_of(sid))
    app = app_on(store, session_id=sid)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            transcript = app.chat.transcript
            transcript.focus()
            await pilot.press("right_curly_bracket")  # nothing selected: the first prompt from the top of the view
            first_shown = transcript.selected_turn_id
            assert first_shown is not None and transcript._blocks[transcript._index[first_shown]].turn.role == "user"
            oldest = transcript.turn_ids[0]  # a prompt: path[140]
            assert oldest == path[200 - HISTORY_PAGE]
            transcript.jump_to(oldest)
            await pilot.press("left_curly_bracket")  # the prompt before is not loaded yet: a page comes first
            await pilot.pause()
            assert len(transcript.turn_ids) > HISTORY_PAGE
            assert transcript.selected_turn_id == path[200 - HISTORY_PAGE - 2]
            assert in_view(transcript, transcript.selected_turn_id)
            await pilot.press("right_curly_bracket")
            assert transcript.selected_turn_id == oldest and in_view(transcript, oldest)
            await pilot.press("right_curly_bracket", "right_curly_bracket")
            assert transcript.selected_turn_id == path[200 - HISTORY_PAGE + 4]
    finally:
        store.close()


async def test_g_shows_the_first_page_and_G_the_newest_whatever_the_length(db_path):
    store, sid = long_store(db_path, 300)
    path = store.turn_ids_to(sid, store.head_of(sid))
    app = app_on(store, session_id=sid)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            transcript = app.chat.transcript
            transcript.focus()
            await pilot.press("g")
            await pilot.pause()
            assert transcript.turn_ids == path[:HISTORY_PAGE]  # the first page, not everything between
            assert transcript.has_newer
            assert transcript.scroll_offset.y == 0 and "Question 1:" in visible(transcript)
            await pilot.press("G")
            await pilot.pause()
            assert transcript.turn_ids == path[-HISTORY_PAGE:] and not transcript.has_newer
            assert transcript.scroll_offset.y == transcript.max_scroll_y
            for key, where in (("home", 0), ("end", None)):  # Home and End are g and G
                await pilot.press(key)
                await pilot.pause()
                assert transcript.scroll_offset.y == (transcript.max_scroll_y if where is None else where)
    finally:
        store.close()


async def test_scrolling_down_from_a_window_pages_in_every_turn_to_the_newest(db_path):
    store, sid = long_store(db_path, 300)
    path = store.turn_ids_to(sid, store.head_of(sid))
    app = app_on(store, session_id=sid)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            transcript = app.chat.transcript
            transcript.focus()
            await pilot.press("g")
            await pilot.pause()
            await page_down_to_the_end(pilot, transcript)
            assert transcript.turn_ids == path  # every turn once, in order: no hole, no duplicate
            assert transcript.scroll_offset.y == transcript.max_scroll_y and transcript._pinned
    finally:
        store.close()


async def test_a_turn_streaming_while_a_window_is_shown_waits_for_End(db_path):
    store, sid = long_store(db_path, 300)
    path = store.turn_ids_to(sid, store.head_of(sid))
    app = app_on(store, session_id=sid)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            transcript = app.chat.transcript
            app.chat.jump_to_turn(path[100])
            await pilot.pause()
            shown = transcript.turn_ids
            assert path[100] in shown and transcript.has_newer
            user, reply = store.begin_exchange(sid, "a new prompt", agent="echo", model="", owner_pid=1)
            transcript.update_turn(user)
            transcript.update_turn(reply)
            await pilot.pause()
            assert transcript.turn_ids == shown  # no block after a hole
            assert transcript._new_output
            await pilot.press("end")
            await pilot.pause()
            assert transcript.turn_ids[-2:] == [user.id, reply.id] and transcript._pinned
    finally:
        store.close()


def gapped_store(db_path):
    """Three exchanges: the second 3 h after the first, the third 20 min after that."""
    clock = FixedClock(NOW - timedelta(hours=4))
    store = Store(db_path, clock=clock, new_id=SequentialIds("01GAPS"))
    session = store.create_session(title="with a pause", agent="echo", model="echo-1")
    for prompt, pause in (("before lunch", None), ("after lunch", {"hours": 3}), ("a bit later", {"minutes": 20})):
        if pause:
            clock.advance(**pause)
        _, reply = store.begin_exchange(session.id, prompt, owner_pid=1)
        store.append_stream(reply.id, "\n\n".join(f"paragraph {n} of the answer to {prompt}" for n in range(8)))
        clock.advance(seconds=5)
        store.finish_turn(reply.id, "complete", input_tokens=900, output_tokens=190, owner_pid=1)
    clock.advance(minutes=2)
    return store, session.id


async def test_gap_marker_shows_and_scrolling_stays_exact_across_it(db_path):
    store, sid = gapped_store(db_path)
    app = app_on(store, session_id=sid)
    try:
        async with app.run_test(size=(100, 20)) as pilot:
            transcript = app.chat.transcript
            gaps = [block.gap for block in transcript._blocks]
            assert gaps == ["", "", "— 3 h later —", "", "", ""]
            transcript.focus()
            await pilot.press("g")
            for _ in range(40):  # through the whole transcript, a line at a time
                transcript.scroll_to(y=transcript.scroll_offset.y + 1, animate=False, immediate=True)
                await pilot.pause()
            for position, block in enumerate(transcript._blocks):
                strips = transcript._strips(position)
                assert block.measured and block.height == len(strips)
                assert transcript._offsets[position + 1] - transcript._offsets[position] == len(strips)
            marker_at = transcript._offsets[2]
            transcript.scroll_to(y=marker_at, animate=False, immediate=True)
            await pilot.pause()
            assert transcript.render_line(0).text.strip() == "— 3 h later —"
            assert transcript.render_line(1).text.startswith("▸ you · 22 min ago")
            assert transcript.render_line(2).text.startswith("▎ after lunch")
    finally:
        store.close()


async def test_older_turns_loaded_across_a_gap_keep_the_view_still():
    """A page of older turns prepended: the gap markers it brings (inside it and where it
    meets the loaded turns) move the view down by exactly their lines."""
    start = NOW - timedelta(days=4)
    turns = []
    for seq in range(1, 41):
        at = format_ts(start + timedelta(hours=2 * seq))  # every turn 2 h after the one before
        turns.append(Turn(id=f"T{seq:03d}", session_id="S", seq=seq, role="user" if seq % 2 else "agent",
                          text=f"turn {seq} " + "words " * 30, created_at=at, finished_at=at))

    class One(App):
        def compose(self):
            yield Transcript(animate=False)

    app = One()
    async with app.run_test(size=(80, 20)) as pilot:
        transcript = app.query_one(Transcript)
        transcript.now = lambda: NOW
        transcript.set_turns(turns[20:], {}, has_older=True)
        await pilot.pause()
        transcript.scroll_to(y=transcript._offsets[5] + 1, animate=False, immediate=True)
        await pilot.pause()
        before = [transcript.render_line(y).text for y in range(10)]
        transcript.prepend_turns(turns[:20], {}, has_older=False)
        await pilot.pause()
        assert [transcript.render_line(y).text for y in range(10)] == before
        assert all(block.gap for block in transcript._blocks[1:])


async def test_T_toggles_absolute_times_and_the_setting_starts_with_them(db_path, utc):
    store, sid = gapped_store(db_path)
    app = app_on(store, session_id=sid)
    try:
        async with app.run_test(size=(100, 40)) as pilot:
            transcript = app.chat.transcript
            transcript.focus()
            assert "· 38 tok/s · 2 min ago" in visible(transcript) and "2026-12-01" not in visible(transcript)
            await pilot.press("T")
            await pilot.pause()
            assert "· 38 tok/s · 2026-12-01 13:20" in visible(transcript) and "min ago" not in visible(transcript)
            await pilot.press("T")
            await pilot.pause()
            assert "· 38 tok/s · 2 min ago" in visible(transcript)
    finally:
        store.close()
    store = Store(db_path, clock=FixedClock(NOW))
    app = ChinwagApp(store=store, config=Config(ui={"timestamps": "absolute"}), animate=False, session_id=sid)
    try:
        async with app.run_test(size=(100, 40)):
            assert app.chat.transcript.absolute_times and "2026-12-01 13:20" in visible(app.chat.transcript)
    finally:
        store.close()


async def test_relative_times_read_the_store_clock_without_moving_it(db_path):
    store = Store(db_path, clock=FixedClock(NOW, step_ms=1000), new_id=SequentialIds())
    session = store.create_session(title="t", agent="echo")
    _, reply = store.begin_exchange(session.id, "hello", owner_pid=1)
    store.finish_turn(reply.id, "complete", owner_pid=1)
    clock_before = store.clock._now
    app = app_on(store, session_id=session.id)
    try:
        async with app.run_test(size=(100, 20)) as pilot:
            await pilot.pause()
            assert "▸ you · just now" in visible(app.chat.transcript)
            # the app stamps a write or two (1 s each); reading `now` to render (13 s before the fix) does not
            assert store.clock._now - clock_before <= timedelta(seconds=3)
    finally:
        store.close()


# -- snapshots -----------------------------------------------------------------------------------
def test_outline_snapshot(snap_compare, db_path):
    store = build_demo(db_path)
    store.clock = FixedClock(DEMO_NOW)

    async def run_before(pilot):
        await pilot.press("ctrl+o")
        await pilot.pause()

    try:
        assert snap_compare(app_on(store), terminal_size=(120, 40), run_before=run_before)
    finally:
        store.close()


def test_transcript_with_gap_marker_and_times_snapshot(snap_compare, db_path):
    store, sid = gapped_store(db_path)

    async def run_before(pilot):
        transcript = pilot.app.chat.transcript
        transcript.scroll_to(y=transcript._offsets[1] + 8, animate=False, immediate=True)
        await pilot.pause()

    try:
        assert snap_compare(app_on(store, session_id=sid), terminal_size=(120, 40), run_before=run_before)
    finally:
        store.close()
