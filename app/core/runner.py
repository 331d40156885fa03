"""The runner owns one turn's life: commit the prompt, stream the agent's reply into the
database as it arrives (batched), and settle the turn as complete, stopped or error.

    prompt -> store.begin_exchange (user turn committed BEFORE the agent is called)
           -> agent.stream(context) -> StreamWriter batches -> store.finish_turn

Whoever runs a turn (the TUI, `chinwag session send`, a detached worker) uses this. A
stop can come from `cancel()` in-process, from SIGINT/SIGTERM (the caller cancels), or
from another process through the database (`stop_requested`, polled while streaming).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, field, replace
from typing import Callable

from chinwag.app.agents import AgentError, agent_for_session
from chinwag.app.agents.base import (
    CommandsUpdate,
    Done,
    Failed,
    Permission,
    PlanUpdate,
    Record,
    SessionMeta,
    TextDelta,
    ThinkingDelta,
    ToolCallEnd,
    ToolCallStart,
    ToolCallUpdate,
    Usage,
    estimate_messages,
    estimate_tokens,
)
from chinwag.app.config.loader import Config
from chinwag.app.core.context import build_messages
from chinwag.storage import Store
from chinwag.storage.models import ToolCall, Turn
from chinwag.storage.stream_writer import StreamWriter
from chinwag.storage.tokens import UNREPORTED

log = logging.getLogger("chinwag.runner")
# A coding agent's model sees its own system prompt, tools and files: an estimate from
# Chinwag's messages would be far off, so a turn it reports no usage for records none.
UNESTIMATED_KINDS = {"acp"}


@dataclass
class TurnUpdate:
    """What the runner tells its listener after each change to a live turn."""

    session_id: str
    turn: Turn
    tool_calls: list[ToolCall] = field(default_factory=list)
    kind: str = "text"  # started | text | tool | finished


def usage_metadata(usage: Usage, record: Record | None) -> dict:
    """What the turn keeps beyond its token columns: where the counts came from, cached and
    reasoning tokens when reported, and the provider's own record of the reply."""
    meta: dict = {"usage": "estimated" if usage.estimated else "reported"}
    if usage.cached_tokens:
        meta["cached_tokens"] = usage.cached_tokens
    if usage.reasoning_tokens:
        meta["reasoning_tokens"] = usage.reasoning_tokens
    if record is not None:
        meta["provider"] = record.provider
        meta["provider_record"] = record.data
    return meta


