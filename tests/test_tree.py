"""The conversation as a tree, in process: the migration from schema 2, appending to the
head, edits and regenerated replies as siblings, the active path (paging, what the model
is sent, compaction per branch), checkout, fork from any turn, export/import of the whole
tree, rewind and its undo through the checkpoint seam.
"""

from __future__ import annotations

import json
import sqlite3

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chinwag.app.agents.base import Done, TextDelta
from chinwag.app.agents.echo import EchoAgent
from chinwag.app.config.loader import Config
from chinwag.app.core import rewind as rewinding
from chinwag.app.core.compaction import compact
from chinwag.app.core.context import context_tokens
from chinwag.app.core.runner import Runner
from chinwag.app.tui.controller import ChatController
from chinwag.storage import NotFound, SessionBusy, StorageError, Store
from chinwag.storage.schema import MIGRATIONS, SCHEMA_VERSION
from chinwag.storage.tree import AT_HEAD, BadTurnSpec, select_context


def exchange(store: Store, sid: str, prompt: str, *, parent=AT_HEAD, reply: str | None = None):
    """One settled exchange (prompt and reply), after the head or, given, after `parent`."""
    user, agent = store.begin_exchange(sid, prompt, agent="echo", model="", parent=parent)
    store.finish_turn(agent.id, "complete", text=reply or f"re: {prompt}")
    return user, store.get_turn(agent.id)


def texts(turns) -> list[str]:
    return [t.text for t in turns]


# -- the migration ------------------------------------------------------------------------------
def legacy_database(path) -> None:
    """A schema-2 database as Chinwag wrote it before the tree: one plain session, one with
    two compactions (windows 4, then 5) and one cleared with /clear."""
    conn = sqlite3.connect(path)
    for statements in MIGRATIONS[:2]:
        for statement in statements:
            conn.execute(statement)
    conn.execute("PRAGMA user_version = 2")

    def session(sid):
        conn.execute("INSERT INTO sessions (id, title, created_at, updated_at, last_activity_at) "
                     "VALUES (?, ?, 'x', 'x', 'x')", (sid, sid))

    def turn(sid, seq, role, text, compacted=0, metadata="{}"):
        conn.execute("INSERT INTO turns (id, session_id, seq, role, text, compacted, created_at, metadata) "
                     "VALUES (?, ?, ?, ?, ?, ?, 'x', ?)", (f"{sid}-{seq:02d}", sid, seq, role, text, compacted, metadata))

    session("PLAIN")
    for seq in range(1, 5):
        turn("PLAIN", seq, "user" if seq % 2 else "agent", f"plain {seq}")
    session("COMP")
    for seq in range(1, 11):  # compaction 1 (window 4): 1..6 summarized into 11
        turn("COMP", seq, "user" if seq % 2 else "agent", f"t{seq}", compacted=seq <= 7)
    turn("COMP", 11, "summary", "S1", compacted=1, metadata=json.dumps({"summarized": 6, "kept": 4}))
    turn("COMP", 12, "user", "t12")
    turn("COMP", 13, "agent", "t13")  # compaction 2 (window 5): S1 and 7 summarized into 14
    turn("COMP", 14, "summary", "S2", metadata=json.dumps({"summarized": 2, "kept": 5}))
    session("CLEAR")
    turn("CLEAR", 1, "user", "c1", compacted=1)
    turn("CLEAR", 2, "agent", "c2", compacted=1)
    turn("CLEAR", 3, "system", "Context cleared: 2 earlier turns are no longer sent to the model.")
    turn("CLEAR", 4, "user", "c4")
    conn.commit()
    conn.close()


