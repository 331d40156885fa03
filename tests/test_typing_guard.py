"""Typing never acts on a block (widgets/typing_guard.py): a sentence typed with the
transcript focused lands in the prompt exactly, pressed key by key or arriving in one burst,
and starts, pins, edits or moves nothing; `r` asks first (r or Enter: yes, Esc: no, a letter:
it was typing); keys pressed one by one, as a reader does, still act; `e` then typing then
Esc gives the prompt back as it was; a paste on the transcript goes to the prompt; the
session list follows the same rule (a burst's bound key lands in the filter).

The suite runs with the guard's interval off (tests/conftest.py); these tests set one:
LONG (every key of a test counts as following the one before) or SHORT (with pauses longer
than it between the keys: a reader's pace).
"""

from __future__ import annotations

from textual import events

from chinwag.app.tui.tree import REGENERATE_ASK
from chinwag.storage import Store
from chinwag.storage.enums import EventType
from chinwag.widgets.session_list import SessionList
from tests.tui_helpers import wait_for

LONG = 60.0
SHORT = 0.05
READING = 0.3  # the pause between two keys of a reader: longer than SHORT, whatever the load
SENTENCE = "run the Tests, please: just keep going [no] {edit} yes/c gG NyTe!"


def three_exchanges(db_path) -> tuple[str, list]:
    store = Store(db_path)
    try:
        sid = store.create_session(title="typing").id
        turns = []
        for prompt in ("one", "two", "three"):
            user, agent = store.begin_exchange(sid, prompt, agent="echo", model="", parent=store.head_of(sid))
            store.finish_turn(agent.id, "complete", text=f"re: {prompt}")
            turns += [user, store.get_turn(agent.id)]
        return sid, turns
    finally:
        store.close()


async def focus_on(pilot, app, turn_id: str, burst: float) -> None:
    transcript = app.chat.transcript
    transcript.typing.burst = burst
    transcript.focus()
    transcript.selected_turn_id = turn_id
    await pilot.pause()


def key_of(character: str) -> str:
    from textual.keys import _character_to_key

    return _character_to_key(character) if len(character) == 1 and not character.isalnum() else character


def view(app) -> tuple:
    """What the keys could have changed in the transcript."""
    transcript = app.chat.transcript
    return (transcript.selected_turn_id, transcript.scroll_offset.y, transcript.absolute_times,
            transcript.turn_ids, app.chat.editing)


def unchanged_store(store: Store, sid: str, turns: list) -> None:
    assert [t.id for t in store.list_turns(sid)] == [t.id for t in turns]  # no turn started
    assert store.head_of(sid) == turns[-1].id  # no other branch shown
    assert store.pinned_turn_ids(sid) == set()
    assert not [e for e in store.list_events(sid) if e.type == EventType.PIN]  # not pinned and unpinned either


async def test_a_sentence_typed_key_by_key_on_the_transcript_lands_in_the_prompt_and_acts_on_nothing(
        make_app, db_path):
    sid, turns = three_exchanges(db_path)
    app, store = make_app(session_id=sid)
    async with app.run_test(size=(100, 30)) as pilot:
        await focus_on(pilot, app, turns[3].id, LONG)
        before = view(app)
        await pilot.press(*SENTENCE)
        await pilot.pause()
        assert app.chat.prompt.text == SENTENCE
        assert app.screen.focused is app.chat.prompt.area
        assert view(app) == before
        assert not app.chat.transcript.typing.asking and not app.chat.runner.is_running(sid)
        unchanged_store(store, sid, turns)


async def test_a_sentence_arriving_in_one_burst_lands_in_the_prompt_in_order(make_app, db_path):
    sid, turns = three_exchanges(db_path)
    app, store = make_app(session_id=sid)
    async with app.run_test(size=(100, 30)) as pilot:
        await focus_on(pilot, app, turns[3].id, LONG)
        before = view(app)
        for character in SENTENCE:  # every key queued before the first is handled (a terminal's burst)
            app.post_message(events.Key(key_of(character), character))
        await wait_for(pilot, lambda: len(app.chat.prompt.text) >= len(SENTENCE))
        await pilot.pause()
        assert app.chat.prompt.text == SENTENCE
        assert view(app) == before
        unchanged_store(store, sid, turns)


