"""What the chat screen decides, with no Textual in it: which session is open and which of
its turns are loaded, the prompts queued per session, what the header and the status bar
say, which sessions the sidebar lists. The screen turns these plain answers into widget
attributes; tests drive this class directly, without Pilot.

The status is derived here and only here: `status()` reads the session (on opening it, when
a turn settles, after a setting changed), `on_event()` follows every runner event without
reading anything (a turn started, its model became known, compaction began or ended), and
the queue and compaction are the controller's own state.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from chinwag.app.lazy import LazyModule
from chinwag.app.tui.sidebar_total import CountRequest, SidebarTotals
from chinwag.storage import Store
from chinwag.storage.models import Session, ToolCall, Turn
from chinwag.storage.tokens import REPORTED
from chinwag.storage.tree import Placement

if TYPE_CHECKING:
    from chinwag.app.core import events
    from chinwag.app.core.branching import Switch
else:  # the runner's events load with the runner (the first turn), not with the app
    events = LazyModule("chinwag.app.core.events")

HISTORY_PAGE = 60
SIDEBAR_PAGE = 100  # sessions read at a time: two screens of the tallest terminal, the next page read near the end
READ_ONLY_BANNER = "read-only: browsing only"
IDLE_HINT = "/ commands · ^p palette · ^b sidebar"
BUSY_HINT = "esc cancel · enter queues"
COMPACTING = "compacting"
WORKING_ID = "compacting:"
WORKING_SEQ = 2**62  # after every stored turn


@dataclass(frozen=True)
class StatusSnapshot:
    """Everything the header, the status bar and the prompt's placeholder show for the open
    session."""

    title: str
    agent: str
    model: str  # the session's model, else the one its agent last answered with
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
    queued: int = 0
    activity: str = ""  # what keeps it busy beyond a turn: "compacting"
    cost: str = ""  # the session's cost (`Cost.text`), "" when it has none to show or not yet known


@dataclass
class Page:
    """Turns to show, their tool calls, and whether older ones exist."""

    turns: list[Turn]
    calls: dict[str, list[ToolCall]]
    has_older: bool
    placements: dict[str, Placement] = field(default_factory=dict)  # of the turns with siblings
    has_newer: bool = False  # the path goes on below (a page after a switch of versions)


@dataclass
class SidebarQuery:
    """What the session list shows: its filter text, archived or trash, the workspace, how many are loaded."""

    text: str = ""
    show_archived: bool = False
    show_trash: bool = False  # only the deleted sessions (the trash), instead of the others
    workspace: str | None = None
    loaded: int = 0

    @property
    def scope(self) -> str:
        return "deleted" if self.show_trash else "all" if self.show_archived else "active"


@dataclass
class ChatController:
    """The chat screen's state and reads, without Textual: the open session, queued prompts, the sidebar's
    query and the status."""

    store: Store
    runner: object  # what runs in this process (is_running, running_sessions): app/tui/app.py TurnsHere
    session: Session | None = None
    queued: dict[str, list[str]] = field(default_factory=dict)
    sidebar: SidebarQuery = field(default_factory=SidebarQuery)
    oldest_seq: int | None = None
    snapshot: StatusSnapshot | None = None  # the status as last derived
    compacting: dict[str, events.CompactionStarted] = field(default_factory=dict)  # sessions being compacted here
    _answered_by: tuple[str, str] = ("", "")  # (agent, model) of the open session's last agent turn
    head: str | None = None  # the tip of the branch the transcript shows
    newer_from: int | None = None  # while the loaded turns stop short of the head: the seq to page on from
    _trees: dict[str, tuple] = field(default_factory=dict)  # sid -> ((turn_count, head), tree_counts' answer)
    # the session's cost text when its status is read (set by the screen: app/tui/money.py)
    session_cost: Callable[[Session], str] | None = None
    totals: SidebarTotals = field(default_factory=SidebarTotals)  # the sidebar's counts, made off the UI loop
    count_due: CountRequest | None = None  # set by `sidebar_rows` when its total needs a (new) count
    _draft_listed: int = 0  # 1 while the open draft is listed beside the counted rows

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
        self.newer_from = None
        turns = self.store.list_turns(self.session.id, limit=HISTORY_PAGE)
        self.oldest_seq = turns[0].seq if turns else None
        self.snapshot = None
        self._answered_by = next(((t.agent, t.model) for t in reversed(turns) if t.role == "agent" and t.model),
                                 ("", ""))
        return Page(turns, self.calls_for(turns), bool(turns) and turns[0].parent_id is not None,
                    self.placements_for(turns))

    def older(self, limit: int = HISTORY_PAGE) -> Page | None:
        """The page (of `limit` turns) before the oldest loaded turn, or None at the start of the session."""
        if self.session is None or not self.oldest_seq:
            return None
        turns = self.store.list_turns(self.session.id, limit=limit, before_seq=self.oldest_seq)
        if not turns:
            return None
        self.oldest_seq = turns[0].seq
        return Page(turns, self.calls_for(turns), turns[0].parent_id is not None, self.placements_for(turns))

    def placements_for(self, turns: list[Turn]) -> dict[str, Placement]:
        """Where the turns of a page sit among their siblings (one query a page), those with any."""
        assert self.session is not None
        return self.store.placements_in(self.session.id, turns)

    def switched(self, switch: Switch, replaced_seq: int) -> Page:
        """The first page below a block after `[` / `]` moved the head (`replaced_seq`: the
        seq of the block it replaces); `newer()` pages on down to the new tip."""
        self.head = switch.tip
        if self.oldest_seq is None or replaced_seq <= self.oldest_seq:
            self.oldest_seq = switch.turn.seq
        self.snapshot = None
        return self._page_from(switch.turn.seq)

    def newer(self) -> Page | None:
        """The page after the newest loaded turn, while the transcript does not reach the
        head (after a switch), else None."""
        if self.session is None or self.newer_from is None or self.head is None:
            return None
        return self._page_from(self.newer_from)

    def _page_from(self, seq: int) -> Page:
        assert self.session is not None and self.head is not None
        turns = self.store.turns_from(self.session.id, self.head, seq, HISTORY_PAGE + 1)
        more = len(turns) > HISTORY_PAGE
        turns = turns[:HISTORY_PAGE]
        self.newer_from = turns[-1].seq + 1 if more else None
        return Page(turns, self.calls_for(turns), False, self.placements_for(turns), has_newer=more)

    def window_at(self, turn_id: str | None) -> Page | None:
        """The turns around `turn_id` on the path shown (None: the path's first turn): a
        quarter page above it and a page from it down. A jump far from the loaded turns shows
        this window in their place, so its cost is a page's, whatever the distance; the turns
        above and below page in on scrolling (`older`, `newer`). None when the turn is not on
        the path."""
        if self.session is None or self.head is None:
            return None
        sid = self.session.id
        if turn_id is None:
            start = 0
        else:
            try:
                start = self.store.get_turn(turn_id).seq
            except Exception:  # not a turn (any more): nothing to show
                return None
        turns = self.store.turns_from(sid, self.head, start, HISTORY_PAGE + 1)
        if not turns or (turn_id is not None and turns[0].id != turn_id):
            return None  # not on the path shown
        more = len(turns) > HISTORY_PAGE
        turns = turns[:HISTORY_PAGE]
        above = self.store.list_turns(sid, limit=HISTORY_PAGE // 4, before_seq=turns[0].seq) if turn_id else []
        turns = above + turns
        self.oldest_seq = turns[0].seq
        self.newer_from = turns[-1].seq + 1 if more else None
        return Page(turns, self.calls_for(turns), turns[0].parent_id is not None, self.placements_for(turns),
                    has_newer=more)

    def newest(self, count: int = 4) -> list[Turn] | None:
        """The newest turns of the active path, to update in place after another process
        wrote; None when its head moved off the branch shown (then `reload`)."""
        assert self.session is not None
        head = self.store.head_of(self.session.id)
        if self.newer_from is not None:  # the newest turns are not loaded: shown when paged to, or on a reload
            return None if head != self.head else []
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
        """A turn of this session runs here or in another process, or it is being compacted."""
        return (session_id in self.compacting or self.runner.is_running(session_id)
                or self.store.running_turn(session_id) is not None)

    def running_ids(self) -> set[str]:
        return self.runner.running_sessions() | self.store.running_session_ids()

    def status(self, context_window: int, *, running: bool | None = None) -> StatusSnapshot | None:
        """Re-read the open session and say what the status shows (`running`: whether a turn
        runs, when the caller knows it)."""
        if self.session is None:
            return None
        session = self.session = self.store.get_session(self.session.id)
        busy = self.is_busy(session.id) if running is None else (running or session.id in self.compacting)
        read_only = self.store.readonly
        empty = session.turn_count == 0  # a new session: no turns to count (two statements of its first paint)
        self.snapshot = self._derive(StatusSnapshot(
            title=session.title, agent=session.agent, model="", mode=session.mode,
            state=session.state, input_tokens=session.input_tokens, output_tokens=session.output_tokens,
            token_usage=REPORTED if empty else self.store.token_usage([session.id])[session.id],
            context_tokens=0 if empty else self.store.context_size(session.id), context_window=context_window,
            hint="", busy=busy, read_only=read_only,
            cost=self.session_cost(session) if self.session_cost is not None else "",
        ))
        return self.snapshot

    def on_event(self, event: events.RunnerEvent) -> StatusSnapshot | None:
        """Follow one runner event of the open session, reading nothing; the new status when
        it changed what is shown, else None."""
        if isinstance(event, events.CompactionStarted):
            self.compaction_started(event)
        elif isinstance(event, events.CompactionFinished):
            self.compaction_ended(event.session_id)  # still busy until the runner lets go of the turn
        snapshot = self.snapshot
        if snapshot is None or self.session is None or event.session_id != self.session.id:
            return None
        busy = snapshot.busy
        if isinstance(event, events.LiveTurnEvent):
            if event.turn.model:
                self._answered_by = (event.turn.agent, event.turn.model)
            # a settled turn leaves it busy: after-turn work may follow (the screen re-reads)
            busy = busy or not isinstance(event, events.TurnSettled)
        elif isinstance(event, events.CompactionStarted):
            busy = True
        updated = self._derive(replace(snapshot, busy=busy))
        if updated == snapshot:
            return None
        self.snapshot = updated
        return updated

    def _derive(self, snapshot: StatusSnapshot) -> StatusSnapshot:
        """The parts that follow from the rest: model, state, hint, queue, activity."""
        assert self.session is not None
        session = self.session
        answered_agent, answered_model = self._answered_by
        model = session.model or (answered_model if answered_agent in ("", session.agent) else "")
        busy = snapshot.busy or session.id in self.compacting
        activity = COMPACTING if session.id in self.compacting else ""
        hint = READ_ONLY_BANNER if snapshot.read_only else (BUSY_HINT if busy else IDLE_HINT)
        state = "busy" if busy else (snapshot.state if snapshot.state != "busy" else "ready")
        return replace(snapshot, model=model, busy=busy, state=state, hint=hint, activity=activity,
                       queued=len(self.queued.get(session.id, [])))

    def refresh_status(self) -> StatusSnapshot | None:
        """The last status with the queue and compaction state applied again (no reading)."""
        if self.snapshot is None or self.session is None:
            return None
        self.snapshot = self._derive(self.snapshot)
        return self.snapshot

    # -- compaction running here ---------------------------------------------------------------
    def compaction_started(self, event: events.CompactionStarted) -> None:
        self.compacting[event.session_id] = event

    def compaction_ended(self, session_id: str) -> None:
        self.compacting.pop(session_id, None)

    def working_turn(self, session_id: str) -> Turn | None:
        """The working block of a compaction running in this session (not stored: it goes
        when the compaction ends), or None."""
        started = self.compacting.get(session_id)
        if started is None:
            return None
        what = f"the {started.turns} older turns" if started.turns else "the older turns"
        return Turn(id=WORKING_ID + session_id, session_id=session_id, seq=WORKING_SEQ, role="summary",
                    text=f"Summarizing {what} through the session's agent…", status="streaming",
                    created_at=started.started_at, started_at=started.started_at or None,
                    metadata={"auto": True} if started.auto else {})

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
    def sidebar_rows(self) -> tuple[list[Session], int | None]:
        """The sessions the sidebar lists (first page) and how many there are in all. The
        open session is listed even while it is an empty draft (the others are not). Past
        a full page only a count tells the total: the view's last one (None: never counted),
        with `count_due` set when a new one is needed (`sidebar_counted` takes it)."""
        store, query = self.store, self.sidebar
        text = query.text.strip()
        self.count_due = None
        total: int | None
        if text and query.show_trash:  # the full-text index leaves deleted sessions out: match their titles
            lowered = text.lower()
            rows = [s for s in store.list_sessions(filter="deleted", workspace=query.workspace, limit=2000)
                    if lowered in s.title.lower()][:SIDEBAR_PAGE]
            total = len(rows)
        elif text:
            rows = []
            for sid in store.search_session_ids(text, include_archived=query.show_archived)[:SIDEBAR_PAGE]:
                try:
                    session = store.get_session(sid)
                except Exception:  # deleted since the search: skip it
                    continue
                if query.workspace is None or session.workspace == query.workspace:
                    rows.append(session)
            rows.sort(key=lambda s: s.last_activity_at, reverse=True)
            total = len(rows)
        else:
            if query.show_trash:  # a pin means nothing in the trash
                rows = store.list_sessions(filter=query.scope, workspace=query.workspace, limit=SIDEBAR_PAGE)
            else:  # the pinned ones first; the pages below (`more_sidebar_rows`) leave them out
                rows = store.list_sessions_pinned_first(filter=query.scope, workspace=query.workspace,
                                                        limit=SIDEBAR_PAGE)
            query.loaded = sum(1 for s in rows if not s.pinned)
            if (len(rows) if query.show_trash else query.loaded) < SIDEBAR_PAGE:
                total = len(rows)  # the first page holds them all (the pinned ones included)
            else:
                request = CountRequest((query.scope, query.workspace), store.change_stamp())
                total = self.totals.known(request.view)
                self.count_due = None if self.totals.fresh(request) else request
        if text:
            query.loaded = len(rows)
            rows = pins_first(rows)
        draft = self._open_draft()
        self._draft_listed = int(draft is not None and not text and draft.id not in {s.id for s in rows})
        if draft is not None and self._draft_listed:
            rows.insert(sum(1 for s in rows if s.pinned), draft)  # below the pinned rows, on top of the rest
        return rows, None if total is None else total + self._draft_listed

    def sidebar_counted(self, request: CountRequest, count: int) -> int | None:
        """Keep a count made off the UI loop; the sidebar's total when it is of the view listed now."""
        self.totals.keep(request, count)
        query = self.sidebar
        if query.text.strip() or request.view != (query.scope, query.workspace):
            return None
        return count + self._draft_listed

    def _open_draft(self) -> Session | None:
        """The open session when it is a draft this view would list (no turn yet, so no store listing has it)."""
        session, query = self.session, self.sidebar
        if session is None or session.turn_count or query.show_trash or session.archived:
            return None
        if query.workspace is not None and session.workspace != query.workspace:
            return None
        return session if self.store.is_draft(session.id) else None

    def trees_of(self, rows: list[Session]) -> dict[str, tuple[int, int]]:
        """(turns on the active path, branches) of the listed sessions that have branches or
        were rewound: the sidebar shows those counts. One query for the rows not seen with
        the same turn count and head before (nothing else changes a tree's shape), so the
        refreshes around a turn ask about the open session once."""
        cache = self._trees
        stale = [s.id for s in rows if cache.get(s.id, (None,))[0] != (s.turn_count, s.head)]
        if stale:
            found = self.store.tree_counts(stale)
            keys = {s.id: (s.turn_count, s.head) for s in rows}
            for sid in stale:
                cache[sid] = (keys[sid], found.get(sid))
        return {s.id: tree for s in rows if (tree := cache[s.id][1]) is not None}

    def more_sidebar_rows(self) -> list[Session]:
        query = self.sidebar
        if query.text.strip():
            return []
        rows = self.store.list_sessions(filter=query.scope, workspace=query.workspace, limit=SIDEBAR_PAGE,
                                        offset=query.loaded, pinned=False if not query.show_trash else None)
        query.loaded += len(rows)
        return rows


def pins_first(rows: list[Session]) -> list[Session]:
    """`rows` with the pinned ones first (the most recently pinned first), the rest in their order."""
    pinned = sorted((s for s in rows if s.pinned), key=lambda s: (s.pinned_at or "", s.id), reverse=True)
    return pinned + [s for s in rows if not s.pinned]
