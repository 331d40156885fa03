"""What the model sees: turning stored turns into agent messages.

The latest compaction summary goes first, then every turn not compacted. A reply that
was stopped, interrupted or failed is sent with its partial text and a short note, so the
model knows it did not finish.
"""

from __future__ import annotations

from chinwag.app.agents.base import Message, estimate_tokens
from chinwag.storage.models import Turn

NOTES = {
    "stopped": "[This reply was stopped before it finished.]",
    "interrupted": "[This reply was interrupted before it finished.]",
    "error": "[This reply failed before it finished.]",
}


def turn_message(turn: Turn) -> Message | None:
    if turn.role == "user":
        return Message("user", turn.text)
    if turn.role == "summary":
        return Message("system", "Summary of the earlier conversation:\n" + turn.text)
    if turn.role == "system":
        return Message("system", turn.text)
    note = NOTES.get(turn.status)
    if note:
        return Message("assistant", (turn.text + "\n\n" + note) if turn.text else note)
    return Message("assistant", turn.text, record=turn.metadata.get("provider_record", ""))


def build_messages(turns: list[Turn]) -> list[Message]:
    return [m for m in (turn_message(t) for t in turns) if m is not None]


def context_tokens(turns: list[Turn]) -> int:
    """The one number used everywhere for 'how big is the context' (the status bar's
    meter reads the same formula from SQL: `Store.context_size`)."""
    return sum(estimate_tokens(t.text) + 4 for t in turns)
