"""Batching the writes of a live stream: one writer per streaming turn, flushing every
`interval` seconds or when enough text is pending, never one transaction per token.

Each flush rewrites the turn's row, so the size threshold grows with what is already
written (a quarter of it): a multi-megabyte reply costs O(n) in total, not O(n^2).

A batch SQLite refuses for a reason that passes (the disk is full, another process held
the lock past the busy timeout) stays in memory, whole, and is retried after
`retry_interval` seconds: no character is dropped. A turn that is no longer ours
(settled or taken over elsewhere) raises `TurnLost` from `add`/`flush`/`write`.

A caller that writes from a worker thread (the API) takes a batch on its own thread
(`take`), writes it anywhere (`write`), and reports back (`done` / `failed`): text queued
meanwhile is never cleared with the batch, and a refused batch goes back in front.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from chinwag.storage.errors import DiskFull, WriteDeferred

Batch = tuple[str, str]  # (text, thinking)


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
        self.failure: WriteDeferred | None = None  # why the last write kept its batch, if it did
        self.disk_full: DiskFull | None = None  # the last time the disk was full during this turn

    @property
    def pending(self) -> bool:
        return self._pending > 0

    def _waiting(self) -> bool:
        """A failing disk or lock is not hammered once per token: wait `retry_interval`."""
        return self.failure is not None and self._monotonic() < self._retry_at

    def queue(self, text: str = "", thinking: str = "") -> bool:
        """Queue streamed text; True when a flush is due."""
        if text:
            self._text.append(text)
        if thinking:
            self._thinking.append(thinking)
        self._pending += len(text) + len(thinking)
        if self._waiting():
            return False
        threshold = max(self.max_bytes, self._written // 4)
        return self._pending >= threshold or self._monotonic() - self._last_flush >= self.interval

    def add(self, text: str = "", thinking: str = "") -> bool:
        """Queue streamed text and flush when due. Returns True when it wrote."""
        return self.flush() if self.queue(text, thinking) else False

    def due(self) -> bool:
        return self._pending > 0 and not self._waiting() and self._monotonic() - self._last_flush >= self.interval

    # -- one batch: take, write, report ------------------------------------------------------
    def take(self) -> Batch | None:
        """Hand over everything pending as one batch (None when nothing is)."""
        self._last_flush = self._monotonic()
        if not self._pending:
            return None
        batch = ("".join(self._text), "".join(self._thinking))
        self._text.clear()
        self._thinking.clear()
        self._pending = 0
        return batch

    def write(self, batch: Batch) -> None:
        """Append a batch to the turn (any thread). Raises WriteDeferred, TurnLost."""
        self.store.append_stream(self.turn_id, batch[0], batch[1], owner_pid=self.owner_pid)

    def done(self, batch: Batch) -> None:
        self._written += len(batch[0]) + len(batch[1])
        self.failure = None
        self.writes += 1

    def failed(self, batch: Batch, exc: WriteDeferred | None) -> None:
        """Put a batch that was not written back in front of anything queued since, joined
        once; `exc` (a write refused for a reason that passes) also starts the retry wait."""
        text, thinking = batch
        if text:
            self._text.insert(0, text)
        if thinking:
            self._thinking.insert(0, thinking)
        self._pending += len(text) + len(thinking)
        if exc is None:
            return
        self.failure = exc
        if isinstance(exc, DiskFull):
            self.disk_full = exc
        self._retry_at = self._monotonic() + self.retry_interval

    def flush(self) -> bool:
        """Write everything pending now. False (the batch kept for the next try, `failure`
        saying why) when SQLite refused it for a reason that passes."""
        batch = self.take()
        if batch is None:
            return True
        try:
            self.write(batch)
        except WriteDeferred as exc:
            self.failed(batch, exc)
            return False
        self.done(batch)
        return True
