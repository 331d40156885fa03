"""The conversation tree in the TUI, against real git shadow repositories and real temp
workspaces: /rewind (the picker, its preview with a diff, conversation and files or only the
conversation, the old prompt back in the prompt, /rewind --undo), a session without
checkpoints, /branches (Enter jumps), `u` on a reply of the real ACP fake agent (undo one
tool call's writes, after asking), the "no checkpoint: …" line live and reopened, a sidebar
search hit on another branch, and `session search` marking such hits. Snapshots: the picker
and the preview with a diff."""

from __future__ import annotations

import json
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from textual.worker import WorkerState

from chinwag.app.agents.acp import pool as acp_pool
from chinwag.app.config.loader import Config
from chinwag.app.core import checkpoints, tree_view
from chinwag.app.core.runner import Runner
from chinwag.app.tui.app import ChinwagApp
from chinwag.app.tui.rewind import OTHER_BRANCH
from chinwag.storage import Store
from chinwag.storage.clock import FixedClock, SequentialIds
from chinwag.widgets.choice_screen import ChoiceScreen
from chinwag.widgets.confirm import ConfirmScreen
from chinwag.widgets.rewind_picker import COMPUTING, PickScreen, RewindPreviewScreen
from tests.tui_helpers import submit as slash
from tests.tui_helpers import wait_for

AGENT = str(Path(__file__).parent / "fake_acp_agent.py")
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
pytestmark = pytest.mark.usefixtures("user_git")  # tests/conftest.py: a hostile global git config


# -- set-up ------------------------------------------------------------------------------------------
def exchange(store: Store, sid: str, prompt: str, ws: Path | None, change=None, **turn) -> tuple:
    """One prompt (checkpointed first, as the runner does) and its reply, which `change`s files."""
    metadata = {}
    if ws is not None:
        metadata = {"checkpoint": checkpoints.take(ws, label=prompt, exclude=(Path(store.path),)).record()}
    user = store.add_turn(sid, "user", prompt, metadata=metadata, **turn)
    if change:
        change()
    reply = store.add_turn(sid, "agent", "Done.", agent="fake", model="f-1")
    return user, reply


def coding_session(store: Store, ws: Path):
    """Three prompts: the 2nd changes notes.txt and adds made.txt, the 3rd deletes src/app.py."""
    session = store.create_session(agent="echo", workspace=str(ws), title="coding")
    first = exchange(store, session.id, "look around", ws)
    second = exchange(store, session.id, "edit the notes", ws, lambda: (
        (ws / "notes.txt").write_text("hello notes\nedited by the agent\n"), (ws / "made.txt").write_text("new\n")))
    third = exchange(store, session.id, "remove the app", ws, lambda: (ws / "src" / "app.py").unlink())
    return session, [first, second, third]


@pytest.fixture
def make_app(db_path):
    stores = []

    def _make(config=None, clock=None, **kwargs):
        store = Store(db_path, **({"clock": clock, "new_id": SequentialIds()} if clock else {}))
        stores.append(store)
        return ChinwagApp(store=store, config=config or Config(), animate=False, **kwargs), store

    yield _make
    for store in stores:
        store.close()


def preview_ready(app) -> bool:
    """The rewind's preview is up and shows what changes (worked out in a thread)."""
    return isinstance(app.screen, RewindPreviewScreen) and app.screen.ready


def shown(screen) -> str:
    return "\n".join(str(w.render()) for w in screen.query("Static, Label"))


def block_text(app, turn_id: str) -> str:
    transcript = app.chat.transcript
    lines = [strip.text.removeprefix("▎ ").removeprefix("┃ ").rstrip() for strip in
             transcript._strips(transcript._index[turn_id])]
    return " ".join(lines)  # a wrapped line joined up again


