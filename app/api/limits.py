"""Connection limits of `chinwag serve`, so slow or idle clients cannot hold the server.

uvicorn closes an idle keep-alive connection after `timeout_keep_alive`, and answers 503
past `limit_concurrency`, but it has no deadline for a request's head: a client that
sends half a request line is held forever. `GuardedH11Protocol` adds that deadline (the
whole head within `HEADER_TIMEOUT` seconds of the connection opening or of its first byte
after a keep-alive pause); a request body has its own deadline in the API (`BODY_TIMEOUT`).
"""

from __future__ import annotations

import asyncio

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

HEADER_TIMEOUT = 10.0  # seconds for a request line and headers
KEEP_ALIVE_TIMEOUT = 5  # seconds an idle keep-alive connection stays open
CONCURRENCY_LIMIT = 100  # connections + running requests; beyond it a request gets 503
MAX_HEAD_BYTES = 64 * 1024  # a request head larger than this is refused (400)


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a deadline for each request's head."""

    header_timeout: float | None = None  # None: the module's HEADER_TIMEOUT at arming time

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._head_deadline: asyncio.TimerHandle | None = None
        self._arm()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.transport.is_closing() or self.transport.get_protocol() is not self:  # closed or upgraded
            self._disarm()
        elif self.conn.their_state is h11.IDLE:  # a head is (still) being read: keep, or start, its clock
            if self._head_deadline is None:
                self._arm()
        else:
            self._disarm()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._disarm()  # until the next request's first byte, the keep-alive timeout applies

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        timeout = self.header_timeout if self.header_timeout is not None else HEADER_TIMEOUT
        self._head_deadline = self.loop.call_later(timeout, self._head_too_slow)

    def _disarm(self) -> None:
        if getattr(self, "_head_deadline", None) is not None:
            self._head_deadline.cancel()
            self._head_deadline = None

    def _head_too_slow(self) -> None:
        self._head_deadline = None
        if not self.transport.is_closing() and self.conn.their_state is h11.IDLE:
            self.transport.close()


def server_options(host: str, port: int, **overrides) -> dict:
    """The one uvicorn configuration (`uvicorn.run` / `uvicorn.Config` keywords) that
    `chinwag serve` and the tests run with."""
    options = dict(host=host, port=port, log_level="warning", access_log=False, http=GuardedH11Protocol,
                   timeout_keep_alive=KEEP_ALIVE_TIMEOUT, limit_concurrency=CONCURRENCY_LIMIT,
                   h11_max_incomplete_event_size=MAX_HEAD_BYTES)
    return {**options, **overrides}
