"""Batching the writes of a live stream: one writer per streaming turn, flushing every
`interval` seconds or when enough text is pending, never one transaction per token.

Each flush rewrites the turn's row, so the size threshold grows with what is already
written (a quarter of it): a multi-megabyte reply costs O(n) in total, not O(n^2).

A batch SQLite refuses for a reason that passes (the disk is full, another process held
the lock past the busy timeout) stays in memory, whole, and is retried after
`retry_interval` seconds: no character is dropped. A turn that is no longer ours
(settled or taken over elsewhere) raises `TurnLost` from `add`/`flush`.
"""

from __future__ import annotations

import time
from typing import Callable

from chinwag.storage.errors import DiskFull, WriteDeferred


class StreamWriter:
    def __init__(
        self,
        store,
        turn_id: str,
        *,
        interval: float = 0.1,
        max_bytes: int = 2048,
        retry_interval: float = 1.0,
        owner_pid: int | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ):
        self.store = store
        self.turn_id = turn_id
        self.interval = interval
        self.max_bytes = max_bytes
        self.retry_interval = retry_interval
        self.owner_pid = owner_pid
        self._monotonic = monotonic
        self._text: list[str] = []
        self._thinking: list[str] = []
        self._pending = 0
        self._last_flush = monotonic()
        self._retry_at = 0.0
        self._written = 0
        self.writes = 0
        self.failure: WriteDeferred | None = None  # why the last flush kept its batch, if it did
        self.disk_full: DiskFull | None = None  # the last time the disk was full during this turn

    @property
    def pending(self) -> bool:
        return self._pending > 0

    def add(self, text: str = "", thinking: str = "") -> bool:
        """Queue streamed text; flush when due. Returns True when it wrote."""
        if text:
            self._text.append(text)
        if thinking:
            self._thinking.append(thinking)
        self._pending += len(text) + len(thinking)
        if self.failure is not None and self._monotonic() < self._retry_at:
            return False  # a failing disk or lock is not hammered once per token
        threshold = max(self.max_bytes, self._written // 4)
        if self._pending >= threshold or self._monotonic() - self._last_flush >= self.interval:
            return self.flush()
        return False

    def flush_if_due(self) -> bool:
        if self.failure is not None and self._monotonic() < self._retry_at:
            return False
        if self._pending and self._monotonic() - self._last_flush >= self.interval:
            return self.flush()
        return False

    def flush(self) -> bool:
        """Write everything pending now. False (the batch kept for the next try, `failure`
        saying why) when SQLite refused it for a reason that passes."""
        self._last_flush = self._monotonic()
        if not self._pending:
            return True
        text, thinking = "".join(self._text), "".join(self._thinking)
        try:
            self.store.append_stream(self.turn_id, text, thinking, owner_pid=self.owner_pid)
        except WriteDeferred as exc:
            self._text[:] = [text] if text else []  # joined once: a retry does not re-join the pieces
            self._thinking[:] = [thinking] if thinking else []
            self.failure = exc
            if isinstance(exc, DiskFull):
                self.disk_full = exc
            self._retry_at = self._monotonic() + self.retry_interval
            return False
        self._text.clear()
        self._thinking.clear()
        self._written += self._pending
        self._pending = 0
        self.failure = None
        self.writes += 1
        return True