# -- what the picker lists (no Textual) ---------------------------------------------------------------------
def test_rewind_points_name_each_turns_files_even_with_skipped_and_repeated_checkpoints(store, ws):
    session = store.create_session(agent="echo", workspace=str(ws), title="coding")
    exchange(store, session.id, "unchanged one", ws)
    exchange(store, session.id, "unchanged two", ws, lambda: (ws / "a.txt").write_text("a\n"))
    store.add_turn(session.id, "user", "skipped", metadata={"checkpoint": {"skipped": "too big"}})
    (ws / "b.txt").write_text("b\n")
    exchange(store, session.id, "no record", None, lambda: (ws / "c.txt").write_text("c\n"))
    exchange(store, session.id, "last", ws, lambda: (ws / "notes.txt").unlink())
    points, note = tree_view.rewind_points(store, store.get_session(session.id))
    assert note == ""
    assert [(p.prompt.text, p.files, p.note) for p in points] == [
        ("last", ("notes.txt",), ""),
        ("no record", None, "no checkpoint"),
        ("skipped", None, "no checkpoint: too big"),
        ("unchanged two", ("a.txt", "b.txt", "c.txt"), ""),  # up to the next checkpoint on the path
        ("unchanged one", (), ""),
    ]


def test_call_writes_and_search_hits_read_the_store(store):
    session, hidden = branched(store)
    assert tree_view.search_hit(store, session.id, "quok") == tree_view.Hit(hidden.id, False)
    assert tree_view.search_hit(store, session.id, "first") == tree_view.Hit(
        store.list_turns(session.id)[0].id, True)
    assert tree_view.search_hit(store, session.id, "nowhere") is None
    reply = store.list_turns(session.id)[-1]
    assert tree_view.call_writes(store, reply.id) == []


# -- /rewind -------------------------------------------------------------------------------------------
async def test_rewind_picker_preview_then_conversation_and_files_and_undo(make_app, ws):
    app, store = make_app()
    session, exchanges = coding_session(store, ws)
    (second_user, _), third_user = exchanges[1], exchanges[2][0]
    async with app.run_test(size=(120, 40)) as pilot:
        app.chat.open_session(session.id)
        await slash(pilot, app, "/rewind")
        await wait_for(pilot, lambda: isinstance(app.screen, PickScreen))
        listed = shown(app.screen) + "".join(str(o.prompt) for o in app.screen.query_one("OptionList").options)
        assert listed.index("remove the app") < listed.index("edit the notes") < listed.index("look around")
        assert "its turn changed src/app.py" in listed and "its turn changed made.txt, notes.txt" in listed
        await pilot.press("down", "enter")  # the 2nd prompt
        await wait_for(pilot, lambda: preview_ready(app))
        preview = shown(app.screen)
        assert "4 turns leave the active branch" in preview
        assert "1 changed back, 1 created later removed, 1 deleted brought back" in preview
        assert "+edited by the agent" in preview  # the diff preview
        await pilot.press("b")
        await wait_for(pilot, lambda: not isinstance(app.screen, RewindPreviewScreen))
        assert (ws / "notes.txt").read_text() == "hello notes\n" and not (ws / "made.txt").exists()
        assert (ws / "src" / "app.py").read_text() == "print('old')\n"
        assert store.head_of(session.id) == second_user.parent_id
        assert app.chat.transcript.turn_ids == store.turn_ids_to(session.id, second_user.parent_id)
        assert app.chat.prompt.text == "edit the notes"  # offered for editing
        assert any(t.startswith("rewound to before") for t in app.chat.notices.texts)

        await slash(pilot, app, "/rewind --undo")
        await pilot.pause()
        assert store.head_of(session.id) == exchanges[2][1].id
        assert (ws / "made.txt").exists() and not (ws / "src" / "app.py").exists()
        assert "edited by the agent" in (ws / "notes.txt").read_text()
        assert app.chat.transcript.turn_ids[-2] == third_user.id
        assert any(t.startswith("undid the last rewind") for t in app.chat.notices.texts)


async def test_rewind_only_the_conversation_leaves_the_files(make_app, ws):
    app, store = make_app()
    session, exchanges = coding_session(store, ws)
    before = {p: p.read_bytes() for p in ws.rglob("*") if p.is_file()}
    async with app.run_test(size=(120, 40)) as pilot:
        app.chat.open_session(session.id)
        await slash(pilot, app, "/rewind")
        await wait_for(pilot, lambda: isinstance(app.screen, PickScreen))
        await pilot.press("enter")  # the newest prompt
        await wait_for(pilot, lambda: preview_ready(app))
        await pilot.press("c")
        await wait_for(pilot, lambda: not isinstance(app.screen, RewindPreviewScreen))
        assert store.head_of(session.id) == exchanges[1][1].id
        assert {p: p.read_bytes() for p in ws.rglob("*") if p.is_file()} == before
        assert app.chat.prompt.text == "remove the app"


