"""Ages such as `30d`: the one parser behind `chinwag stats --since`, `/stats --since` and
`session prune --older-than` (a number and a unit s, m, h, d or w; `all` for a `--since`
that reaches back to the beginning)."""

from __future__ import annotations

import re
from datetime import timedelta

_AGE = re.compile(r"\s*(\d+)\s*([smhdw])\s*")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
HOW = "use a number and a unit s, m, h, d or w (e.g. 30d)"


def parse_age(text: str) -> timedelta:
    """`30d` -> 30 days; ValueError (one line saying how) for anything else."""
    match = _AGE.fullmatch(text or "")
    if not match:
        raise ValueError(f"bad age {text!r}: {HOW}")
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


def parse_since(text: str) -> timedelta | None:
    """How far back a `--since` reaches: an age, or None for `all` (everything)."""
    if (text or "").strip().lower() == "all":
        return None
    try:
        return parse_age(text)
    except ValueError:
        raise ValueError(f"not an age {text!r}: {HOW}, or all") from None
