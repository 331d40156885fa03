"""JSON as the API sends it (answers and Server-Sent Events): always valid UTF-8 and valid
JSON, whatever a stored value holds.

Values that came in as JSON (metadata, event data) may hold a lone surrogate (`"\\ud800"`
is valid JSON but not UTF-8 text) or, from an older database, NaN; encoded naively, one such
value turns every answer that carries it into a server error.
"""

from __future__ import annotations

import json
import math
from typing import Any


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(item) for item in value]
    return value


def json_text(value: Any, *, separators: tuple[str, str] | None = None) -> str:
    """`value` as JSON text that encodes to UTF-8: non-finite numbers become null (as
    pydantic's answers do) and, only when a lone surrogate is present, non-ASCII is escaped."""
    try:
        text = json.dumps(value, ensure_ascii=False, allow_nan=False, separators=separators)
    except ValueError:
        value = _finite(value)
        text = json.dumps(value, ensure_ascii=False, allow_nan=False, separators=separators)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(value, ensure_ascii=True, allow_nan=False, separators=separators)
    return text


def refuse_constant(name: str) -> Any:
    """`parse_constant` for `json.loads`: NaN and Infinity are not JSON."""
    raise ValueError(f"{name} is not a JSON value")
