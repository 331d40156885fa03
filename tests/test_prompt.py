"""The prompt and its slash popup, in a small test app: every popup rule, submit and
newline keys, history, a 1 MB paste, and the command registry/parser.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widgets import Static

from chinwag.app.core.commands import ARG_CHOICES, COMMANDS, Command, nearest, parse_slash
from chinwag.widgets.prompt import Prompt
from chinwag.widgets.slash_popup import filter_commands as _filter
from chinwag.widgets.theme import install_themes
from tests.tmux_session import TMUX, TmuxApp


def filter_commands(prefix, commands=COMMANDS):
    return _filter(prefix, commands)

REQUIRED = "help status history transcript runs cancel compact stop detach quit new sessions switch rename fork archive restore delete export clear model agent mode".split()


class PromptApp(App):
    BINDINGS = [Binding("escape", "escape_pressed")]
    CSS = "#spacer { height: 1fr; }"

    def __init__(self):
        super().__init__()
        self.submitted: list[str] = []
        self.escapes = 0

    def compose(self) -> ComposeResult:
        yield Static("conversation above", id="spacer")
        yield Prompt(COMMANDS, ARG_CHOICES)

    def on_mount(self) -> None:
        install_themes(self)
        self.query_one(Prompt).focus_input()

    def on_prompt_submitted(self, event: Prompt.Submitted) -> None:
        self.submitted.append(event.text)

    def action_escape_pressed(self) -> None:
        self.escapes += 1


async def type_keys(pilot, text):
    for char in text:
        await pilot.press({" ": "space", "/": "slash", "-": "minus"}.get(char, char))
    await pilot.pause()


def labels(prompt):
    return [item[0] for item in prompt.popup.items]


# -- registry and parser -----------------------------------------------------------------------
def test_registry_has_every_command_once():
    names = [c.name for c in COMMANDS]
    assert set(REQUIRED) <= set(names) and len(names) == len(set(names))
    assert all(c.description for c in COMMANDS)


def test_filter_is_strict_prefix_exact_first():
    assert [c.name for c in filter_commands("s")] == ["status", "stats", "stop", "sessions", "switch", "set"]
    assert [c.name for c in filter_commands("/co")] == ["compact", "context"]
    assert filter_commands("x") == []
    extra = (Command("stopwatch", "x"),) + COMMANDS
    assert [c.name for c in filter_commands("stop", extra)][0] == "stop"


def test_parse_slash():
    parsed = parse_slash("/compact --window 3 keep the API notes")
    assert (parsed.name, parsed.options, parsed.rest) == ("compact", {"window": "3"}, "keep the API notes")
    assert parse_slash("hello") is None
    assert parse_slash('/rename "unbalanced').rest == '"unbalanced'
    assert parse_slash("/export json").argv == ["json"]
    assert parse_slash("/compact --window=2").options == {"window": "2"}


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_parse_slash_never_raises(text):
    parse_slash(text)
    parse_slash("/" + text)
    filter_commands(text)


NAMES = st.sampled_from([c.name for c in COMMANDS])


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=8), NAMES.flatmap(lambda n: st.integers(0, len(n)).map(lambda k: n[:k]))),
       st.booleans())
def test_popup_filter_is_exactly_the_prefix_matches_in_registry_order(typed, slash):
    shown = filter_commands(("/" if slash else "") + typed)
    prefix = typed.lstrip("/").lower()  # the popup opens on "/": slashes are never part of a name
    expected = [c for c in COMMANDS if c.name.lower().startswith(prefix)]
    assert sorted(c.name for c in shown) == sorted(c.name for c in expected)  # nothing lost, nothing extra
    exact = [c for c in shown if c.name.lower() == prefix]
    assert shown[:len(exact)] == exact  # an exact match comes first
    rest = shown[len(exact):]
    assert rest == [c for c in expected if c not in exact]  # then the registry's order


def test_nearest():
    assert nearest("comapct")[0] == "compact"
    assert "status" in nearest("stauts")


# -- popup rules --------------------------------------------------------------------------------
async def test_slash_opens_popup_with_first_item_highlighted():
    app = PromptApp()
    async with app.run_test(size=(80, 24)) as pilot:
        prompt = app.query_one(Prompt)
        await type_keys(pilot, "/")
        assert prompt.popup_open
        assert labels(prompt)[0] == "/help" and prompt.popup.highlighted == 0


async def test_slash_in_a_burst_of_keys_still_opens_the_popup():
    """Keys that arrive together (a fast typist, tmux send-keys, a macro) are all in the
    buffer before the first change is seen: the popup still opens, filtered."""
    from textual import events

    app = PromptApp()
    async with app.run_test(size=(80, 24)) as pilot:
        prompt = app.query_one(Prompt)
        for key, char in (("slash", "/"), ("r", "r"), ("e", "e")):
            prompt.area.post_message(events.Key(key, char))
        await pilot.pause()
        assert prompt.text == "/re" and prompt.popup_open
        assert labels(prompt) == ["/rename", "/restore", "/rewind"]
        await pilot.press("escape")
        for key in ("n", "a"):
            prompt.area.post_message(events.Key(key, key))
        await pilot.pause()
        assert prompt.text == "/rena" and labels(prompt) == ["/rename"]  # typing more reopens it
        prompt.text = "hello"
        for key, char in (("slash", "/"), ("x", "x")):
            prompt.area.post_message(events.Key(key, char))
        await pilot.pause()
        assert prompt.text == "hello/x" and not prompt.popup_open  # "/" inside text is just a character


async def test_enter_after_a_burst_acts_on_the_buffer_not_on_a_stale_popup():
    """The popup lists settings for "/set te"; the rest of the line and Enter arrive in one
    burst, before their Changed messages: Enter submits the line as typed."""
    from textual import events

    app = PromptApp()
    async with app.run_test(size=(80, 24)) as pilot:
        prompt = app.query_one(Prompt)
        await type_keys(pilot, "/set te")
        assert prompt.popup_open and labels(prompt)[0] == "temperature"
        for key, char in (("m", "m"), ("p", "p"), ("space", " "), ("0", "0"), ("enter", "\r")):
            prompt.area.post_message(events.Key(key, char))
        await pilot.pause()
        assert app.submitted == ["/set temp 0"] and not prompt.popup_open


async def test_tab_on_slash_buffer_opens_popup():
    app = PromptApp()
    async with app.run_test(size=(80, 24)) as pilot:
        prompt = app.query_one(Prompt)
        prompt.text = "/st"
        await pilot.pause()
        assert not prompt.popup_open
        await pilot.press("tab")
        assert prompt.popup_open and labels(prompt) == ["/status", "/stats", "/stop"]


async def test_typing_refilters_and_highlight_follows():
    app = PromptApp()
    async with app.run_test(size=(80, 24)) as pilot:
        prompt = app.query_one(Prompt)
        await type_keys(pilot, "/s")
        assert labels(prompt) == ["/status", "/stats", "/stop", "/sessions", "/switch", "/set"]
        await pilot.press("down", "down", "down")
        assert prompt.popup.highlighted == 3
        await type_keys(pilot, "t")
        assert labels(prompt) == ["/status", "/stats", "/stop"] and prompt.popup.highlighted == 0
        await type_keys(pilot, "zz")
        assert prompt.popup_open and prompt.popup.items == [] and prompt.popup.highlighted is None
        assert prompt.popup.option_count == 1  # the "no matching command" row


async def test_tab_down_up_move_and_wrap():
    app = PromptApp()
    async with app.run_test(size=(80, 24)) as pilot:
        prompt = app.query_one(Prompt)
        await type_keys(pilot, "/s")
        await pilot.press("tab")
        assert prompt.popup.highlighted == 1
        await pilot.press("down", "down", "down", "down", "tab")  # six matches: status stats stop sessions switch set
        assert prompt.popup.highlighted == 0  # wrapped
        await pilot.press("up")
        assert prompt.popup.highlighted == 5
        await pilot.press("shift+tab")
        assert prompt.popup.highlighted == 4
        assert app.submitted == []  # Tab never runs a command


async def test_enter_accepts_without_submitting_then_enter_submits():
    app = PromptApp()
    async with app.run_test(size=(80, 24)) as pilot:
        prompt = app.query_one(Prompt)
        await type_keys(pilot, "/sta")
        await pilot.press("enter")
        assert prompt.text == "/status" and not prompt.popup_open and app.submitted == []
        await pilot.press("enter")
        assert app.submitted == ["/status"] and prompt.text == ""
        await type_keys(pilot, "/comp")
        await pilot.press("enter")
        assert prompt.text == "/compact "  # takes arguments: trailing space


async def test_escape_dismisses_popup_and_is_not_consumed_otherwise():
    app = PromptApp()
    async with app.run_test(size=(80, 24)) as pilot:
        prompt = app.query_one(Prompt)
        await type_keys(pilot, "/he")
        await pilot.press("escape")
        assert not prompt.popup_open and prompt.text == "/he" and app.escapes == 0
        await pilot.press("escape")
        assert app.escapes == 1


async def test_argument_completion():
    app = PromptApp()
    async with app.run_test(size=(80, 24)) as pilot:
        prompt = app.query_one(Prompt)
        prompt.set_arg_choices("session", [("Parser notes", "01ABC", "01ABCDEF"), ("Blog", "01XYZ", "01XYZ123")])
        await type_keys(pilot, "/exp")
        await pilot.press("enter")
        assert prompt.text == "/export " and prompt.popup_open
        assert labels(prompt) == ["md", "json"]
        await type_keys(pilot, "j")
        assert labels(prompt) == ["json"]
        await pilot.press("enter")
        assert prompt.text == "/export json" and app.submitted == []
        prompt.text = ""
        await type_keys(pilot, "/mode b")
        assert labels(prompt) == ["bypass"]
        prompt.text = ""
        await type_keys(pilot, "/switch par")
        assert labels(prompt) == ["Parser notes"]
        await pilot.press("enter")
        assert prompt.text == "/switch 01ABCDEF"


async def test_extra_agent_commands_join_the_popup():
    app = PromptApp()
    async with app.run_test(size=(80, 24)) as pilot:
        prompt = app.query_one(Prompt)
        prompt.set_extra_commands([Command("review", "review the diff", source="agent")])
        await type_keys(pilot, "/re")
        assert labels(prompt) == ["/rename", "/restore", "/rewind", "/review"]


# -- editing ------------------------------------------------------------------------------------
async def test_enter_submits_and_newline_keys_insert():
    app = PromptApp()
    async with app.run_test(size=(80, 24)) as pilot:
        prompt = app.query_one(Prompt)
        await type_keys(pilot, "one")
        await pilot.press("ctrl+j")
        await type_keys(pilot, "two")
        await pilot.press("alt+enter")
        await type_keys(pilot, "three")
        assert prompt.text == "one\ntwo\nthree"
        await pilot.press("enter")
        assert app.submitted == ["one\ntwo\nthree"]
        await pilot.press("enter")  # empty: nothing submitted
        await type_keys(pilot, "   ")
        await pilot.press("enter")
        assert app.submitted == ["one\ntwo\nthree"]


async def test_history_walk_keeps_the_draft():
    app = PromptApp()
    async with app.run_test(size=(80, 24)) as pilot:
        prompt = app.query_one(Prompt)
        prompt.history = ["first", "second"]
        await type_keys(pilot, "draft")
        await pilot.press("up")
        assert prompt.text == "second"
        await pilot.press("up")
        assert prompt.text == "first"
        await pilot.press("up")
        assert prompt.text == "first"
        await pilot.press("down")
        assert prompt.text == "second"
        await pilot.press("down")
        assert prompt.text == "draft"


async def test_one_megabyte_paste_is_submitted_whole():
    from textual import events

    app = PromptApp()
    async with app.run_test(size=(80, 24)) as pilot:
        prompt = app.query_one(Prompt)
        big = ("line of pasted text [bold]not markup[/] \x1b[31m\n" * 25_000)[: 1024 * 1024]
        app.post_message(events.Paste(big))
        await pilot.pause()
        assert len(prompt.text) == len(big)
        await pilot.press("enter")
        assert app.submitted == [big]


async def test_queued_prompts_are_shown():
    app = PromptApp()
    async with app.run_test(size=(80, 24)) as pilot:
        prompt = app.query_one(Prompt)
        prompt.set_queued(["next question", "[red]literal[/]"])
        await pilot.pause()
        queued = app.query_one("#queued")
        assert queued.display and "next question" in str(queued.render())
        assert "[red]literal[/]" in str(queued.render())


# -- snapshots ------------------------------------------------------------------------------------
@pytest.mark.parametrize("typed", ["/", "/s", "/zz", "/export "], ids=["open", "filtered", "no-match", "argument"])
def test_popup_snapshots(snap_compare, typed):
    async def run_before(pilot):
        await type_keys(pilot, typed)

    assert snap_compare(PromptApp(), terminal_size=(80, 24), run_before=run_before)


# -- the newline key (issue 14: Alt+Enter sends in tmux) ---------------------------------------------
def test_what_textual_reports_for_the_newline_keys():
    """Why Ctrl+J is the newline key: in tmux (and any terminal without the kitty keyboard
    protocol) Alt+Enter arrives as ESC CR, which Textual reports as a plain `enter`; Ctrl+J is
    LF, reported as `ctrl+j` everywhere. Shift+Enter exists only as the kitty sequence."""
    from textual._xterm_parser import XTermParser

    def keys(data: str) -> list[str]:
        parser = XTermParser()
        return [event.key for event in parser.feed(data) if hasattr(event, "key")] + \
            [event.key for event in parser.feed("") if hasattr(event, "key")]

    assert keys("\x1b\r") == ["enter"]  # Alt+Enter without the kitty protocol: it would send
    assert keys("\n") == ["ctrl+j"]
    assert keys("\x1b[13;2u") == ["shift+enter"]  # kitty, WezTerm, foot, Ghostty
    assert keys("\x1b[13;3u") == ["alt+enter"]
    assert set(Prompt.BINDINGS[[b.id for b in Prompt.BINDINGS].index("newline")].key.split(",")) == \
        {"ctrl+j", "shift+enter", "alt+enter"}


async def test_every_newline_key_inserts_and_the_placeholder_says_which():
    app = PromptApp()
    async with app.run_test(size=(80, 24)) as pilot:
        prompt = app.query_one(Prompt)
        assert prompt.newline_hint == "Ctrl+J new line"
        for key in ("ctrl+j", "shift+enter", "alt+enter"):
            await type_keys(pilot, "x")
            await pilot.press(key)
        assert prompt.text == "x\nx\nx\n" and app.submitted == []
        app.set_keymap({"newline": "ctrl+o"})  # [keys] newline = "ctrl+o"
        await pilot.press("ctrl+o", "ctrl+j")
        assert prompt.text == "x\nx\nx\n\n" and prompt.newline_hint == "Ctrl+O new line"
        app.set_keymap({"send": "ctrl+s"})  # the keys of the prompt are rebindable too
        await pilot.press("enter")
        assert app.submitted == [] and prompt.text.endswith("\n\n\n")
        await pilot.press("ctrl+s")
        assert app.submitted == ["x\nx\nx\n\n\n"]


def test_the_app_placeholder_names_the_newline_key(db_path):
    import asyncio

    from chinwag.app.config.loader import Config
    from chinwag.app.tui.app import ChinwagApp
    from chinwag.storage import Store

    async def run():
        store = Store(db_path)
        app = ChinwagApp(store=store, config=Config(keys={"newline": "ctrl+o"}), animate=False)
        async with app.run_test(size=(100, 30)):
            placeholder = str(app.chat.prompt.area.placeholder)
        store.close()
        return placeholder

    assert "Ctrl+O new line" in asyncio.run(run())


@pytest.mark.skipif(TMUX is None, reason="needs tmux")
def test_ctrl_j_makes_a_newline_in_a_real_tmux(chinwag_home):
    """The real app in tmux: `one` Ctrl+J `two` Enter sends one prompt of two lines."""
    from chinwag.storage import Store

    tmux = TmuxApp(chinwag_home)
    try:
        tmux.wait_for(lambda: "/ for commands" in tmux.screen())
        assert "Ctrl+J new line" in tmux.screen()
        tmux.keys("one", "C-j", "two")
        tmux.wait_for(lambda: " two" in tmux.screen())
        tmux.keys("Enter")
        store = Store(chinwag_home / "chinwag.db")
        try:
            def sent():
                return [t.text for s in store.list_sessions() for t in store.list_turns(s.id) if t.role == "user"]
            tmux.wait_for(lambda: sent() == ["one\ntwo"])
        finally:
            store.close()
    finally:
        tmux.close()


# -- the popup after Esc, and its rows -----------------------------------------------------------------
async def test_typing_after_esc_reopens_the_popup_while_the_line_starts_with_a_slash():
    app = PromptApp()
    async with app.run_test(size=(80, 24)) as pilot:
        prompt = app.query_one(Prompt)
        await type_keys(pilot, "/re")
        await pilot.press("escape")
        assert not prompt.popup_open and prompt.text == "/re"
        await type_keys(pilot, "s")
        assert prompt.popup_open and labels(prompt) == ["/restore"]
        await pilot.press("escape", "backspace")
        assert prompt.popup_open and labels(prompt) == ["/rename", "/restore", "/rewind"]  # deleting is typing too
        await pilot.press("escape")
        prompt.text = "/st"  # set, not typed (history, a restored prompt): the popup waits for a key
        await pilot.pause()
        assert not prompt.popup_open
        prompt.text = "hello /"
        await type_keys(pilot, "x")
        assert not prompt.popup_open  # only a line that starts with "/"


LONG = "a description far too long for one row of the popup at eighty columns, so it must be cut " * 2


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_popup_rows_are_one_line_cut_with_an_ellipsis(db_path, size):
    """In the app (at 120 columns the sidebar takes 34 of them): each row is one line,
    however long its description, and ends in an ellipsis instead of wrapping."""
    import asyncio

    from chinwag.app.config.loader import Config
    from chinwag.app.tui.app import ChinwagApp
    from chinwag.storage import Store

    async def run():
        store = Store(db_path)
        app = ChinwagApp(store=store, config=Config(), animate=False)
        async with app.run_test(size=size) as pilot:
            prompt = app.chat.prompt
            prompt.set_extra_commands([Command("zlong", LONG, source="agent"), Command("zshort", "short", source="agent")])
            prompt.focus_input()
            await type_keys(pilot, "/z")
            popup = prompt.popup
            lines = [popup.render_line(y).text for y in range(popup.content_size.height)]
            width = popup.content_size.width
            await pilot.press("backspace")  # "/": every command, more than the popup shows
            await pilot.pause()
            scrollbar = popup.styles.scrollbar_size_vertical if popup.show_vertical_scrollbar else None
        store.close()
        return lines, width, scrollbar

    lines, width, scrollbar = asyncio.run(run())
    assert lines[0].startswith("/zlong") and lines[0].rstrip().endswith("…") and len(lines[0]) <= width
    assert lines[1].startswith("/zshort")  # the second row is the next command, not a wrapped tail
    assert scrollbar == 1  # a thin scrollbar
