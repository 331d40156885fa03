"""The one JSON serializer for everything Chinwag prints or exports as JSON.

Text stays readable (`ensure_ascii=False`), except the characters that can drive or
mislead a terminal: C1 controls (U+0080-U+009F, e.g. U+009B is a one-byte CSI), DEL, and
the bidi overrides, isolates and marks (U+202A-U+202E, U+2066-U+2069, U+200E, U+200F,
U+061C). Those are always written as `\\uXXXX`: still valid JSON that loads back to the
same text, so an export round-trips byte for byte.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

_UNSAFE = [0x7F, *range(0x80, 0xA0), *range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C]
_ESCAPES = {code: f"\\u{code:04x}" for code in _UNSAFE}


def dumps(data: Any, *, indent: int | None = 2, default: Callable[[Any], Any] | None = None) -> str:
    # Outside strings JSON is plain ASCII, so every unsafe character found here sits inside
    # a string literal, where its \uXXXX escape means the same character.
    return json.dumps(data, indent=indent, ensure_ascii=False, default=default).translate(_ESCAPES)
