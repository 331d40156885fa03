"""No text crashes the TUI or reaches the terminal as a command: every slash command with
hostile arguments (markup such as `[/]`, ANSI/OSC/CSI escapes, C0/C1 controls, lone
surrogates, 100 KB strings) is submitted to the real app through the prompt, and every
notice path (toasts, the status bar, dialogs, info panels, the queue, the placeholder) is fed
the same text directly. After each, the app must still run and its screen must render with
no escape or control character in what would be written to the terminal.

Hypothesis drives one app for the module (starting one per example would cost ~0.5 s each):
the app runs in a thread of its own, in `run_test`, and serves requests from the examples.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import re
import threading

import pytest
from conftest import NO_OLLAMA
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chinwag.app.config.loader import Config
from chinwag.app.core.commands import COMMANDS
from chinwag.app.errors import first_line
from chinwag.app.tui.app import ChinwagApp
from chinwag.storage import Store
from chinwag.widgets.text_safety import notice, one_line, plain

pytestmark = pytest.mark.filterwarnings("ignore:Generating overly large repr")

FAST = Config(agents={"echo": {"kind": "echo", "delay": 0, "chunk": 64}})
BIG = 100_000

MARKUP = ["[/]", "[bold]", "[/bold]", "[b]x[/i]", "[link=http://x]l[/link]", "[@click=app.quit]q[/]", "[red",
          "\\[", "[[/]]", "[]", "[$accent]x", "$accent", "[on red]", "[/]" * 3]
ESCAPES = ["\x1b[31m", "\x1b[0m", "\x1b[2J\x1b[H", "\x1b]0;pwned\x07", "\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\",
           "\x9b2J", "\x9d0;t\x9c", "\x1bc", "\x1b[?1049l", "\x1bP+q\x1b\\", "\x1b[6n", "\x1b"]
CONTROLS = st.characters(categories=["Cc"])
SURROGATES = st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF)
PIECES = st.one_of(st.sampled_from(MARKUP), st.sampled_from(ESCAPES), CONTROLS, SURROGATES,
                   st.text(max_size=12), st.sampled_from(["\n", "\r\n", "\t", "--window", "--", '"', "'", " "]))
HUGE = st.sampled_from(MARKUP + ESCAPES + ["x", "\ud800", "\x00\x85 "]).map(lambda s: (s * (BIG // len(s) + 1))[:BIG])
HOSTILE = st.one_of(st.lists(PIECES, min_size=1, max_size=10).map("".join), HUGE)

# What must never reach the terminal: ESC and the other C0 controls, DEL, C1, lone surrogates.
FORBIDDEN = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def screen_lines(app) -> list[str]:
    """The text of every segment the screen would write now (a full repaint of the top screen)."""
    update = app.screen._compositor.render_full_update()
    return ["".join(segment.text for segment in strip) for strip in update.strips]


class HostedApp:
    """The real ChinwagApp under `run_test`, in its own thread and loop; `call(fn)` runs
    `async fn(app, pilot)` inside the app's context and returns its result (or raises)."""

    def __init__(self, store: Store):
        self.app = ChinwagApp(store=store, config=FAST, animate=False)
        self._requests: asyncio.Queue | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._host()), daemon=True)
        self.error: BaseException | None = None

    async def _host(self) -> None:
        self._loop, self._requests = asyncio.get_running_loop(), asyncio.Queue()
        try:
            async with self.app.run_test(size=(110, 32), notifications=True) as pilot:
                await pilot.pause()
                self._ready.set()
                while True:
                    fn, future = await self._requests.get()
                    if fn is None:
                        future.set_result(None)
                        return
                    try:
                        future.set_result(await fn(self.app, pilot))
                    except BaseException as exc:  # handed to the example that asked
                        future.set_exception(exc)
        except BaseException as exc:  # the app itself failed: every later call reports it
            self.error = exc
        finally:
            self._ready.set()

    def __enter__(self) -> HostedApp:
        self._thread.start()
        self._ready.wait()
        return self

    def __exit__(self, *exc) -> None:
        if self._thread.is_alive() and self._loop is not None:
            future: concurrent.futures.Future = concurrent.futures.Future()
            self._loop.call_soon_threadsafe(self._requests.put_nowait, (None, future))
            self._thread.join(60)

    @property
    def alive(self) -> bool:
        return self.error is None and self._thread.is_alive()

    def call(self, fn):
        if not self.alive:
            raise AssertionError(f"the app is no longer running: {self.error!r}")
        future: concurrent.futures.Future = concurrent.futures.Future()
        self._loop.call_soon_threadsafe(self._requests.put_nowait, (fn, future))
        return future.result(120)  # a hang guard only, far above any real duration