async def test_escape_in_the_preview_changes_nothing(make_app, ws):
    app, store = make_app()
    session, exchanges = coding_session(store, ws)
    async with app.run_test(size=(120, 40)) as pilot:
        app.chat.open_session(session.id)
        await slash(pilot, app, "/rewind")
        await wait_for(pilot, lambda: isinstance(app.screen, PickScreen))
        await pilot.press("enter")
        await wait_for(pilot, lambda: preview_ready(app))
        await pilot.press("escape")
        await pilot.pause()
        assert store.head_of(session.id) == exchanges[2][1].id and not store.rewinds(session.id)
        assert not (ws / "src" / "app.py").exists()


async def test_a_session_without_checkpoints_rewinds_the_conversation_and_says_files_are_not_tracked(make_app):
    app, store = make_app()
    session = store.create_session(agent="echo", title="chat")
    first, _ = exchange(store, session.id, "first question", None)
    exchange(store, session.id, "second question", None)
    async with app.run_test(size=(120, 40)) as pilot:
        app.chat.open_session(session.id)
        await slash(pilot, app, "/rewind")
        await wait_for(pilot, lambda: isinstance(app.screen, PickScreen))
        assert tree_view.NOT_TRACKED in shown(app.screen)
        await pilot.press("down", "enter")
        await wait_for(pilot, lambda: preview_ready(app))
        assert tree_view.NOT_TRACKED in shown(app.screen) and "b  rewind conversation and files" not in shown(app.screen)
        await pilot.press("b")  # not offered: nothing happens
        await pilot.pause()
        assert isinstance(app.screen, RewindPreviewScreen)
        await pilot.press("c")
        await wait_for(pilot, lambda: not isinstance(app.screen, RewindPreviewScreen))
        assert store.head_of(session.id) is None and app.chat.transcript.turn_ids == []
        assert app.chat.prompt.text == "first question"


async def test_the_diff_is_worked_out_off_the_ui_thread_and_escape_works_meanwhile(make_app, ws, monkeypatch):
    app, store = make_app()
    session, exchanges = coding_session(store, ws)
    started, release = threading.Event(), threading.Event()
    on_ui_thread = []
    real = tree_view.rewind_preview

    def slow_preview(*args):  # as on a big workspace: git takes its time
        on_ui_thread.append(threading.current_thread() is threading.main_thread())
        started.set()
        release.wait(30)
        return real(*args)

    monkeypatch.setattr(tree_view, "rewind_preview", slow_preview)
    async with app.run_test(size=(120, 40)) as pilot:
        app.chat.open_session(session.id)
        await slash(pilot, app, "/rewind")
        await wait_for(pilot, lambda: isinstance(app.screen, PickScreen))
        await pilot.press("down", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, RewindPreviewScreen) and started.is_set())
        preview = app.screen
        assert COMPUTING in shown(preview) and not preview.ready and on_ui_thread == [False]
        assert "b  rewind" not in shown(preview)  # files: not known yet
        await pilot.press("b")
        await pilot.pause()
        assert app.screen is preview
        worker = next(w for w in app.workers if w.group == "rewind-preview")
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, RewindPreviewScreen))
        assert not release.is_set()  # the app answered all along
        release.set()  # the result lands after the preview closed
        await app.workers.wait_for_complete([worker])
        await pilot.pause()
        assert worker.state == WorkerState.SUCCESS and worker.error is None
        assert not isinstance(app.screen, RewindPreviewScreen)
        assert store.head_of(session.id) == exchanges[2][1].id and not store.rewinds(session.id)
        assert (ws / "made.txt").exists()


async def test_the_picker_reads_the_checkpoints_off_the_ui_thread(make_app, ws, monkeypatch):
    app, store = make_app()
    session, _ = coding_session(store, ws)
    started, release = threading.Event(), threading.Event()
    on_ui_thread = []
    real = tree_view.rewind_points

    def slow_points(*args):
        on_ui_thread.append(threading.current_thread() is threading.main_thread())
        started.set()
        release.wait(30)
        return real(*args)

    monkeypatch.setattr(tree_view, "rewind_points", slow_points)
    async with app.run_test(size=(120, 40)) as pilot:
        app.chat.open_session(session.id)
        await slash(pilot, app, "/rewind")
        await wait_for(pilot, started.is_set)
        await pilot.press(*"still typing")  # the app answers while git works
        assert app.chat.prompt.text == "still typing" and on_ui_thread == [False]
        assert not release.is_set()
        release.set()
        await wait_for(pilot, lambda: isinstance(app.screen, PickScreen))
        assert "remove the app" in "".join(str(o.prompt) for o in app.screen.query_one("OptionList").options)


