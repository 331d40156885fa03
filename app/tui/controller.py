"""What the chat screen decides, with no Textual in it: which session is open and which of
its turns are loaded, the prompts queued per session, what the status bar says, which
sessions the sidebar lists. The screen turns these plain answers into widget attributes;
tests drive this class directly, without Pilot.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from chinwag.storage import Store
from chinwag.storage.models import Session, ToolCall, Turn

HISTORY_PAGE = 60
SIDEBAR_PAGE = 200
READ_ONLY_BANNER = "read-only: browsing only"
IDLE_HINT = "/ commands · ^p palette · ^b sidebar"
BUSY_HINT = "esc cancel · enter queues"


@dataclass(frozen=True)
class StatusSnapshot:
    """Everything the status bar and the prompt's placeholder show for the open session."""

    title: str
    agent: str
    model: str
    mode: str
    state: str
    input_tokens: int
    output_tokens: int
    token_usage: str
    context_tokens: int
    context_window: int
    hint: str
    busy: bool
    read_only: bool


@dataclass
class Page:
    """Turns to show, their tool calls, and whether older ones exist."""

    turns: list[Turn]
    calls: dict[str, list[ToolCall]]
    has_older: bool


@dataclass
class SidebarQuery:
    text: str = ""
    show_archived: bool = False
    workspace: str | None = None
    loaded: int = 0

    @property
    def scope(self) -> str:
        return "all" if self.show_archived else "active"


@dataclass
class ChatController:
    store: Store
    runner: object  # chinwag.app.core.runner.Runner (is_running, running_sessions)
    session: Session | None = None
    queued: dict[str, list[str]] = field(default_factory=dict)
    sidebar: SidebarQuery = field(default_factory=SidebarQuery)
    oldest_seq: int | None = None
    head: str | None = None  # the tip of the branch the transcript shows

    # -- the open session and its pages (of its active path) ---------------------------------
    def open(self, session_id: str) -> Page:
        session = self.session = self.store.get_session(session_id)
        if not self.store.readonly:
            self.store.set_active_session_id(session.id)
        return self.reload()

    def reload(self) -> Page:
        """The newest page of the open session's active path."""
        assert self.session is not None
        self.head = self.store.head_of(self.session.id)
        turns = self.store.list_turns(self.session.id, limit=HISTORY_PAGE)
        self.oldest_seq = turns[0].seq if turns else None
        return Page(turns, self.calls_for(turns), bool(turns) and turns[0].parent_id is not None)

    def older(self) -> Page | None:
        """The page before the oldest loaded turn, or None at the start of the session."""
        if self.session is None or not self.oldest_seq:
            return None
        turns = self.store.list_turns(self.session.id, limit=HISTORY_PAGE, before_seq=self.oldest_seq)
        if not turns:
            return None
        self.oldest_seq = turns[0].seq
        return Page(turns, self.calls_for(turns), turns[0].parent_id is not None)

    def newest(self, count: int = 4) -> list[Turn] | None:
        """The newest turns of the active path, to update in place after another process
        wrote; None when its head moved off the branch shown (then `reload`)."""
        assert self.session is not None
        head = self.store.head_of(self.session.id)
        turns = self.store.list_turns(self.session.id, limit=max(count, HISTORY_PAGE))
        moved = head != self.head and (self.head is None or self.head not in {t.id for t in turns})
        self.head = head
        return None if moved else turns[-count:]

    def calls_for(self, turns: list[Turn]) -> dict[str, list[ToolCall]]:
        calls: dict[str, list[ToolCall]] = {}
        for call in self.store.list_tool_calls([t.id for t in turns if t.role == "agent"]):
            calls.setdefault(call.turn_id, []).append(call)
        return calls

    def is_busy(self, session_id: str) -> bool:
        """A turn of this session runs here or in another process."""
        return self.runner.is_running(session_id) or self.store.running_turn(session_id) is not None

    def running_ids(self) -> set[str]:
        return self.runner.running_sessions() | self.store.running_session_ids()

    def status(self, context_window: int, *, running: bool | None = None) -> StatusSnapshot | None:
        """Re-read the open session and say what the status bar shows (`running`: whether a
        turn runs, when the caller knows it)."""
        if self.session is None:
            return None
        session = self.session = self.store.get_session(self.session.id)
        busy = self.is_busy(session.id) if running is None else running
        read_only = self.store.readonly
        return StatusSnapshot(
            title=session.title, agent=session.agent, model=session.model or "", mode=session.mode,
            state="busy" if busy else session.state, input_tokens=session.input_tokens,
            output_tokens=session.output_tokens, token_usage=self.store.token_usage([session.id])[session.id],
            context_tokens=self.store.context_size(session.id), context_window=context_window,
            hint=READ_ONLY_BANNER if read_only else (BUSY_HINT if busy else IDLE_HINT), busy=busy,
            read_only=read_only,
        )

    # -- queued prompts ----------------------------------------------------------------------------
    def enqueue(self, session_id: str, text: str) -> list[str]:
        queue = self.queued.setdefault(session_id, [])
        queue.append(text)
        return queue

    def take_back(self, session_id: str) -> str | None:
        """The last queued prompt, out of the queue (to edit it)."""
        queue = self.queued.get(session_id)
        return queue.pop() if queue else None

    def next_queued(self, session_id: str) -> str | None:
        queue = self.queued.get(session_id) or []
        return queue.pop(0) if queue else None

    def restore_queue(self, session_id: str, draft: str) -> str | None:
        """On cancel, the queued prompts (then the draft) as the prompt's new text; None if none."""
        queue = self.queued.pop(session_id, [])
        if not queue:
            return None
        return "\n".join(queue + ([draft] if draft.strip() else []))

    def drop_queue(self, session_id: str) -> int:
        return len(self.queued.pop(session_id, []))

    # -- the sidebar's list ----------------------------------------------------------------------
    def sidebar_rows(self) -> tuple[list[Session], int]:
        """The sessions the sidebar lists (first page) and how many there are in all."""
        store, query = self.store, self.sidebar
        if query.text.strip():
            rows = []
            for sid in store.search_session_ids(query.text, include_archived=query.show_archived)[:SIDEBAR_PAGE]:
                try:
                    session = store.get_session(sid)
                except Exception:  # deleted since the search: skip it
                    continue
                if query.workspace is None or session.workspace == query.workspace:
                    rows.append(session)
            rows.sort(key=lambda s: s.last_activity_at, reverse=True)
            total = len(rows)
        else:
            rows = store.list_sessions(filter=query.scope, workspace=query.workspace, limit=SIDEBAR_PAGE)
            total = store.count_sessions(filter=query.scope, workspace=query.workspace)
        query.loaded = len(rows)
        return rows, total

    def more_sidebar_rows(self) -> list[Session]:
        query = self.sidebar
        if query.text.strip():
            return []
        rows = self.store.list_sessions(filter=query.scope, workspace=query.workspace, limit=SIDEBAR_PAGE,
                                        offset=query.loaded)
        query.loaded += len(rows)
        return rows
