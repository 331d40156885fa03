"""One turn run from the terminal (`session start PROMPT`, `session send`): the reply
streamed to stdout, tool calls and permission questions on stderr, Ctrl+C stopping the
turn, and the exit status saying how it settled."""

from __future__ import annotations

import asyncio
import signal
import sys
from dataclasses import asdict

from chinwag.app.agents.acp import pool as acp_pool
from chinwag.app.cli import common
from chinwag.app.cli.exit_codes import ExitCode
from chinwag.app.core.worker import hand_to_worker
from chinwag.storage import Store
from chinwag.storage.models import Session, Turn
from chinwag.storage.tree import AT_HEAD, AtHead


def run_turn(store: Store, session: Session, prompt: str, *, no_stream: bool, detach: bool, as_json: bool,
             parent: str | None | AtHead = AT_HEAD) -> int:
    """Run one exchange from the terminal (or hand it to a worker with `detach`); the exit
    status says how the turn settled. The prompt follows `parent` (default: the head)."""
    _, reply = store.begin_exchange(session.id, prompt, agent=session.agent, model=session.model, parent=parent)
    return run_reply(store, session, reply, no_stream=no_stream, detach=detach, as_json=as_json)


def run_reply(store: Store, session: Session, reply: Turn, *, no_stream: bool, detach: bool, as_json: bool) -> int:
    """Run an opened (streaming) reply as `run_turn` does: here, or in a worker."""
    if detach:
        hand_to_worker(store, reply)
        common.out(session.id)
        return ExitCode.OK
    stream = not no_stream and not as_json
    turn = asyncio.run(_stream_reply(store, reply, stream))
    if as_json:
        common.print_json({"session_id": session.id, "turn": asdict(turn)})
    elif not stream:
        common.out(turn.text)
    if turn.status == "error":
        print(f"chinwag: error: {turn.error}", file=sys.stderr)
        return ExitCode.ERROR
    if turn.status == "stopped":
        print("chinwag: stopped", file=sys.stderr)
        return ExitCode.STOPPED
    if turn.status == "interrupted":  # settled by another process (`session stop`, recovery) meanwhile
        print(f"chinwag: interrupted by another process; {len(turn.text):,} characters kept", file=sys.stderr)
        return ExitCode.STOPPED
    return ExitCode.OK


async def _stream_reply(store: Store, reply: Turn, stream: bool) -> Turn:
    from chinwag.app.core.events import (  # lazy: turns only
        CheckpointTaken,
        CompactionFinished,
        LiveTurnEvent,
        RunnerEvent,
        ToolChanged,
    )
    from chinwag.app.core.runner import Runner  # lazy: only turns pay for the runner

    printed = 0
    tty = sys.stderr.isatty()

    def on_event(event: RunnerEvent) -> None:
        nonlocal printed
        if isinstance(event, LiveTurnEvent) and stream and len(event.turn.text) > printed:
            sys.stdout.write(common.terminal_safe(event.turn.text[printed:]))
            sys.stdout.flush()
            printed = len(event.turn.text)
        match event:
            case CompactionFinished(compacted=True):
                print("\n(auto-compacted: the context passed the configured share of the model's window)",
                      file=sys.stderr)
            case CheckpointTaken(skipped=reason) if reason:
                print(f"chinwag: no checkpoint: {common.terminal_safe(reason)}", file=sys.stderr)
            case ToolChanged(tool_calls=calls) if tty:
                for call in calls:
                    if call.status in ("completed", "failed"):
                        continue
                    print(f"  ⋯ {call.name} {call.args}", file=sys.stderr)

    def ask_on_terminal(session_id: str, request) -> None:
        """`ask` mode in a terminal: list the agent's options on stderr, read a number."""
        print(f"\n{request.title} ({request.kind}) needs permission:", file=sys.stderr)
        for number, (_, name, _) in enumerate(request.options, 1):
            print(f"  {number}. {name}", file=sys.stderr)

        async def read_answer() -> None:
            line = await asyncio.get_running_loop().run_in_executor(None, lambda: input("choose a number (Enter refuses): "))
            chosen = line.strip()
            valid = chosen.isdigit() and 0 < int(chosen) <= len(request.options)
            runner.answer_permission(session_id, request.options[int(chosen) - 1][0] if valid else None)

        asyncio.ensure_future(read_answer())

    runner = Runner(store, common.config(), on_event=on_event,
                    on_permission=ask_on_terminal if sys.stdin.isatty() and sys.stderr.isatty() else None)
    task = asyncio.current_task()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, lambda: runner.cancel(reply.session_id) or task.cancel())
    turn = await runner.run_reply(reply)
    await runner.drain()
    await acp_pool.close_all()
    if stream and printed:
        sys.stdout.write("\n")
        sys.stdout.flush()
    return turn
