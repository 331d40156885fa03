"""The Textual App: lifetime only — the database, the settings, the runner, the theme, the
keymap (an unknown binding id in `[keys]` is one notice), logging, garbage-collection
policy, quitting and Ctrl+C (the first press cancels or clears, a second within a second
quits). The UI lives in `ChatScreen` (`chat_screen.py`), the slash commands' handlers in
`commands.py`, session actions in `sessions.py`.
"""

from __future__ import annotations

import logging
import threading
import time
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from textual import events
from textual.app import App
from textual.binding import Binding
from textual.screen import ModalScreen, Screen

from chinwag.app.config import paths
from chinwag.app.config.loader import Config, ConfigError, load_config
from chinwag.app.errors import first_line
from chinwag.app.tui import gc_policy
from chinwag.app.tui.chat_screen import ChatScreen
from chinwag.app.tui.guard import guarded
from chinwag.app.tui.interrupt import AGAIN, DoublePress
from chinwag.app.tui.keymap import keymap_problem
from chinwag.app.tui.palette import ChinwagCommands
from chinwag.storage import StorageError, Store
from chinwag.widgets.text_safety import TITLE_LIMIT, notice
from chinwag.widgets.theme import install_themes

if TYPE_CHECKING:
    from chinwag.app.core.runner import Runner


class TurnsHere:
    """Which sessions run a turn in this process, asked without making the runner: before the
    first turn there is none, and nothing runs (start-up, the poll and quitting ask this)."""

    def __init__(self, app: ChinwagApp) -> None:
        self._app = app

    def is_running(self, session_id: str) -> bool:
        runner = self._app._runner
        return runner is not None and runner.is_running(session_id)

    def running_sessions(self) -> set[str]:
        runner = self._app._runner
        return runner.running_sessions() if runner is not None else set()


