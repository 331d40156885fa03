"""Find inside the open session (Ctrl+F): the query rules and the hits (app/core/find.py,
no Textual), then the bar in the app with Pilot — typing narrows, the counter, Enter /
Shift+Enter / n / N move and scroll, case-smart, the regex toggle and a bad regex, hits in
tool output, thinking, a compacted turn and another branch, a hit in a turn not loaded yet,
Esc returns (or stays at a chosen hit), markup and control characters shown literally.
"""

from __future__ import annotations

import re

import pytest

from chinwag.app.config.loader import Config
from chinwag.app.core.find import BadPattern, Finder, case_sensitive, compile_query, counter_text, visible_ordinal
from chinwag.app.tui.app import ChinwagApp
from chinwag.storage import Store
from chinwag.storage.tree import AT_HEAD
from chinwag.widgets import find_marks
from chinwag.widgets.find_bar import FindBar
from tests.tui_helpers import wait_for


def exchange(store: Store, sid: str, prompt: str, reply: str, *, parent=AT_HEAD, thinking: str = "",
             calls: tuple[tuple[str, str, str], ...] = ()):
    user, agent = store.begin_exchange(sid, prompt, agent="echo", model="", parent=parent)
    for n, (name, args, output) in enumerate(calls):
        store.start_tool_call(agent.id, f"c{n}", name, args)
        store.update_tool_call(agent.id, f"c{n}", output=output, status="completed")
    store.finish_turn(agent.id, "complete", text=reply, thinking=thinking)
    return user, store.get_turn(agent.id)


# -- the rules ------------------------------------------------------------------------------------
def test_case_smart_lower_case_is_insensitive_upper_case_is_sensitive():
    assert not case_sensitive("needle")
    assert case_sensitive("Needle")
    assert not case_sensitive(r"\S+needle\W", regex=True)  # escapes are not upper-case letters
    assert case_sensitive(r"\SNeedle", regex=True)
    assert compile_query("needle").search("a NEEDLE here")
    assert not compile_query("Needle").search("a NEEDLE here")
    assert compile_query("Needle").search("a Needle here")


def test_literal_by_default_regex_on_request_and_a_bad_regex_is_one_line():
    assert compile_query("a.c").search("a.c") and not compile_query("a.c").search("abc")
    assert compile_query("a.c", regex=True).search("abc")
    assert compile_query("") is None
    with pytest.raises(BadPattern) as caught:
        compile_query("(unclosed", regex=True)
    assert "\n" not in str(caught.value) and str(caught.value).startswith("bad regex")
    assert compile_query("(unclosed").search("x (unclosed y")  # literal: no error


def test_hits_cover_text_thinking_tool_input_and_output_in_block_order(store):
    sid = store.create_session(title="s").id
    exchange(store, sid, "first needle", "reply needle and needle", thinking="thinking of a needle",
             calls=(("grep", '{"pattern": "needle"}', "found needle in a.py"),))
    hits = Finder(store, sid).search("needle").hits
    assert [(h.field, h.on_path) for h in hits] == [
        ("text", True),  # the prompt
        ("thinking", True), ("text", True), ("text", True), ("args", True), ("output", True),
    ]
    first = hits[2]
    assert (first.start, first.end) == (6, 12)


def test_other_branches_come_after_the_active_path_and_are_counted_apart(store):
    sid = store.create_session(title="s").id
    root, _ = exchange(store, sid, "start", "alpha reply")
    exchange(store, sid, "go on", "alpha on the main line")
    old_tip = store.head_of(sid)
    exchange(store, sid, "an edit", "alpha on a side branch", parent=root.parent_id)  # a sibling of `root`
    result = Finder(store, sid).search("alpha")
    assert result.on_path == 1 and result.other == 2
    assert [h.on_path for h in result.hits] == [True, False, False]
    assert counter_text(result, 0) == "1/1 · +2 in other branches"
    store.checkout(sid, old_tip)
    again = Finder(store, sid).search("alpha")
    assert (again.on_path, again.other) == (2, 1)


def test_compacted_turns_are_searched(store):
    sid = store.create_session(title="s").id
    user, agent = exchange(store, sid, "old question", "the archived fact")
    store.mark_compacted([user.id, agent.id])
    store.add_turn(sid, "summary", "a summary")
    assert [h.turn_id for h in Finder(store, sid).search("archived").hits] == [agent.id]


