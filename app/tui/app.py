"""The Textual App: glues the widgets (sidebar, transcript, prompt, status bar) to the
store and the runner. Widgets post messages up; the App reads/writes storage, runs turns
and pushes plain data down into the widgets.

Turns run in this process through the runner (they keep streaming when you switch
sessions); turns written by other processes (a detached worker, `chinwag session send`
in another terminal) show up live by polling `PRAGMA data_version`.
"""

from __future__ import annotations

import gc
import logging
import time
from pathlib import Path

from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical

from chinwag.app.config import paths
from chinwag.app.config.loader import Config, ConfigError, load_config
from chinwag.app.core.commands import ARG_CHOICES, COMMANDS
from chinwag.app.core.events import (
    CommandsChanged,
    CompactionFinished,
    CompactionStarted,
    LiveTurnEvent,
    RunnerEvent,
    TitleChanged,
    TurnSettled,
    TurnStarted,
)
from chinwag.app.core.runner import Runner
from chinwag.app.errors import first_line
from chinwag.app.tui import gc_policy
from chinwag.app.tui.agents import AgentGlueMixin
from chinwag.app.tui.commands import SlashCommandsMixin
from chinwag.app.tui.guard import guarded
from chinwag.app.tui.models import ModelsMixin
from chinwag.app.tui.palette import ChinwagCommands
from chinwag.app.tui.sessions import SessionActionsMixin
from chinwag.storage import StorageError, Store
from chinwag.storage.models import Session
from chinwag.widgets.prompt import Prompt
from chinwag.widgets.sidebar import Sidebar
from chinwag.widgets.status_bar import StatusBar
from chinwag.widgets.text_safety import TITLE_LIMIT, notice, one_line, plain
from chinwag.widgets.theme import install_themes
from chinwag.widgets.transcript import Transcript

log = logging.getLogger("chinwag.tui")
HISTORY_PAGE = 60
SIDEBAR_PAGE = 200
POLL_SECONDS = 0.25
SIDEBAR_REFRESH_SECONDS = 1.0
FREEZE_SECONDS = 2.0
RENDER_INTERVAL = 1 / 12  # live text at 12 fps: smooth to read, cheap enough not to slow a fast stream
SHORT_ECHO_HINT = "offline echo agent: set OPENAI_API_KEY or ANTHROPIC_API_KEY, or start Ollama"
READ_ONLY_BANNER = "read-only: browsing only"