async def test_a_word_starting_with_j_puts_the_selection_back(make_app, db_path):
    sid, turns = three_exchanges(db_path)
    app, store = make_app(session_id=sid)
    async with app.run_test(size=(100, 30)) as pilot:
        await focus_on(pilot, app, turns[3].id, LONG)
        before = view(app)
        await pilot.press("j")
        assert app.chat.transcript.selected_turn_id == turns[4].id  # j acts at once...
        await pilot.press(*"ust that")
        assert view(app) == before  # ...and is taken back when typing follows
        assert app.chat.prompt.text == "just that"


async def test_r_asks_first_and_r_then_says_yes(make_app, db_path):
    sid, turns = three_exchanges(db_path)
    app, store = make_app(session_id=sid)
    async with app.run_test(size=(100, 30)) as pilot:
        await focus_on(pilot, app, turns[3].id, SHORT)
        await pilot.press("r")
        await wait_for(pilot, lambda: app.chat.transcript.typing.asking)
        assert REGENERATE_ASK in app.chat.notices.texts
        assert len(store.children(sid, turns[2].id)) == 1  # nothing ran yet
        await pilot.pause(READING)
        await pilot.press("r")
        await wait_for(pilot, lambda: len(store.children(sid, turns[2].id)) == 2)
        assert REGENERATE_ASK not in app.chat.notices.texts
        await wait_for(pilot, lambda: not app.chat.runner.is_running(sid) and store.get_session(sid).state != "busy")
        assert app.chat.prompt.text == ""


async def test_r_then_escape_does_nothing(make_app, db_path):
    sid, turns = three_exchanges(db_path)
    app, store = make_app(session_id=sid)
    async with app.run_test(size=(100, 30)) as pilot:
        await focus_on(pilot, app, turns[3].id, SHORT)
        before = view(app)
        await pilot.press("r")
        await wait_for(pilot, lambda: app.chat.transcript.typing.asking)
        await pilot.press("escape")
        await pilot.pause(READING)
        assert not app.chat.transcript.typing.asking and REGENERATE_ASK not in app.chat.notices.texts
        assert view(app) == before and app.chat.prompt.text == ""
        unchanged_store(store, sid, turns)
        await pilot.press("enter")  # the question is gone: Enter is the transcript's again (expand)
        await pilot.pause(READING)
        unchanged_store(store, sid, turns)


async def test_r_then_a_letter_was_typing(make_app, db_path):
    sid, turns = three_exchanges(db_path)
    app, store = make_app(session_id=sid)
    async with app.run_test(size=(100, 30)) as pilot:
        await focus_on(pilot, app, turns[3].id, SHORT)
        await pilot.press("r")
        await wait_for(pilot, lambda: app.chat.transcript.typing.asking)
        await pilot.pause(READING)  # a slow typist: the question was up before the next key
        await pilot.press("o", "o", "t")
        assert app.chat.prompt.text == "root"
        assert REGENERATE_ASK not in app.chat.notices.texts
        unchanged_store(store, sid, turns)


async def test_keys_pressed_one_by_one_still_act(make_app, db_path):
    sid, turns = three_exchanges(db_path)
    store = Store(db_path)
    try:  # a second version of the last reply, so [ and ] have somewhere to go
        other = store.begin_reply(sid, agent="echo", model="", parent=turns[4].id)
        store.finish_turn(other.id, "complete", text="re: three, again")
        store.checkout(sid, turns[5].id)
    finally:
        store.close()
    app, store = make_app(session_id=sid)
    async with app.run_test(size=(100, 30)) as pilot:
        transcript = app.chat.transcript
        await focus_on(pilot, app, turns[3].id, SHORT)

        async def press(key: str, done) -> None:
            await pilot.pause(READING)
            await pilot.press(key)
            await wait_for(pilot, done)

        await press("j", lambda: transcript.selected_turn_id == turns[4].id)
        await press("j", lambda: transcript.selected_turn_id == turns[5].id)
        await press("k", lambda: transcript.selected_turn_id == turns[4].id)
        await press("j", lambda: transcript.selected_turn_id == turns[5].id)
        await press("]", lambda: transcript.turn_ids[-1] == other.id)
        await press("[", lambda: transcript.turn_ids[-1] == turns[5].id)
        await press("{", lambda: transcript.selected_turn_id == turns[4].id)
        await press("p", lambda: store.pinned_turn_ids(sid) == {turns[4].id})
        await press("T", lambda: transcript.absolute_times)
        await press("n", lambda: "nothing to find yet: Ctrl+F" in app.chat.notices.texts)
        assert app.chat.prompt.text == ""
        assert app.screen.focused is transcript