class Hosts:
    """The module's app, started again on the same database if an example closed it (so one
    failure does not fail every later test, and Hypothesis replays each example on a live app)."""

    def __init__(self, db_path):
        self._db_path = db_path
        self._store: Store | None = None
        self._host: HostedApp | None = None

    def call(self, fn):
        if self._host is None or not self._host.alive:
            self.close()
            self._store = Store(self._db_path)
            self._host = HostedApp(self._store).__enter__()
        return self._host.call(fn)

    def close(self) -> None:
        if self._host is not None:
            self._host.__exit__()
        if self._store is not None:
            self._store.close()
        self._host = self._store = None


async def settle_and_check(app, pilot) -> None:
    """Let the app process what was asked, check it runs and its screen renders safely, then
    close any dialog the command opened so the next example starts from the chat screen."""
    await pilot.pause()
    await pilot.pause()
    assert app.is_running and app.return_code is None
    for line in screen_lines(app):
        assert not FORBIDDEN.search(line), repr(line)
    while app.screen is not app.chat:
        app.pop_screen()
        await pilot.pause()
    app.clear_notifications()
    app.chat.prompt.text = ""


@pytest.fixture(scope="module")
def hosted(tmp_path_factory):
    """One app for the whole module (what one example leaves behind is the next one's start)."""
    home = tmp_path_factory.mktemp("home")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CHINWAG_HOME", str(home))
        patch.setenv("OLLAMA_HOST", NO_OLLAMA)
        for name in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "OPENAI_BASE_URL", "ANTHROPIC_BASE_URL"):
            patch.delenv(name, raising=False)
        patch.chdir(home)  # /export writes into the working directory
        hosts = Hosts(home / "chinwag.db")
        try:
            yield hosts
        finally:
            hosts.close()


FUZZED = [c for c in COMMANDS if c.name != "quit"]  # /quit has its own test: it ends the app


