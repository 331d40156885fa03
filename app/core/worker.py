"""The detached worker: a background process that runs one already-opened turn, then the
prompts queued behind it; and stopping a turn wherever it runs.

Started by `chinwag session start|send --detach`, `/detach` and the TUI's "Finish in
background" as `python -m chinwag.app.core.worker --db PATH TURN_ID`. It claims the turn
(owner pid, and `owner: worker` in the turn's metadata), streams it into the database,
stops cleanly on SIGTERM/SIGINT or a stop request, and then sends the prompts left in the
session's `background_queue` (metadata), one exchange at a time, while each completes.

`request_stop` is the one way to stop a turn run by another process: the request goes in
the database, where every runner polls for it (the TUI, `chinwag serve`, `session send`
settle the turn `stopped` with its partial text and keep running); only a dedicated worker
is also sent SIGTERM, never a process that hosts a UI or a command.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import subprocess
import sys

from chinwag.app.config import paths

WORKER_MODULE = "chinwag.app.core.worker"
OWNER_KEY = "owner"  # turn metadata: who runs it ("worker"; absent: the process that opened it)
WORKER = "worker"
QUEUE_KEY = "background_queue"  # session metadata: prompts a worker sends after its turn
# The prompt of the turn a worker starts when the TUI quits with "Finish in background": the
# stopped reply stays as it was, and the agent is asked, in the open, to go on from there.
CONTINUE_PROMPT = ("(Chinwag was closed while you were answering, so your reply above was stopped. "
                   "Please continue it from where it stopped.)")
log = logging.getLogger("chinwag.worker")


def spawn_worker(db_path, turn_id: str) -> int:
    """Start a detached worker process that runs the turn; returns its pid."""
    with open(os.devnull, "wb") as devnull:
        process = subprocess.Popen(
            [sys.executable, "-m", WORKER_MODULE, "--db", str(db_path), turn_id],
            stdin=subprocess.DEVNULL, stdout=devnull, stderr=devnull, start_new_session=True, close_fds=True,
        )
    return process.pid


def claim(store, turn_id: str, pid: int) -> None:
    """Record `pid`, a dedicated worker, as the owner of a streaming turn."""
    with store.db.transaction():
        store.set_turn_owner(turn_id, pid)
        store.merge_turn_metadata(turn_id, {OWNER_KEY: WORKER})


def hand_to_worker(store, reply) -> int:
    """Run an open streaming turn in a background worker that owns it from now on."""
    pid = spawn_worker(store.path, reply.id)
    claim(store, reply.id, pid)
    return pid


def hand_over(store, session_id: str, queued: list[str], *, stopped: bool = True) -> int | None:
    """After the TUI settled a session's turn on its way out (`stopped`: cut short, not
    finished): open a new, visible turn (asking the agent to continue, else the first queued
    prompt), leave the other prompts for the worker, and start it. Returns the worker's pid;
    None when there was nothing to hand over."""
    prompts = ([CONTINUE_PROMPT] if stopped else []) + list(queued)
    if not prompts:
        return None
    with store.db.transaction(durable=True):
        _, reply = store.begin_exchange(session_id, prompts[0])
        if prompts[1:]:
            store.merge_session_metadata(session_id, {QUEUE_KEY: prompts[1:]})
        store.append_event(session_id, "session_change", {"handover": WORKER, "queued": len(prompts) - 1},
                           turn_id=reply.id)
    return hand_to_worker(store, reply)


def leave_unsent(store, session_id: str, queued: list[str]) -> None:
    """Keep prompts no process will send in the session, for the TUI to give back."""
    if queued:
        store.merge_session_metadata(session_id, {QUEUE_KEY: list(queued)})


def take_background_queue(store, session_id: str) -> list[str]:
    """The prompts a worker left unsent (it stopped, or a turn failed), taken out of the
    session for the TUI to put back in its prompt; none while a turn runs there (a worker
    between two of them takes the next one in the same transaction as it starts it)."""
    if not (store.get_session(session_id).metadata or {}).get(QUEUE_KEY):
        return []  # the usual answer, read without taking the write lock
    with store.db.transaction():
        queue = (store.get_session(session_id).metadata or {}).get(QUEUE_KEY) or []
        if not queue or store.running_turn(session_id) is not None:
            return []
        store.merge_session_metadata(session_id, {QUEUE_KEY: []})
    return [str(text) for text in queue]


def _next_queued(store, session_id: str):
    """Take the next queued prompt and open its exchange, owned by this worker, atomically."""
    with store.db.transaction(durable=True):
        queue = (store.get_session(session_id).metadata or {}).get(QUEUE_KEY) or []
        if not queue:
            return None
        store.merge_session_metadata(session_id, {QUEUE_KEY: queue[1:]})
        user, reply = store.begin_exchange(session_id, str(queue[0]))
        store.merge_turn_metadata(reply.id, {OWNER_KEY: WORKER})
    return user, reply


def _runs_worker(pid: int) -> bool:
    """Whether `pid` is a Chinwag worker, read from its command line where /proc has one
    (a pid the system gave to another program since is never signalled)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return WORKER_MODULE.encode() in handle.read()
    except FileNotFoundError:
        return not os.path.isdir("/proc/self")  # no /proc (macOS): the turn's record must do
    except OSError:
        return False