def test_the_finder_follows_new_and_streaming_turns_without_rereading_all(store):
    sid = store.create_session(title="s").id
    exchange(store, sid, "one", "first kiwi")
    finder = Finder(store, sid)
    assert len(finder.search("kiwi").hits) == 1
    user, agent = store.begin_exchange(sid, "two kiwi", agent="echo", model="")
    store.append_stream(agent.id, "streaming kiwi")
    assert len(finder.search("kiwi").hits) == 3
    store.append_stream(agent.id, " and more kiwi")
    store.finish_turn(agent.id, "complete", text=" kiwi")
    assert len(finder.search("kiwi").hits) == 5


def test_empty_matches_are_no_hits_and_many_hits_are_capped(store):
    sid = store.create_session(title="s").id
    exchange(store, sid, "aaaa", "bbbb")
    finder = Finder(store, sid)
    with pytest.raises(BadPattern, match="matches empty text"):
        finder.search("x*", regex=True)
    assert [(h.start, h.end) for h in finder.search("a+", regex=True).hits] == [(0, 4)]
    capped = finder.search("a", limit=3)
    assert len(capped.hits) == 3 and capped.capped
    assert counter_text(capped, 0) == "1/3+"
    assert counter_text(finder.search("zzz"), None) == "no match"


def test_a_regex_never_matches_across_two_entries_and_greedy_ones_stay_linear(store):
    sid = store.create_session(title="s").id
    for n in range(20):
        exchange(store, sid, f"p{n}", f"r{n}")
    finder = Finder(store, sid)
    hits = finder.search(r"[^z]+", regex=True).hits  # would run through every turn in one match
    assert len(hits) == 40 and all(h.end - h.start <= 3 for h in hits)
    assert len(finder.search(r"p1$", regex=True).hits) == 1  # `$`: the end of a line of the text
    assert len(finder.search(r"^r", regex=True).hits) == 20


MIXED_CASE = ["Module mod_125.py and MOD_995.PY", "Ünïcode ÉTÉ été", "AaA aAa xX", "Testing RUNNING sing",
              "line one\nLINE two", "Kelvin \u212a and k"]


@pytest.mark.parametrize("query", [r"mod_\d+5\.py", r"[a-z]+ing\b", r"(a)\1", r"\bline\s\w+", r"été",
                                   r"x", r"\x41", r"(?-i:x)", r"k\b", r"\W+a", r"^line"])
def test_a_case_insensitive_regex_finds_what_re_finds_ignoring_case(store, query):
    # such a regex scans the lower-cased text (10x faster) unless it names characters by code
    # or sets flags inline; either way the hits are the ones `re` finds in each text
    sid = store.create_session(title="s").id
    for text in MIXED_CASE:
        exchange(store, sid, text, text.swapcase())
    finder = Finder(store, sid)
    found = [(store.get_turn(h.turn_id).text[h.start:h.end]) for h in finder.search(query, regex=True).hits]
    pattern = re.compile(query, re.IGNORECASE | re.MULTILINE)
    expected = [m.group() for t in MIXED_CASE for text in (t, t.swapcase())
                for m in pattern.finditer(text) if m.group()]
    assert found == expected


def test_visible_ordinal_skips_what_a_closed_block_hides(store):
    sid = store.create_session(title="s").id
    exchange(store, sid, "p", "needle", thinking="needle", calls=(("t", "needle", "needle"),))
    hits = Finder(store, sid).search("needle").hits[:]  # thinking, text, args, output
    assert [visible_ordinal(hits, i, expanded=True) for i in range(4)] == [0, 1, 2, 3]
    assert [visible_ordinal(hits, i, expanded=False) for i in range(4)] == [None, 0, 1, None]


# -- in the app ------------------------------------------------------------------------------------
def screen_text(app) -> str:
    return "\n".join("".join(s.text for s in strip) for strip in app.screen._compositor.render_strips())


def counter(app) -> str:
    return str(app.screen.query_one("#find-count").render())


@pytest.fixture
def make_app(db_path):
    stores = []

    def _make(fill=None):
        store = Store(db_path)
        stores.append(store)
        sid = store.create_session(title="finding").id
        if fill is not None:
            fill(store, sid)
        store.set_active_session_id(sid)
        return ChinwagApp(store=store, config=Config(), animate=False), store, sid

    yield _make
    for store in stores:
        store.close()


