"""What fills a session's context window now (`/context`): the parts of what the model is sent
(the system prompt, the summary, the conversation's turns by age in thirds, pasted text),
the biggest turns, and a hint from the real compaction plan ("/compact --window 6 frees ~41k").

Token counts are Chinwag's estimate, the one formula everywhere (`context.context_tokens`:
~4 characters a token, +4 a message), so the parts add up to the status bar's meter plus the
system prompt. Tool outputs are listed apart: a coding agent keeps them in its own context,
Chinwag does not send them. No Textual: the TUI draws the report (widgets/context_bar.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from chinwag.app.agents.base import estimate_tokens
from chinwag.app.core.compaction import DEFAULT_WINDOW, CompactionError, plan
from chinwag.app.core.context import context_tokens
from chinwag.storage import SessionBusy, Store
from chinwag.storage.models import Turn
from chinwag.storage.tokens import compact_number

MESSAGE = 4  # tokens a message costs beyond its text (context_tokens' formula)
TOP = 5
WORDS = 8
TARGET = 0.5  # the hint keeps as many recent turns as fit in this share of the window


@dataclass(frozen=True)
class Part:
    """One part of the context window (system prompt, summary, turns by age …) and its tokens."""

    name: str
    tokens: int
    colour: str  # a palette entry (widgets/theme.py Palette)


@dataclass(frozen=True)
class Item:
    """One of the biggest turns in the context."""

    turn_id: str
    seq: int
    role: str
    words: str  # its first words
    tokens: int


@dataclass(frozen=True)
class ContextReport:
    """What fills the context window now (/context): its parts, the biggest items and a hint."""

    parts: list[Part]
    items: list[Item]
    window: int  # the context window in tokens; 0: not known
    turns: int  # turns in the context (the summary included)
    tool_output_tokens: int  # recorded tool outputs of those turns (not sent by Chinwag)
    hint: str

    @property
    def total(self) -> int:
        return sum(part.tokens for part in self.parts)

    @property
    def share(self) -> float | None:
        """How full the window is (0..1, may exceed 1); None when the window is not known."""
        return self.total / self.window if self.window else None


def turn_tokens(turn: Turn) -> int:
    return estimate_tokens(turn.text) + MESSAGE


def _paste_tokens(turn: Turn) -> int:
    """Estimated tokens of the pastes in a user turn (the spans its metadata keeps)."""
    spans = (turn.metadata or {}).get("pastes") if turn.role == "user" else None
    if not isinstance(spans, list):
        return 0
    total, end = 0, 0
    for span in spans:
        if (isinstance(span, list | tuple) and len(span) == 2 and all(isinstance(x, int) for x in span)
                and end <= span[0] < span[1] <= len(turn.text)):
            total += estimate_tokens(turn.text[span[0]:span[1]])
            end = span[1]
    return min(total, turn_tokens(turn))


def first_words(text: str, count: int = WORDS) -> str:
    words = text.split()
    return " ".join(words[:count]) + (" …" if len(words) > count else "")


def thirds(turns: list[Turn]) -> list[list[Turn]]:
    """The conversation's turns, oldest first, in three runs of (nearly) equal length."""
    n = len(turns)
    return [turns[: n // 3], turns[n // 3: 2 * n // 3], turns[2 * n // 3:]]


def context_report(store: Store, session_id: str, *, window: int = 0, system_prompt: str = "",
                   top: int = TOP) -> ContextReport:
    """The report of the session's active path; `system_prompt`: the one its agent sends ("" for
    agents that send none of Chinwag's)."""
    turns = store.context_turns(session_id)
    system = [t for t in turns if t.role == "system"]
    summary = [t for t in turns if t.role == "summary"]
    talk = [t for t in turns if t.role not in ("system", "summary")]
    pastes = {t.id: _paste_tokens(t) for t in talk}
    prompt = estimate_tokens(system_prompt) + MESSAGE if system_prompt.strip() else 0
    parts = [Part("system prompt", prompt + context_tokens(system), "system"),
             Part("summary", context_tokens(summary), "summary")]
    for name, colour, run in zip(("oldest third", "middle third", "newest third"), ("tokens", "agent", "user"),
                                 thirds(talk), strict=True):
        parts.append(Part(name, sum(turn_tokens(t) - pastes[t.id] for t in run), colour))
    parts.append(Part("pastes", sum(pastes.values()), "warning"))
    biggest = sorted(turns, key=lambda t: (-turn_tokens(t), t.seq))[:top]
    items = [Item(t.id, t.seq, t.role, first_words(t.text), turn_tokens(t)) for t in biggest]
    agent_ids = [t.id for t in talk if t.role == "agent"]
    tool_output = sum(estimate_tokens(call.output or "") for call in store.list_tool_calls(agent_ids)) \
        if agent_ids else 0
    return ContextReport(parts, items, window, len(turns), tool_output,
                         compaction_hint(store, session_id, turns, window, prompt))


def keep_window(turns: list[Turn], window: int, fixed: int = 0) -> int:
    """How many of the newest turns to keep so the context fits in TARGET of the window
    (`fixed`: tokens sent whatever is kept, the system prompt); DEFAULT_WINDOW when the
    window is not known or everything fits."""
    budget = int(window * TARGET) - fixed
    if not window or context_tokens(turns) <= budget:
        return DEFAULT_WINDOW
    kept, size = 0, 0
    for turn in reversed(turns):
        size += turn_tokens(turn)
        if size > budget:
            break
        kept += 1
    return kept


def compaction_hint(store: Store, session_id: str, turns: list[Turn], window: int, fixed: int = 0) -> str:
    """What /compact would free, from the plan it would carry out."""
    keep = keep_window(turns, window, fixed)
    unknown = "" if window else " · the context window is not known (set context_window)"
    try:
        head, tail = plan(store, session_id, keep)
    except SessionBusy:
        return "a turn is running: /compact after it ends" + unknown
    except CompactionError as exc:
        return str(exc) + unknown
    freed = context_tokens(head)
    after = ""
    if window:
        after = f", leaving ~{100 * (fixed + context_tokens(tail)) / window:.0f}% of the window (and the summary)"
    return f"/compact --window {keep} frees ~{compact_number(freed)}{after}" + unknown

