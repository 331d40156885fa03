"""How token counts read wherever they are shown (status bar, /status, /runs, block headers,
exports, `chinwag session list`): `~` marks an estimate, `–` a count the agent never reported.

A turn's usage is `reported` (the provider's numbers), `estimated` (Chinwag's ~4 characters a
token) or `unreported` (a coding agent that gave no numbers: its model saw more than Chinwag
sent, so no estimate is made). A session's totals are `unreported` when none of its agent
turns reported, `estimated` when any turn is estimated or unreported, else `reported`.
"""

from __future__ import annotations

REPORTED, ESTIMATED, UNREPORTED = "reported", "estimated", "unreported"
NOT_REPORTED = "–"


def compact_number(value: int) -> str:
    if value >= 1_000_000:
        return f"{value / 1_000_000:.1f}M"
    if value >= 10_000:
        return f"{value / 1000:.0f}k"
    if value >= 1000:
        return f"{value / 1000:.1f}k"
    return str(value)


def count(value: int, usage: str = REPORTED, *, compact: bool = False) -> str:
    """One count: `1,234`, `~1,234` (estimated) or `–` (unreported); `compact` gives `1.2k`."""
    if usage == UNREPORTED:
        return NOT_REPORTED
    text = compact_number(value) if compact else f"{value:,}"
    return "~" + text if usage == ESTIMATED else text


def pair(input_tokens: int, output_tokens: int, usage: str = REPORTED) -> str:
    """`⇡ 1,234 ⇣ 56` with the marks of `count`."""
    return f"⇡ {count(input_tokens, usage)} ⇣ {count(output_tokens, usage)}"


def turn_usage(turn) -> str:
    """The usage of a `Turn` or of its exported dict."""
    get = turn.get if isinstance(turn, dict) else lambda name, default=None: getattr(turn, name, default)
    metadata = get("metadata") or {}
    if isinstance(metadata, dict) and metadata.get("usage") == UNREPORTED:
        return UNREPORTED
    return ESTIMATED if get("tokens_estimated") else REPORTED


def session_usage(agent_turns: int, estimated: int, unreported: int) -> str:
    """A session's totals from how many settled agent turns it has, and how many of them are
    estimated and unreported."""
    if agent_turns and unreported >= agent_turns:
        return UNREPORTED
    return ESTIMATED if estimated or unreported else REPORTED