async def test_a_preview_that_cannot_be_worked_out_says_why_in_one_line(make_app, ws, monkeypatch):
    app, store = make_app()
    session, _ = coding_session(store, ws)

    def broken(*args):
        raise checkpoints.CheckpointError("git could not read the checkpoint repository\nwith details")

    monkeypatch.setattr(tree_view, "rewind_preview", broken)
    async with app.run_test(size=(120, 40)) as pilot:
        app.chat.open_session(session.id)
        await slash(pilot, app, "/rewind")
        await wait_for(pilot, lambda: isinstance(app.screen, PickScreen))
        await pilot.press("enter")
        await wait_for(pilot, lambda: preview_ready(app))
        assert "could not work out what changes: git could not read the checkpoint repository" in shown(app.screen)
        assert "with details" not in shown(app.screen)
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, RewindPreviewScreen))


async def test_a_session_with_a_workspace_but_no_checkpoints_says_so_once(make_app, ws):
    app, store = make_app()
    session = store.create_session(agent="echo", workspace=str(ws), title="chat in a folder")
    exchange(store, session.id, "first question", None)  # a model session: no checkpoints
    exchange(store, session.id, "second question", None)
    async with app.run_test(size=(120, 40)) as pilot:
        app.chat.open_session(session.id)
        await slash(pilot, app, "/rewind")
        await wait_for(pilot, lambda: isinstance(app.screen, PickScreen))
        rows = [str(o.prompt) for o in app.screen.query_one("OptionList").options]
        assert tree_view.NOT_TRACKED in shown(app.screen)  # the header says it
        assert len(rows) == 2 and not any("checkpoint" in row for row in rows)  # the rows do not repeat it
        assert "second question" in rows[0] and "first question" in rows[1]


async def test_rewind_with_nothing_to_undo_is_one_line(make_app):
    app, store = make_app()
    session = store.create_session(agent="echo", title="chat")
    exchange(store, session.id, "hi", None)
    async with app.run_test(size=(120, 40)) as pilot:
        app.chat.open_session(session.id)
        await slash(pilot, app, "/rewind --undo")
        assert any("has no rewind to undo" in t for t in app.chat.notices.texts)
        await slash(pilot, app, "/rewind now")
        assert any(t.startswith("usage: /rewind") for t in app.chat.notices.texts)


# -- /branches -----------------------------------------------------------------------------------------
async def test_branches_lists_the_tips_and_enter_jumps_to_one(make_app):
    app, store = make_app()
    session = store.create_session(agent="echo", title="tree")
    first, first_reply = exchange(store, session.id, "the first prompt", None)
    old_user, old_reply = exchange(store, session.id, "the old second prompt", None)
    new_user = store.add_turn(session.id, "user", "the new second prompt", parent=first_reply.id)
    new_reply = store.add_turn(session.id, "agent", "a new reply", agent="fake")
    async with app.run_test(size=(120, 40)) as pilot:
        app.chat.open_session(session.id)
        assert app.chat.transcript.turn_ids[-1] == new_reply.id
        await slash(pilot, app, "/branches")
        await wait_for(pilot, lambda: isinstance(app.screen, PickScreen))
        options = [str(o.prompt) for o in app.screen.query_one("OptionList").options]
        assert len(options) == 2 and "* " in options[0] and "the new second prompt" in options[0]
        assert "the old second prompt" in options[1] and f"4 turns · tip {old_reply.id}" in options[1]
        await pilot.press("down", "enter")
        await wait_for(pilot, lambda: not isinstance(app.screen, PickScreen))
        assert store.head_of(session.id) == old_reply.id
        assert app.chat.transcript.turn_ids == [first.id, first_reply.id, old_user.id, old_reply.id]
        assert app.chat.transcript.selected_turn_id == old_reply.id  # scrolled to the tip
        assert new_user.id not in app.chat.transcript.turn_ids


