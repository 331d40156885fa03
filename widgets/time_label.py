"""How a moment reads in block headers and the outline: relative to a given `now` ("just
now", "12 min ago", "3 h ago", "yesterday 14:02", "Mon 14:02", "3 Nov 14:02",
"2025-11-03") or absolute ("2026-12-01 14:02"), in local time; the gap marker between
turns far apart ("— 3 h later —"); and an agent turn's speed ("38 tok/s").

Pure functions over ISO timestamps and a `now`: a fixed `now` gives fixed text (snapshots).
"""

from __future__ import annotations

from datetime import datetime

from chinwag.storage.clock import parse_ts

GAP_SECONDS = 3600  # turns further apart than this get a gap marker between them
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _parse(stamp: str | None) -> datetime | None:
    if not stamp:
        return None
    try:
        return parse_ts(stamp)
    except ValueError:
        return None


def absolute(stamp: str | None) -> str:
    """`2026-12-01 14:02` (local time); "" for no or a bad timestamp."""
    moment = _parse(stamp)
    return moment.astimezone().strftime("%Y-%m-%d %H:%M") if moment else ""


def relative(stamp: str | None, now: datetime) -> str:
    """A short label that is exact enough at each distance and changes rarely."""
    moment = _parse(stamp)
    if moment is None:
        return ""
    seconds = (now - moment).total_seconds()
    if seconds < 60:
        return "just now"  # the future too (a clock a little ahead)
    if seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    if seconds < 6 * 3600:
        return f"{int(seconds // 3600)} h ago"
    local, today = moment.astimezone(), now.astimezone().date()
    clock = local.strftime("%H:%M")
    days = (today - local.date()).days
    if days == 0:
        return f"today {clock}"
    if days == 1:
        return f"yesterday {clock}"
    if days < 7:
        return f"{_WEEKDAYS[local.weekday()]} {clock}"
    if local.year == today.year or days < 180:
        return f"{local.day} {_MONTHS[local.month - 1]} {clock}"
    return local.strftime("%Y-%m-%d")


def when(stamp: str | None, now: datetime | None, *, absolute_times: bool = False) -> str:
    """The header's time label: absolute on request (or with no `now`), else relative."""
    if absolute_times or now is None:
        return absolute(stamp)
    return relative(stamp, now)


def span(seconds: float) -> str:
    """A long duration, rounded: `3 h`, `1 day`, `5 days`, `2 months`."""
    hours = round(seconds / 3600)
    if hours < 24:
        return f"{max(1, hours)} h"
    days = round(seconds / 86400)
    if days < 60:
        return "1 day" if days == 1 else f"{days} days"
    return f"{round(days / 30)} months"


def gap(before: tuple[str | None, str | None], after: str | None) -> str:
    """The marker between a turn (`before`: its created and finished times) and the next
    one (created `after`): "— 3 h later —", or "" when they are within GAP_SECONDS."""
    end = _parse(before[1]) or _parse(before[0])
    start = _parse(after)
    if end is None or start is None:
        return ""
    seconds = (start - end).total_seconds()
    return f"— {span(seconds)} later —" if seconds > GAP_SECONDS else ""


def duration_seconds(started: str | None, finished: str | None) -> float | None:
    start, end = _parse(started), _parse(finished)
    if start is None or end is None:
        return None
    return max(0.0, (end - start).total_seconds())


def speed(output_tokens: int, seconds: float | None, *, estimated: bool = False) -> str:
    """Output tokens per second (`38 tok/s`, `~38 tok/s` from estimated counts, `4.2 tok/s`
    below ten); "" without tokens or a duration."""
    if not output_tokens or not seconds or seconds <= 0:
        return ""
    rate = output_tokens / seconds
    text = f"{rate:.1f}" if rate < 10 else f"{rate:,.0f}"
    return f"{'~' if estimated else ''}{text} tok/s"

