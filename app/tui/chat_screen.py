"""The chat screen: the session sidebar, the transcript, the prompt and the status bar,
glued to the store and the runner. Widgets post messages up; this screen reads and writes
storage, runs turns and pushes plain data down into the widgets. Slash commands, session
actions, model lists and the coding-agent glue are mixed in from their own modules.

Turns run in this process through the runner (they keep streaming when you switch
sessions); turns written by other processes (a detached worker, `chinwag session send`
in another terminal) show up live by polling `PRAGMA data_version`.
"""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical

from chinwag.app.agents import list_agents
from chinwag.app.agents.discovery import discover_default
from chinwag.app.agents.settings import new_session_choice, new_session_kind
from chinwag.app.config.loader import Config
from chinwag.app.core.commands import ARG_CHOICES, COMMANDS
from chinwag.app.errors import first_line
from chinwag.app.lazy import LazyModule
from chinwag.app.tui import gc_policy, warmup
from chinwag.app.tui.actions import ChatActionsMixin
from chinwag.app.tui.agents import AgentGlueMixin
from chinwag.app.tui.compaction import CompactionGlueMixin
from chinwag.app.tui.controller import READ_ONLY_BANNER, ChatController
from chinwag.app.tui.drafts import DRAFT_SECONDS, Drafts
from chinwag.app.tui.find import FindMixin
from chinwag.app.tui.guard import guarded
from chinwag.app.tui.models import ModelsMixin
from chinwag.app.tui.money import MoneyMixin
from chinwag.app.tui.notify import NotifyMixin
from chinwag.app.tui.outline import OutlineMixin
from chinwag.app.tui.paging import PagingMixin
from chinwag.app.tui.rewind import RewindMixin
from chinwag.app.tui.sessions import SessionActionsMixin
from chinwag.app.tui.sidebar_part import SidebarPart
from chinwag.app.tui.slash import SlashCommandsMixin
from chinwag.app.tui.tree import TreeMixin
from chinwag.app.tui.turn_flow import TurnFlowPart
from chinwag.storage import StorageError, Store
from chinwag.storage.models import Session
from chinwag.widgets.notice_line import NoticeLine
from chinwag.widgets.prompt import Prompt
from chinwag.widgets.session_header import SessionHeader
from chinwag.widgets.sidebar import Sidebar
from chinwag.widgets.status_bar import StatusBar
from chinwag.widgets.text_safety import one_line, plain
from chinwag.widgets.transcript import Transcript
from chinwag.widgets.typing_guard import PromptTypist

if TYPE_CHECKING:
    from chinwag.app.core import events
    from chinwag.app.core.runner import Runner
else:  # the runner and its events load with the first turn, not with the app
    events = LazyModule("chinwag.app.core.events")

log = logging.getLogger("chinwag.tui")
POLL_SECONDS = 0.25
SHORT_ECHO_HINT = "offline echo agent: set OPENAI_API_KEY or ANTHROPIC_API_KEY, or start Ollama"
SIDEBAR_MIN_WIDTH = 90  # terminal columns from which the sidebar shows by default