async def test_a_repeated_key_is_never_typing(make_app, db_path):
    sid, turns = three_exchanges(db_path)
    app, store = make_app(session_id=sid)
    async with app.run_test(size=(100, 30)) as pilot:
        await focus_on(pilot, app, turns[0].id, LONG)
        await pilot.press("j", "j", "j")
        assert app.chat.transcript.selected_turn_id == turns[3].id
        assert app.chat.prompt.text == ""


async def test_e_then_typing_lands_in_the_edit_and_escape_gives_everything_back(make_app, db_path):
    sid, turns = three_exchanges(db_path)
    app, store = make_app(session_id=sid)
    async with app.run_test(size=(100, 30)) as pilot:
        app.chat.prompt.text = "my draft"
        await focus_on(pilot, app, turns[2].id, SHORT)
        await pilot.press("e")
        await wait_for(pilot, lambda: app.chat.editing is not None)
        await pilot.pause(READING)
        await pilot.press(*" and more")
        assert app.chat.prompt.text == "two and more"  # typing after e goes on in the edit
        await pilot.press("escape")
        await pilot.pause()
        assert app.chat.editing is None and app.chat.prompt.text == "my draft"
        unchanged_store(store, sid, turns)


async def test_a_paste_on_the_transcript_goes_to_the_prompt(make_app, db_path):
    sid, turns = three_exchanges(db_path)
    app, store = make_app(session_id=sid)
    async with app.run_test(size=(100, 30)) as pilot:
        await focus_on(pilot, app, turns[3].id, LONG)
        app.post_message(events.Paste("pasted text\nsecond line"))
        await wait_for(pilot, lambda: app.chat.prompt.text == "pasted text\nsecond line")
        assert app.screen.focused is app.chat.prompt.area


async def test_the_session_list_follows_the_same_rule(make_app, db_path):
    sid, _ = three_exchanges(db_path)
    app, store = make_app(session_id=sid)
    async with app.run_test(size=(120, 30)) as pilot:
        session_list = app.chat.query_one(SessionList)
        session_list.typing.burst = LONG
        session_list.focus()
        await pilot.pause()
        for key, character in (("a", "a"), ("asterisk", "*")):  # one burst: `*` follows a letter
            app.post_message(events.Key(key, character))
        await wait_for(pilot, lambda: app.chat.sidebar.filter_box.value == "a*")
        await pilot.pause()
        assert store.get_session(sid).pinned_at is None  # `*` pins a session: here it was typed


async def test_keys_that_move_the_view_act_at_once_and_a_word_after_one_puts_the_view_back(make_app, db_path):
    store = Store(db_path)
    sid = store.create_session(title="long").id
    for n in range(150):
        user, agent = store.begin_exchange(sid, f"prompt {n}", agent="echo", model="")
        store.finish_turn(agent.id, "complete", text=f"reply {n}\n\n" + "a paragraph\n\n" * 3)
    path = store.turn_ids_to(sid, store.head_of(sid))
    store.close()
    app, store = make_app(session_id=sid)
    async with app.run_test(size=(100, 30)) as pilot:
        transcript = app.chat.transcript
        transcript.typing.burst = LONG  # the key is not held: `g` has acted before any interval ends
        transcript.focus()
        await pilot.pause()
        newest = transcript.turn_ids
        await pilot.press("g")
        assert transcript.turn_ids[0] == path[0] and transcript.scroll_offset.y == 0  # the first page, at once
        await pilot.press(*"o home")
        await pilot.pause()
        assert app.chat.prompt.text == "go home"  # the g as well
        assert transcript.turn_ids == newest and transcript.scroll_offset.y == transcript.max_scroll_y