def many(store: Store, sid: str, count: int = 12) -> None:
    for n in range(count):
        exchange(store, sid, f"question {n}", f"answer {n} with a Needle" if n % 3 == 0 else f"answer {n}")


async def terminal_key(pilot, app, key: str, character: str) -> None:
    from textual import events

    event = events.Key(key, character)
    event.set_sender(app)
    app._driver.send_message(event)
    await pilot.pause()


async def open_find(pilot, app, query: str = "") -> FindBar:
    await pilot.press("ctrl+f")
    await wait_for(pilot, lambda: bool(app.screen.query(FindBar)) and app.screen.focused is not None
                   and app.screen.focused.id == "find-input")
    bar = app.screen.query_one(FindBar)
    if query:
        await pilot.press(*query)
    return bar


async def settled(pilot, app, text: str) -> None:
    await wait_for(pilot, lambda: counter(app) == text)


async def test_typing_narrows_the_hits_and_the_counter_follows(make_app):
    app, store, sid = make_app(many)
    async with app.run_test(size=(120, 40)) as pilot:
        every = sum(t.text.lower().count("n") for t in store.list_turns(sid))
        await open_find(pilot, app, "n")
        await wait_for(pilot, lambda: counter(app).endswith(f"/{every}"))
        await pilot.press("e", "e", "d")
        await wait_for(pilot, lambda: counter(app).endswith("/4"))
        shown = counter(app)  # the nearest hit at or below the view's top
        assert store.get_turn(app.chat.transcript.selected_turn_id).text in screen_text(app)
        await pilot.press("l", "e", " ", "z")
        await settled(pilot, app, "no match")
        await pilot.press("backspace", "backspace")
        await settled(pilot, app, shown)


async def test_enter_shift_enter_and_n_N_move_between_hits_and_scroll(make_app):
    app, store, sid = make_app(lambda s, i: many(s, i, 30))
    async with app.run_test(size=(120, 40)) as pilot:
        transcript = app.chat.transcript
        await open_find(pilot, app, "needle")
        await wait_for(pilot, lambda: counter(app).endswith("/10"))
        bottom = transcript.scroll_offset.y
        while counter(app) != "10/10":
            await pilot.press("enter")
        await pilot.press("enter")  # wraps to the first
        await settled(pilot, app, "1/10")
        first = transcript.selected_turn_id
        assert store.get_turn(first).text == "answer 0 with a Needle"
        assert transcript.scroll_offset.y < bottom  # the first hit was loaded and scrolled to
        assert "answer 0 with a Needle" in screen_text(app)
        await pilot.press("enter")
        await settled(pilot, app, "2/10")
        await pilot.press("shift+enter")
        await settled(pilot, app, "1/10")
        await pilot.press("up")
        await settled(pilot, app, "10/10")
        await pilot.press("escape")  # a hit was chosen: stay there, n / N go on
        await wait_for(pilot, lambda: not app.screen.query(FindBar))
        assert app.screen.focused is transcript
        await pilot.press("N")
        assert store.get_turn(transcript.selected_turn_id).text == "answer 24 with a Needle"
        await pilot.press("n", "n")
        assert store.get_turn(transcript.selected_turn_id).text == "answer 0 with a Needle"


async def test_a_hit_in_a_turn_not_loaded_yet_loads_the_turns_up_to_it(make_app):
    app, store, sid = make_app(lambda s, i: [exchange(s, i, "the very first", "the rare word zebra")]
                               + [exchange(s, i, f"q {n}", f"a {n}") for n in range(80)])
    async with app.run_test(size=(120, 40)) as pilot:
        transcript = app.chat.transcript
        assert len(transcript.turn_ids) < 162
        await open_find(pilot, app, "zebra")
        await settled(pilot, app, "1/1")
        assert store.get_turn(transcript.selected_turn_id).text == "the rare word zebra"
        assert "the rare word zebra" in screen_text(app)


def far_apart(store: Store, sid: str) -> None:
    exchange(store, sid, "the very first", "the rare word zebra")
    for n in range(150):
        exchange(store, sid, f"q {n}", f"a {n}")
    exchange(store, sid, "the last one", "zebra again")


