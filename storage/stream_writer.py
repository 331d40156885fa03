"""Batching the writes of a live stream: one writer per streaming turn, flushing every
`interval` seconds or when enough text is pending, never one transaction per token.

Each flush rewrites the turn's row, so the size threshold grows with what is already
written (a quarter of it): a multi-megabyte reply costs O(n) in total, not O(n^2).
"""

from __future__ import annotations

import time
from typing import Callable


class StreamWriter:
    def __init__(
        self,
        store,
        turn_id: str,
        *,
        interval: float = 0.1,
        max_bytes: int = 2048,
        monotonic: Callable[[], float] = time.monotonic,
    ):
        self.store = store
        self.turn_id = turn_id
        self.interval = interval
        self.max_bytes = max_bytes
        self._monotonic = monotonic
        self._text: list[str] = []
        self._thinking: list[str] = []
        self._pending = 0
        self._last_flush = monotonic()
        self._written = 0
        self.writes = 0

    @property
    def pending(self) -> bool:
        return self._pending > 0

    def queue(self, text: str = "", thinking: str = "") -> bool:
        """Queue streamed text without writing. Returns True when a flush is due."""
        if text:
            self._text.append(text)
        if thinking:
            self._thinking.append(thinking)
        self._pending += len(text) + len(thinking)
        threshold = max(self.max_bytes, self._written // 4)
        return self._pending >= threshold or self._monotonic() - self._last_flush >= self.interval

    def add(self, text: str = "", thinking: str = "") -> bool:
        """Queue streamed text; flush when due. Returns True when it wrote."""
        if self.queue(text, thinking):
            self.flush()
            return True
        return False

    def due(self) -> bool:
        return bool(self._pending) and self._monotonic() - self._last_flush >= self.interval

    def flush_if_due(self) -> bool:
        if self.due():
            self.flush()
            return True
        return False

    def take(self) -> tuple[str, str] | None:
        """Hand over the pending text and thinking as one batch (None when nothing is
        pending), for a caller that writes it itself (e.g. from a worker thread)."""
        self._last_flush = self._monotonic()
        if not self._pending:
            return None
        text, thinking = "".join(self._text), "".join(self._thinking)
        self._text.clear()
        self._thinking.clear()
        self._written += self._pending
        self._pending = 0
        self.writes += 1
        return text, thinking

    def flush(self) -> None:
        batch = self.take()
        if batch is not None:
            self.store.append_stream(self.turn_id, *batch)