# -- u: undo one tool call --------------------------------------------------------------------------------
@pytest.fixture
async def no_agents_left():
    yield
    await acp_pool.close_all()


async def test_u_undoes_one_tool_call_after_asking(make_app, tmp_path, ws, no_agents_left):
    config = Config(agents={"fake": {"kind": "acp", "command": [sys.executable, AGENT], "timeout": 20,
                                     "env": {"FAKE_ACP_STATE": str(tmp_path / "agent-state.json")}}})
    app, store = make_app(config)
    session = store.create_session(agent="fake", workspace=str(ws), mode="bypass")
    reply = await Runner(store, config).send(session.id, "toolwrite notes.txt src/app.py fresh/new.txt")
    await acp_pool.close_all()
    assert reply.status == "complete", reply.error
    async with app.run_test(size=(120, 40)) as pilot:
        app.chat.open_session(session.id)
        transcript = app.chat.transcript
        transcript.focus()
        await pilot.press("up", "up")  # the prompt: nothing to undo there
        await pilot.press("u")
        await pilot.pause()
        assert any(t.startswith("select an agent block") for t in app.chat.notices.texts)
        await pilot.press("down", "u")  # the reply: three calls wrote
        await wait_for(pilot, lambda: isinstance(app.screen, ChoiceScreen))
        assert "notes.txt" in shown(app.screen) + " ".join(str(b.label) for b in app.screen.query("Button"))
        await pilot.press("1")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        asked = shown(app.screen)
        assert "notes.txt" in asked and "-hello notes" in asked and "+edited by call-w1" in asked
        await pilot.press("y")
        await wait_for(pilot, lambda: (ws / "notes.txt").read_text() == "hello notes\n")
        assert (ws / "src" / "app.py").read_text() == "edited by call-w2\n"  # the other calls' writes stay
        await wait_for(pilot, lambda: any(t.startswith("undid") for t in app.chat.notices.texts))

        await pilot.press("u")  # call-w1 is undone: two are left to choose from
        await wait_for(pilot, lambda: isinstance(app.screen, ChoiceScreen))
        labels = " ".join(str(b.label) for b in app.screen.query("Button"))
        assert "notes.txt" not in labels and "fresh/new.txt" in labels
        await pilot.press("escape")
        await pilot.pause()
        assert (ws / "fresh" / "new.txt").exists()


async def test_u_on_a_reply_that_wrote_nothing_is_one_line(make_app):
    app, store = make_app()
    session = store.create_session(agent="echo", title="chat")
    exchange(store, session.id, "hi", None)
    async with app.run_test(size=(120, 40)) as pilot:
        app.chat.open_session(session.id)
        app.chat.transcript.focus()
        await pilot.press("up", "u")
        await pilot.pause()
        assert any(t.startswith("nothing to undo") for t in app.chat.notices.texts)


# -- no checkpoint ------------------------------------------------------------------------------------------
async def test_a_skipped_checkpoint_shows_under_the_prompt_live_and_when_reopened(make_app, ws):
    config = Config(agents={"watched": {"kind": "echo", "checkpoints": True}})
    app, store = make_app(config)
    session = store.create_session(agent="watched", workspace=str(ws / "notes.txt"))
    async with app.run_test(size=(120, 40)) as pilot:
        app.chat.open_session(session.id)
        await slash(pilot, app, "check this")
        await wait_for(pilot, lambda: any(t.role == "agent" and t.status == "complete"
                                          for t in store.list_turns(session.id)))
        user = next(t for t in store.list_turns(session.id) if t.role == "user")
        # the line is cut to the block's width: a long tmp path (parallel runs) leaves its start
        line = f"no checkpoint: the workspace {ws / 'notes.txt'} is not a folder"[:60]
        await wait_for(pilot, lambda: line in block_text(app, user.id))
        app.chat.open_session(session.id)
        await pilot.pause()
        assert line in block_text(app, user.id)


# -- search hits on another branch ------------------------------------------------------------------------------
def branched(store: Store):
    session = store.create_session(agent="echo", title="branchy")
    _, first_reply = exchange(store, session.id, "the first prompt", None)
    hidden, _ = exchange(store, session.id, "a quokka hides here", None)
    exchange(store, session.id, "the other second prompt", None, parent=first_reply.id)
    return session, hidden


