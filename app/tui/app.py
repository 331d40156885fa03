"""The Textual App: lifetime only — the database, the settings, the runner, the theme, the
keymap, logging, garbage-collection policy and quitting. The UI lives in `ChatScreen`
(`chat_screen.py`), the slash commands' handlers in `commands.py`, session actions in
`sessions.py`.
"""

from __future__ import annotations

import logging
from pathlib import Path

from textual.app import App
from textual.binding import Binding

from chinwag.app.config import paths
from chinwag.app.config.loader import Config, ConfigError, load_config
from chinwag.app.core.runner import Runner
from chinwag.app.errors import first_line
from chinwag.app.tui import gc_policy
from chinwag.app.tui.chat_screen import ChatScreen
from chinwag.app.tui.guard import guarded
from chinwag.app.tui.palette import ChinwagCommands
from chinwag.storage import StorageError, Store
from chinwag.widgets.text_safety import TITLE_LIMIT, notice
from chinwag.widgets.theme import install_themes


class ChinwagApp(App):
    TITLE = "chinwag"
    COMMANDS = App.COMMANDS | {ChinwagCommands}
    BINDINGS = [
        Binding("ctrl+q", "quit", "quit", id="quit", priority=True),
        Binding("ctrl+c", "quit", "quit", show=False, id="quit_ctrl_c", priority=True),
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
    ):
        super().__init__()
        install_themes(self)
        self._db_path = Path(db_path) if db_path else paths.db_path()
        self.store: Store | None = store
        self._owns_store = store is None  # opened here, so closed here
        self.config: Config | None = config
        self._clock = clock
        self.runner: Runner | None = None
        self.chat = ChatScreen(opening=(session_id, continue_, new), animate=animate, now=now)
        self.startup_error: str | None = None

    def notify(self, message: str, *, title: str = "", severity="information", timeout: float | None = None,
               markup: bool = True) -> None:
        """Every toast is plain text, whatever it holds (user text, an exception's message):
        markup is never parsed, escapes and control characters are shown, the length is bounded."""
        super().notify(notice(message), title=notice(title, TITLE_LIMIT), severity=severity, timeout=timeout,
                       markup=False)

    # -- start-up ----------------------------------------------------------------------------
    def on_mount(self) -> None:
        gc_policy.hold()  # until the chat screen's first paint, as `chinwag` does from its imports
        try:
            self._start_up()
        except StorageError as exc:  # a damaged or refused database: `chinwag` prints one line, no traceback
            self.startup_error = first_line(exc)
            self.exit(return_code=1)
            return
        self.push_screen(self.chat)

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
        self.runner = Runner(self.store, self.config, on_event=self.chat.on_turn_update,
                             on_permission=self.chat.on_agent_permission)
        if self.config.keys:
            self.set_keymap(self.config.keys)
        self._apply_theme_setting()

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

    @guarded
    async def action_quit(self) -> None:
        await self.chat.quit_app()
