"""Control characters made visible: every control character (but newline and tab), C1 code
and lone surrogate becomes one visible stand-in (␀ … ␟, ␡, �), the same length, so no stored
text can act as a terminal command or break a page. The one table every view uses (the TUI's
`widgets.text_safety`, the HTML export, terminal notifications); no Textual, no Rich.
"""

from __future__ import annotations

import re

_STAND_INS = {c: chr(0x2400 + c) for c in range(32) if c not in (0x09, 0x0A)}  # ␀ … ␟ (ESC is ␛)
_STAND_INS[0x7F] = "␡"
_STAND_INS.update({c: "\ufffd" for c in range(0x80, 0xA0)})
_TABLE = str.maketrans(_STAND_INS)
_SURROGATE = re.compile("[\ud800-\udfff]")
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def stand_ins(text: str) -> str:
    """Each control character (but newline and tab) and lone surrogate replaced by one visible
    character: the same length, so a widget can apply it to what it renders (e.g. an editor
    whose buffer must keep the text as typed)."""
    return _SURROGATE.sub("\ufffd", text).translate(_TABLE)


def needs_stand_ins(text: str) -> bool:
    return bool(_UNSAFE.search(text))