def test_the_migration_makes_every_session_one_branch_with_its_context_unchanged(db_path):
    legacy_database(db_path)
    with Store(db_path) as store:
        assert store.db.schema_version == SCHEMA_VERSION
        for sid, count in (("PLAIN", 4), ("COMP", 14), ("CLEAR", 4)):
            turns = store.list_turns(sid, all_branches=True)
            assert [t.parent_id for t in turns] == [None] + [t.id for t in turns[:-1]]
            assert store.get_session(sid).head == turns[-1].id == f"{sid}-{count:02d}"
            assert store.list_turns(sid) == turns  # the active path is the whole session
        # what the model sees is what the compacted flags said before the migration
        assert texts(store.context_turns("COMP")) == ["S2", "t8", "t9", "t10", "t12", "t13"]
        assert texts(store.context_turns("CLEAR")) == [
            "Context cleared: 2 earlier turns are no longer sent to the model.", "c4"]
        assert store.get_turn("COMP-11").through == "COMP-06" and store.get_turn("COMP-14").through == "COMP-07"
        # and it stays right on a branch: back before t12, the first summary holds again,
        # though t7 was compacted (by the second one)
        store.move_head("COMP", "COMP-11", "head_moved", {})
        assert texts(store.context_turns("COMP")) == ["S1", "t7", "t8", "t9", "t10"]
        names = {r[0] for r in store.db.conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
        assert "turns_children" in names and "context_rank" not in str(names)


# -- appending, editing, regenerating ---------------------------------------------------------
def test_turns_append_to_the_head_and_an_edit_is_a_sibling_that_keeps_the_old_branch(fixed_store):
    store = fixed_store
    sid = store.create_session().id
    u1, a1 = exchange(store, sid, "first")
    u2, a2 = exchange(store, sid, "second unique-word")
    assert (u1.parent_id, a1.parent_id, u2.parent_id, a2.parent_id) == (None, u1.id, a1.id, u2.id)
    assert store.get_session(sid).head == a2.id
    e1, r1 = exchange(store, sid, "first, edited", parent=u1.parent_id)
    assert e1.parent_id is None and r1.parent_id == e1.id and store.get_session(sid).head == r1.id
    assert texts(store.list_turns(sid)) == ["first, edited", "re: first, edited"]
    # nothing was overwritten: the old branch is whole, searchable and in the full export
    assert texts(store.turns_to(sid, a2.id)) == ["first", "re: first", "second unique-word", "re: second unique-word"]
    assert any(hit.turn_id == u2.id for hit in store.search("unique-word"))
    exported = store.export_session(sid, all_branches=True)
    assert {t["id"] for t in exported["turns"]} == {u1.id, a1.id, u2.id, a2.id, e1.id, r1.id}
    assert [t["id"] for t in store.export_session(sid)["turns"]] == [e1.id, r1.id]
    branched = [e for e in store.list_events(sid) if e.type == "branch_created"]
    assert [(e.turn_id, e.data) for e in branched] == [(e1.id, {"parent_id": None, "siblings": 2})]
    places = store.placements(sid)
    assert (places[u1.id].sibling_index, places[e1.id].sibling_index, places[e1.id].siblings) == (1, 2, 2)
    assert store.placements(sid, [e1.id, r1.id]) == {k: places[k] for k in (e1.id, r1.id)}


def test_a_regenerated_reply_follows_the_same_prompt_and_the_model_sees_only_its_path(store):
    seen = []

    class Recording:
        name, model = "rec", "r-1"

        async def stream(self, messages, *, purpose="chat"):
            if purpose == "chat":
                seen.append([m.text for m in messages])
            yield TextDelta(f"answer {len(seen)}")
            yield Done()

    runner = Runner(store, Config(), agent_factory=lambda name, model: Recording())
    sid = store.create_session().id

    async def run():
        await runner.send(sid, "one")
        await runner.send(sid, "two")
        first = store.list_turns(sid)[0]
        user, reply = store.begin_exchange(sid, "one, again", parent=first.parent_id)
        await runner.run_reply(reply, user=user)
        regen = store.begin_reply(sid, agent="echo", model="", parent=user.id)
        await runner.run_reply(regen)
        return user, reply, regen

    import asyncio

    user, reply, regen = asyncio.run(run())
    assert seen[2] == ["one, again"] and seen[3] == ["one, again"]  # not "one", "two" of the other branch
    assert store.get_turn(regen.id).parent_id == user.id == reply.parent_id
    assert texts(store.list_turns(sid)) == ["one, again", "answer 4"]
    assert store.placements(sid)[regen.id].sibling_index == 2


def test_a_reply_runs_on_its_own_path_even_when_the_head_moves_meanwhile(store):
    sid = store.create_session().id
    u1, _ = exchange(store, sid, "kept")
    user, reply = store.begin_exchange(sid, "asked")
    store.db.conn.execute("UPDATE sessions SET head = ? WHERE id = ?", (u1.id, sid))  # as another process could
    assert texts(store.context_turns(sid, tip=reply.id)) == ["kept", "re: kept", "asked"]


def test_a_parent_from_another_session_is_refused_and_nothing_is_written(store):
    one, two = store.create_session().id, store.create_session().id
    u1, _ = exchange(store, one, "in one")
    with pytest.raises(NotFound):
        store.begin_exchange(two, "misplaced", parent=u1.id)
    assert store.list_turns(two, all_branches=True) == []


# -- the active path: pages, context, compaction ------------------------------------------------
def test_pages_of_the_active_path_walk_its_own_ancestors(store):
    sid = store.create_session().id
    for n in range(5):
        exchange(store, sid, f"q{n}")
    path = store.list_turns(sid)
    exchange(store, sid, "q2 edited", parent=path[4].parent_id)  # a branch at prompt 3
    assert texts(store.list_turns(sid)) == ["q0", "re: q0", "q1", "re: q1", "q2 edited", "re: q2 edited"]
    newest = store.list_turns(sid, limit=2)
    assert texts(newest) == ["q2 edited", "re: q2 edited"]
    older = store.list_turns(sid, limit=3, before_seq=newest[0].seq)
    assert texts(older) == ["re: q0", "q1", "re: q1"]
    assert texts(store.list_turns(sid, after_seq=path[2].seq)) == ["re: q1", "q2 edited", "re: q2 edited"]


def test_the_transcript_pages_a_path_whose_root_is_an_edited_first_prompt(store):
    sid = store.create_session().id
    exchange(store, sid, "first")
    exchange(store, sid, "first, edited", parent=None)
    controller = ChatController(store, runner=None)
    page = controller.open(sid)
    assert texts(page.turns) == ["first, edited", "re: first, edited"] and not page.has_older
    assert controller.older() is None


def test_the_transcript_reloads_when_another_process_moves_the_head_off_its_branch(store):
    sid = store.create_session().id
    u1, _ = exchange(store, sid, "one")
    controller = ChatController(store, runner=None)
    controller.open(sid)
    exchange(store, sid, "two")  # appended: updated in place
    assert texts(controller.newest(2)) == ["two", "re: two"]
    exchange(store, sid, "one, edited", parent=None)  # another branch: the page is reloaded
    assert controller.newest() is None
    assert texts(controller.reload().turns) == ["one, edited", "re: one, edited"]


async def test_compaction_on_one_branch_leaves_another_branch_whole(store):
    runner = Runner(store, Config(agents={"echo": {"kind": "echo", "delay": 0}}))
    sid = store.create_session().id
    for n in range(4):
        await runner.send(sid, f"message {n} about the parser and the writer and more words")
    fork_point = store.list_turns(sid)[3]  # the reply to prompt 2
    await compact(store, EchoAgent(delay=0), sid, window=2)
    a_tip = store.get_session(sid).head
    assert store.context_turns(sid)[0].role == "summary"
    # a branch from before the summary: its turns were compacted on the other branch only
    user, reply = store.begin_exchange(sid, "on branch b", parent=fork_point.id)
    store.finish_turn(reply.id, "complete", text="b reply")
    b = store.context_turns(sid)
    assert [t.role for t in b].count("summary") == 0
    assert texts(b)[:4] == texts(store.list_turns(sid))[:4] and texts(b)[-2:] == ["on branch b", "b reply"]
    assert store.context_size(sid) == context_tokens(b)
    store.checkout(sid, a_tip)
    assert store.context_turns(sid)[0].role == "summary"
    assert store.context_size(sid) == context_tokens(store.context_turns(sid))


def test_clear_cuts_the_summary_before_it(store):
    sid = store.create_session().id
    exchange(store, sid, "a")
    context = store.context_turns(sid)
    store.add_compaction(sid, "summary", "S", context[:1], metadata={"kept": 1})
    store.add_compaction(sid, "system", "cleared", store.context_turns(sid))
    assert texts(store.context_turns(sid)) == ["cleared"]
    with pytest.raises(StorageError):
        store.add_compaction(sid, "agent", "no", context)


# -- naming turns, branches, checkout, fork --------------------------------------------------------
def test_resolve_turn_takes_ids_prefixes_and_prompt_numbers(store):
    sid = store.create_session().id
    u1, a1 = exchange(store, sid, "one")
    u2, _ = exchange(store, sid, "two")
    assert store.resolve_turn(sid, "@1").id == u1.id and store.resolve_turn(sid, "@-1").id == u2.id
    assert store.resolve_turn(sid, "@-2").id == u1.id
    assert store.resolve_turn(sid, a1.id.lower()).id == a1.id
    for bad in ("@0", "@x", "@", "@1.5", "a b", ""):
        with pytest.raises(BadTurnSpec):
            store.resolve_turn(sid, bad)
    for missing in ("@3", "@-3", "ZZZZ"):
        with pytest.raises(NotFound):
            store.resolve_turn(sid, missing)


def test_branches_and_checkout_of_the_newest_tip(fixed_store):
    store = fixed_store
    sid = store.create_session().id
    u1, a1 = exchange(store, sid, "one")
    _, a2 = exchange(store, sid, "two")
    _, r1 = exchange(store, sid, "one again", parent=None)
    tips = store.branches(sid)
    assert [(b.tip, b.turns, b.last_prompt, b.active) for b in tips] == [
        (r1.id, 2, "one again", True), (a2.id, 4, "two", False)]
    assert store.checkout(sid, u1.id) == a2.id and store.get_session(sid).head == a2.id
    moved = [e for e in store.list_events(sid) if e.type == "head_moved"]
    assert moved[-1].data == {"from": r1.id, "to": a2.id, "turn": u1.id}
    assert store.checkout(sid, a1.id) == a2.id and len([e for e in store.list_events(sid) if e.type == "head_moved"]) == 1
    store.begin_exchange(sid, "running")
    with pytest.raises(SessionBusy):
        store.checkout(sid, r1.id)


def test_fork_at_any_turn_copies_its_path(store):
    sid = store.create_session(title="src").id
    u1, _ = exchange(store, sid, "one")
    _, a2 = exchange(store, sid, "two")
    exchange(store, sid, "one again", parent=None)
    fork = store.fork_session(sid, upto_turn_id=a2.id.lower())
    assert texts(store.list_turns(fork.id)) == ["one", "re: one", "two", "re: two"]
    assert fork.head == store.list_turns(fork.id)[-1].id
    assert texts(store.list_turns(store.fork_session(sid, upto_turn_id="@1").id)) == ["one again"]


async def test_a_fork_keeps_the_summary_pointing_at_its_own_copies(store):
    runner = Runner(store, Config(agents={"echo": {"kind": "echo", "delay": 0}}))
    sid = store.create_session().id
    for n in range(3):
        await runner.send(sid, f"message {n} about the parser and the writer and more words")
    await compact(store, EchoAgent(delay=0), sid, window=2)
    fork = store.fork_session(sid)
    copied = store.list_turns(fork.id)
    summary = next(t for t in copied if t.role == "summary")
    assert summary.through in {t.id for t in copied}
    assert texts(store.context_turns(fork.id)) == texts(store.context_turns(sid))


# -- export and import ------------------------------------------------------------------------------
def test_export_import_round_trips_the_whole_tree_and_fresh_ids_keep_its_shape(store):
    sid = store.create_session().id
    exchange(store, sid, "one")
    exchange(store, sid, "two")
    exchange(store, sid, "one again", parent=None)
    whole = store.export_json(sid, all_branches=True)
    store.delete_session(sid, force=True)
    store.import_session(whole)
    assert store.export_json(sid, all_branches=True) == whole
    copy = store.import_session(whole, as_new=True)
    assert texts(store.list_turns(copy.id)) == ["one again", "re: one again"]
    assert len(store.branches(copy.id)) == 2
    ids = {t.id for t in store.list_turns(copy.id, all_branches=True)}
    assert all(t.parent_id in ids | {None} for t in store.list_turns(copy.id, all_branches=True))
    path_only = json.loads(store.export_json(sid))
    assert [t["text"] for t in path_only["turns"]] == ["one again", "re: one again"]
    assert path_only["session"]["turn_count"] == 2 and path_only["version"] == 3


def test_a_version_1_export_imports_as_one_branch(store):
    sid = store.create_session().id
    exchange(store, sid, "one")
    exchange(store, sid, "two")
    document = store.export_session(sid)
    store.delete_session(sid, force=True)
    document["version"] = 1
    del document["session"]["head"]
    for turn in document["turns"]:
        del turn["parent_id"]
    document["turns"].reverse()  # order in the file does not matter: seq does
    store.import_session(json.dumps(document))
    assert texts(store.list_turns(sid)) == ["one", "re: one", "two", "re: two"]


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: d["turns"][0].update(parent_id="NOPE"), "follows turn NOPE, which is not in the export"),
    (lambda d: d["turns"][0].update(parent_id=d["turns"][1]["id"]), "which comes after it"),
    (lambda d: d["session"].update(head="NOPE"), "head NOPE is not one of its turns"),
    (lambda d: d["turns"][1].pop("parent_id"), "has no 'parent_id'"),
])
def test_an_export_with_a_broken_tree_imports_nothing(store, change, message):
    sid = store.create_session().id
    exchange(store, sid, "one")
    document = store.export_session(sid)
    store.delete_session(sid, force=True)
    change(document)
    with pytest.raises(StorageError, match=message):
        store.import_session(json.dumps(document))
    assert store.list_sessions(filter="all") == []


