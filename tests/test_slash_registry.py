"""One registry: every slash command in `COMMANDS` has exactly one handler in the TUI's
table, and the table names nothing the registry lacks (so the popup, /help and the
palette never offer a command that does nothing)."""

from chinwag.app.core.commands import COMMANDS
from chinwag.app.tui.slash import HANDLERS, SlashCommandsMixin


def test_every_command_has_a_handler_and_every_handler_a_command():
    assert set(HANDLERS) == {c.name for c in COMMANDS}


def test_handlers_are_methods_of_the_chat_screen():
    from chinwag.app.tui.chat_screen import ChatScreen

    for name, handler in HANDLERS.items():
        assert getattr(ChatScreen, handler.__name__) is handler, name
    assert issubclass(ChatScreen, SlashCommandsMixin)


# -- the commands' behaviour in the app (issue 14) -------------------------------------------------

import pytest  # noqa: E402
from rich.console import Console  # noqa: E402

from chinwag.app.config.loader import Config  # noqa: E402
from chinwag.app.tui.app import ChinwagApp  # noqa: E402
from chinwag.app.tui.keys import bindings_in_effect  # noqa: E402
from chinwag.widgets.key_names import key_label  # noqa: E402
from tests.tui_helpers import app_factory, submit, wait_for  # noqa: E402

FAST = Config(agents={"echo": {"kind": "echo", "delay": 0, "chunk": 64}})
SLOW = Config(agents={"echo": {"kind": "echo", "delay": 0.05, "chunk": 1}})


@pytest.fixture
def make_app(db_path):
    with app_factory(db_path, FAST) as make:
        yield make


def user_texts(store, sid):
    return [t.text for t in store.list_turns(sid) if t.role == "user"]


def notices(app):
    return [n.message for n in app._notifications]


def shown_text(renderable, width=160) -> str:
    console = Console(width=width, record=True, color_system=None)
    console.print(renderable)
    return console.export_text()


async def test_new_with_a_title_names_the_session(make_app):
    app, store = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await submit(pilot, app, "/new My titled session")  # the empty session it opened with is reused
        session = app.chat.session
        assert session.title == "My titled session"
        assert store.get_session(session.id).title_source == "user"  # a generated title never replaces it
        await submit(pilot, app, "/new")
        assert app.chat.session.title == "New session"


async def test_set_without_a_value_shows_it_and_reset_drops_the_override(make_app):
    app, store = make_app(Config(agents=FAST.agents, defaults={"temperature": 0.3}))
    async with app.run_test(size=(120, 36)) as pilot:
        sid = app.chat.session.id
        await submit(pilot, app, "/set temperature 0.7")
        assert store.get_session(sid).config == {"temperature": 0.7}
        await submit(pilot, app, "/set temperature")
        assert store.get_session(sid).config == {"temperature": 0.7}  # shows, changes nothing
        assert "temperature = 0.7 (from session)" in app.chat.status.notice
        await submit(pilot, app, "/set temperature --reset")
        assert store.get_session(sid).config == {}
        assert "temperature = 0.3 (from [defaults]" in app.chat.status.notice
        await submit(pilot, app, "/set temperature 0.5")
        await submit(pilot, app, "/set temperature default")
        assert store.get_session(sid).config == {}
        await submit(pilot, app, "/set max_tokens")
        assert "max_tokens is not set" in app.chat.status.notice
        await submit(pilot, app, "/set nonsense")
        assert any("unknown setting 'nonsense'" in n for n in notices(app))
        assert store.get_session(sid).config == {}


async def test_mode_without_an_argument_shows_the_mode_and_the_choices(make_app):
    app, store = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        sid = app.chat.session.id
        await submit(pilot, app, "/mode")
        assert app.chat.status.notice == "mode: ask (choices: ask, bypass, readonly; /mode NAME sets it)"
        assert store.get_session(sid).mode == "ask"
        await submit(pilot, app, "/mode readonly")
        assert store.get_session(sid).mode == "readonly" and "readonly" in app.chat.status.notice


async def test_agent_without_a_name_lists_the_agents_marking_the_current(make_app):
    config = Config(agents={**FAST.agents, "slow": {"kind": "echo", "delay": 0.5}})
    app, store = make_app(config)
    async with app.run_test(size=(120, 36)) as pilot:
        await submit(pilot, app, "/agent")
        assert type(app.screen).__name__ == "InfoScreen"
        text = shown_text(app.screen._body)
        rows = {line.split()[1] if line.split()[0] == "●" else line.split()[0]: line for line in text.splitlines()
                if line.strip() and "agent" not in line.split()[:2]}
        assert rows["echo"].lstrip().startswith("●") and "current" in rows["echo"]
        assert "slow" in rows and not rows["slow"].lstrip().startswith("●")
        assert store.get_session(app.chat.session.id).agent == "echo"  # nothing changed


