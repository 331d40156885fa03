"""Making any text safe to render literally: control characters, ANSI escapes, lone
surrogates and stray carriage returns become visible stand-ins, never terminal commands.
"""

from __future__ import annotations

import re

_STAND_INS = {c: chr(0x2400 + c) for c in range(32)}  # ␀ … ␟ (control pictures)
_STAND_INS[0x7F] = "␡"
_STAND_INS.update({c: "�" for c in range(0x80, 0xA0)})
_STAND_INS.pop(0x0A)  # newline stays a newline
_STAND_INS.pop(0x09)  # tabs are expanded below
_TABLE = str.maketrans(_STAND_INS)
_SURROGATE = re.compile("[\ud800-\udfff]")


def safe_text(text: str, *, tab_size: int = 4) -> str:
    """Text with only printable characters and newlines."""
    if not text:
        return ""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "\t" in text:
        text = text.expandtabs(tab_size)
    text = _SURROGATE.sub("\ufffd", text)
    return text.translate(_TABLE)


def one_line(text: str, limit: int = 200) -> str:
    """Safe text folded onto one line (for titles, tool args, notices)."""
    line = " ".join(safe_text(text).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"
