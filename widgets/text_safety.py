"""Making any text safe to render literally: control characters, ANSI/OSC/CSI escapes, lone
surrogates and stray carriage returns become visible stand-ins, never terminal commands;
markup (`[b]`, `[/]`) is never parsed. Every notice, toast, status line, dialog title and
body the TUI shows goes through `plain` or `notice` here.
"""

from __future__ import annotations

from rich.text import Text

from chinwag.storage.visible_text import stand_ins

NOTICE_LIMIT = 300  # a toast or status notice: one line, this many characters at most
TITLE_LIMIT = 120  # a dialog's or toast's title
BODY_LIMIT = 2000  # a dialog's explanatory text



def _as_str(value: object) -> str:
    if isinstance(value, str):
        return value
    try:
        return str(value)
    except Exception:  # an object whose __str__ fails still gets a name
        return type(value).__name__


def safe_text(text: str, *, tab_size: int = 4) -> str:
    """Text with only printable characters and newlines."""
    if not text:
        return ""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "\t" in text:
        text = text.expandtabs(tab_size)
    return stand_ins(text)


def _bounded(text: str, limit: int | None) -> str:
    return text if limit is None or len(text) <= limit else text[: max(0, limit - 1)] + "…"


def one_line(text: str, limit: int = 200) -> str:
    """Safe text folded onto one line (for titles, tool args, notices)."""
    return _bounded(" ".join(safe_text(text).split()), limit)


def notice(text: object, limit: int = NOTICE_LIMIT) -> str:
    """A notice, toast or status message as one safe, bounded line (show it with markup off)."""
    return one_line(_as_str(text), limit)


def plain(text: object, *, limit: int | None = BODY_LIMIT, style: str = "") -> Text:
    """Any text as a Rich `Text` that renders literally: never parsed as markup, escapes and
    control characters shown as stand-ins, newlines kept, at most `limit` characters."""
    return Text(_bounded(safe_text(_as_str(text)), limit), style=style)