class ChinwagApp(SlashCommandsMixin, SessionActionsMixin, ModelsMixin, AgentGlueMixin, App):
    TITLE = "chinwag"
    COMMANDS = App.COMMANDS | {ChinwagCommands}
    CSS = """
    Screen { layout: vertical; }
    #body { height: 1fr; }
    #sidebar { width: 34; }
    #main { width: 1fr; }
    #transcript { height: 1fr; }
    #prompt { height: auto; }
    .-no-sidebar #sidebar { display: none; }
    """
    BINDINGS = [
        Binding("escape", "cancel_turn", "cancel turn", show=False, id="cancel_turn"),
        Binding("ctrl+b", "toggle_sidebar", "sidebar", id="toggle_sidebar"),
        Binding("ctrl+n", "new_session", "new session", id="new_session"),
        Binding("ctrl+y", "copy_last_reply", "copy last reply", id="copy_last_reply", priority=True),
        Binding("ctrl+shift+y", "copy_selected", "copy selected block", id="copy_selected"),
        Binding("ctrl+l", "focus_prompt", "focus prompt", show=False, id="focus_prompt"),
        Binding("ctrl+t", "focus_transcript", "focus transcript", show=False, id="focus_transcript"),
        Binding("ctrl+s", "focus_sidebar", "focus sessions", show=False, id="focus_sidebar"),
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
        self._given_store = store
        self.store: Store | None = store
        self._config = config
        self._opening = (session_id, continue_, new)
        self.animations_on = animate
        self._clock = clock
        self._now = now  # a fixed "now" for the elapsed time of streaming blocks (snapshots)
        self.session: Session | None = None
        self.runner: Runner | None = None
        self.queued: dict[str, list[str]] = {}
        self._data_version = None
        self._pending: dict[str, LiveTurnEvent] = {}
        self._model_lists: dict[str, list[str]] = {}
        self._permission_screens: dict = {}
        self._sidebar_refreshed = 0.0
        self._sidebar_stale = False
        self._frozen_at = 0.0
        self._flush_scheduled = False
        self._sidebar_filter = ""
        self._show_archived = False
        self._workspace_only: str | None = None
        self._oldest_seq: int | None = None
        self._sidebar_loaded = 0
        self.startup_error: str | None = None

    def notify(self, message: str, *, title: str = "", severity="information", timeout: float | None = None,
               markup: bool = True) -> None:
        """Every toast is plain text, whatever it holds (user text, an exception's message):
        markup is never parsed, escapes and control characters are shown, the length is bounded."""
        super().notify(notice(message), title=notice(title, TITLE_LIMIT), severity=severity, timeout=timeout,
                       markup=False)

    # -- layout ---------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        gc_policy.hold()  # until the first paint (released in on_mount), as `chinwag` does from its imports
        with Horizontal(id="body"):
            yield Sidebar(id="sidebar", animate=self.animations_on)
            with Vertical(id="main"):
                yield Transcript(id="transcript", animate=self.animations_on)
                yield Prompt(COMMANDS, ARG_CHOICES, id="prompt")
        yield StatusBar(id="status")

    def _main_screen(self):
        """The chat screen, even while a modal (permission, confirm) is on top of it."""
        return self.screen_stack[0] if self.screen_stack else self.screen

    @property
    def transcript(self) -> Transcript:
        return self._main_screen().query_one(Transcript)

    @property
    def prompt(self) -> Prompt:
        return self._main_screen().query_one(Prompt)

    @property
    def sidebar(self) -> Sidebar:
        return self._main_screen().query_one(Sidebar)

    @property
    def status(self) -> StatusBar:
        return self._main_screen().query_one(StatusBar)

    # -- start-up -------------------------------------------------------------------------
    def on_mount(self) -> None:
        try:
            self._start_up()
        except StorageError as exc:  # a damaged or refused database: `chinwag` prints one line, no traceback
            self.startup_error = str(exc).splitlines()[0]
            self.exit(return_code=1)

    def _start_up(self) -> None:
        self._setup_logging()
        if self._now is not None:
            self.transcript.now = self._now
        if self.store is None:
            self.store = Store(self._db_path, clock=self._clock)
        if self._config is None:
            try:
                self._config = load_config()
            except ConfigError as exc:
                self._config = Config()
                self.notify(first_line(exc), title="config ignored", severity="error", timeout=10)
        self.runner = Runner(self.store, self._config, on_event=self._on_turn_update,
                             on_permission=self.on_agent_permission)
        if self._config.keys:
            self.set_keymap(self._config.keys)
        self._apply_theme_setting()
        if self.store.readonly:
            self.status.hint = READ_ONLY_BANNER
            self.prompt.placeholder = READ_ONLY_BANNER
            self.notify(f"{self.store.path}: {READ_ONLY_BANNER}", severity="warning", timeout=8)
        for turn in self.store.recovered:
            self.notify(f"turn {turn.id[:10]} was interrupted when its process died", severity="warning")
        session_id, continue_, new = self._opening
        # A read-only database cannot get a new session: browse what is there (maybe nothing).
        creatable = not self.store.readonly
        if new and creatable:
            session = self._create_session()
        elif session_id:
            session = self.store.get_session(session_id)
        else:
            target = None if continue_ else self.store.get_active_session_id()
            target = target or self.store.most_recent_session_id()
            session = self.store.get_session(target) if target else (self._create_session() if creatable else None)
        self.prompt.set_arg_choices("agent", self._agent_choices())
        self.prompt.history = self.store.prompt_history()
        self.refresh_sidebar()
        if session is not None:
            self.open_session(session.id)
        self._data_version = self.store.data_version()
        self.set_interval(POLL_SECONDS, self._poll_database)
        self.prompt.focus_input()
        # Long-lived start-up objects (Textual, Rich, Pygments, styles) never become garbage:
        # freeze them so the periodic full collections that stall streaming stay short.
        self.call_after_refresh(gc_policy.release)
        if session is not None:
            self._hint_if_offline(session)

    def _hint_if_offline(self, session: Session) -> None:
        from chinwag.app.agents.discovery import discover_default

        cfg = self._config
        if session.agent == "echo" and not cfg.agents and "agent" not in cfg.defaults \
                and discover_default(probe=False).agent == "echo":
            self.status.notice = SHORT_ECHO_HINT

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

    def _create_session(self) -> Session:
        import os

        from chinwag.app.agents.settings import new_session_choice

        cfg = self._config or Config()
        workspace = cfg.defaults.get("workspace") or os.getcwd()
        choice = new_session_choice(cfg, workspace)
        return self.store.create_session(
            agent=choice.agent, model=choice.model, kind=cfg.defaults.get("kind", "general"), workspace=workspace,
        )

    def _agent_choices(self) -> list[tuple[str, str, str]]:
        from chinwag.app.agents import list_agents

        return [(i.name, f"{i.kind} {i.model}".strip(), i.name) for i in list_agents(self._config) if i.available]

    # -- opening a session ------------------------------------------------------------------
    def open_session(self, session_id: str) -> None:
        session = self.store.get_session(session_id)
        self.session = session
        if not self.store.readonly:
            self.store.set_active_session_id(session.id)
        turns = self.store.list_turns(session.id, limit=HISTORY_PAGE)
        self._oldest_seq = turns[0].seq if turns else None
        calls = self._calls_for(turns)
        self.transcript.set_turns(turns, calls, has_older=bool(turns) and turns[0].seq > 1)
        self.sidebar.select(session.id)
        self.prompt.set_queued(self.queued.get(session.id, []))
        self.update_status()
        self._refresh_arg_choices()
        self.refresh_agent_commands()
        self.prepare_agent(session)

    def _calls_for(self, turns) -> dict[str, list]:
        calls: dict[str, list] = {}
        for call in self.store.list_tool_calls([t.id for t in turns if t.role == "agent"]):
            calls.setdefault(call.turn_id, []).append(call)
        return calls

    @on(Transcript.CopyRequested)
    @guarded
    def copy_requested(self, event) -> None:
        self._copy(event.text, "selected block")

    @on(Transcript.LoadOlder)
    @guarded
    def load_older(self) -> None:
        if self.session is None or not self._oldest_seq or self._oldest_seq <= 1:
            return
        turns = self.store.list_turns(self.session.id, limit=HISTORY_PAGE, before_seq=self._oldest_seq)
        if not turns:
            return
        self._oldest_seq = turns[0].seq
        self.transcript.prepend_turns(turns, self._calls_for(turns), has_older=turns[0].seq > 1)

    def update_status(self, *, running: bool | None = None) -> None:
        """`running`: whether the session runs a turn, when the caller knows (no query)."""
        if self.session is None:
            return
        session = self.session = self.store.get_session(self.session.id)
        status = self.status
        status.title = session.title
        status.agent = session.agent
        status.model = session.model or ""
        status.mode = session.mode
        if running is None:
            running = self.runner.is_running(session.id) or self.store.running_turn(session.id) is not None
        status.state = "busy" if running else session.state
        status.input_tokens = session.input_tokens
        status.output_tokens = session.output_tokens
        status.token_usage = self.store.token_usage([session.id])[session.id]
        status.context_tokens = self.store.context_size(session.id)
        status.context_window = self.context_window(session)
        status.hint = "esc cancel · enter queues" if running else "/ commands · ^p palette · ^b sidebar"
        self.prompt.placeholder = plain(f"Message {one_line(session.agent, 40)} · / for commands")
        if self.store.readonly:
            status.hint = self.prompt.placeholder = READ_ONLY_BANNER

    def refresh_sidebar(self) -> None:
        store = self.store
        scope = "all" if self._show_archived else "active"
        if self._sidebar_filter.strip():
            ids = store.search_session_ids(self._sidebar_filter, include_archived=self._show_archived)
            rows = []
            for sid in ids[:SIDEBAR_PAGE]:
                try:
                    session = store.get_session(sid)
                except Exception:
                    continue
                if self._workspace_only is None or session.workspace == self._workspace_only:
                    rows.append(session)
            rows.sort(key=lambda s: s.last_activity_at, reverse=True)
            total = len(rows)
        else:
            rows = store.list_sessions(filter=scope, workspace=self._workspace_only, limit=SIDEBAR_PAGE)
            total = store.count_sessions(filter=scope, workspace=self._workspace_only)
        self._sidebar_loaded = len(rows)
        self.sidebar.set_sessions(
            rows, total=total, running=self._running_ids(), now=store.clock.now(),
            active_id=self.session.id if self.session else None,
        )

    def _running_ids(self) -> set[str]:
        return self.runner.running_sessions() | self.store.running_session_ids()

    @on(Sidebar.NeedMore)
    @guarded
    def sidebar_more(self, event) -> None:
        if self._sidebar_filter.strip():
            return
        scope = "all" if self._show_archived else "active"
        rows = self.store.list_sessions(filter=scope, workspace=self._workspace_only, limit=SIDEBAR_PAGE,
                                        offset=self._sidebar_loaded)
        self._sidebar_loaded += len(rows)
        if rows:
            self.sidebar.append_sessions(rows)

    @on(Sidebar.FilterChanged)
    @guarded
    def sidebar_filter(self, event) -> None:
        self._sidebar_filter = event.text
        self.refresh_sidebar()

    @on(Sidebar.ArchivedToggled)
    @guarded
    def sidebar_archived(self, event) -> None:
        self._show_archived = event.show_archived
        self.refresh_sidebar()

    @on(Sidebar.WorkspaceToggled)
    @guarded
    def sidebar_workspace(self, event) -> None:
        self._workspace_only = (self.session.workspace if self.session else None) if event.only_workspace else None
        self.refresh_sidebar()

    @on(Sidebar.Open)
    @guarded
    def sidebar_open(self, event) -> None:
        self.open_session(event.session_id)
        self.prompt.focus_input()

    # -- sidebar actions (here, not in a mixin: @on registers only on the App class) --
    @on(Sidebar.NewSession)
    @guarded
    def _sidebar_new(self) -> None:
        self.action_new_session()

    @on(Sidebar.Rename)
    @guarded
    def _sidebar_rename(self, event) -> None:
        self.ask_rename(event.session_id)

    @on(Sidebar.Fork)
    @guarded
    def _sidebar_fork(self, event) -> None:
        self.fork(event.session_id)

    @on(Sidebar.ToggleArchive)
    @guarded
    def _sidebar_archive(self, event) -> None:
        try:
            self.toggle_archive(event.session_id)
        except Exception as exc:
            self.notify(first_line(exc), severity="error")

    @on(Sidebar.Delete)
    @guarded
    def _sidebar_delete(self, event) -> None:
        self.ask_delete(event.session_id)

    # -- sending --------------------------------------------------------------------------
    @on(Prompt.Submitted)
    @guarded
    def prompt_submitted(self, event) -> None:
        text = event.text
        if not text.strip():
            return
        if not self.store.readonly:
            self.store.add_prompt_history(text)
            self.prompt.history = self.prompt.history + [text]
        if text.lstrip().startswith("/"):
            self.run_slash(text.strip())
            return
        self.send_prompt(text)

    @on(Prompt.Unqueue)
    @guarded
    def unqueue(self) -> None:
        queue = self.queued.get(self.session.id) if self.session else None
        if queue:
            self.prompt.text = queue.pop()
            self.prompt.set_queued(queue)
            self.status.notice = "taken back from the queue: edit it and press Enter"

    def send_prompt(self, text: str) -> None:
        if self.session is None:
            return
        if self.store.readonly:
            self.notify(f"{READ_ONLY_BANNER}: nothing was sent", severity="error")
            return
        sid = self.session.id
        if self.runner.is_running(sid) or self.store.running_turn(sid) is not None:
            self.queued.setdefault(sid, []).append(text)
            self.prompt.set_queued(self.queued[sid])
            self.status.notice = "queued: it will be sent when the current turn ends"
            return
        self._run_turn(sid, text)

    @work(exclusive=False, group="turns")
    async def _run_turn(self, session_id: str, text: str) -> None:
        try:
            await self.runner.send(session_id, text)
        except Exception as exc:  # busy in another process, storage errors: tell, never crash
            log.exception("turn failed to start")
            self.notify(first_line(exc), severity="error", timeout=8)
        finally:  # the one refresh per settled turn (after-turn work included)
            self.refresh_sidebar()
            if session_id == (self.session.id if self.session else None):
                self.update_status()
            self._send_next_queued(session_id)

    def _send_next_queued(self, session_id: str) -> None:
        queue = self.queued.get(session_id) or []
        if not queue:
            return
        text = queue.pop(0)
        if self.session and self.session.id == session_id:
            self.prompt.set_queued(queue)
        self._run_turn(session_id, text)

    # -- live updates -----------------------------------------------------------------------
    def _on_turn_update(self, event: RunnerEvent) -> None:
        """Called by the runner for every change; rendering is batched (RENDER_INTERVAL), and
        the status bar and the sidebar read the database once when a turn starts and once
        when it settles, never per streamed event."""
        current = self.session is not None and event.session_id == self.session.id
        match event:
            case TitleChanged() | CompactionStarted() | CompactionFinished():
                self._on_session_followup(event)
            case CommandsChanged():
                if current:
                    self.refresh_agent_commands()
            case TurnStarted():
                self._pending[event.turn.id] = event
                self._flush_updates()
                self.refresh_sidebar()  # the prompt's title, the turn count and the running mark at once
                if current:
                    self.update_status(running=True)
            case TurnSettled():  # status and sidebar: once the runner is done with it (_run_turn)
                self._pending[event.turn.id] = event
                self._flush_updates()
                self.close_permission_question(event.session_id)
                gc.freeze()  # what the turn left behind (caches, strips) is long-lived: keep it out of full GCs
            case LiveTurnEvent():
                self._pending[event.turn.id] = event
                if not self._flush_scheduled:
                    self._flush_scheduled = True
                    self.set_timer(RENDER_INTERVAL, self._flush_updates)

    def _on_session_followup(self, event: TitleChanged | CompactionStarted | CompactionFinished) -> None:
        current = self.session is not None and event.session_id == self.session.id
        match event:
            case TitleChanged():
                self.refresh_sidebar()
            case CompactionStarted() if current:
                self.status.notice = "auto-compacting: the context passed its threshold…"
            case CompactionFinished(compacted=True) if current:
                self.open_session(event.session_id)
                self.status.notice = "auto-compacted the older turns (see the summary block)"
            case CompactionFinished():
                self.refresh_sidebar()
        if current:
            self.update_status()

    def _flush_updates(self) -> None:
        self._flush_scheduled = False
        pending, self._pending = self._pending, {}
        now = time.monotonic()
        if now - self._frozen_at >= FREEZE_SECONDS:
            # A long stream leaves many long-lived objects (rendered lines, caches); a full GC
            # would scan them all (tens of ms, a visible stall). Freeze them out of it.
            self._frozen_at = now
            gc.freeze()
        for event in pending.values():
            if self.session and event.session_id == self.session.id:
                self._ensure_user_turn_shown(event)
                self.transcript.update_turn(event.turn, list(event.tool_calls))

    def _ensure_user_turn_shown(self, event: LiveTurnEvent) -> None:
        """The prompt's turn, as the runner committed it (TurnStarted carries it): no read-back."""
        if isinstance(event, TurnStarted) and event.user is not None:
            self.transcript.update_turn(event.user, [])

    def _refresh_sidebar_if_stale(self) -> None:
        now = time.monotonic()
        if self._sidebar_stale and now - self._sidebar_refreshed >= SIDEBAR_REFRESH_SECONDS:
            self._sidebar_stale, self._sidebar_refreshed = False, now
            self.refresh_sidebar()

    def _poll_database(self) -> None:
        """Follow other processes' writes cheaply: act only when data_version moves."""
        try:
            version = self.store.data_version()
        except Exception:
            return
        if version == self._data_version:
            self._refresh_sidebar_if_stale()  # a change that came too soon after the last refresh
            return
        self._data_version = version
        self.sidebar.set_running(self._running_ids())
        self._sidebar_stale = True  # sessions made elsewhere (CLI, API): refreshed at most once a second
        self._refresh_sidebar_if_stale()
        if self.session is None:
            return
        if self.runner.is_running(self.session.id):
            return  # this process streams it; updates come from the runner
        turns = self.store.list_turns(self.session.id, limit=4)
        calls = self._calls_for(turns)
        for turn in turns:
            self.transcript.update_turn(turn, calls.get(turn.id, []))
        self.update_status()

    def _apply_theme_setting(self) -> None:
        wanted = str(self._config.ui.get("theme") or "")
        if wanted and wanted in self.available_themes:
            self.theme = wanted
        elif wanted:
            self.notify(f"[ui] theme {wanted!r} is not a theme (available: {', '.join(sorted(self.available_themes))})",
                        title="config", severity="warning", timeout=10, markup=False)
        self.prompt.set_arg_choices("theme", [(name, "", name) for name in sorted(self.available_themes)])

    # -- keys -------------------------------------------------------------------------------
    @guarded
    def action_cancel_turn(self) -> None:
        if self.prompt.popup_open:
            return
        if self.session and self.cancel_current_turn():
            return
        self.prompt.focus_input()

    def cancel_current_turn(self) -> bool:
        """Cancel the running turn of the open session (here or in another process)."""
        sid = self.session.id
        if self.runner.cancel(sid):
            self._restore_queue(sid)
            self.status.notice = "cancelled: the partial reply is kept"
            return True
        running = self.store.running_turn(sid)
        if running is not None:
            self.stop_turn_elsewhere(running)
            return True
        return False

    def _restore_queue(self, session_id: str) -> None:
        queue = self.queued.pop(session_id, [])
        if queue:
            self.prompt.text = "\n".join(queue + ([self.prompt.text] if self.prompt.text.strip() else []))
            self.prompt.set_queued([])
            self.status.notice = "cancelled · queued prompts are back in the prompt"

    def stop_turn_elsewhere(self, turn) -> None:
        import os
        import signal

        self.store.request_stop(turn.id)
        if turn.owner_pid and turn.owner_pid != os.getpid():
            try:
                os.kill(turn.owner_pid, signal.SIGTERM)
            except (ProcessLookupError, PermissionError):
                pass
        self.status.notice = "stop requested"

    @guarded
    def action_toggle_sidebar(self) -> None:
        self.screen.toggle_class("-no-sidebar")

    @guarded
    def action_focus_prompt(self) -> None:
        self.prompt.focus_input()

    @guarded
    def action_focus_transcript(self) -> None:
        self.transcript.focus()

    @guarded
    def action_focus_sidebar(self) -> None:
        self.screen.remove_class("-no-sidebar")
        self.sidebar.focus_list()

    @guarded
    def action_copy_last_reply(self) -> None:
        text = self.transcript.last_reply_text()
        self._copy(text, "last reply")

    @guarded
    def action_copy_selected(self) -> None:
        self._copy(self.transcript.selected_text(), "selected block")

    def _copy(self, text: str | None, what: str) -> None:
        if not text:
            self.status.notice = f"no {what} to copy"
            return
        self.copy_to_clipboard(text)
        self.status.notice = f"copied {what} ({len(text):,} characters)"

    def on_resize(self) -> None:
        self.screen.set_class(self.size.width < 90, "-no-sidebar")

    def on_unmount(self) -> None:
        gc_policy.release(freeze=False)  # closed before its first paint: do not leave GC off

    @guarded
    async def action_quit(self) -> None:
        await self.quit_app()

    def commands_for_palette(self):
        return COMMANDS
