"""Big pastes collapse: one atomic `[pasted N lines · K KB]` token in the prompt (the cursor
steps over it, an edit removes it whole), the full text sent and stored byte for byte, the
user block collapsed until Enter expands it, and snapshots of both at 80x24.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from textual import events
from textual.app import App, ComposeResult

from chinwag.app.config.loader import Config
from chinwag.app.core.commands import ARG_CHOICES, COMMANDS
from chinwag.app.tui.app import ChinwagApp
from chinwag.storage import Store
from chinwag.storage.clock import FixedClock, SequentialIds
from chinwag.widgets import paste
from chinwag.widgets.prompt import Prompt
from chinwag.widgets.role_block import RenderOptions, render_block
from chinwag.widgets.theme import install_themes
from tests.tui_helpers import wait_for

FAST = Config(agents={"echo": {"kind": "echo", "delay": 0, "chunk": 4096}})
BIG = "".join(f"log line {i:05d} some words here to make it longer ok\n" for i in range(5000))


class PromptApp(App):
    def __init__(self):
        super().__init__()
        self.submitted: list[Prompt.Submitted] = []

    def compose(self) -> ComposeResult:
        yield Prompt(COMMANDS, ARG_CHOICES)

    def on_mount(self) -> None:
        install_themes(self)
        self.query_one(Prompt).focus_input()

    def on_prompt_submitted(self, event: Prompt.Submitted) -> None:
        self.submitted.append(event)


async def type_text(pilot, text):
    for char in text:
        await pilot.press({" ": "space", ":": "colon"}.get(char, char))
    await pilot.pause()


# -- the rule and the label ----------------------------------------------------------------------
def test_what_counts_as_big_and_the_label():
    assert not paste.is_big("a\n" * 20) and paste.is_big("a\n" * 21)
    assert not paste.is_big("x" * 2000) and paste.is_big("x" * 2001)
    assert paste.is_big("a\r" * 21)  # a terminal pastes CR for a newline
    assert paste.label(BIG) == "[pasted 5,000 lines · 254 KB]"
    assert paste.label("x" * 3000) == "[pasted 1 line · 3 KB]"
    assert paste.label("x" * 3000, 2) == "[pasted #2 1 line · 3 KB]"
    text = "see:\n" + BIG + "thanks"
    assert paste.collapsed(text, [(5, 5 + len(BIG))]) == "see:\n[pasted 5,000 lines · 254 KB]thanks"
    assert paste.collapsed(BIG, []) == "[pasted 5,000 lines · 254 KB]"  # no spans: a big text is one paste
    assert paste.collapsed("short", []) == "short"
    assert paste.valid_spans("abc", [[0, 2], [1, 3], [2, 9], "x", [2, 3]]) == [(0, 2), (2, 3)]


# -- the prompt ----------------------------------------------------------------------------------
async def test_a_big_paste_is_one_token_and_the_full_text_is_submitted():
    app = PromptApp()
    async with app.run_test(size=(80, 24)) as pilot:
        prompt = app.query_one(Prompt)
        await type_text(pilot, "see:")
        await pilot.press("ctrl+j")
        app.post_message(events.Paste(BIG))
        await pilot.pause()
        await type_text(pilot, " ok")
        token = "[pasted 5,000 lines · 254 KB]"
        assert prompt.area.text == f"see:\n{token} ok"  # the buffer holds the token, not 5,000 lines
        assert prompt.text == f"see:\n{BIG} ok"  # the prompt's text is the full one
        await pilot.press("enter")
        event = app.submitted[-1]
        assert event.text == f"see:\n{BIG} ok"
        assert event.pastes == [(5, 5 + len(BIG))]
        assert prompt.text == "" and prompt.pastes == {}


async def test_the_cursor_steps_over_a_token_and_an_edit_removes_it_whole():
    app = PromptApp()
    async with app.run_test(size=(80, 24)) as pilot:
        prompt, area = app.query_one(Prompt), app.query_one(Prompt).area
        await type_text(pilot, "ab")
        app.post_message(events.Paste(BIG))
        await pilot.pause()
        await type_text(pilot, "cd")
        token = paste.label(BIG)
        assert area.text == f"ab{token}cd"
        await pilot.press("left", "left")
        assert area.cursor_location == (0, 2 + len(token))  # right after the token
        await pilot.press("left")
        assert area.cursor_location == (0, 2)  # stepped over it: one key
        await pilot.press("right")
        assert area.cursor_location == (0, 2 + len(token))
        await pilot.press("x")  # typing next to it leaves it whole
        assert area.text == f"ab{token}xcd"
        await pilot.press("left", "backspace")
        assert area.text == "abxcd" and prompt.text == "abxcd"  # Backspace took all of it
        await pilot.press("ctrl+z")
        assert area.text == f"ab{token}xcd" and prompt.text == f"ab{BIG}xcd"  # undo brings it back
        area.move_cursor((0, 5))  # a click inside the token lands at one of its ends
        await pilot.pause()
        assert area.cursor_location in ((0, 2), (0, 2 + len(token)))
        area.select_all()
        await pilot.press("backspace")
        assert prompt.text == ""


async def test_a_text_set_back_into_the_prompt_collapses_its_pastes_again():
    """A prompt taken back from the queue, restored on cancel, a draft or a history entry."""
    app = PromptApp()
    async with app.run_test(size=(80, 24)) as pilot:
        prompt = app.query_one(Prompt)
        app.post_message(events.Paste(BIG))
        await pilot.pause()
        await pilot.press("enter")
        prompt.text = "again: " + BIG
        assert prompt.area.text == "again: " + paste.label(BIG) and prompt.text == "again: " + BIG
        prompt.text = "x" * 5000  # big, never pasted here (a draft from an earlier run): one token
        assert prompt.area.text == paste.label("x" * 5000) and prompt.text == "x" * 5000
        prompt.text = "small"
        assert prompt.area.text == "small" and prompt.pastes == {}


# -- the user block ------------------------------------------------------------------------------
def _user_turn(text, spans=None):
    from chinwag.storage.models import Turn

    return Turn(id="T1", session_id="S", seq=1, role="user", text=text,
                metadata={"pastes": [list(s) for s in spans]} if spans else {})


def _block_text(turn, expanded=False):
    from rich.console import Console

    console = Console(width=80, color_system=None, force_terminal=False)
    strips = render_block(console, turn, [], RenderOptions(width=80, expanded=expanded))
    return "\n".join(strip.text for strip in strips)


def test_the_user_block_shows_pastes_collapsed_until_expanded():
    text = "see:\n" + BIG + "thanks"
    shown = _block_text(_user_turn(text, [(5, 5 + len(BIG))]))
    assert "see:" in shown and "[pasted 5,000 lines · 254 KB]thanks" in shown and "log line" not in shown
    assert len(shown.splitlines()) == 4  # header, two lines, the blank line after
    assert "log line 00042" in _block_text(_user_turn(text, [(5, 5 + len(BIG))]), expanded=True)
    assert "[pasted 5,000 lines" in _block_text(_user_turn(BIG))  # sent by the CLI: no spans, still collapsed
    assert _block_text(_user_turn("hello")).splitlines()[1].strip() == "▎ hello"


# -- the whole app -------------------------------------------------------------------------------
async def test_the_stored_turn_is_the_full_paste_byte_for_byte_and_enter_expands_its_block(db_path):
    pasted = BIG.replace("\n", "\r") + "\x1b[31mred\x1b[0m [b]not markup[/b] \ud83d end"  # what terminals send
    store = Store(db_path)
    try:
        app = ChinwagApp(store=store, config=FAST, animate=False)
        async with app.run_test(size=(80, 24)) as pilot:
            sid = app.chat.session.id
            app.chat.prompt.focus_input()
            await type_text(pilot, "look:")
            app.post_message(events.Paste(pasted))
            await pilot.pause()
            await pilot.press("enter")
            await wait_for(pilot, lambda: any(t.role == "agent" and t.status == "complete"
                                              for t in store.list_turns(sid)))
            user = store.list_turns(sid)[0]
            expected = "look:" + pasted.replace("\ud83d", "\ufffd")  # SQLite cannot hold a lone surrogate
            assert user.text == expected
            assert user.text.encode("utf-8") == expected.encode("utf-8")
            assert user.metadata["pastes"] == [[5, 5 + len(pasted)]]
            transcript = app.chat.transcript
            transcript.focus()
            transcript.selected_turn_id = user.id
            await pilot.pause()
            collapsed = transcript._blocks[0].height
            assert collapsed == 3  # header, "look:[pasted 5,001 lines · …]", blank
            await pilot.press("enter")
            await pilot.pause()
            assert transcript._blocks[0].height > 100  # expanded: the text itself
    finally:
        store.close()


# -- snapshots -----------------------------------------------------------------------------------
NOW = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)


@pytest.fixture
def paste_store(db_path):
    store = Store(db_path, clock=FixedClock(NOW), new_id=SequentialIds("01PAST"))
    session = store.create_session(title="Why does the build fail?", agent="echo", model="echo-1")
    text = "The build fails, here is the log:\n" + BIG
    store.add_turn(session.id, "user", text, metadata={"pastes": [[34, 34 + len(BIG)]]})
    store.add_turn(session.id, "agent", "Line 4,211 says the linker cannot find `libssl`.", agent="echo",
                   model="echo-1")
    yield store
    store.close()


def test_collapsed_paste_snapshot(snap_compare, paste_store):
    """At 80x24: the user block shows the paste collapsed, and a new paste in the prompt is a token."""
    async def run_before(pilot):
        app = pilot.app
        app.chat.prompt.focus_input()
        for key in "and:":
            await pilot.press({":": "colon"}.get(key, key))
        app.post_message(events.Paste("x = 1\n" * 300))
        await pilot.pause()

    app = ChinwagApp(store=paste_store, config=Config(), animate=False)
    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
