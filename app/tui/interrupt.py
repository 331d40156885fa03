"""Ctrl+C as in Claude Code and codex: the first press clears or cancels, a second within
`QUIT_WINDOW` seconds quits. The timing lives here, with no Textual and an injectable clock,
so it is tested without sleeping."""

from __future__ import annotations

import time
from collections.abc import Callable

QUIT_WINDOW = 1.0  # seconds within which a second Ctrl+C quits
AGAIN = "press Ctrl+C again to quit"


class DoublePress:
    """`press()` is True when it is the second press within `window` seconds of the first."""

    def __init__(self, window: float = QUIT_WINDOW, monotonic: Callable[[], float] = time.monotonic):
        self.window = window
        self._monotonic = monotonic
        self._armed_at: float | None = None

    def press(self) -> bool:
        now = self._monotonic()
        if self._armed_at is not None and now - self._armed_at <= self.window:
            self._armed_at = None
            return True
        self._armed_at = now
        return False

    def reset(self) -> None:
        self._armed_at = None