class Runner:
    def __init__(
        self,
        store: Store,
        config: Config | None = None,
        *,
        on_update: Callable[[TurnUpdate], None] | None = None,
        flush_interval: float = 0.1,
        flush_bytes: int = 2048,
        poll_interval: float = 0.25,
        heartbeat_interval: float = 5.0,
        notify_interval: float = 1 / 30,
        agent_factory=None,
        on_permission: Callable[[str, Permission], None] | None = None,
    ):
        self.store = store
        self.config = config or Config()
        self.on_update = on_update
        self.flush_interval = flush_interval
        self.flush_bytes = flush_bytes
        self.poll_interval = poll_interval
        self.heartbeat_interval = heartbeat_interval
        self.notify_interval = notify_interval
        self._agent_factory = agent_factory  # tests and benchmarks: (name, model) -> agent
        # who answers permission requests in `ask` mode: called with (session_id, request);
        # without one (a detached worker), requests are refused rather than left hanging
        self.on_permission = on_permission
        self._permissions: dict[str, tuple[Permission, Turn]] = {}
        self._tasks: dict[str, asyncio.Task] = {}
        self._background: set[asyncio.Task] = set()

    # -- public --------------------------------------------------------------------------
    def is_running(self, session_id: str) -> bool:
        task = self._tasks.get(session_id)
        return task is not None and not task.done()

    def running_sessions(self) -> set[str]:
        return {sid for sid, task in self._tasks.items() if not task.done()}

    def cancel(self, session_id: str) -> bool:
        task = self._tasks.get(session_id)
        if task is None or task.done():
            return False
        task.cancel()
        return True

    def pending_permission(self, session_id: str) -> Permission | None:
        pending = self._permissions.get(session_id)
        return pending[0] if pending else None

    def answer_permission(self, session_id: str, option_id: str | None, *, by: str = "user") -> bool:
        """Answer the session's pending permission request (None cancels it)."""
        pending = self._permissions.pop(session_id, None)
        if pending is None:
            return False
        request, live = pending
        future = request.answer
        if future is not None and not future.done():
            future.set_result(option_id)
        self.store.append_event(session_id, "permission_answer",
                                {"call_id": request.call_id, "option": option_id or "cancelled", "by": by},
                                turn_id=live.id)
        live.metadata = {k: v for k, v in live.metadata.items() if k != "permission"}
        self.store.merge_turn_metadata(live.id, {"permission": None})
        self._notify(live, {}, "tool")
        return True

    async def drain(self, timeout: float = 25.0) -> None:
        """Wait (bounded) for background work such as title generation; a CLI calls this
        before it exits so the title is not lost."""
        pending = [t for t in self._background if not t.done()]
        if pending:
            await asyncio.wait(pending, timeout=timeout)

    async def send(self, session_id: str, prompt: str) -> Turn:
        """Run one exchange to the end and return the settled agent turn."""
        session = self.store.get_session(session_id)
        _, reply = self.store.begin_exchange(session.id, prompt, agent=session.agent, model=session.model)
        return await self.run_reply(reply)

    async def run_reply(self, reply: Turn) -> Turn:
        """Stream the agent's answer into an already-open `streaming` turn."""
        inner = asyncio.ensure_future(self._stream(reply))
        self._tasks[reply.session_id] = inner
        try:
            return await asyncio.shield(inner)
        except asyncio.CancelledError:
            if inner.cancelled() or inner.done():
                # cancelled through cancel(): the inner task settled the turn as stopped
                return self.store.get_turn(reply.id)
            # the caller itself was cancelled (e.g. Ctrl+C): stop the stream, then propagate
            inner.cancel()
            try:
                await inner
            except BaseException:
                pass
            raise
        finally:
            if self._tasks.get(reply.session_id) is inner:
                del self._tasks[reply.session_id]

    # -- one stream ----------------------------------------------------------------------
    def _notify(self, live: Turn, calls: dict[str, ToolCall], kind: str) -> None:
        if self.on_update is None:
            return
        try:
            self.on_update(TurnUpdate(live.session_id, replace(live), list(calls.values()), kind))
        except Exception:  # a listener must never break persistence
            log.exception("turn update listener failed")

    async def _stream(self, reply: Turn) -> Turn:
        store = self.store
        writer = StreamWriter(store, reply.id, interval=self.flush_interval, max_bytes=self.flush_bytes)
        live = replace(reply)
        calls: dict[str, ToolCall] = {}
        usage: Usage | None = None
        record: Record | None = None
        started = time.monotonic()
        watcher = asyncio.ensure_future(self._watch(reply.id, writer, asyncio.current_task()))
        agent = None
        stream = None
        self._notify(live, calls, "started")
        status, error = "complete", None
        messages = []
        pending_text: list[str] = []
        pending_thinking: list[str] = []
        last_notify = 0.0

        def materialize() -> None:
            # joining per delta would copy the growing text every time (O(n^2)); join per notify
            if pending_text:
                live.text += "".join(pending_text)
                pending_text.clear()
            if pending_thinking:
                live.thinking += "".join(pending_thinking)
                pending_thinking.clear()

        try:
            session = store.get_session(reply.session_id)
            agent = (self._agent_factory(session.agent, session.model) if self._agent_factory
                     else agent_for_session(session, self.config))
            # Without a model of its own the turn shows the agent's; an agent process can only
            # name its model once it answered (ACP initialize): look again at its first event.
            model_from_agent = not live.model
            live.model = live.model or getattr(agent, "model", "")
            context = [t for t in store.context_turns(session.id) if t.id != reply.id]
            messages = build_messages(context)
            stream = agent.stream(messages)
            async for event in stream:
                if model_from_agent:
                    model_from_agent = False
                    live.model = getattr(agent, "model", "") or live.model
                if isinstance(event, (TextDelta, ThinkingDelta)):
                    if isinstance(event, TextDelta):
                        pending_text.append(event.text)
                        writer.add(text=event.text)
                    else:
                        pending_thinking.append(event.text)
                        writer.add(thinking=event.text)
                    now = time.monotonic()
                    if now - last_notify >= self.notify_interval:
                        last_notify = now
                        materialize()
                        self._notify(live, calls, "text")
                    continue
                materialize()
                if isinstance(event, ToolCallStart):
                    writer.flush()
                    store.start_tool_call(reply.id, event.call_id, event.name, event.args, event.parent_id)
                    calls[event.call_id] = ToolCall(
                        event.call_id, reply.id, reply.session_id, event.name, event.parent_id,
                        len(calls), event.args, "running", "", store.clock.stamp(),
                    )
                    self._notify(live, calls, "tool")
                elif isinstance(event, (ToolCallUpdate, ToolCallEnd)):
                    final = event.status if isinstance(event, ToolCallEnd) else None
                    store.update_tool_call(reply.id, event.call_id, output=event.output, status=final)
                    call = calls.get(event.call_id)
                    if call is not None:
                        call.output += event.output
                        call.status = final or call.status
                    self._notify(live, calls, "tool")
                elif isinstance(event, Usage):
                    usage = event
                elif isinstance(event, Record):
                    record = event
                elif isinstance(event, (PlanUpdate, CommandsUpdate, SessionMeta, Permission)):
                    writer.flush()
                    self._agent_fact(event, live, calls)
                elif isinstance(event, Failed):
                    status, error = "error", event.message
                    break
                elif isinstance(event, Done):
                    break
        except asyncio.CancelledError:
            status = "stopped"
        except AgentError as exc:
            status, error = "error", str(exc)
        except Exception as exc:  # any agent failure becomes an error turn, text kept
            log.exception("agent failed")
            status, error = "error", f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        finally:
            watcher.cancel()
            materialize()
            if stream is not None:  # close the agent's stream now, not whenever it is collected
                with contextlib.suppress(BaseException):
                    await stream.aclose()
            if reply.session_id in self._permissions:
                self.answer_permission(reply.session_id, None, by="turn ended")
        writer.flush()
        unreported = usage is None and getattr(agent, "kind", "") in UNESTIMATED_KINDS
        if usage is None:
            usage = Usage(0, 0) if unreported else \
                Usage(estimate_messages(messages), estimate_tokens(live.text), estimated=True)
        metadata = usage_metadata(usage, record)
        if unreported:
            metadata["usage"] = UNREPORTED
        settled = store.finish_turn(
            reply.id, status, input_tokens=usage.input_tokens, output_tokens=usage.output_tokens,
            estimated=usage.estimated, error=error, model=live.model, metadata=metadata,
        )
        log.info("turn %s %s in %.2fs (%d writes)", reply.id, status, time.monotonic() - started, writer.writes)
        self._notify(settled, calls, "finished")
        if status == "complete" and agent is not None:
            await self._after_complete(agent, settled, messages)
        return settled

    def _agent_fact(self, event, live: Turn, calls: dict) -> None:
        """Plans, commands, session facts and permission requests from an agent."""
        store, sid = self.store, live.session_id
        if isinstance(event, PlanUpdate):
            plan = [list(entry) for entry in event.entries]
            live.metadata = {**live.metadata, "plan": plan}
            store.merge_turn_metadata(live.id, {"plan": plan})
            store.append_event(sid, "plan", {"entries": plan}, turn_id=live.id)
            self._notify(live, calls, "tool")
        elif isinstance(event, (CommandsUpdate, SessionMeta)):
            values = ({"agent_commands": [list(c) for c in event.commands]} if isinstance(event, CommandsUpdate)
                      else event.values)
            store.merge_session_metadata(sid, values)
            if isinstance(event, CommandsUpdate):
                self._notify(live, calls, "commands")
        elif isinstance(event, Permission):
            record = {"call_id": event.call_id, "title": event.title, "kind": event.kind,
                      "options": [list(o) for o in event.options]}
            if event.decided is not None:
                store.append_event(sid, "permission_request", {**record, "answer": event.decided, "by": event.by},
                                   turn_id=live.id)
                return
            store.append_event(sid, "permission_request", record, turn_id=live.id)
            self._permissions[sid] = (event, live)
            live.metadata = {**live.metadata, "permission": record}
            store.merge_turn_metadata(live.id, {"permission": record})
            self._notify(live, calls, "permission")
            if self.on_permission is None:
                self.answer_permission(sid, None, by="nobody to ask (mode ask without a terminal)")
            else:
                try:
                    self.on_permission(sid, event)
                except Exception:
                    log.exception("permission handler failed")
                    self.answer_permission(sid, None, by="handler failed")

    async def _after_complete(self, agent, settled: Turn, messages) -> None:
        """Start title generation in the background; auto-compact inline (the session stays
        busy meanwhile, so nothing is sent against a half-compacted context)."""
        from chinwag.app.core import after_turn
        from chinwag.app.config.settings import effective

        try:
            if after_turn.wants_title(self.store, settled.session_id, agent):
                prompt = next((m.text for m in reversed(messages) if m.role == "user"), "")
                task = asyncio.ensure_future(self._title(agent, settled, prompt))
                self._background.add(task)
                task.add_done_callback(self._background.discard)
            values = effective(self.config, session=self.store.get_session(settled.session_id), probe=False)
            window = int(values["context_window"].value or 0)  # both always have a value (built-in defaults)
            share = float(values["auto_compact"].value or 0)
            if after_turn.needs_compaction(self.store, settled.session_id, window, share):
                self._notify(settled, {}, "compacting")
                result = await after_turn.auto_compact(self.store, agent, settled.session_id, window, share)
                self._notify(settled, {}, "compacted" if result else "finished")
        except Exception:  # follow-up work must never turn a complete turn into a failure
            log.exception("after-turn work failed")

    async def _title(self, agent, settled: Turn, prompt: str) -> None:
        from chinwag.app.core.after_turn import generate_title

        if await generate_title(self.store, agent, settled.session_id, prompt, settled.text):
            self._notify(settled, {}, "title")

    async def _watch(self, turn_id: str, writer: StreamWriter, stream_task: asyncio.Task) -> None:
        """Flush late text, keep the heartbeat fresh, and honour stop requests from the db."""
        last_beat = time.monotonic()
        while True:
            await asyncio.sleep(self.poll_interval)
            try:
                if writer.flush_if_due():
                    last_beat = time.monotonic()
                elif time.monotonic() - last_beat >= self.heartbeat_interval:
                    self.store.heartbeat(turn_id)
                    last_beat = time.monotonic()
                if self.store.stop_requested(turn_id):
                    stream_task.cancel()
                    return
            except Exception:
                log.exception("stream watcher failed")