async def test_the_agent_popup_offers_the_agents_available_when_it_opens(make_app):
    """The /agent choices are listed when the popup opens (not at start-up): a profile added to
    the settings since shows."""
    app, store = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        app.config.agents["slow"] = {"kind": "echo", "delay": 0.5}
        await pilot.press(*"/agent ")
        popup = app.chat.prompt.popup
        await wait_for(pilot, lambda: popup.display)
        names = [item[0] for item in popup.items]
        assert {"echo", "slow"} <= set(names)
        await pilot.press("s")
        await wait_for(pilot, lambda: [item[0] for item in popup.items] == ["slow"])


async def test_detach_with_nothing_running_says_so(make_app):
    app, store = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await submit(pilot, app, "/detach")
        assert app.chat.status.notice == "nothing is running: there is no turn to detach"
        assert app.chat.prompt.area.has_focus  # it did not leave for the sidebar


async def test_detach_with_a_turn_running_leaves_it_running(make_app):
    app, store = make_app(SLOW)
    async with app.run_test(size=(120, 36)) as pilot:
        sid = app.chat.session.id
        await submit(pilot, app, "a long reply " * 10)
        await wait_for(pilot, lambda: sid in app.runner.running_sessions())
        await submit(pilot, app, "/detach")
        assert app.chat.status.notice == "the turn keeps running in the background"
        assert sid in app.runner.running_sessions()
        app.chat.cancel_current_turn()


async def test_an_unknown_command_stays_and_enter_again_sends_it_as_text(make_app):
    app, store = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        sid = app.chat.session.id
        await submit(pilot, app, "/etc/hosts looks odd")
        assert user_texts(store, sid) == []
        assert app.chat.prompt.text == "/etc/hosts looks odd"
        assert any("unknown command /etc/hosts" in n and "Enter again to send it as a message" in n
                   for n in notices(app))
        app.chat.prompt.focus_input()
        await pilot.press("enter")
        await wait_for(pilot, lambda: user_texts(store, sid) == ["/etc/hosts looks odd"])
        await submit(pilot, app, "/comapct")  # once is a typo: nothing is sent
        await submit(pilot, app, "/status")  # something else in between: the next unknown one asks again
        await pilot.press("escape")
        await submit(pilot, app, "/comapct")
        assert user_texts(store, sid) == ["/etc/hosts looks odd"]


async def test_a_double_slash_sends_a_literal_leading_slash(make_app):
    app, store = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        sid = app.chat.session.id
        await submit(pilot, app, "//etc/hosts looks odd")
        await wait_for(pilot, lambda: user_texts(store, sid) == ["/etc/hosts looks odd"])
        await wait_for(pilot, lambda: not app.runner.running_sessions())
        await submit(pilot, app, "//help")
        await wait_for(pilot, lambda: user_texts(store, sid)[-1:] == ["/help"])
        assert type(app.screen).__name__ != "InfoScreen"


async def test_a_paste_that_starts_with_a_slash_is_a_message(make_app):
    from textual import events

    app, store = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        sid = app.chat.session.id
        log = "".join(f"/var/log/app.log:{i}: error\n" for i in range(40))
        app.chat.prompt.focus_input()
        app.post_message(events.Paste(log))
        await pilot.pause()
        await pilot.press("enter")
        await wait_for(pilot, lambda: user_texts(store, sid) == [log])


# -- /help lists every command and every key in effect ---------------------------------------------
async def test_help_lists_every_command_and_every_key_in_effect_with_rebinds(make_app):
    app, store = make_app(Config(agents=FAST.agents, keys={"new_session": "ctrl+o", "newline": "ctrl+k"}))
    async with app.run_test(size=(140, 50)) as pilot:
        await submit(pilot, app, "/help")
        assert type(app.screen).__name__ == "InfoScreen"
        text = shown_text(app.screen._body, width=200)
        rows = bindings_in_effect(app.chat)
        for command in COMMANDS:
            assert command.usage in text, command.name
        for row in rows:
            assert row.labels in text, row
        lines = text.splitlines()
        assert any("/new [TITLE]" in line and "Ctrl+O" in line for line in lines)  # the rebound key
        assert not any("Ctrl+N" in line for line in lines)
        assert any(line.strip().startswith("Ctrl+K") and "new line" in line for line in lines)
        for area in ("global", "prompt", "transcript", "sidebar"):
            assert any(r.area == area for r in rows), area
        keys = {(r.area, k) for r in rows for k in r.keys}
        assert {("sidebar", "delete"), ("sidebar", "slash"), ("transcript", "y"), ("transcript", "enter"),
                ("prompt", "enter"), ("prompt", "ctrl+k"), ("global", "ctrl+p"), ("global", "ctrl+q"),
                ("global", "f1"), ("global", "ctrl+o")} <= keys
        assert ("prompt", "ctrl+j") not in keys and ("global", "ctrl+n") not in keys
        await pilot.press("escape")
        await pilot.press("f1")
        assert type(app.screen).__name__ == "InfoScreen"


def test_commands_name_bindings_that_exist():
    """A command's `binding` is a binding id of the app (its key is read from there)."""
    from chinwag.app.tui.chat_screen import ChatScreen

    ids = {b.id for cls in (ChinwagApp, ChatScreen) for b in cls.BINDINGS}
    for command in COMMANDS:
        assert command.binding is None or command.binding in ids, command.name
    assert key_label("ctrl+shift+y") == "Ctrl+Shift+Y"