# -- rewind and undo, with real workspace checkpoints ------------------------------------------------
def test_rewind_both_restores_the_prompts_checkpoint_and_undo_restores_what_it_replaced(store, tmp_path):
    from chinwag.app.core import checkpoints

    workspace = tmp_path / "ws"
    workspace.mkdir()
    (workspace / "a.py").write_text("a = 1\n")
    (workspace / "gone.py").write_text("kept\n")
    session = store.create_session(workspace=str(workspace))
    sid = session.id
    exchange(store, sid, "one")
    u2, a2 = exchange(store, sid, "two")
    taken = checkpoints.take(workspace, label="before two")
    assert taken.id, taken.skipped
    store.merge_turn_metadata(u2.id, {"checkpoint": taken.record()})
    u2 = store.get_turn(u2.id)
    # what prompt two's reply did to the workspace
    (workspace / "a.py").write_text("a = 2\n")
    (workspace / "new.py").write_text("new\n")
    (workspace / "gone.py").unlink()

    dry = rewinding.rewind(store, session, u2, dry_run=True)
    assert (dry.files.changed, dry.files.created_removed, dry.files.deleted_restored) == (
        ["a.py"], ["new.py"], ["gone.py"])
    assert store.get_session(sid).head == a2.id and (workspace / "a.py").read_text() == "a = 2\n"

    done = rewinding.rewind(store, session, u2)
    assert done.new_head == u2.parent_id == store.get_session(sid).head and done.files.before
    assert (workspace / "a.py").read_text() == "a = 1\n" and (workspace / "gone.py").read_text() == "kept\n"
    assert not (workspace / "new.py").exists()

    back = rewinding.undo(store, session)
    assert back.new_head == a2.id == store.get_session(sid).head
    assert (workspace / "a.py").read_text() == "a = 2\n" and (workspace / "new.py").read_text() == "new\n"
    assert not (workspace / "gone.py").exists()
    with pytest.raises(rewinding.RewindError, match="no rewind to undo"):
        rewinding.undo(store, session)