class ChatScreen(TreeMixin, ChatActionsMixin, SlashCommandsMixin, SessionActionsMixin, ModelsMixin, AgentGlueMixin,
                 CompactionGlueMixin, RewindMixin, MoneyMixin, FindMixin, OutlineMixin, PagingMixin, NotifyMixin,
                 TurnFlowPart, SidebarPart):
    # `-narrow` folds the sidebar away (unless Ctrl+B said otherwise, see `sidebar_shown`);
    # Textual sets the class from the new size on every resize, before the layout.
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (SIDEBAR_MIN_WIDTH, "-wide")]
    AUTO_FOCUS = "#prompt-input"  # the prompt has the focus when the screen shows
    BINDINGS = [
        Binding("escape", "cancel_turn", "cancel turn", show=False, id="cancel_turn"),
        Binding("ctrl+b", "toggle_sidebar", "sidebar", id="toggle_sidebar"),
        Binding("ctrl+n", "new_session", "new session", id="new_session"),
        Binding("ctrl+y", "copy_last_reply", "copy last reply", id="copy_last_reply", priority=True),
        Binding("ctrl+shift+y", "copy_selected", "copy selected block", id="copy_selected"),
        Binding("ctrl+l", "focus_prompt", "focus prompt", show=False, id="focus_prompt"),
        Binding("ctrl+t", "focus_transcript", "focus transcript", show=False, id="focus_transcript"),
        Binding("ctrl+s", "focus_sidebar", "focus sessions", show=False, id="focus_sidebar"),
        Binding("ctrl+f", "find", "find in this session", id="find"),
        Binding("f1", "help", "every command and key (/help)", show=False, id="help"),
        Binding("ctrl+o", "outline", "outline of the session", show=False, id="outline"),
    ]

    def __init__(self, *, opening: tuple[str | None, bool, bool] = (None, False, False), animate: bool = True,
                 now=None) -> None:
        super().__init__()
        self._opening = opening
        self.animations_on = animate
        self._now = now  # a fixed "now" for the elapsed time of streaming blocks (snapshots)
        self._controller: ChatController | None = None
        self._data_version = None
        self._pending: dict[str, events.LiveTurnEvent] = {}
        self._model_lists: dict[str, list[str]] = {}
        self._permission_screens: dict = {}
        self._sidebar_refreshed = 0.0
        self._sidebar_stale = False
        self._frozen_at = 0.0
        self._flush_scheduled = False
        self._early_notices: list[dict] = []  # notices given before the notice line exists
        self._offline_hint = False  # the first-run hint is showing
        self._compactions: dict = {}  # session id -> the /compact worker running for it
        self.quitting = False  # set on the way out: no queued prompt starts, the poll stops
        self._held: set[str] = set()  # sessions whose queue waits to come back into the prompt
        self._drafts: Drafts | None = None
        self._draft_timer = None
        self._paste_spans: dict[str, list] = {}  # prompt text -> where its pastes are (until it starts)
        self._send_as_text: str | None = None  # an unknown /command: Enter again sends it as a message

    # the app owns what lives as long as it does: the database, the settings, the runner
    @property
    def store(self) -> Store:
        return self.app.store

    @property
    def runner(self) -> Runner:
        return self.app.runner

    @property
    def _config(self) -> Config:
        return self.app.config

    @property
    def controller(self) -> ChatController:
        if self._controller is None:
            self._controller = ChatController(self.store, self.app.turns_here)
        return self._controller

    @property
    def session(self) -> Session | None:
        return self.controller.session

    @property
    def drafts(self) -> Drafts:
        if self._drafts is None:
            self._drafts = Drafts(self.store)
        return self._drafts

    @property
    def queued(self) -> dict[str, list[str]]:
        return self.controller.queued

    # -- layout ---------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        gc_policy.hold()  # until the first paint (released in on_mount), as `chinwag` does from its imports
        # The class the first resize sets, set now: that resize then changes no class, which would
        # restyle every widget just before the first paint (~7 ms).
        self.add_class("-wide" if self.app.size.width >= SIDEBAR_MIN_WIDTH else "-narrow")
        with Horizontal(id="body"):
            yield Sidebar(id="sidebar", animate=self.animations_on)
            with Vertical(id="main"):
                yield SessionHeader(id="session-header", animate=self.animations_on)
                yield Transcript(id="transcript", animate=self.animations_on)
                yield NoticeLine(id="notices")
                yield Prompt(COMMANDS, ARG_CHOICES, id="prompt")
        yield StatusBar(id="status")

    @property
    def transcript(self) -> Transcript:
        return self.query_one(Transcript)

    @property
    def prompt(self) -> Prompt:
        return self.query_one(Prompt)

    @property
    def sidebar(self) -> Sidebar:
        return self.query_one(Sidebar)

    @property
    def status(self) -> StatusBar:
        return self.query_one(StatusBar)

    @property
    def header(self) -> SessionHeader:
        return self.query_one(SessionHeader)

    @property
    def notices(self) -> NoticeLine:
        return self.query_one(NoticeLine)

    # -- notices ---------------------------------------------------------------------------------
    def show_notice(self, text: str, **options) -> None:
        """Where `ChinwagApp.notify` puts a notice (kept until the notice line exists)."""
        lines = self.query(NoticeLine)
        if not lines:  # not composed yet (a config error found at start-up)
            self._early_notices.append({"text": text, **options})
            return
        lines.first().show(text, **options)

    def dismiss_notices(self) -> bool:
        """Hide the notices (Esc with nothing to cancel); True if some were showing."""
        self._offline_hint = False
        return self.notices.dismiss()

    @on(NoticeLine.Dismissed)
    def _notices_dismissed(self) -> None:
        self._offline_hint = False

    # -- start-up -------------------------------------------------------------------------
    def on_mount(self) -> None:
        typist = PromptTypist(self.prompt)  # typing on the transcript goes to the prompt
        self.transcript.typing.type_to, self.transcript.typing.paste_to = typist, typist.paste
        for early in self._early_notices:
            self.notices.show(**early)
        self._early_notices.clear()
        try:
            self._open_at_start()
        except StorageError as exc:  # damage found while reading: `chinwag` prints one line, no traceback
            self.app.startup_error = first_line(exc)
            self.app.call_later(self.app.exit, return_code=1)  # once the app has finished composing

    def _open_at_start(self) -> None:
        store = self.store
        self.prepare_transcript_times()
        self.prompt.set_arg_choices("theme", [(name, "", name) for name in sorted(self.app.available_themes)])
        if store.readonly:
            self.status.hint = READ_ONLY_BANNER
            self.prompt.placeholder = READ_ONLY_BANNER
            self.notify(f"{store.path}: {READ_ONLY_BANNER}", severity="warning", timeout=8)
        for turn in store.recovered:
            self.notify(f"turn {turn.id[:10]} was interrupted when its process died", severity="warning")
        session_id, continue_, new = self._opening
        # A read-only database cannot get a new session: browse what is there (maybe nothing).
        creatable = not store.readonly
        if new and creatable:
            session = self._create_session()
        elif session_id:
            session = store.get_session(session_id)
        else:
            target = None if continue_ else store.get_active_session_id()
            target = target or store.most_recent_session_id()
            session = store.get_session(target) if target else (self._create_session() if creatable else None)
        self.prompt.set_arg_choices("agent", self._agent_choices)  # listed when /agent offers them (it probes Ollama)
        self.prompt.history = store.prompt_history()
        if session is not None:
            self.open_session(session.id)  # lists the sessions too: the list does not hold it yet
        else:
            self.refresh_sidebar()
        self._data_version = store.data_version()
        self.set_interval(POLL_SECONDS, self._poll_database)
        self.prompt.focus_input()
        # Long-lived start-up objects (Textual, Rich, Pygments, styles) never become garbage:
        # freeze them so the periodic full collections that stall streaming stay short.
        self.call_after_refresh(gc_policy.release)
        self.call_after_refresh(warmup.start)
        if session is not None:
            self._hint_if_offline(session)

    def _hint_if_offline(self, session: Session) -> None:
        cfg = self._config
        if session.agent == "echo" and not cfg.agents and "agent" not in cfg.defaults \
                and discover_default(probe=False).agent == "echo":
            self._offline_hint = True
            self.app.notify(SHORT_ECHO_HINT, key="offline", sticky=True)

    def _create_session(self, title: str | None = None) -> Session:
        """A session to type into: this workspace's unused draft if there is one, else a new
        draft (listed once it has a turn), so launches and Ctrl+N do not pile up empty rows."""


        cfg = self._config or Config()
        workspace = cfg.defaults.get("workspace") or os.getcwd()
        choice = new_session_choice(cfg, workspace)
        return self.store.draft_session(
            title=title, agent=choice.agent, model=choice.model, kind=new_session_kind(cfg), workspace=workspace,
        )

    def _agent_choices(self) -> list[tuple[str, str, str]]:
        return [(i.name, f"{i.kind} {i.model}".strip(), i.name) for i in list_agents(self._config) if i.available]

    # -- opening a session ------------------------------------------------------------------
    def open_session(self, session_id: str) -> None:
        left = self.session
        switching = self.drafts.session_id != session_id
        if switching:
            self.save_draft()  # the prompt's text stays with the session it was typed in
        page = self.controller.open(session_id)
        self.find_session_opened(session_id)
        if switching:
            self.prompt.text = self.drafts.open(session_id)
        self.transcript.set_turns(page.turns, page.calls, has_older=page.has_older, placements=page.placements)
        if not self.sidebar.list.lists(session_id) or (left and not left.turn_count and left.id != session_id):
            self.refresh_sidebar()  # an empty draft is listed only while it is open
        self._show_working(session_id)  # a compaction still running there
        self.sidebar.select(session_id)
        self.prompt.set_queued(self.queued.get(session_id, []))
        self._take_back_unsent(session_id)
        self.update_status()
        self._refresh_arg_choices()
        self.refresh_agent_commands()
        self.prepare_agent(self.session)
        self.warm_outline()

    def _take_back_unsent(self, session_id: str) -> None:
        """Prompts that will not be sent come back into the prompt: those queued here behind a
        turn stopped from another process while this session was not open, and those a
        background worker left when it stopped early (once nothing runs there)."""
        held = session_id in self._held
        self._held.discard(session_id)
        if self.store.readonly or self.app.turns_here.is_running(session_id):
            return
        from chinwag.app.core.worker import take_background_queue  # lazy: rarely anything to take

        unsent = take_background_queue(self.store, session_id)
        for text in unsent:
            self.controller.enqueue(session_id, text)
        if (held or unsent) and self.queued.get(session_id):
            self._restore_queue(session_id)
            self.status.notice = "prompts queued before the turn was stopped are back in the prompt"

    def _calls_for(self, turns) -> dict[str, list]:
        return self.controller.calls_for(turns)

    @on(Transcript.CopyRequested)
    @guarded
    def copy_requested(self, event) -> None:
        self._copy(event.text, "selected block")

    @on(Transcript.LoadOlder)
    @guarded
    def load_older(self) -> None:
        page = self.controller.older()
        if page is not None:
            self.transcript.prepend_turns(page.turns, page.calls, has_older=page.has_older,
                                           placements=page.placements)

    def update_status(self, *, running: bool | None = None) -> None:
        """Re-read the open session's status (`running`: whether the session runs a turn, when
        the caller knows: no query) and show it."""
        self._show_status(self.controller.status(self.context_window(self.session) if self.session else 0,
                                                 running=running))
        self.warn_context(self.controller.snapshot)

    def _show_status(self, snapshot) -> None:
        """Push the controller's status down into the header, the status bar and the prompt."""
        if snapshot is None:
            return
        header, status = self.header, self.status
        for name in ("title", "agent", "model", "mode", "state", "activity"):
            setattr(header, name, getattr(snapshot, name))
        for name in ("state", "busy", "queued", "input_tokens", "output_tokens", "token_usage", "context_tokens",
                     "context_window", "hint", "cost"):
            setattr(status, name, getattr(snapshot, name))
        if not snapshot.queued:
            self.notices.remove("queued")  # the queued prompt has started: its notice is over
        if self._offline_hint and snapshot.agent != "echo":  # a model is connected: the hint is done
            self._offline_hint = False
            self.notices.remove("offline")
        self.prompt.placeholder = READ_ONLY_BANNER if snapshot.read_only else self.editing_placeholder() or \
            plain(f"Message {one_line(snapshot.agent, 40)} · {self.prompt.newline_hint} · / for commands")

    def refresh_sidebar(self) -> None:
        rows, total = self.controller.sidebar_rows()
        self.sidebar.set_sessions(rows, total=total, running=self._running_ids(), now=self.store.clock.now(),
                                  active_id=self.session.id if self.session else None,
                                  trees=self.controller.trees_of(rows))
        self.count_sidebar()  # the total, when only a count tells it: in a thread

    def _running_ids(self) -> set[str]:
        return self.controller.running_ids()

    # -- drafts -------------------------------------------------------------------------------
    @on(Prompt.Edited)
    def _prompt_edited(self) -> None:
        self.drafts.typed = self.prompt.text  # what a save on the way out writes, once the prompt is gone
        if self._draft_timer is not None:
            self._draft_timer.stop()
        self._draft_timer = self.set_timer(DRAFT_SECONDS, self.save_draft)

    def save_draft(self, text: str | None = None) -> None:
        """Write the open session's draft now: the prompt's text, or `text`."""
        if self._draft_timer is not None:
            self._draft_timer.stop()
            self._draft_timer = None
        if text is None:
            prompts = self.query(Prompt)
            text = prompts.first().text if prompts else self.drafts.typed
        if text is not None:
            self.drafts.save(text)

