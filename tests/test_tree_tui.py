"""The conversation tree in the TUI: `e` on a prompt (Enter makes a branch, Esc abandons),
`r` on a reply, `[` / `]` and a click on `‹` / `›` switching versions (the path below
re-rendered, the selection kept), the notices at the ends and while a turn runs, the
branch count in the sidebar, and the counts and positions behind them (no Pilot).
"""

from __future__ import annotations

from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.cells import cell_len

from chinwag.app.config.loader import Config
from chinwag.app.core import branching
from chinwag.app.demo import DEMO_NOW
from chinwag.app.tui.app import ChinwagApp
from chinwag.app.tui.controller import HISTORY_PAGE
from chinwag.storage import Store
from chinwag.storage.clock import FixedClock, SequentialIds
from chinwag.storage.tree import AT_HEAD
from chinwag.widgets.role_block import header_text
from chinwag.widgets.transcript import Transcript
from tests.tui_helpers import page_down_to_the_end, wait_for


def exchange(store: Store, sid: str, prompt: str, *, parent=AT_HEAD, reply: str | None = None):
    user, agent = store.begin_exchange(sid, prompt, agent="echo", model="", parent=parent)
    store.finish_turn(agent.id, "complete", text=reply or f"re: {prompt}")
    return user, store.get_turn(agent.id)


def regenerated(store: Store, sid: str, prompt_id: str, text: str):
    reply = store.begin_reply(sid, agent="echo", model="", parent=prompt_id)
    store.finish_turn(reply.id, "complete", text=text)
    return store.get_turn(reply.id)


def two_exchanges(db_path) -> tuple[str, list]:
    store = Store(db_path)
    try:
        sid = store.create_session(title="tree").id
        u1, a1 = exchange(store, sid, "one")
        u2, a2 = exchange(store, sid, "two")
        return sid, [u1, a1, u2, a2]
    finally:
        store.close()


def header_of(app, turn_id: str) -> str:
    transcript = app.chat.transcript
    block = transcript._blocks[transcript._index[turn_id]]
    return header_text(block.turn, block.calls, transcript._options(block)).plain


async def select(pilot, app, turn_id: str) -> None:
    app.chat.transcript.focus()
    app.chat.transcript.selected_turn_id = turn_id
    await pilot.pause()


def notices(app) -> str:
    return " ".join(str(item) for item in app.chat.notices.texts)


# -- e: edit a prompt ------------------------------------------------------------------------------
async def test_e_then_enter_sends_the_new_version_as_a_branch(make_app, db_path):
    sid, (u1, a1, u2, a2) = two_exchanges(db_path)
    app, store = make_app(session_id=sid)
    async with app.run_test(size=(120, 40)) as pilot:
        app.chat.prompt.text = "half-typed draft"
        await select(pilot, app, u2.id)
        await pilot.press("e")
        await pilot.pause()
        assert app.chat.prompt.text == "two"
        assert "editing prompt 2 — Enter makes a new branch, Esc abandons" in notices(app)
        assert app.chat.prompt.area.has_focus
        app.chat.prompt.text = "two, better"
        await pilot.press("enter")
        await wait_for(pilot, lambda: not app.chat.runner.is_running(sid) and len(app.chat.transcript.turn_ids) == 4
                       and app.chat.transcript.turn_ids[2] != u2.id)
        await wait_for(pilot, lambda: store.get_session(sid).state != "busy")
        path = store.list_turns(sid)
        assert [t.text for t in path] == ["one", "re: one", "two, better", path[3].text]
        assert path[2].parent_id == u2.parent_id and path[3].parent_id == path[2].id  # a sibling, answered
        assert store.get_turn(u2.id).text == "two" and store.get_turn(a2.id).parent_id == u2.id  # the old branch whole
        assert app.chat.transcript.turn_ids == [t.id for t in path]
        assert "‹ 2/2 ›" in header_of(app, path[2].id)
        assert app.chat.prompt.text == "half-typed draft"  # what was typed before the edit is back
        assert "editing prompt" not in notices(app)


