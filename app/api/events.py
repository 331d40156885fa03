"""The live event stream of one session as Server-Sent Events, read from the database so
turns running anywhere (this server, the TUI, a CLI worker) are seen the same way.

Each stored event is sent with its type as the SSE event name; a running turn's new text
is sent as `delta` events; when a turn ends a final `turn_end` event carries its status
and tokens. Every SSE id is a cursor `EVENT_ID.TURN_ID.OFFSET`: give it back as
`Last-Event-ID` (or `?last_event_id=`) to resume exactly where the stream stopped;
`0` replays the session from its beginning. Without one, the stream starts now (with the
text so far of a turn that is already running).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable

from chinwag.app.api.wire import json_text
from chinwag.app.core.offload import Offload, in_thread
from chinwag.storage import Store

POLL_SECONDS = 0.1
HEARTBEAT_SECONDS = 15.0


def sse(event: str, data: dict, cursor: str) -> str:
    return f"id: {cursor}\nevent: {event}\ndata: {json_text(data)}\n\n"


def as_sse(store: Store, event: str, data: dict, cursor: str) -> str:
    """The default rendering: the stored event as it is, its type as the SSE event name."""
    return sse(event, data, cursor)


# how one item of the stream is sent (None: not at all); runs where the reads run (`offload`)
Render = Callable[[Store, str, dict, str], str | None]


def parse_cursor(text: str) -> tuple[int, str | None, int] | None:
    parts = text.strip().split(".")
    try:
        event_id = int(parts[0])
        turn_id = parts[1] if len(parts) > 1 and parts[1] else None
        offset = int(parts[2]) if len(parts) > 2 else 0
    except (ValueError, IndexError):
        return None
    return event_id, turn_id, offset


class Cursor:
    def __init__(self, event_id: int, turn_id: str | None, offset: int):
        self.event_id, self.turn_id, self.offset = event_id, turn_id, offset

    def __str__(self) -> str:
        return f"{self.event_id}.{self.turn_id or ''}.{self.offset}"


def _start(store: Store, session_id: str, resume: str) -> Cursor:
    parsed = parse_cursor(resume) if resume else None
    if parsed is not None:
        return Cursor(*parsed)
    last = store.db.query_one("SELECT MAX(id) AS id FROM events WHERE session_id = ?", (session_id,))
    running = store.running_turn(session_id)
    return Cursor(int((last or {}).get("id") or 0), running.id if running else None, 0)


def _delta(store: Store, cursor: Cursor, render: Render) -> str | None:
    if cursor.turn_id is None:
        return None
    turn = store.get_turn(cursor.turn_id)
    if len(turn.text) <= cursor.offset:
        return None
    text, start = turn.text[cursor.offset:], cursor.offset
    cursor.offset = len(turn.text)
    return render(store, "delta", {"turn_id": turn.id, "offset": start, "text": text}, str(cursor))


def _poll(store: Store, session_id: str, cursor: Cursor, render: Render = as_sse) -> list[str]:
    """The SSE messages for what happened after `cursor` (advanced past them); blocking."""
    out: list[str] = []

    def put(message: str | None) -> None:
        if message:
            out.append(message)

    for event in store.list_events(session_id, after_id=cursor.event_id, limit=500):
        if event.type == "generation_start":
            cursor.turn_id, cursor.offset = event.turn_id, 0
        if event.type == "generation_end" and event.turn_id == cursor.turn_id:
            put(_delta(store, cursor, render))  # the last text before the end
        cursor.event_id = event.id
        payload = {"type": event.type, "turn_id": event.turn_id, "created_at": event.created_at, **event.data}
        put(render(store, event.type, payload, str(cursor)))
        if event.type == "generation_end":
            turn = store.get_turn(event.turn_id)
            put(render(store, "turn_end", {"turn_id": turn.id, "status": turn.status, "text": turn.text,
                                           "input_tokens": turn.input_tokens, "output_tokens": turn.output_tokens,
                                           "estimated": turn.tokens_estimated, "error": turn.error}, str(cursor)))
            if event.turn_id == cursor.turn_id:
                cursor.turn_id, cursor.offset = None, 0
    put(_delta(store, cursor, render))
    return out


async def follow_events(
    store: Store, session_id: str, resume: str = "", *, is_disconnected: Callable[[], Awaitable[bool]] | None = None,
    poll: float = POLL_SECONDS, offload: Offload = in_thread, render: Render = as_sse,
) -> AsyncIterator[str]:
    """Every database read runs through `offload` (a worker thread by default), so a slow
    or locked database never stalls the server's event loop. `render` makes each item an
    SSE message (`/api/acp` sends them as ACP `session/update` notifications)."""
    cursor = await offload(_start, store, session_id, resume)
    yield ": connected\n\n"
    last_sent = time.monotonic()
    while True:
        if is_disconnected is not None and await is_disconnected():
            return
        messages = await offload(_poll, store, session_id, cursor, render)
        for message in messages:
            yield message
        now = time.monotonic()
        if messages:
            last_sent = now
        elif now - last_sent >= HEARTBEAT_SECONDS:
            yield ": ping\n\n"
            last_sent = now
        await asyncio.sleep(poll)