def test_rewind_without_a_checkpoint(store, tmp_path):
    session = store.create_session(workspace=str(tmp_path))
    u1, a1 = exchange(store, session.id, "one")
    with pytest.raises(rewinding.NoCheckpoint, match=f"no checkpoint exists for prompt {u1.id}"):
        rewinding.rewind(store, session, u1, conversation=False)
    assert store.get_session(session.id).head == a1.id and store.rewinds(session.id) == []
    store.merge_turn_metadata(u1.id, {"checkpoint": {"skipped": "workspace too big"}})
    done = rewinding.rewind(store, session, store.get_turn(u1.id))
    assert done.files is None and "workspace too big" in done.files_note
    assert store.get_session(session.id).head is None and store.list_turns(session.id) == []
    store.merge_turn_metadata(u1.id, {"checkpoint": {"id": "0" * 40, "ms": 1}})  # recorded, but not in the store
    with pytest.raises(rewinding.RewindError):
        rewinding.rewind(store, session, store.get_turn(u1.id), conversation=False)
    assert len(store.rewinds(session.id)) == 1  # the files-only rewind that failed recorded nothing


# -- the SQL paths and context against a plain walk over random trees ----------------------------
def reference_path(turns: list, tip: str | None) -> list:
    by_id = {t.id: t for t in turns}
    path = []
    while tip is not None:
        path.append(by_id[tip])
        tip = by_id[tip].parent_id
    return path[::-1]