async def test_e_then_escape_abandons_and_restores_the_prompt(make_app, db_path):
    sid, (u1, a1, u2, a2) = two_exchanges(db_path)
    app, store = make_app(session_id=sid)
    async with app.run_test(size=(120, 40)) as pilot:
        app.chat.prompt.text = "my draft"
        placeholder = app.chat.prompt.placeholder
        await select(pilot, app, u1.id)
        await pilot.press("e")
        await pilot.pause()
        assert app.chat.prompt.text == "one"
        assert app.chat.prompt.placeholder.startswith("editing prompt 1")
        await pilot.press("escape")
        await pilot.pause()
        assert app.chat.prompt.text == "my draft"
        assert app.chat.prompt.placeholder == placeholder
        assert app.chat.editing is None
        assert len(store.list_turns(sid, all_branches=True)) == 4  # nothing was sent
        assert app.chat.transcript.turn_ids == [u1.id, a1.id, u2.id, a2.id]


async def test_e_keeps_pastes_literal_and_collapsed(make_app, db_path):
    store = Store(db_path)
    big = "\n".join(f"log line {n}" for n in range(40))
    text = f"look at this {big} thanks"
    sid = store.create_session(title="paste").id
    user, _ = exchange(store, sid, text)
    store.merge_turn_metadata(user.id, {"pastes": [[13, 13 + len(big)]]})
    store.close()
    app, store = make_app(session_id=sid)
    async with app.run_test(size=(120, 40)) as pilot:
        await select(pilot, app, user.id)
        await pilot.press("e")
        await pilot.pause()
        assert app.chat.prompt.text == text  # sent back exactly as it was
        assert app.chat.prompt.expanded()[1] == [(13, 13 + len(big))]
        assert big not in app.chat.prompt.area.text  # shown collapsed, as it was typed


async def test_e_while_a_turn_runs_says_so_and_changes_nothing(make_app, db_path):
    sid, (u1, a1, u2, a2) = two_exchanges(db_path)
    store = Store(db_path)
    store.begin_exchange(sid, "three", agent="echo", model="")  # streaming, owned by this live process
    store.close()
    app, store = make_app(session_id=sid)
    async with app.run_test(size=(120, 40)) as pilot:
        app.chat.prompt.text = "draft"
        for key, turn in (("e", u1), ("r", a1), ("left_square_bracket", u2)):
            await select(pilot, app, turn.id)
            await pilot.press(key)
            await pilot.pause()
            assert branching.BUSY in notices(app)
            app.chat.notices.dismiss()
        assert app.chat.prompt.text == "draft" and app.chat.editing is None
        assert len(store.list_turns(sid, all_branches=True)) == 6


async def test_e_on_a_reply_and_r_on_a_summary_say_what_they_act_on(make_app, db_path):
    sid, (u1, a1, u2, a2) = two_exchanges(db_path)
    app, store = make_app(session_id=sid)
    async with app.run_test(size=(120, 40)) as pilot:
        await select(pilot, app, a1.id)
        await pilot.press("e")
        await pilot.pause()
        assert "e edits a prompt" in notices(app)
        assert app.chat.editing is None and app.chat.prompt.text == ""


# -- r: regenerate a reply ------------------------------------------------------------------------------
async def test_r_regenerates_a_reply_beside_the_old_one(make_app, db_path):
    sid, (u1, a1, u2, a2) = two_exchanges(db_path)
    app, store = make_app(session_id=sid)
    async with app.run_test(size=(120, 40)) as pilot:
        await select(pilot, app, a1.id)
        await pilot.press("r")  # asks first (a model call): r or Enter says yes
        await wait_for(pilot, lambda: app.chat.transcript.typing.asking)
        await pilot.press("enter")
        await wait_for(pilot, lambda: len(store.children(sid, u1.id)) == 2)
        await wait_for(pilot, lambda: not app.chat.runner.is_running(sid)
                       and store.get_session(sid).state != "busy")
        new = store.children(sid, u1.id)[1]
        assert new.role == "agent" and new.status == "complete"
        assert [t.id for t in store.list_turns(sid)] == [u1.id, new.id]
        assert app.chat.transcript.turn_ids == [u1.id, new.id]  # the path below the old reply is gone
        assert "‹ 2/2 ›" in header_of(app, new.id)
        assert store.get_turn(a2.id).parent_id == u2.id  # the old branch stays whole