async def test_a_far_hit_shows_a_page_around_it_and_esc_brings_the_newest_back(make_app):
    app, store, sid = make_app(far_apart)
    async with app.run_test(size=(120, 40)) as pilot:
        transcript = app.chat.transcript
        newest = transcript.turn_ids
        await open_find(pilot, app, "rare word")
        await settled(pilot, app, "1/1")
        assert store.get_turn(transcript.selected_turn_id).text == "the rare word zebra"
        assert transcript.has_newer and len(transcript.turn_ids) <= 80  # a page around it, not 300 turns
        await pilot.press("escape")
        await wait_for(pilot, lambda: not app.screen.query(FindBar))
        assert transcript.turn_ids == newest and transcript.scroll_offset.y == transcript.max_scroll_y


async def test_hits_far_above_and_below_a_window_are_both_reached(make_app):
    app, store, sid = make_app(far_apart)
    async with app.run_test(size=(120, 40)) as pilot:
        transcript = app.chat.transcript
        await open_find(pilot, app, "zebra")
        await settled(pilot, app, "2/2")  # the nearest: the one in view
        await pilot.press("shift+enter")
        await settled(pilot, app, "1/2")
        assert store.get_turn(transcript.selected_turn_id).text == "the rare word zebra"
        await pilot.press("enter")  # the next one: below the page shown now
        await settled(pilot, app, "2/2")
        assert store.get_turn(transcript.selected_turn_id).text == "zebra again"
        assert "zebra again" in screen_text(app)


async def test_case_smart_and_the_regex_toggle_and_a_bad_regex(make_app):
    app, store, sid = make_app(lambda s, i: exchange(s, i, "needle NEEDLE Needle", "n33dle"))
    async with app.run_test(size=(120, 40)) as pilot:
        bar = await open_find(pilot, app, "needle")
        await settled(pilot, app, "1/3")
        bar.input.value = "Needle"
        await settled(pilot, app, "1/1")
        bar.input.value = "n..dle"
        await settled(pilot, app, "no match")
        await terminal_key(pilot, app, "alt+r", "r")  # as a terminal sends it: with its character
        await settled(pilot, app, "1/4")
        assert bar.input.value == "n..dle"
        bar.input.value = "n(33"
        await wait_for(pilot, lambda: counter(app).startswith("bad regex"))
        assert app.is_running
        await pilot.click("#find-regex")  # the toggle: off again, the text is literal
        await settled(pilot, app, "no match")
        bar.input.value = "n(3"
        await settled(pilot, app, "no match")
        bar.input.value = "n3"
        await settled(pilot, app, "1/1")


async def test_hits_in_tool_output_thinking_and_a_compacted_turn_open_the_block(make_app):
    def fill(store, sid):
        user, agent = exchange(store, sid, "old", "the compacted walrus")
        store.mark_compacted([user.id, agent.id])
        store.add_turn(sid, "summary", "summary")
        exchange(store, sid, "think", "plain reply", thinking="deep walrus thoughts")
        exchange(store, sid, "tool", "ran it", calls=(("shell", "ls", "line\nwalrus.txt\n"),))

    app, store, sid = make_app(fill)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_find(pilot, app, "walrus")
        await settled(pilot, app, "1/3")
        assert "the compacted walrus" in screen_text(app)
        assert "walrus.txt" not in screen_text(app) and "deep walrus" not in screen_text(app)
        await pilot.press("enter")
        await settled(pilot, app, "2/3")
        assert "deep walrus thoughts" in screen_text(app)  # the thinking: its block opened
        thinking_turn = app.chat.transcript.selected_turn_id
        await pilot.press("enter")
        await settled(pilot, app, "3/3")
        assert "walrus.txt" in screen_text(app)  # the tool's output: its block opened
        output_turn = app.chat.transcript.selected_turn_id
        assert not find_marks.is_expanded(app.chat.transcript, thinking_turn)  # what the find opened, it closes
        await pilot.press("escape")  # a hit was chosen (Enter): you stay there, its block open
        await wait_for(pilot, lambda: not app.screen.query(FindBar))
        assert find_marks.is_expanded(app.chat.transcript, output_turn)