OPS = st.lists(st.tuples(st.sampled_from(["send", "send", "edit", "regenerate", "checkout", "rewind", "compact",
                                          "clear", "legacy"]),
                          st.integers(0, 10_000)), min_size=1, max_size=25)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=OPS)
def test_paths_pages_context_and_tips_match_a_plain_walk_of_the_tree(tmp_path_factory, ops):
    path = tmp_path_factory.mktemp("tree") / "chinwag.db"
    with Store(path) as store:
        sid = store.create_session().id
        for n, (op, pick) in enumerate(ops):
            everything = store.list_turns(sid, all_branches=True)
            prompts = [t for t in everything if t.role == "user"]
            if op == "send" or not everything:
                exchange(store, sid, f"p{n}")
            elif op == "edit" and prompts:
                exchange(store, sid, f"e{n}", parent=prompts[pick % len(prompts)].parent_id)
            elif op == "regenerate" and prompts:
                reply = store.begin_reply(sid, agent="echo", model="", parent=prompts[pick % len(prompts)].id)
                store.finish_turn(reply.id, "complete", text=f"r{n}")
            elif op == "checkout":
                store.checkout(sid, everything[pick % len(everything)].id)
            elif op == "rewind" and prompts:
                store.move_head(sid, prompts[pick % len(prompts)].parent_id, "rewind", {})
            elif op in ("compact", "clear") and store.context_turns(sid):
                context = store.context_turns(sid)
                cut = context[: max(1, pick % len(context))] if op == "compact" else context
                store.add_compaction(sid, "summary" if op == "compact" else "system", f"m{n}", cut)
            elif op == "legacy" and store.context_turns(sid):  # before `through`: a flag and a bare summary
                context = store.context_turns(sid)
                store.mark_compacted([t.id for t in context[: pick % len(context)]])
                store.add_turn(sid, "summary", f"old {n}")
        if ops[-1][1] % 3 == 0 and store.list_turns(sid):  # sometimes a reply still streaming at the head
            store.begin_exchange(sid, "still running")
        everything = store.list_turns(sid, all_branches=True)
        for tip in [store.get_session(sid).head, *(t.id for t in everything[:: max(1, len(everything) // 5)])]:
            expected = reference_path(everything, tip)
            assert [t.id for t in store.turns_to(sid, tip)] == [t.id for t in expected]
            assert store.turn_ids_to(sid, tip) == [t.id for t in expected]
            assert [t.id for t in store.turns_to(sid, tip, limit=3)] == [t.id for t in expected[-3:]]
            assert [t.id for t in store.context_turns(sid, tip=tip)] == [t.id for t in select_context(expected)]
        assert store.context_size(sid) == context_tokens(store.context_turns(sid))
        assert [t.id for t in store.list_turns(sid)] == [t.id for t in reference_path(everything, store.get_session(sid).head)]
        tips = {t.id for t in everything} - {t.parent_id for t in everything}
        assert {b.tip: b.turns for b in store.branches(sid)} == {t: len(reference_path(everything, t)) for t in tips}
        for turn in everything[:: max(1, len(everything) // 4)]:
            below = [t for t in everything if turn in reference_path(everything, t.id)]
            assert store.newest_tip(sid, turn.id) == max(below, key=lambda t: t.seq).id
        # an export of the active path leaves gaps in seq: imported, its path reads the same
        document = store.export_session(sid)
        copy = store.import_session(json.dumps(document), as_new=True)
        assert texts(store.list_turns(copy.id)) == texts(store.list_turns(sid))
        assert texts(store.context_turns(copy.id)) == texts(store.context_turns(sid))


async def test_clear_in_the_tui_takes_out_only_its_own_branch(db_path):
    from chinwag.app.tui.app import ChinwagApp

    store = Store(db_path)
    sid = store.create_session().id
    _, shared = exchange(store, sid, "shared")
    exchange(store, sid, "only on a")
    app = ChinwagApp(store=store, config=Config(), session_id=sid, animate=False)
    try:
        async with app.run_test(size=(120, 36)) as pilot:
            app.chat.prompt.text = "/clear"
            await pilot.pause()
            app.chat.prompt.focus_input()
            await pilot.press("enter")
            await pilot.pause()
            await pilot.press("enter")
            for _ in range(100):
                if store.list_turns(sid)[-1].role == "system":
                    break
                await pilot.pause(0.05)
        assert [t.role for t in store.context_turns(sid)] == ["system"]
        exchange(store, sid, "on b", parent=shared.id)  # a branch from before the clear
        assert texts(store.context_turns(sid)) == ["shared", "re: shared", "on b", "re: on b"]
    finally:
        store.close()
