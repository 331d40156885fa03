"""What follows a completed exchange: a generated title and automatic compaction.

- Title: after the first exchange, the session's model is asked for a short title
  (fallback, already in place: the first line of the prompt). A title the user set is
  never overwritten (`rename_session(source="model")` refuses to).
- Auto-compaction: when the context passes the configured share (`auto_compact`, e.g.
  0.8) of the model's `context_window`, the older turns are summarized like `/compact`;
  the summary turn says it was automatic and why ("context at 83% of the 128k window")
  and shows tokens before -> after. `auto_compact = false` (or 0) turns it off.
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import cast

from chinwag.app.agents.base import Done, Failed, Message, TextDelta
from chinwag.app.agents.settings import effective
from chinwag.app.core.compaction import DEFAULT_WINDOW, CompactionError, CompactionResult, compact
from chinwag.app.core.events import TitleChanged
from chinwag.app.core.offload import Offload, inline
from chinwag.storage import SessionBusy, Store

log = logging.getLogger("chinwag.after_turn")

TITLE_PROMPT = (
    "Write a short title (at most 6 words) for the conversation below. Answer with the title "
    "only: no quotes, no 'Title:', no trailing period.\n\nConversation:\n"
)
TITLE_MAX = 60
TITLE_TIMEOUT = 20.0
EXCERPT = 1500


def clean_title(raw: str) -> str:
    """The first meaningful line of a model's answer, without quotes, markup or a label."""
    for line in raw.splitlines():
        line = re.sub(r"^\s*(#+|\*+|title\s*:)\s*", "", line.strip(), flags=re.I)
        line = line.strip().strip("\"'“”‘’`*").strip().rstrip(".").strip()
        line = " ".join(line.split())
        if line:
            return line if len(line) <= TITLE_MAX else line[: TITLE_MAX - 1].rstrip() + "…"
    return ""


def wants_title(store: Store, session_id: str, agent) -> bool:
    if getattr(agent, "kind", "") in ("echo", "acp"):
        return False  # echo's title would be the fallback; an ACP agent's own session is not disturbed
    session = store.get_session(session_id)
    return session.title_source in ("default", "auto") and session.turn_count <= 2


async def generate_title(store: Store, agent, session_id: str, prompt: str, reply: str, *,
                         offload: Offload = inline) -> str | None:
    """Ask the model for a title; on any failure keep the fallback title. Returns the title set."""
    request = TITLE_PROMPT + f"User: {prompt[:EXCERPT]}\n\nAssistant: {reply[:EXCERPT]}"
    parts: list[str] = []

    async def ask() -> None:
        async for event in agent.stream([Message("user", request)], purpose="title"):
            if isinstance(event, TextDelta):
                parts.append(event.text)
            elif isinstance(event, (Failed, Done)):
                if isinstance(event, Failed):
                    parts.clear()
                break

    try:
        await asyncio.wait_for(ask(), TITLE_TIMEOUT)
    except (TimeoutError, Exception) as exc:  # a title is a nicety: never an error
        log.info("title generation failed: %s", exc)
        return None
    title = clean_title("".join(parts))
    if not title:
        return None
    session = await offload(store.rename_session, session_id, title, source="model")
    return session.title if session.title_source == "model" else None


def needs_compaction(store: Store, session_id: str, window_tokens: int, share: float) -> bool:
    if window_tokens <= 0 or not 0 < share < 1:
        return False
    return store.context_size(session_id) >= share * window_tokens


def window_label(tokens: int) -> str:
    """128000 -> "128k" (a window's size as people say it)."""
    return f"{tokens / 1000:.0f}k" if tokens >= 1000 else f"{tokens:,}"


def compaction_reason(size: int, window_tokens: int) -> str:
    """Why an automatic compaction ran, as its summary block says it."""
    return f"context at {size / window_tokens:.0%} of the {window_label(window_tokens)} window"


async def auto_compact(store: Store, agent, session_id: str, window_tokens: int, share: float, *,
                       offload: Offload = inline, emit=None) -> CompactionResult | None:
    if not await offload(needs_compaction, store, session_id, window_tokens, share):
        return None
    reason = compaction_reason(await offload(store.context_size, session_id), window_tokens)
    try:
        return await compact(store, agent, session_id, window=DEFAULT_WINDOW, auto=True, reason=reason,
                             offload=offload, emit=emit)
    except (CompactionError, SessionBusy) as exc:
        log.info("auto-compaction skipped: %s", exc)
        return None


async def follow_up(store: Store, config, agent, settled, messages, *, offload: Offload, emit,
                    background: set[asyncio.Task]) -> None:
    """After a complete turn: start title generation in the background (its task joins
    `background`), auto-compact inline (the session stays busy meanwhile, so nothing is
    sent against a half-compacted context). Tells the runner's listener through `emit`."""
    def plan() -> tuple[bool, int, float, bool]:
        title = wants_title(store, settled.session_id, agent)
        values = effective(config, session=store.get_session(settled.session_id), probe=False)
        # both always have a (validated, numeric) value: the built-in defaults
        window = int(cast("int | float | str", values["context_window"].value or 0))
        share = float(cast("int | float | str", values["auto_compact"].value or 0))
        return title, window, share, needs_compaction(store, settled.session_id, window, share)

    async def title_it(prompt: str) -> None:
        title = await generate_title(store, agent, settled.session_id, prompt, settled.text, offload=offload)
        if title:
            emit(TitleChanged(settled.session_id, title))

    try:
        title, window, share, compacting = await offload(plan)
        if title:
            prompt = next((m.text for m in reversed(messages) if m.role == "user"), "")
            task = asyncio.ensure_future(title_it(prompt))
            background.add(task)
            task.add_done_callback(background.discard)
        if compacting:  # compact() tells CompactionStarted / CompactionFinished (a cancel propagates)
            await auto_compact(store, agent, settled.session_id, window, share, offload=offload, emit=emit)
    except Exception:  # follow-up work must never turn a complete turn into a failure
        log.exception("after-turn work failed")