async def test_a_hit_deep_in_a_long_tool_output_is_shown_and_marked(make_app):
    output = "\n".join(f"line {n} " + ("the hidden walrus" if n in (5, 30) else "plain") for n in range(60))

    def fill(store, sid):
        exchange(store, sid, "tool", "ran it", calls=(("shell", "cat big.log", output),))
        exchange(store, sid, "after", "nothing here")

    app, store, sid = make_app(fill)
    async with app.run_test(size=(120, 40)) as pilot:
        transcript = app.chat.transcript
        await open_find(pilot, app, "walrus")
        await settled(pilot, app, "1/2")  # the nearest to the top of the view: line 5
        text = screen_text(app)
        assert "line 5 the hidden walrus" in text and "lines above" not in text  # the output from its start
        assert transcript.marks.current == (transcript.selected_turn_id, 0)
        await pilot.press("enter")
        await settled(pilot, app, "2/2")
        text = screen_text(app)
        assert "line 30 the hidden walrus" in text and "lines above" in text  # the output around line 30
        assert "line 5 the hidden walrus" not in text
        assert transcript.marks.current == (transcript.selected_turn_id, 0)  # the first match shown: line 30's
        await pilot.press("shift+enter")
        await settled(pilot, app, "1/2")
        assert "line 5 the hidden walrus" in screen_text(app) and "lines above" not in screen_text(app)
        await pilot.press("escape")
        await wait_for(pilot, lambda: not app.screen.query(FindBar))


async def test_a_hit_on_another_branch_is_counted_and_alt_b_checks_it_out(make_app):
    def fill(store, sid):
        root, _ = exchange(store, sid, "start", "side-only okapi")
        exchange(store, sid, "redo", "main line", parent=root.parent_id)

    app, store, sid = make_app(fill)
    async with app.run_test(size=(120, 40)) as pilot:
        head = store.head_of(sid)
        await open_find(pilot, app, "okapi")
        await settled(pilot, app, "+1 in other branches (Alt+B)")
        await pilot.press("alt+b")
        await settled(pilot, app, "1/1")
        assert store.head_of(sid) != head
        assert store.get_turn(app.chat.transcript.selected_turn_id).text == "side-only okapi"


async def test_esc_without_choosing_returns_to_where_you_were(make_app):
    app, store, sid = make_app(lambda s, i: many(s, i, 30))
    async with app.run_test(size=(120, 40)) as pilot:
        transcript = app.chat.transcript
        transcript.focus()
        await pilot.press("up", "up")
        selected, y = transcript.selected_turn_id, transcript.scroll_offset.y
        await open_find(pilot, app, "question 1")
        await wait_for(pilot, lambda: counter(app).endswith("/11"))
        assert transcript.selected_turn_id != selected
        await pilot.press("escape")
        await wait_for(pilot, lambda: not app.screen.query(FindBar))
        assert (transcript.selected_turn_id, transcript.scroll_offset.y) == (selected, y)
        assert transcript.marks is None and app.screen.focused is transcript


async def test_markup_and_control_characters_are_found_and_shown_literally(make_app):
    app, store, sid = make_app(lambda s, i: exchange(s, i, "see [bold]x[/bold] and \x1b[31mred", "ok"))
    async with app.run_test(size=(120, 40)) as pilot:
        bar = await open_find(pilot, app, "[bold]")
        await settled(pilot, app, "1/1")
        assert "[bold]x[/bold]" in screen_text(app)
        bar.input.value = "[red"
        await settled(pilot, app, "no match")
        bar.input.value = "[/"
        await pilot.press("alt+r")
        await wait_for(pilot, lambda: counter(app).startswith("bad regex"))
        assert "[/" in bar.input.value


async def test_the_sidebar_keeps_ctrl_f_for_fork(make_app):
    app, store, sid = make_app(many)
    async with app.run_test(size=(120, 40)) as pilot:
        app.chat.action_focus_sidebar()
        await pilot.pause()
        await pilot.press("ctrl+f")
        await pilot.pause()
        assert not app.screen.query(FindBar)


def styled_cells(app, word: str) -> list[tuple[str | None, bool]]:
    """(background colour, bold) of each place `word` is drawn in the transcript."""
    found = []
    region = app.chat.transcript.region
    for strip in app.screen._compositor.render_strips()[region.y:region.bottom]:
        segments = list(strip)
        text = "".join(s.text for s in segments)
        start = text.find(word)
        while start >= 0:
            position = 0
            for segment in segments:
                if position <= start < position + len(segment.text):
                    style = segment.style
                    found.append((style.bgcolor.name if style and style.bgcolor else None, bool(style and style.bold)))
                    break
                position += len(segment.text)
            start = text.find(word, start + 1)
    return found


