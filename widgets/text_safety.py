"""Making any text safe to render literally: control characters, ANSI/OSC/CSI escapes, lone
surrogates and stray carriage returns become visible stand-ins, never terminal commands;
markup (`[b]`, `[/]`) is never parsed. Every notice, toast, status line, dialog title and
body the TUI shows goes through `plain` or `notice` here.
"""

from __future__ import annotations

import re

from rich.text import Text

NOTICE_LIMIT = 300  # a toast or status notice: one line, this many characters at most
TITLE_LIMIT = 120  # a dialog's or toast's title
BODY_LIMIT = 2000  # a dialog's explanatory text

_STAND_INS = {c: chr(0x2400 + c) for c in range(32)}  # ␀ … ␟ (control pictures; ESC is ␛)
_STAND_INS[0x7F] = "␡"
_STAND_INS.update({c: "�" for c in range(0x80, 0xA0)})
_STAND_INS.pop(0x0A)  # newline stays a newline
_STAND_INS.pop(0x09)  # tabs are expanded below
_TABLE = str.maketrans(_STAND_INS)
_SURROGATE = re.compile("[\ud800-\udfff]")
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def _as_str(value: object) -> str:
    if isinstance(value, str):
        return value
    try:
        return str(value)
    except Exception:  # an object whose __str__ fails still gets a name
        return type(value).__name__


def stand_ins(text: str) -> str:
    """Each control character (but newline and tab) and lone surrogate replaced by one visible
    character: the same length, so a widget can apply it to what it renders (e.g. an editor
    whose buffer must keep the text as typed)."""
    return _SURROGATE.sub("\ufffd", text).translate(_TABLE)


def needs_stand_ins(text: str) -> bool:
    return bool(_UNSAFE.search(text))


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