# -- [ and ]: another version ------------------------------------------------------------------------------
def branched(db_path) -> tuple[str, dict]:
    """one / re: one / two / re: two, with `two` edited into `two b` (the head's branch)."""
    store = Store(db_path)
    try:
        sid = store.create_session(title="branched").id
        u1, a1 = exchange(store, sid, "one")
        u2, a2 = exchange(store, sid, "two")
        u3, a3 = exchange(store, sid, "three")
        v2, b2 = exchange(store, sid, "two b", parent=u2.parent_id)
        return sid, {"u1": u1, "a1": a1, "u2": u2, "a2": a2, "u3": u3, "a3": a3, "v2": v2, "b2": b2}
    finally:
        store.close()


async def test_brackets_switch_versions_and_the_ends_say_so(make_app, db_path):
    sid, t = branched(db_path)
    app, store = make_app(session_id=sid)
    async with app.run_test(size=(120, 40)) as pilot:
        transcript = app.chat.transcript
        assert transcript.turn_ids == [t["u1"].id, t["a1"].id, t["v2"].id, t["b2"].id]
        assert "‹ 2/2 ›" in header_of(app, t["v2"].id)
        assert "‹" not in header_of(app, t["u1"].id)  # one version: no arrows
        await select(pilot, app, t["v2"].id)
        top = transcript.scroll_offset.y
        await pilot.press("left_square_bracket")
        await pilot.pause()
        ids = [t[k].id for k in ("u1", "a1", "u2", "a2", "u3", "a3")]
        assert transcript.turn_ids == ids  # the path below re-rendered: the newest tip under `two`
        assert store.head_of(sid) == t["a3"].id
        assert transcript.selected_turn_id == t["u2"].id
        assert transcript.scroll_offset.y == top
        assert "‹ 1/2 ›" in header_of(app, t["u2"].id)
        await pilot.press("left_square_bracket")
        await pilot.pause()
        assert "this is the first of 2 versions of this block" in notices(app)
        assert transcript.turn_ids == ids and store.head_of(sid) == t["a3"].id
        await pilot.press("right_square_bracket")
        await pilot.pause()
        assert transcript.turn_ids == [t["u1"].id, t["a1"].id, t["v2"].id, t["b2"].id]
        assert store.head_of(sid) == t["b2"].id and transcript.selected_turn_id == t["v2"].id
        await pilot.press("right_square_bracket")
        await pilot.pause()
        assert "this is the last of 2 versions of this block" in notices(app)
        await select(pilot, app, t["a1"].id)
        await pilot.press("right_square_bracket")
        await pilot.pause()
        assert "this block has no other version" in notices(app)
        assert store.head_of(sid) == t["b2"].id


async def test_a_click_on_the_arrows_switches_versions(make_app, db_path):
    sid, t = branched(db_path)
    app, store = make_app(session_id=sid)
    async with app.run_test(size=(120, 40)) as pilot:
        transcript = app.chat.transcript

        def arrow(turn_id: str, glyph: str) -> tuple[int, int]:
            plain = header_of(app, turn_id)
            x = cell_len(plain[:plain.rindex(glyph)])
            y = transcript._offsets[transcript._index[turn_id]] - int(transcript.scroll_offset.y)
            return x + 1, y  # the transcript's left padding

        await pilot.click(Transcript, offset=arrow(t["v2"].id, "›"))
        await pilot.pause()
        assert "this is the last of 2 versions of this block" in notices(app)
        await pilot.click(Transcript, offset=arrow(t["v2"].id, "‹"))
        await pilot.pause()
        assert transcript.turn_ids[2:] == [t[k].id for k in ("u2", "a2", "u3", "a3")]
        assert transcript.selected_turn_id == t["u2"].id
        await pilot.click(Transcript, offset=arrow(t["u2"].id, "›"))
        await pilot.pause()
        assert transcript.turn_ids[2:] == [t["v2"].id, t["b2"].id]
        assert store.head_of(sid) == t["b2"].id


