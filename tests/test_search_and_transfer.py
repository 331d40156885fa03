"""Full-text search (safe quoting of any user input) and lossless export/import."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chinwag.storage import StorageError, Store
from chinwag.storage.search import fts_query
from chinwag.storage.states import TRANSITIONS, can_transition, path_to


def settle(store, session_id, prompt, reply, **finish):
    _, turn = store.begin_exchange(session_id, prompt, agent="echo", model="m")
    store.append_stream(turn.id, reply)
    return store.finish_turn(turn.id, finish.pop("status", "complete"), **finish)


def test_search_finds_text_and_titles_newest_first(store):
    a = store.create_session(title="Parser notes")
    b = store.create_session(title="Other")
    settle(store, a.id, "where is the tokenizer", "in lexer.py")
    settle(store, b.id, "tokenizer again", "still lexer.py")
    hits = store.search("tokenizer")
    assert [h.session_id for h in hits] == [b.id, a.id]
    assert store.search("parser")[0].turn_id is None  # title hit
    assert {h.role for h in store.search("lexer")} == {"agent"}
    assert "[tokenizer]" in hits[0].snippet


def test_streaming_turn_is_indexed_once_settled(store):
    session = store.create_session()
    _, turn = store.begin_exchange(session.id, "q", agent="echo", model="")
    store.append_stream(turn.id, "zanzibar quokka")
    assert store.search("quokka") == []
    store.finish_turn(turn.id, "stopped")
    assert len(store.search("quokka")) == 1


def test_index_follows_renames_and_deletes(store):
    session = store.create_session(title="alpha")
    settle(store, session.id, "gamma words", "delta words")
    store.rename_session(session.id, "beta")
    assert store.search("alpha") == [] and store.search("beta")
    store.delete_session(session.id)
    assert store.search("gamma") == []
    store.undelete_session(session.id)
    assert store.search("gamma")
    store.delete_session(session.id, force=True)
    assert store.search("gamma") == [] and store.search("beta") == []


@pytest.mark.parametrize(
    "query",
    ['"', '""', "*", "AND", "OR NOT", "NEAR(", 'a"b', '"foo', "-x", ":", "^", "col:val", "(", ")", "ünïcødé", "🙂", "", "   "],
)
def test_fts_edge_cases_never_raise(store, query):
    session = store.create_session()
    settle(store, session.id, 'a"b AND (foo) -x ünïcødé 🙂', "NEAR( col:val ^")
    assert isinstance(store.search(query), list)
    assert isinstance(store.search(query, prefix=True), list)


def test_literal_operators_are_searched_as_words(store):
    session = store.create_session()
    settle(store, session.id, "cats AND dogs", "nothing")
    assert [h.role for h in store.search("AND") if h.turn_id] == ["user"]
    assert store.search("OR") == []


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=40))
def test_any_text_is_a_valid_fts_query(tmp_path_factory, text):
    path = tmp_path_factory.mktemp("fts") / "x.db"
    with Store(path) as store:
        query = fts_query(text, prefix=True)
        if query is not None:
            store.db.query("SELECT rowid FROM turns_fts WHERE turns_fts MATCH ?", (query,))
        store.search(text)


def rich_session(store):
    session = store.create_session(title="round trip ✓", kind="project", workspace="/w", metadata={"k": [1, 2]})
    settle(store, session.id, "hello \x1b[31mred\x1b[0m [bold]x[/] 你好", "reply 🙂\x00ctl", input_tokens=5,
           output_tokens=7, estimated=True)
    _, turn = store.begin_exchange(session.id, "tools", agent="echo", model="m")
    store.append_stream(turn.id, "partial", "thoughts")
    store.start_tool_call(turn.id, "p", "parent", "x=1")
    store.start_tool_call(turn.id, "c", "child", "y=2", parent_id="p")
    store.update_tool_call(turn.id, "c", output="out", status="completed")
    store.finish_turn(turn.id, "stopped")
    first = store.list_turns(session.id)[0]
    store.mark_compacted([first.id])
    store.add_turn(session.id, "summary", "a summary", metadata={"summarized": 1})
    return session


def test_export_import_round_trip_is_lossless(store):
    session = rich_session(store)
    document = store.export_json(session.id)
    store.delete_session(session.id, force=True)
    restored = store.import_session(document)
    assert restored.id == session.id
    assert store.export_json(session.id) == document
    assert store.search("summary")


@pytest.mark.parametrize(
    "bad",
    ["not json", "[]", json.dumps({"format": "other"}), json.dumps({"format": "chinwag-session", "version": 99}),
     json.dumps({"format": "chinwag-session", "version": 1, "session": {"id": "X"}})],
)
def test_import_refuses_bad_documents_and_changes_nothing(store, bad):
    store.create_session(title="existing")
    before = store.export_json(store.list_sessions()[0].id)
    with pytest.raises(StorageError):
        store.import_session(bad)
    assert store.count_sessions(filter="all") == 1
    assert store.export_json(store.list_sessions()[0].id) == before


def test_import_refuses_an_existing_id(store):
    session = rich_session(store)
    with pytest.raises(StorageError, match="already exists"):
        store.import_session(store.export_json(session.id))


def test_markdown_export_has_headers_and_text(store):
    session = rich_session(store)
    text = store.export_markdown(session.id)
    assert text.startswith("# round trip ✓")
    assert "## ▸ you" in text and "## ● agent" in text and "[stopped]" in text
    assert "tool `child` (completed)" in text


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(sorted(TRANSITIONS)), max_size=30))
def test_random_transitions_never_reach_an_invalid_state(steps):
    state = "init"
    for target in steps:
        if can_transition(state, target):
            state = target
        assert state in TRANSITIONS
    for target in TRANSITIONS:
        if target != state:
            path = path_to(state, target)
            assert path[-1] == target
            current = state
            for step in path:
                assert can_transition(current, step)
                current = step
