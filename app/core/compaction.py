"""Compaction: summarize all but the last N turns of the active path through the session's agent.

The summary is stored as a `summary` turn after the head, naming the last turn it
summarized (`through`); the summarized turns are marked compacted (kept and browsable, no
longer sent on this branch); a `compaction` event records tokens before/after.
It refuses to run twice in a row (nothing new since the last summary), while a turn is
running, or when the summary would not make the context smaller.

Once it has something to summarize it tells `emit` (CompactionStarted, then always
CompactionFinished: compacted, failed or cancelled), so a host shows its progress; a cancel
(the task cancelled while the agent summarizes) changes nothing.
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
from chinwag.storage.models import Turn

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
    summary: Turn
    summarized: int
    kept: int
    tokens_before: int
    tokens_after: int


def plan(store: Store, session_id: str, window: int) -> tuple[list[Turn], list[Turn]]:
    """Split the context into (to summarize, to keep). Raises when there is nothing to do."""
    if window < 0:
        raise CompactionError("--window must be 0 or more")
    if store.running_turn(session_id) is not None:
        raise SessionBusy("a turn is running in this session; compact after it ends")
    context = store.context_turns(session_id)
    cut = max(0, len(context) - window)
    head, tail = context[:cut], context[cut:]
    if not [t for t in head if t.role != "summary"]:
        raise CompactionError(
            f"nothing to compact: {len(context)} turn(s) in context, the last {window} are kept"
            + (" and the rest is already a summary" if head else "")
        )
    return head, tail


async def compact(
    store: Store, agent, session_id: str, *, window: int = DEFAULT_WINDOW, instructions: str = "", auto: bool = False,
    offload: Offload = inline, emit: Callable[[object], None] | None = None,
) -> CompactionResult:
    """`offload` runs the blocking parts (reads, the final write, the agent's set-up); `emit`
    hears CompactionStarted / CompactionFinished."""

    def start():
        session = store.get_session(session_id)
        head, tail = plan(store, session.id, window)
        prepare_agent(agent)
        return session, head, tail

    session, head, tail = await offload(start)
    tell = emit or (lambda event: None)
    tell(CompactionStarted(session.id, auto=auto, started_at=store.clock.stamp(), turns=len(head)))
    try:
        result = await _summarize(store, agent, session, head, tail, instructions, auto, offload)
    except BaseException as exc:
        tell(CompactionFinished(session.id, False, cancelled=isinstance(exc, asyncio.CancelledError)))
        raise
    tell(CompactionFinished(session.id, True))
    return result


async def _summarize(store: Store, agent, session, head: list[Turn], tail: list[Turn], instructions: str, auto: bool,
                     offload: Offload) -> CompactionResult:
    before = context_tokens(head + tail)
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
    probe = Turn(id="", session_id=session.id, seq=0, role="summary", text=text)
    after = context_tokens([probe] + tail)
    if after >= before:
        raise CompactionError(f"the summary would not shrink the context ({before:,} -> {after:,} tokens); nothing changed")

    def store_summary() -> Turn:
        with store.db.transaction():
            summary = store.add_compaction(
                session.id, "summary", text, head, agent=session.agent, model=session.model,
                metadata={"summarized": len(head), "kept": len(tail), "tokens_before": before, "tokens_after": after,
                          "instructions": instructions.strip(), **({"auto": True} if auto else {})},
            )
            store.append_event(
                session.id, "compaction",
                {"summarized": len(head), "kept": len(tail), "tokens_before": before, "tokens_after": after,
                 "auto": auto},
                turn_id=summary.id,
            )
        return store.get_turn(summary.id)

    return CompactionResult(await offload(store_summary), len(head), len(tail), before, after)
