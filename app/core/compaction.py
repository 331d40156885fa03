"""Compaction: summarize all but the last N turns of the active path through the session's agent.

Two steps, shared by the TUI, the CLI and the API: `prepare` makes the summary (a
`Proposal`: nothing is written), `apply` stores it (the text as proposed, or as the user
edited it); `compact` does both at once (`/compact --yes`, the CLI, auto-compaction).
The summary is stored as a `summary` turn after the head, naming the last turn it
summarized (`through`); the summarized turns are marked compacted (kept and browsable, no
longer sent on this branch); a `compaction` event records tokens before/after. Pinned
turns are never summarized: they stay out of the summary's input and are still sent.
It refuses to run twice in a row (nothing new since the last summary), while a turn is
running, or when the summary would not make the context smaller; `apply` refuses a
proposal the session has moved on from. `undo` takes the latest compaction back.

Once it has something to summarize it tells `emit` (CompactionStarted, then always
CompactionFinished: compacted, proposed, failed or cancelled), so a host shows its progress;
a cancel (the task cancelled while the agent summarizes) changes nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from chinwag.app.agents.base import Done, Failed, Message, TextDelta
from chinwag.app.core.context import build_messages, context_tokens
from chinwag.app.core.events import CompactionFinished, CompactionStarted
from chinwag.app.core.offload import Offload, inline, prepare_agent
from chinwag.storage import SessionBusy, StorageError, Store
from chinwag.storage.models import Session, Turn

DEFAULT_WINDOW = 4
SUMMARY_PROMPT = (
    "Summarize the conversation above so it can replace it as context for the rest of the "
    "session. Keep decisions, facts, names, code identifiers, open questions and the user's "
    "goals. Be concise."
)


class CompactionError(StorageError):
    pass


@dataclass
class CompactionResult:
    """A compaction done: the summary turn and how many turns and tokens it replaced."""

    summary: Turn
    summarized: int
    kept: int
    tokens_before: int
    tokens_after: int


@dataclass
class Proposal:
    """A summary made and not stored yet: what `apply` writes once it is accepted."""

    session: Session
    text: str
    head: list[Turn]  # what it summarizes (the previous summary included, pinned turns not)
    tail: list[Turn]  # what stays: the pinned turns before the last `window`, then those
    window: int = DEFAULT_WINDOW
    instructions: str = ""
    auto: bool = False
    reason: str = ""  # why an automatic one ran: "context at 83% of the 128k window"

    @property
    def tokens_before(self) -> int:
        return context_tokens(self.head + self.tail)


def plan(store: Store, session_id: str, window: int) -> tuple[list[Turn], list[Turn]]:
    """Split the context into (to summarize, to keep): the last `window` turns and every
    pinned turn are kept. Raises when there is nothing to do."""
    if window < 0:
        raise CompactionError("--window must be 0 or more")
    if store.running_turn(session_id) is not None:
        raise SessionBusy("a turn is running in this session; compact after it ends")
    context = store.context_turns(session_id)
    cut = max(0, len(context) - window)
    pinned = [t for t in context[:cut] if t.pinned and t.role != "summary"]
    head = [t for t in context[:cut] if not (t.pinned and t.role != "summary")]
    tail = pinned + context[cut:]
    if not [t for t in head if t.role != "summary"]:
        raise CompactionError(
            f"nothing to compact: {len(context)} turn(s) in context, the last {window} are kept"
            + (" and the rest is already a summary or pinned" if context[:cut] else "")
        )
    return head, tail


def _tell(emit: Callable[[object], None] | None) -> Callable[[object], None]:
    return emit or (lambda event: None)


async def prepare(
    store: Store, agent, session_id: str, *, window: int = DEFAULT_WINDOW, instructions: str = "", auto: bool = False,
    reason: str = "", offload: Offload = inline, emit: Callable[[object], None] | None = None,
) -> Proposal:
    """Make the summary, write nothing: the Proposal to review, then `apply`. `emit` hears
    CompactionStarted, then CompactionFinished (`proposed` when the summary is ready)."""
    proposal = await _propose(store, agent, session_id, window, instructions, auto, reason, offload, _tell(emit))
    _tell(emit)(CompactionFinished(proposal.session.id, False, proposed=True))
    return proposal


async def compact(
    store: Store, agent, session_id: str, *, window: int = DEFAULT_WINDOW, instructions: str = "", auto: bool = False,
    reason: str = "", offload: Offload = inline, emit: Callable[[object], None] | None = None,
) -> CompactionResult:
    """Make the summary and store it at once. `offload` runs the blocking parts (reads, the
    final write, the agent's set-up); `emit` hears CompactionStarted / CompactionFinished."""
    tell = _tell(emit)
    proposal = await _propose(store, agent, session_id, window, instructions, auto, reason, offload, tell)
    try:
        result = await offload(apply, store, proposal)
    except BaseException as exc:
        tell(CompactionFinished(proposal.session.id, False, cancelled=isinstance(exc, asyncio.CancelledError)))
        raise
    tell(CompactionFinished(proposal.session.id, True))
    return result


async def _propose(store: Store, agent, session_id: str, window: int, instructions: str, auto: bool, reason: str,
                   offload: Offload, tell: Callable[[object], None]) -> Proposal:
    def start():
        session = store.get_session(session_id)
        head, tail = plan(store, session.id, window)
        prepare_agent(agent)
        return session, head, tail

    session, head, tail = await offload(start)
    tell(CompactionStarted(session.id, auto=auto, started_at=store.clock.stamp(), turns=len(head)))
    try:
        text = await _summarize(agent, head, instructions)
        proposal = Proposal(session, text, head, tail, window, instructions.strip(), auto, reason)
        _check_shrinks(proposal, text)
    except BaseException as exc:
        tell(CompactionFinished(session.id, False, cancelled=isinstance(exc, asyncio.CancelledError)))
        raise
    return proposal


async def _summarize(agent, head: list[Turn], instructions: str) -> str:
    request = SUMMARY_PROMPT + (f"\n\nAdditional instructions: {instructions.strip()}" if instructions.strip() else "")
    messages = build_messages(head) + [Message("user", request)]
    parts: list[str] = []
    async for event in agent.stream(messages, purpose="summary"):
        if isinstance(event, TextDelta):
            parts.append(event.text)
        elif isinstance(event, Failed):
            raise CompactionError(f"the agent could not summarize: {event.message}; nothing changed")
        elif isinstance(event, Done):
            break
    text = "".join(parts).strip()
    if not text:
        raise CompactionError("the agent returned an empty summary; nothing changed")
    return text


def _check_shrinks(proposal: Proposal, text: str) -> int:
    """The context's size with `text` as its summary; refused when it would not be smaller."""
    before = proposal.tokens_before
    probe = Turn(id="", session_id=proposal.session.id, seq=0, role="summary", text=text)
    after = context_tokens([probe] + proposal.tail)
    if after >= before:
        raise CompactionError(f"the summary would not shrink the context ({before:,} -> {after:,} tokens); nothing changed")
    return after


def apply(store: Store, proposal: Proposal, text: str | None = None) -> CompactionResult:
    """Store the proposal's summary (or `text`, the user's edit of it), in one transaction.
    Refused (nothing written) when the text is empty or would not shrink the context, or
    when the session moved on since it was made (a new turn, a pin, another compaction)."""
    text = (proposal.text if text is None else text).strip()
    if not text:
        raise CompactionError("an empty summary would lose the conversation; nothing changed")
    after = _check_shrinks(proposal, text)
    session, head, tail = proposal.session, proposal.head, proposal.tail
    before = proposal.tokens_before
    with store.db.transaction():
        changed = CompactionError("the session changed since the summary was made; nothing changed (compact again)")
        try:
            now_head, now_tail = plan(store, session.id, proposal.window)
        except CompactionError:
            raise changed from None
        if [t.id for t in now_head] != [t.id for t in head] or [t.id for t in now_tail] != [t.id for t in tail]:
            raise changed
        metadata = {"summarized": len(head), "kept": len(tail), "tokens_before": before, "tokens_after": after,
                    "instructions": proposal.instructions}
        if proposal.auto:
            metadata.update(auto=True, **({"reason": proposal.reason} if proposal.reason else {}))
        if text != proposal.text:
            metadata["edited"] = True
        summary = store.add_compaction(session.id, "summary", text, head, agent=session.agent, model=session.model,
                                       metadata=metadata)
        store.append_event(
            session.id, "compaction",
            {"summarized": len(head), "kept": len(tail), "tokens_before": before, "tokens_after": after,
             "auto": proposal.auto, **({"edited": True} if metadata.get("edited") else {})},
            turn_id=summary.id,
        )
    return CompactionResult(store.get_turn(summary.id), len(head), len(tail), before, after)


def undo(store: Store, session_id: str) -> tuple[Turn, int]:
    """Take back the latest compaction on the active path (`Store.undo_compaction`)."""
    return store.undo_compaction(store.get_session(session_id).id)