class ChinwagApp(App):
    TITLE = "chinwag"
    DEFAULT_MODE = "chat"
    # The chat screen's layout. Read with the app's own CSS, once, at start-up: as the screen's
    # CSS_PATH it was one more parse of every style sheet when the screen was installed (~5 ms).
    CSS_PATH = "chat.tcss"
    # Notices show on the chat screen's notice line; toasts only over dialogs, away from the prompt.
    CSS = """
    ToastRack { dock: top; align: right top; }
    ChatScreen > ToastRack Toast { display: none; }
    /* placeholders are text to read (what to type, which key): muted, not disabled-faint */
    Input > .input--placeholder, TextArea > .text-area--placeholder { color: $text-muted; }
    """
    COMMANDS = App.COMMANDS | {ChinwagCommands}
    BINDINGS = [
        Binding("ctrl+q", "quit", "quit", id="quit", priority=True),
        Binding("ctrl+c", "interrupt", "cancel · clear · twice: quit", show=False, id="interrupt", priority=True),
    ]

    def __init__(
        self,
        *,
        db_path: str | Path | None = None,
        store: Store | None = None,
        config: Config | None = None,
        session_id: str | None = None,
        continue_: bool = False,
        new: bool = False,
        animate: bool = True,
        clock=None,
        now=None,
        monotonic=None,
    ):
        super().__init__()
        install_themes(self)
        self._db_path = Path(db_path) if db_path else paths.db_path()
        self.store: Store | None = store
        self._owns_store = store is None  # opened here, so closed here
        self.config: Config | None = config
        self._clock = clock
        self._runner: Runner | None = None
        self.turns_here = TurnsHere(self)
        self.chat = ChatScreen(opening=(session_id, continue_, new), animate=animate, now=now)
        self.startup_error: str | None = None
        self.add_mode("chat", self._chat_screen)
        self.interrupts = DoublePress(monotonic=monotonic or time.monotonic)  # Ctrl+C twice quits

    def notify(self, message: str, *, title: str = "", severity="information", timeout: float | None = None,
               markup: bool = True, key: str | None = None, sticky: bool = False) -> None:
        """The one notice path. Every notice is plain text, whatever it holds (user text, an
        exception's message): markup is never parsed, escapes and control characters are
        shown, the length is bounded. On the chat screen it shows on the notice line above
        the prompt (wrapped, never covering it); it is also kept as a Textual notification,
        which shows as a toast (top right) only over a dialog. A `sticky` notice (a hint)
        stays on the notice line until dismissed; a `key` replaces the notice with that key."""
        text, heading = notice(message), notice(title, TITLE_LIMIT)
        if not sticky:
            super().notify(text, title=heading, severity=severity, timeout=timeout, markup=False)
        show = partial(self.chat.show_notice, text, title=heading, severity=severity, timeout=timeout, key=key,
                       sticky=sticky)
        if threading.get_ident() == self._thread_id:
            show()
        else:  # Textual's notify may be called from a worker thread: the notice line is touched on the app's
            self.call_from_thread(show)

    # -- start-up ----------------------------------------------------------------------------
    def _chat_screen(self) -> Screen:
        """The base screen of the app's one mode: the chat screen itself (one screen composed and
        painted at start-up, not a blank default one under it). What it needs — the database,
        the settings, the runner — is set up here, when Textual composes the app."""
        gc_policy.hold()  # until the chat screen's first paint, as `chinwag` does from its imports
        try:
            self._start_up()
        except StorageError as exc:  # a damaged or refused database: `chinwag` prints one line, no traceback
            self.startup_error = first_line(exc)
            self.call_later(self.exit, return_code=1)
            return Screen()
        return self.chat

    def _start_up(self) -> None:
        self._setup_logging()
        if self.store is None:
            self.store = Store(self._db_path, clock=self._clock)
        if self.config is None:
            try:
                self.config = load_config()
            except ConfigError as exc:
                self.config = Config()
                self.notify(first_line(exc), title="config ignored", severity="error", timeout=10)
        if self.config.keys:
            self.set_keymap(self.config.keys)
            problem = keymap_problem(self.config.keys, self.config.path)
            if problem:
                self.notify(problem, title="config", severity="warning", timeout=10)
        self._apply_theme_setting()

    @property
    def runner(self) -> Runner:
        """The runner of this process's turns, made when a turn first needs it: its module (the
        events, the agents' streams, pricing) is not start-up's (~20 ms; the warm-up imports it
        after the first paint)."""
        if self._runner is None:
            from chinwag.app.core.runner import Runner  # lazy: start-up

            self._runner = Runner(self.store, self.config, on_event=self.chat.on_turn_update,
                                  on_permission=self.chat.on_agent_permission)
        return self._runner

    def _setup_logging(self) -> None:
        if logging.getLogger("chinwag").handlers:
            return
        try:
            handler = paths.log_handler()
            handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
            logging.getLogger("chinwag").addHandler(handler)
            logging.getLogger("chinwag").setLevel(logging.INFO)
        except OSError:
            pass

    def _apply_theme_setting(self) -> None:
        wanted = str(self.config.ui.get("theme") or "")
        if wanted and wanted in self.available_themes:
            self.theme = wanted
        elif wanted:
            self.notify(f"[ui] theme {wanted!r} is not a theme (available: {', '.join(sorted(self.available_themes))})",
                        title="config", severity="warning", timeout=10)

    # -- lifetime ------------------------------------------------------------------------------
    def close_store(self) -> None:
        if self.store is not None:
            self.chat.save_draft()  # the prompt's text is there when the session opens again
        if self.store is not None and self._owns_store:
            try:
                self.store.close()
            except Exception:  # closing is best effort on the way out
                pass

    def on_unmount(self) -> None:
        gc_policy.release(freeze=False)  # closed before its first paint: do not leave GC off
        self.close_store()  # last: nothing of the app reads the database after this

    @guarded
    async def action_quit(self) -> None:
        await self.chat.quit_app()

    async def on_event(self, event) -> None:
        # Ctrl+C, typing, Ctrl+C is two first presses, not a double press: any other key disarms
        if isinstance(event, events.Key) and not event.is_forwarded and event.key not in self._interrupt_keys:
            self.interrupts.reset()
        await super().on_event(event)

    @property
    def _interrupt_keys(self) -> set[str]:
        keys = (self.config.keys.get("interrupt") if self.config else None) or "ctrl+c"
        return {key.strip() for key in keys.split(",")}

    @guarded
    async def action_interrupt(self) -> None:
        """Ctrl+C: a second press within a second quits (asking first if a turn runs); the
        first closes an open dialog, else cancels the running turn, else clears the prompt."""
        if self.interrupts.press():
            await self.chat.quit_app()
            return
        if isinstance(self.screen, ModalScreen):
            self.screen.dismiss(None)
            done = "closed the dialog"
        else:
            done = self.chat.interrupt() if self.chat.is_mounted else ""
        if self.chat.is_mounted:
            self.chat.status.notice = f"{AGAIN} · {done}" if done else AGAIN  # first: it must not be cut off