async def test_hits_are_marked_in_place_and_the_current_one_differs(make_app):
    from chinwag.widgets.theme import DARK

    app, store, sid = make_app(lambda s, i: exchange(s, i, "find the wombat", "a wombat, another wombat"))
    async with app.run_test(size=(120, 40)) as pilot:
        await open_find(pilot, app, "wombat")
        await settled(pilot, app, "1/3")
        await pilot.pause()
        marks = styled_cells(app, "wombat")
        assert marks == [(DARK.warning, True), (DARK.summary, False), (DARK.summary, False)]
        await pilot.press("enter")
        await settled(pilot, app, "2/3")
        await pilot.pause()
        assert styled_cells(app, "wombat") == [(DARK.summary, False), (DARK.warning, True), (DARK.summary, False)]
        await pilot.press("escape")
        await pilot.pause()
        assert len(styled_cells(app, "wombat")) == 3  # chosen: the marks stay for n / N


@pytest.fixture
def demo_store(db_path):
    from chinwag.app.demo import DEMO_NOW, build_demo
    from chinwag.storage.clock import FixedClock

    store = build_demo(db_path)
    store.clock = FixedClock(DEMO_NOW)
    yield store
    store.close()


def test_snapshot_find_with_hits_marked(snap_compare, demo_store):
    async def run_before(pilot) -> None:
        app = pilot.app
        await open_find(pilot, app, "target")
        await wait_for(pilot, lambda: "/" in counter(app))
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.chat._find.chosen)
        await pilot.pause()

    app = ChinwagApp(store=demo_store, config=Config(), animate=False)
    assert snap_compare(app, terminal_size=(120, 40), run_before=run_before)


def test_capped_hits_keep_the_ones_near_the_view(store):
    sid = store.create_session(title="s").id
    for n in range(10):
        exchange(store, sid, f"p{n}", "x x x")
    finder = Finder(store, sid)
    path = finder.search("x").hits and finder.path
    near = finder.search("x", limit=4, around=path[15])  # the reply of exchange 7
    assert near.capped and [h.turn_id for h in near.hits] == [path[15]] * 3 + [path[17]]
    whole = finder.search("x", around=path[15])
    assert [h.turn_id for h in whole.hits] == [t for t in path if t in {h.turn_id for h in whole.hits}
                                              for _ in range(3)]  # not capped: path order, as without `around`


async def test_esc_after_previews_only_closes_what_the_find_opened(make_app):
    app, store, sid = make_app(lambda s, i: exchange(s, i, "think", "plain reply", thinking="deep walrus thoughts"))
    async with app.run_test(size=(120, 40)) as pilot:
        transcript = app.chat.transcript
        await open_find(pilot, app, "walrus")
        await settled(pilot, app, "1/1")
        turn = transcript.selected_turn_id
        assert find_marks.is_expanded(transcript, turn) and "deep walrus thoughts" in screen_text(app)
        await pilot.press("escape")
        await wait_for(pilot, lambda: not app.screen.query(FindBar))
        assert not find_marks.is_expanded(transcript, turn) and transcript.selected_turn_id is None


async def test_many_hits_show_the_nearest_first_then_the_full_count(make_app):
    app, store, sid = make_app(lambda s, i: [exchange(s, i, f"q{n}", "kiwi " * 30) for n in range(10)])
    async with app.run_test(size=(120, 40)) as pilot:
        shown = []
        found = app.chat._find_found

        def spy(state, generation, result):
            found(state, generation, result)
            shown.append((result.partial, counter(app)))

        app.chat._find_found = spy
        await open_find(pilot, app, "kiwi")
        await wait_for(pilot, lambda: counter(app).endswith("/300"))
        partial = [text for is_partial, text in shown if is_partial]
        assert partial and all(text.endswith("/100…") for text in partial)
        current = app.chat._find.result.hits[app.chat._find.current]
        assert current.turn_id == app.chat.transcript.selected_turn_id


async def test_an_anchored_regex_is_marked_where_the_line_begins(make_app):
    from chinwag.widgets.theme import DARK

    app, store, sid = make_app(lambda s, i: exchange(s, i, "wombat first", "then a wombat"))
    async with app.run_test(size=(120, 40)) as pilot:
        bar = await open_find(pilot, app, "^wombat")
        await pilot.press("alt+r")
        await settled(pilot, app, "1/1")
        await pilot.pause()
        marks = styled_cells(app, "wombat")
        assert bar.regex and marks[0] == (DARK.warning, True) and marks[1][0] not in (DARK.warning, DARK.summary)