# -- the sidebar --------------------------------------------------------------------------------------------
async def test_the_sidebar_shows_branch_counts_and_the_active_branch_turns(make_app, db_path):
    sid, t = branched(db_path)
    store = Store(db_path)
    flat = store.create_session(title="flat").id
    exchange(store, flat, "only")
    regenerated(store, sid, t["u2"].id, "two again")  # a third branch; the head moves to it
    store.checkout(sid, t["b2"].id)
    store.close()
    app, store = make_app(session_id=sid)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        rows = app.chat.sidebar.list
        lines = {s.id: "".join(seg.text for seg in rows._session_strip(s, False, 40)) for s in rows.sessions}
        assert "⑂3" in lines[sid] and "  4 " in lines[sid]  # 3 branches; 4 turns on the active one (8 in all)
        assert "⑂" not in lines[flat] and "  2 " in lines[flat]


# -- no Pilot: counts and positions ----------------------------------------------------------------------
def test_tree_counts_and_prompt_numbers(store):
    sid = store.create_session(title="t").id
    assert store.tree_counts([sid]) == {}
    u1, a1 = exchange(store, sid, "one")
    u2, a2 = exchange(store, sid, "two")
    assert store.tree_counts([sid]) == {}  # one branch, the head at its tip
    v1, b1 = exchange(store, sid, "one b", parent=None)  # an edited first prompt: a second root
    assert store.tree_counts([sid]) == {sid: (2, 2)}
    store.move_head(sid, a1.id, "head_moved", {})  # inside a branch (a rewind): its path counts
    assert store.tree_counts([sid]) == {sid: (2, 2)}
    assert store.prompt_number(sid, u2.id) == 2 and store.prompt_number(sid, v1.id) == 1


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.integers(min_value=0, max_value=30), min_size=1, max_size=25))
def test_tree_counts_and_placements_agree_with_the_tree(store, parents):
    """Any tree: the cheap counts are the tips `branches` lists and the active path's length,
    and the cheap placements of a page are those counted one by one."""
    sid = store.create_session(title="any").id
    ids: list[str | None] = [None]
    for pick in parents:
        turn = store.add_turn(sid, "user", f"t{len(ids)}", parent=ids[pick % len(ids)])
        ids.append(turn.id)
    turns, tips = store.tree_counts([sid]).get(sid, (store.get_session(sid).turn_count, 1))
    assert tips == len(store.branches(sid))
    assert turns == len(store.turn_ids_to(sid, store.head_of(sid)))
    every = store.list_turns(sid, all_branches=True)
    assert store.placements_in(sid, every) == {k: p for k, p in store.placements(sid).items() if p.siblings > 1}


def test_switch_sibling_refuses_at_the_ends_and_moves_the_head(store):
    sid = store.create_session(title="s").id
    u1, a1 = exchange(store, sid, "one")
    a1b = regenerated(store, sid, u1.id, "again")
    assert branching.switch_sibling(store, sid, a1b.id, 1) == branching.Refused(
        "this is the last of 2 versions of this block")
    switch = branching.switch_sibling(store, sid, a1b.id, -1)
    assert isinstance(switch, branching.Refused) is False
    assert switch.turn.id == a1.id and switch.tip == a1.id and store.head_of(sid) == a1.id
    assert branching.regenerate_parent(store, a1.id) == u1.id
    assert branching.turns_line(4, None) == "4"
    assert branching.turns_line(8, (4, 3)) == "4 on the active branch · 8 in all · 3 branches"


