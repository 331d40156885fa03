"""Time and id sources for storage, replaceable in tests for deterministic output.

Timestamps are ISO 8601 UTC strings with milliseconds (`2026-11-25T10:00:00.000Z`) so
they sort as text. Ids are ULIDs (26 Crockford base32 characters, time-ordered).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def format_ts(moment: datetime) -> str:
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_ts(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


class Clock:
    """Wall clock. `now()` returns a datetime, `stamp()` its ISO text."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def stamp(self) -> str:
        return format_ts(self.now())

    def peek(self) -> datetime:
        """`now()` for display (a relative time): it never moves a test clock along."""
        return self.now()


class FixedClock(Clock):
    """A clock that starts at `start` and moves only when told (or by `step` per call)."""

    def __init__(self, start: datetime, step_ms: int = 0):
        self._now = start
        self._step_ms = step_ms

    def now(self) -> datetime:
        current = self._now
        if self._step_ms:
            self._now = self._now + timedelta(milliseconds=self._step_ms)
        return current

    def peek(self) -> datetime:
        return self._now

    def advance(self, **delta) -> None:
        self._now = self._now + timedelta(**delta)


def _encode(value: int, length: int) -> str:
    chars = []
    for _ in range(length):
        chars.append(_CROCKFORD[value & 31])
        value >>= 5
    return "".join(reversed(chars))


class UlidFactory:
    """Monotonic ULIDs: 48-bit millisecond time + 80 random bits, strictly increasing."""

    def __init__(self, now_ms: Callable[[], int] | None = None):
        self._now_ms = now_ms or (lambda: int(time.time() * 1000))
        self._last_ms = -1
        self._last_rand = 0
        self._lock = threading.Lock()

    def __call__(self) -> str:
        with self._lock:
            ms = self._now_ms()
            if ms <= self._last_ms:
                ms = self._last_ms
                rand = self._last_rand + 1
            else:
                rand = int.from_bytes(os.urandom(10), "big") >> 1  # room to increment
            self._last_ms, self._last_rand = ms, rand
            return _encode(ms, 10) + _encode(rand, 16)


class SequentialIds:
    """Deterministic ids for tests and snapshots: ULID-shaped, counting up."""

    def __init__(self, prefix: str = "01TEST"):
        self._prefix = prefix
        self._n = 0
        self._lock = threading.Lock()

    def __call__(self) -> str:
        with self._lock:
            self._n += 1
            return self._prefix[:6].ljust(6, "0") + _encode(self._n, 20)
