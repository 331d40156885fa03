"""The runner owns one turn's life: commit the prompt, stream the agent's reply into the
database as it arrives (batched), and settle the turn as complete, stopped or error.

    prompt -> store.begin_exchange (user turn committed BEFORE the agent is called)
           -> agent.stream(context) -> StreamWriter batches -> store.finish_turn

Its host hears about every change through `on_event`, typed events from
`chinwag.app.core.events` (TurnStarted carries both turns, TurnSettled the stored result).

Whoever runs a turn (the TUI, `chinwag session send`, a detached worker) uses this. A
stop can come from `cancel()` in-process, from SIGINT/SIGTERM (the caller cancels), or
from another process through the database (`stop_requested`, polled while streaming).

Writes SQLite refuses for a while (a full disk, a lock held past the busy timeout) never
lose text: the stream writer keeps it, and the turn is settled once a write gets through.
A turn settled elsewhere meanwhile (`session stop`, recovery) is left as it is: the runner
stops streaming into it and does not settle it a second time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import Callable
from dataclasses import replace
from functools import partial

from chinwag.app.agents import AgentError, agent_for_session
from chinwag.app.agents.base import (
    CommandsUpdate,
    Done,
    Failed,
    FileWritten,
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
from chinwag.app.config.schema import AgentKind
from chinwag.app.core import pricing
from chinwag.app.core.context import build_messages
from chinwag.app.core.events import (
    CommandsChanged,
    PermissionAsked,
    RunnerEvent,
    ToolChanged,
    TurnSettled,
    TurnStarted,
)
from chinwag.app.core.events import TurnText as TurnTextEvent
from chinwag.app.core.offload import Offload, inline, prepare_agent
from chinwag.app.core.permissions import PermissionsMixin
from chinwag.storage import StorageError, Store
from chinwag.storage.errors import DiskFull, TurnLost, WriteDeferred
from chinwag.storage.models import ToolCall, Turn
from chinwag.storage.stream_writer import StreamWriter
from chinwag.storage.tokens import UNREPORTED
from chinwag.storage.tree import AT_HEAD, AtHead

log = logging.getLogger("chinwag.runner")
# A coding agent's model sees its own system prompt, tools and files: an estimate from
# Chinwag's messages would be far off, so a turn it reports no usage for records none.
UNESTIMATED_KINDS = {AgentKind.ACP.value}
LiveKind = type[TurnStarted] | type[TurnTextEvent] | type[ToolChanged] | type[PermissionAsked] | type[TurnSettled]


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


class Runner(PermissionsMixin):
    def __init__(
        self,
        store: Store,
        config: Config | None = None,
        *,
        on_event: Callable[[RunnerEvent], None] | None = None,
        flush_interval: float = 0.1,
        flush_bytes: int = 2048,
        poll_interval: float = 0.25,
        heartbeat_interval: float = 5.0,
        notify_interval: float = 1 / 30,
        retry_interval: float = 1.0,
        agent_factory=None,
        on_permission: Callable[[str, Permission], None] | None = None,
        offload: Offload = inline,
    ):
        self.store = store
        self.config = config or Config()
        self.on_event = on_event
        self.flush_interval = flush_interval
        self.flush_bytes = flush_bytes
        self.poll_interval = poll_interval
        self.heartbeat_interval = heartbeat_interval
        self.notify_interval = notify_interval
        self.retry_interval = retry_interval  # first wait before retrying a refused write (doubles, to 8x)
        self._agent_factory = agent_factory  # tests and benchmarks: (name, model) -> agent
        # who answers permission requests in `ask` mode: called with (session_id, request);
        # without one (a detached worker), requests are refused rather than left hanging
        self.on_permission = on_permission
        # every database call and agent set-up of a turn goes through this: inline in the
        # TUI and CLI; a worker thread in the API server, whose loop serves every client
        self._offload = offload
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

    async def drain(self, timeout: float = 25.0) -> None:
        """Wait (bounded) for background work such as title generation; a CLI calls this
        before it exits so the title is not lost."""
        pending = [t for t in self._background if not t.done()]
        if pending:
            await asyncio.wait(pending, timeout=timeout)

    async def send(self, session_id: str, prompt: str, *, parent: str | None | AtHead = AT_HEAD) -> Turn:
        """Run one exchange to the end and return the settled agent turn. The prompt follows
        `parent` (default: the head; an edited prompt follows the parent of the one it edits)."""
        user, reply = await self._offload(self.begin, session_id, prompt, parent)
        return await self.run_reply(reply, user=user)

    def begin(self, session_id: str, prompt: str, parent: str | None | AtHead = AT_HEAD) -> tuple[Turn, Turn]:
        """Store the prompt and open the streaming reply (blocking: a database write)."""
        return self.store.begin_exchange(session_id, prompt, parent=parent)  # with the session's agent and model

    async def regenerate(self, session_id: str, prompt_id: str) -> Turn:
        """Answer the prompt `prompt_id` again: a new reply beside the ones it has, streamed
        to the end (what `chinwag session regenerate` does)."""
        session = await self._offload(self.store.get_session, session_id)
        reply = await self._offload(partial(self.store.begin_reply, session_id, agent=session.agent,
                                            model=session.model, parent=prompt_id))
        return await self.run_reply(reply)

    async def run_reply(self, reply: Turn, *, user: Turn | None = None) -> Turn:
        """Stream the agent's answer into an already-open `streaming` turn (`user`: the
        prompt's turn opened with it, handed on in TurnStarted)."""
        inner = asyncio.ensure_future(self._stream(reply, user))
        self._tasks[reply.session_id] = inner
        try:
            return await asyncio.shield(inner)
        except asyncio.CancelledError:
            if inner.cancelled() or inner.done():
                # cancelled through cancel(): the inner task settled the turn as stopped
                return await self._offload(self.store.get_turn, reply.id)
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
    def _emit(self, event: RunnerEvent) -> None:
        if self.on_event is None:
            return
        try:
            self.on_event(event)
        except Exception:  # a listener must never break persistence
            log.exception("runner event listener failed")

    def _live(self, kind: LiveKind, live: Turn, calls: dict[str, ToolCall], **extra) -> None:
        """Emit an event carrying a copy of the live turn (the runner keeps changing its own)."""
        if self.on_event is not None:
            self._emit(kind(live.session_id, replace(live), tuple(replace(c) for c in calls.values()), **extra))

    async def _flush(self, writer: StreamWriter, lock: asyncio.Lock) -> bool:
        """Write the writer's pending text, batches in order. False when SQLite refused it
        for a reason that passes (the batch is back in the writer for the next try)."""
        async with lock:
            batch = writer.take()  # taken on the loop: text queued meanwhile stays queued
            if batch is None:
                return True
            result: list[WriteDeferred | None] = []  # [None]: written; [exc]: refused, kept

            def write() -> None:
                try:
                    writer.write(batch)
                except WriteDeferred as exc:
                    result.append(exc)
                    return
                result.append(None)

            try:
                await self._offload(write)
            finally:  # also when cancelled: an offloaded write always runs to its end
                if result and result[0] is None:
                    writer.done(batch)
                else:  # refused, or the write raised (TurnLost, damage): the text stays in memory
                    writer.failed(batch, result[0] if result else None)
            return bool(result) and result[0] is None

    def _open(self, reply: Turn):
        """The session, its agent and the context to send (blocking: reads and imports)."""
        session = self.store.get_session(reply.session_id)
        agent = (self._agent_factory(session.agent, session.model) if self._agent_factory
                 else agent_for_session(session, self.config))
        prepare_agent(agent)
        # the path to this reply, not the head's: the head may move while it runs elsewhere
        context = [t for t in self.store.context_turns(session.id, tip=reply.id) if t.id != reply.id]
        return agent, context

    async def _stream(self, reply: Turn, user: Turn | None = None) -> Turn:
        store, offload = self.store, self._offload
        owner = reply.owner_pid or os.getpid()
        writer = StreamWriter(store, reply.id, interval=self.flush_interval, max_bytes=self.flush_bytes,
                              retry_interval=self.retry_interval, owner_pid=owner)
        lock = asyncio.Lock()
        live = replace(reply)
        calls: dict[str, ToolCall] = {}
        usage: Usage | None = None
        record: Record | None = None
        started = time.monotonic()
        task = asyncio.current_task()
        assert task is not None  # a coroutine always runs in a task
        watcher = asyncio.ensure_future(self._watch(reply.id, owner, writer, lock, task))
        agent = None
        stream = None
        checkpoint: asyncio.Task | None = None
        self._live(TurnStarted, live, calls, user=user)
        status, error = "complete", None
        sent = True  # did the request reach the agent? one that never did costs no input tokens
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
            agent, context = await offload(self._open, reply)
            checkpoint = self._checkpoint(reply, user, context, agent)
            # Without a model of its own the turn shows the agent's; an agent process can only
            # name its model once it answered (ACP initialize): look again at its first event.
            model_from_agent = not live.model
            live.model = live.model or getattr(agent, "model", "")
            messages = build_messages(context)
            stream = agent.stream(messages)
            async for event in stream:
                if model_from_agent:
                    model_from_agent = False
                    live.model = getattr(agent, "model", "") or live.model
                if isinstance(event, (TextDelta, ThinkingDelta)):
                    if isinstance(event, TextDelta):
                        pending_text.append(event.text)
                        due = writer.queue(text=event.text)
                    else:
                        pending_thinking.append(event.text)
                        due = writer.queue(thinking=event.text)
                    if due:
                        await self._flush(writer, lock)
                    now = time.monotonic()
                    if now - last_notify >= self.notify_interval:
                        last_notify = now
                        materialize()
                        self._live(TurnTextEvent, live, calls)
                    continue
                materialize()
                if isinstance(event, ToolCallStart):
                    await self._flush(writer, lock)
                    await offload(store.start_tool_call, reply.id, event.call_id, event.name, event.args,
                                  event.parent_id, owner_pid=owner)
                    calls[event.call_id] = ToolCall(
                        event.call_id, reply.id, reply.session_id, event.name, event.parent_id,
                        len(calls), event.args, "running", "", store.clock.stamp(),
                    )
                    self._live(ToolChanged, live, calls)
                elif isinstance(event, (ToolCallUpdate, ToolCallEnd)):
                    final = event.status if isinstance(event, ToolCallEnd) else None
                    await offload(store.update_tool_call, reply.id, event.call_id, output=event.output, status=final,
                                  owner_pid=owner)
                    call = calls.get(event.call_id)
                    if call is not None:
                        call.output += event.output
                        call.status = final or call.status
                    self._live(ToolChanged, live, calls)
                elif isinstance(event, Usage):
                    usage = event
                elif isinstance(event, Record):
                    record = event
                elif isinstance(event, (PlanUpdate, CommandsUpdate, SessionMeta, Permission)):
                    await self._flush(writer, lock)
                    await self._agent_fact(event, live, calls)
                elif isinstance(event, FileWritten):
                    from chinwag.app.core import file_writes  # lazy: start-up

                    await file_writes.file_written(store, self.config, live, event, offload=offload)
                elif isinstance(event, Failed):
                    status, error, sent = "error", event.message, event.sent
                    break
                elif isinstance(event, Done):
                    break
        except asyncio.CancelledError:
            status = "stopped"
        except TurnLost as exc:  # settled elsewhere: _settle finds it so and leaves it alone
            log.warning("%s", exc)
        except AgentError as exc:  # configuration or availability: nothing was sent
            status, error, sent = "error", str(exc), False
        except StorageError as exc:  # e.g. a tool call refused on a full disk: one line, no traceback
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
                await self._answer_permission(reply.session_id, None, by="turn ended")
        unreported = usage is None and getattr(agent, "kind", "") in UNESTIMATED_KINDS
        if usage is None:
            usage = Usage(0, 0) if unreported else \
                Usage(estimate_messages(messages) if sent else 0, estimate_tokens(live.text), estimated=True)
        metadata = usage_metadata(usage, record)
        metadata.update(pricing.turn_record(live.agent, self.config))  # the prices of its cost, as of now
        if unreported:
            metadata["usage"] = UNREPORTED
        finish = dict(input_tokens=usage.input_tokens, output_tokens=usage.output_tokens, estimated=usage.estimated,
                      model=live.model, metadata=metadata, owner_pid=owner)
        settled = await self._settle(reply, writer, lock, status, error, finish)
        log.info("turn %s %s in %.2fs (%d writes)", reply.id, settled.status, time.monotonic() - started,
                 writer.writes)
        self._live(TurnSettled, settled, calls)
        if checkpoint is not None:  # recorded before the turn is handed back
            with contextlib.suppress(Exception):  # logged by _checkpoint
                await asyncio.shield(checkpoint)
        if settled.status == "complete" and agent is not None:
            from chinwag.app.core import after_turn  # lazy: start-up (compaction and titles load on first use)

            await after_turn.follow_up(self.store, self.config, agent, settled, messages, offload=self._offload,
                                       emit=self._emit, background=self._background)
        return settled

    def _checkpoint(self, reply: Turn, user: Turn | None, context: list[Turn], agent) -> asyncio.Task:
        """The workspace checkpoint of a coding agent's turn, started before the request and
        running alongside it (`checkpoints.before_turn`); a background task, so a stop never
        leaves it half-recorded. An agent with a `files_gate` holds the file changes it makes
        through Chinwag until it is done."""
        from chinwag.app.core import checkpoints  # lazy: start-up

        user_id = user.id if user else next((t.id for t in reversed(context) if t.role == "user"), None)

        async def take() -> None:
            try:
                await checkpoints.before_turn(self.store, self.config, reply, user_id, offload=self._offload,
                                              emit=self._emit)
            except Exception:  # a checkpoint never breaks a turn
                log.exception("checkpoint before turn %s failed", reply.id)

        task = asyncio.ensure_future(take())
        if hasattr(agent, "files_gate"):
            agent.files_gate = task
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return task

    async def _settle(self, reply: Turn, writer: StreamWriter, lock: asyncio.Lock, status: str, error: str | None,
                      finish: dict) -> Turn:
        """Settle the turn with the text still pending, in one write; while SQLite refuses (a
        full disk, a lock held too long) keep everything in memory and retry, backing off. A
        turn settled elsewhere meanwhile is returned as it is, not settled twice."""
        delay = self.retry_interval
        while True:
            try:
                async with lock:
                    if writer.disk_full is not None:  # all text kept, but the user must learn why it stalled
                        status = "error" if status == "complete" else status
                        error = error or (f"the disk holding {self.store.path} is full; "
                                          "the reply was kept in memory and saved once space returned")
                    batch = writer.take() or ("", "")
                    try:
                        settled = await self._offload(self.store.finish_turn, reply.id, status, error=error,
                                                      text=batch[0], thinking=batch[1], **finish)
                    except BaseException as exc:  # not written: the text stays in memory
                        if any(batch):
                            writer.failed(batch, exc if isinstance(exc, WriteDeferred) else None)
                        raise
                    if any(batch):
                        writer.done(batch)
                    return settled
            except TurnLost as exc:
                log.warning("%s", exc)
                return await self._offload(self.store.get_turn, reply.id)
            except WriteDeferred as exc:
                failure = exc
                writer.disk_full = exc if isinstance(exc, DiskFull) else writer.disk_full
            log.warning("turn %s not saved yet (%s); retrying in %.1f s", reply.id, failure, delay)
            try:
                await asyncio.sleep(delay)
            except asyncio.CancelledError:
                # stopped while waiting: the text not yet saved is given up (the turn stays
                # `streaming` until recovery marks it interrupted with what was saved)
                log.error("turn %s stopped before it could be saved: %s", reply.id, failure)
                raise
            delay = min(delay * 2, self.retry_interval * 8)

    async def _agent_fact(self, event, live: Turn, calls: dict) -> None:
        """Plans, commands, session facts and permission requests from an agent."""
        store, sid, offload = self.store, live.session_id, self._offload
        if isinstance(event, PlanUpdate):
            plan = [list(entry) for entry in event.entries]
            live.metadata = {**live.metadata, "plan": plan}
            await offload(store.merge_turn_metadata, live.id, {"plan": plan})
            await offload(store.append_event, sid, "plan", {"entries": plan}, turn_id=live.id)
            self._live(ToolChanged, live, calls)
        elif isinstance(event, (CommandsUpdate, SessionMeta)):
            values = ({"agent_commands": [list(c) for c in event.commands]} if isinstance(event, CommandsUpdate)
                      else event.values)
            await offload(store.merge_session_metadata, sid, values)
            if isinstance(event, CommandsUpdate):
                self._emit(CommandsChanged(sid, tuple((str(n), str(d)) for n, d in event.commands)))
        elif isinstance(event, Permission):
            await self._ask_permission(event, live, calls)

    async def _watch(self, turn_id: str, owner: int, writer: StreamWriter, lock: asyncio.Lock,
                     stream_task: asyncio.Task) -> None:
        """Flush late text, keep the heartbeat fresh, and honour stop requests from the db."""
        last_beat = time.monotonic()
        while True:
            await asyncio.sleep(self.poll_interval)
            try:
                if writer.due() and await self._flush(writer, lock):
                    last_beat = time.monotonic()
                elif time.monotonic() - last_beat >= self.heartbeat_interval:
                    await self._offload(self.store.heartbeat, turn_id, owner_pid=owner)
                    last_beat = time.monotonic()
                if await self._offload(self.store.stop_requested, turn_id):
                    stream_task.cancel()
                    return
            except TurnLost as exc:  # settled elsewhere: stop streaming into it
                log.warning("%s", exc)
                stream_task.cancel()
                return
            except StorageError as exc:  # a full disk or a held lock: the next round retries
                log.warning("stream watcher: %s", exc)
            except Exception:
                log.exception("stream watcher failed")
