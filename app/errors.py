"""How an exception is told to a user in one line (a toast, a status notice, the CLI's stderr)."""

from __future__ import annotations


def first_line(value: BaseException | str, default: str = "") -> str:
    """The first non-blank line of an exception's message (or of a text), stripped. Never raises:
    an exception whose message is empty or blank gives its type's name instead."""
    fallback = type(value).__name__ if isinstance(value, BaseException) else default
    try:
        text = value if isinstance(value, str) else str(value)
    except Exception:  # a broken __str__
        return fallback
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    return fallback