@pytest.mark.parametrize("command", FUZZED, ids=[c.name for c in FUZZED])
def test_every_slash_command_survives_hostile_arguments(hosted, command):
    @settings(max_examples=4, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(argument=HOSTILE)
    def run(argument):
        async def submit(app, pilot):
            app.chat.prompt.text = f"/{command.name} {argument}"
            app.chat.prompt.refilter(force=True)  # the popup shows for the hostile buffer too
            await pilot.pause()
            app.chat.prompt.submit()
            await settle_and_check(app, pilot)

        hosted.call(submit)

    run()


@settings(max_examples=10, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(name=HOSTILE)
def test_unknown_hostile_command_names_are_told_plainly(hosted, name):
    async def submit(app, pilot):
        app.chat.prompt.text = "/" + name
        app.chat.prompt.submit()
        await settle_and_check(app, pilot)

    hosted.call(submit)


NOTICE_PATHS = {
    "toast": lambda app, text: app.notify(text, title=text, severity="error"),
    "toast_markup_requested": lambda app, text: app.notify(text, title=text, markup=True),
    "status_notice": lambda app, text: setattr(app.chat.status, "notice", text),
    "status_fields": lambda app, text: [setattr(app.chat.status, f, text) for f in ("title", "agent", "model", "mode")],
    "guarded_handler_error": lambda app, text: app.chat._sidebar_archive(type("E", (), {"session_id": text})()),
    "models_failed": lambda app, text: app.chat._models_failed(text),
    "queued_prompts": lambda app, text: app.chat.prompt.set_queued([text, text]),
    "info_screen": lambda app, text: app.push_screen(_info(text)),
    "info_screen_str_body": lambda app, text: app.push_screen(_info(text, as_str=True)),
    "confirm": lambda app, text: app.push_screen(_confirm(text)),
    "text_prompt": lambda app, text: app.push_screen(_text_prompt(text)),
    "choice": lambda app, text: app.push_screen(_choice(text)),
    "session_fields": lambda app, text: _hostile_session(app, text),
    "slash_popup_items": lambda app, text: (app.chat.prompt.set_extra_commands([_agent_command(text)]),
                                           setattr(app.chat.prompt, "text", "/"), app.chat.prompt.refilter(force=True)),
}


def _info(text, as_str=False):
    from chinwag.widgets.info_screen import InfoScreen

    return InfoScreen(text, text if as_str else plain(text))


def _confirm(text):
    from chinwag.widgets.confirm import ConfirmScreen

    return ConfirmScreen(text, text)


def _text_prompt(text):
    from chinwag.widgets.confirm import TextPrompt

    return TextPrompt(text, text)


def _choice(text):
    from chinwag.widgets.choice_screen import ChoiceScreen

    return ChoiceScreen(text, text, [("1", text), ("2", "no")])


def _agent_command(text):
    from chinwag.app.core.commands import Command

    return Command("zz" + one_line(text, 20).replace(" ", "") or "zz", text, source="agent", group="agent")


def _hostile_session(app, text):
    from chinwag.storage.models import storable

    value = storable(text)
    app.store.update_session(app.chat.session.id, agent=value, model=value, workspace=value)
    app.store.rename_session(app.chat.session.id, value if value.split() else "x")  # an all-blank title is refused
    app.chat.open_session(app.chat.session.id)
    app.chat.refresh_sidebar()


@pytest.mark.parametrize("path", sorted(NOTICE_PATHS))
def test_every_notice_path_takes_hostile_text_plainly(hosted, path):
    @settings(max_examples=4, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(text=HOSTILE)
    def run(text):
        async def show(app, pilot):
            NOTICE_PATHS[path](app, text)
            await settle_and_check(app, pilot)

        hosted.call(show)

    run()


@settings(max_examples=2, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(argument=HOSTILE)
def test_quit_with_hostile_arguments_ends_cleanly(db_path, argument):
    async def main():
        store = Store(db_path)
        app = ChinwagApp(store=store, config=FAST, animate=False)
        async with app.run_test(size=(100, 30), notifications=True) as pilot:
            app.chat.prompt.text = f"/quit {argument}"
            app.chat.prompt.submit()
            await pilot.pause()
            await pilot.pause()
        store.close()
        return app.return_code

    assert asyncio.run(main()) == 0


# -- one line of an exception, whatever its message -----------------------------------------------
@given(message=st.one_of(st.text(), st.sampled_from(["", " ", "\n", "\n\n  \n", "\r", "\x0b", "\u2028"])))
def test_first_line_never_raises_and_is_one_nonblank_line(message):
    line = first_line(RuntimeError(message))
    assert line.strip() and line == line.strip() and "\n" not in line and "\r" not in line
    assert line == "RuntimeError" or line in message


def test_first_line_of_an_exception_whose_str_fails():
    class Broken(Exception):
        def __str__(self):
            raise ValueError("no")

    assert first_line(Broken()) == "Broken"


@given(text=HOSTILE)
def test_notice_is_one_bounded_safe_line(text):
    line = notice(text)
    assert len(line) <= 300 and "\n" not in line and not FORBIDDEN.search(line)


async def test_a_turn_failing_with_an_empty_message_is_told_and_the_app_keeps_running(db_path):
    """`str(exc).splitlines()[0]` raised IndexError inside the turn worker, which closed the app."""
    store = Store(db_path)
    app = ChinwagApp(store=store, config=FAST, animate=False)
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        async def fails(session_id, text):
            raise TimeoutError()  # str() is ""

        app.runner.send = fails
        app.chat.prompt.text = "hello"
        app.chat.prompt.submit()
        for _ in range(20):
            await pilot.pause()
        assert app.is_running
        assert [n.message for n in app._notifications if n.severity == "error"] == ["TimeoutError"]
    store.close()
    assert app.return_code is None or app.return_code == 0


async def test_compaction_failing_with_an_empty_message_is_told(db_path, monkeypatch):
    from chinwag.app.core import compaction

    async def fails(*args, **kwargs):
        raise ConnectionError("\n")

    monkeypatch.setattr(compaction, "prepare", fails)  # /compact reviews: prepare makes the summary
    store = Store(db_path)
    app = ChinwagApp(store=store, config=FAST, animate=False)
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        app.chat.prompt.text = "/compact"
        app.chat.prompt.submit()
        for _ in range(20):
            await pilot.pause()
        assert app.is_running
        assert [n.message for n in app._notifications if n.severity == "error"] == ["ConnectionError"]
    store.close()