async def test_a_sidebar_search_hit_on_another_branch_opens_that_branch_at_the_hit(make_app):
    app, store = make_app()
    session, hidden = branched(store)
    other = store.create_session(agent="echo", title="other")
    exchange(store, other.id, "nothing here", None)
    async with app.run_test(size=(120, 40)) as pilot:
        app.chat.open_session(other.id)
        assert hidden.id not in store.turn_ids_to(session.id, store.head_of(session.id))
        app.chat.action_focus_sidebar()
        await pilot.pause()
        for key in "quokka":
            await pilot.press(key)
        await wait_for(pilot, lambda: [s.id for s in app.chat.sidebar.list.sessions] == [session.id])
        app.chat.sidebar.list.focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.chat.session.id == session.id)
        assert hidden.id in store.turn_ids_to(session.id, store.head_of(session.id))
        assert app.chat.transcript.selected_turn_id == hidden.id
        assert "opened the branch holding the match" in app.chat.notices.texts


async def test_a_sidebar_search_hit_far_back_on_the_active_path_loads_older_turns_up_to_it(make_app):
    app, store = make_app()
    session = store.create_session(agent="echo", title="long")
    early, _ = exchange(store, session.id, "an early platypus question", None)
    for n in range(50):  # more turns than one page of the transcript
        exchange(store, session.id, f"filler {n}", None)
    other = store.create_session(agent="echo", title="other")
    exchange(store, other.id, "nothing here", None)
    async with app.run_test(size=(120, 40)) as pilot:
        app.chat.open_session(other.id)
        app.chat.action_focus_sidebar()
        await pilot.pause()
        for key in "platypus":
            await pilot.press(key)
        await wait_for(pilot, lambda: [s.id for s in app.chat.sidebar.list.sessions] == [session.id])
        app.chat.sidebar.list.focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.chat.session.id == session.id)
        transcript = app.chat.transcript
        assert transcript.selected_turn_id == early.id and transcript.turn_ids[0] == early.id
        assert OTHER_BRANCH not in app.chat.notices.texts
        await pilot.pause()
        top = int(transcript.scroll_offset.y)
        assert top < transcript.max_scroll_y  # not left at the bottom: the hit is in view


def test_session_search_marks_hits_on_another_branch(db_path, cli):
    store = Store(db_path)
    try:
        session, hidden = branched(store)
        store.add_turn(session.id, "user", "a quokka on the active branch")
    finally:
        store.close()
    text = cli("session", "search", "quokka")
    assert text.returncode == 0, text.stderr
    lines = text.stdout.splitlines()
    assert [("hides here" in line, line.endswith("(other branch)")) for line in lines] == [
        (False, False), (True, True)]
    hits = json.loads(cli("session", "search", "quokka", "--json").stdout)
    assert [(h["turn_id"] == hidden.id, h["on_active_path"]) for h in hits] == [(False, True), (True, False)]


# -- snapshots --------------------------------------------------------------------------------------------------
def snapshot_app(db_path, ws):
    clock = FixedClock(NOW, step_ms=60_000)
    store = Store(db_path, clock=clock, new_id=SequentialIds())
    session, _ = coding_session(store, ws)
    store.clock = FixedClock(NOW + timedelta(hours=3))
    return ChinwagApp(store=store, config=Config(), session_id=session.id, animate=False), store


def test_snapshot_rewind_picker(snap_compare, db_path, ws):
    app, store = snapshot_app(db_path, ws)

    async def run_before(pilot):
        await slash(pilot, app, "/rewind")
        await wait_for(pilot, lambda: isinstance(app.screen, PickScreen))

    try:
        assert snap_compare(app, terminal_size=(110, 32), run_before=run_before)
    finally:
        store.close()


def test_snapshot_rewind_preview_with_a_diff(snap_compare, db_path, ws):
    app, store = snapshot_app(db_path, ws)

    async def run_before(pilot):
        await slash(pilot, app, "/rewind")
        await wait_for(pilot, lambda: isinstance(app.screen, PickScreen))
        await pilot.press("down", "enter")
        await wait_for(pilot, lambda: preview_ready(app))

    try:
        assert snap_compare(app, terminal_size=(110, 32), run_before=run_before)
    finally:
        store.close()