# -- the look ------------------------------------------------------------------------------------------------
def test_snapshot_blocks_with_siblings(snap_compare, db_path):
    store = Store(db_path, clock=FixedClock(DEMO_NOW - timedelta(hours=3), step_ms=700),
                  new_id=SequentialIds("01TREE"))
    try:
        sid = store.create_session(title="Which sort is stable?").id
        u1, a1 = exchange(store, sid, "Is Python's sort stable?", reply="Yes: `sorted` and `list.sort` are stable.")
        u2, _ = exchange(store, sid, "And heapq?", reply="No, a heap does not keep the order of equal keys.")
        v2, b2 = exchange(store, sid, "And heapq.nsmallest?", parent=u2.parent_id,
                          reply="It is stable for equal keys: ties keep their input order.")
        regenerated(store, sid, v2.id, "Yes: it breaks ties by position.")
        exchange(store, sid, "Thanks!", reply="You're welcome.")
        store.clock = FixedClock(DEMO_NOW)
        app = ChinwagApp(store=store, config=Config(), animate=False, session_id=sid)
        assert snap_compare(app, terminal_size=(120, 40))
    finally:
        store.close()


def long_sibling(store: Store, length: int) -> tuple[str, object, object, list]:
    """A short branch (the head) beside a prompt with `length` exchanges below it."""
    sid = store.create_session(title="long").id
    u1, _ = exchange(store, sid, "start")
    long_path = [exchange(store, sid, f"step {n}") for n in range(length)]
    short, _ = exchange(store, sid, "short", parent=long_path[0][0].parent_id)
    return sid, long_path[0][0], short, long_path


def test_a_switch_to_a_long_branch_pages_down_to_its_tip(store):
    """The first page below the switched block, then page after page: never the whole path."""
    from chinwag.app.tui.controller import HISTORY_PAGE, ChatController

    sid, first, short, long_path = long_sibling(store, 50)
    controller = ChatController(store, runner=None)
    controller.open(sid)
    switch = branching.switch_sibling(store, sid, short.id, -1)
    page = controller.switched(switch, short.seq)
    assert page.turns[0].id == first.id and len(page.turns) == HISTORY_PAGE and page.has_newer
    assert page.placements[first.id].sibling_index == 1
    assert controller.newest() == []  # another process's write: nothing appended after a partial page
    rest = controller.newer()
    assert rest is not None and not rest.has_newer and rest.turns[-1].id == long_path[-1][1].id
    assert [t.id for t in page.turns + rest.turns] == store.turn_ids_to(sid, switch.tip)[2:]
    assert controller.newer() is None


async def test_scrolling_down_a_switched_long_branch_loads_the_rest(make_app, db_path):
    store = Store(db_path)
    sid, first, short, long_path = long_sibling(store, 50)
    store.close()
    app, store = make_app(session_id=sid)
    async with app.run_test(size=(120, 40)) as pilot:
        transcript = app.chat.transcript
        await select(pilot, app, short.id)
        await pilot.press("left_square_bracket")
        await pilot.pause()
        assert transcript.turn_ids[2] == first.id and transcript.has_newer and len(transcript.turn_ids) == 62
        await page_down_to_the_end(pilot, transcript)
        assert transcript.turn_ids == store.turn_ids_to(sid, store.head_of(sid))


async def test_end_on_a_switched_long_branch_shows_its_newest_page_at_once(make_app, db_path):
    store = Store(db_path)
    sid, first, short, long_path = long_sibling(store, 50)
    store.close()
    app, store = make_app(session_id=sid)
    async with app.run_test(size=(120, 40)) as pilot:
        transcript = app.chat.transcript
        await select(pilot, app, short.id)
        await pilot.press("left_square_bracket")
        await pilot.pause()
        assert transcript.has_newer
        await pilot.press("end")
        await pilot.pause()
        path = store.turn_ids_to(sid, store.head_of(sid))
        assert transcript.turn_ids == path[-HISTORY_PAGE:] and not transcript.has_newer
        assert transcript.scroll_offset.y == transcript.max_scroll_y


def test_session_list_counts_the_turns_of_the_active_branch(cli, db_path):
    sid, t = branched(db_path)  # 8 turns in all, 4 on the active branch
    result = cli("session", "list")
    assert result.returncode == 0, result.stderr
    row = next(line for line in result.stdout.splitlines() if sid in line)
    assert row.split()[row.split().index("ready") + 1] == "4", row  # ... STATE TURNS ...