def request_stop(store, turn) -> bool:
    """Ask whoever runs `turn` to stop it. True when its owner, a dedicated worker, was also
    sent SIGTERM; a process hosting a UI (the TUI, `chinwag serve`) or a command
    (`session send`) is never signalled: its runner sees the request within a poll interval."""
    store.request_stop(turn.id)
    pid = turn.owner_pid
    if not pid or pid == os.getpid() or (turn.metadata or {}).get(OWNER_KEY) != WORKER or not _runs_worker(pid):
        return False
    try:
        os.kill(pid, signal.SIGTERM)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def run(db: str, turn_id: str) -> int:
    # `chinwag session ...` imports this module for hand_to_worker: the runner loads only here
    from chinwag.app.config.loader import load_config  # lazy: start-up
    from chinwag.app.core.runner import Runner  # lazy: start-up
    from chinwag.storage import Store  # lazy: start-up
    from chinwag.storage.errors import TurnLost  # lazy: start-up

    store = Store(db, recover=False)
    try:
        claim(store, turn_id, os.getpid())
        turn = store.get_turn(turn_id)
        if turn.status != "streaming":
            return 0
        try:
            config = load_config()
        except Exception as exc:  # a broken config must still settle the turn
            with contextlib.suppress(TurnLost):  # unless it was settled elsewhere meanwhile
                store.finish_turn(turn_id, "error", error=str(exc), owner_pid=os.getpid())
            return 1

        async def main() -> None:
            runner = Runner(store, config)
            loop = asyncio.get_running_loop()
            stopping = False

            def stop() -> None:
                nonlocal stopping
                stopping = True
                runner.cancel(turn.session_id)

            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, stop)
            settled = await runner.run_reply(turn)
            while settled.status == "complete" and not stopping:
                opened = _next_queued(store, turn.session_id)
                if opened is None:
                    break
                settled = await runner.run_reply(opened[1], user=opened[0])
            await runner.drain()
            from chinwag.app.agents.acp import pool as acp_pool  # lazy: start-up (the ACP SDK)

            await acp_pool.close_all()

        asyncio.run(main())
        return 0
    finally:
        store.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="chinwag-worker")
    parser.add_argument("--db", required=True)
    parser.add_argument("turn_id")
    args = parser.parse_args(argv)
    try:
        logging.basicConfig(filename=paths.private_log_file(), level=logging.INFO,
                            format="%(asctime)s worker %(process)d %(levelname)s %(message)s")
    except OSError:
        pass
    return run(args.db, args.turn_id)


if __name__ == "__main__":
    sys.exit(main())
