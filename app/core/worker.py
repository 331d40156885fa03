"""The detached worker: a background process that runs one already-opened turn.

Started by `chinwag session start|send --detach` (and `/detach`) as
`python -m chinwag.app.core.worker --db PATH TURN_ID`. It claims the turn (owner pid),
streams it into the database, and stops cleanly on SIGTERM/SIGINT or a stop request.
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


def spawn_worker(db_path, turn_id: str) -> int:
    """Start a detached worker process that runs the turn; returns its pid."""
    with open(os.devnull, "wb") as devnull:
        process = subprocess.Popen(
            [sys.executable, "-m", "chinwag.app.core.worker", "--db", str(db_path), turn_id],
            stdin=subprocess.DEVNULL, stdout=devnull, stderr=devnull, start_new_session=True, close_fds=True,
        )
    return process.pid


def hand_to_worker(store, reply) -> int:
    """Run an open streaming turn in a background worker that owns it from now on."""
    pid = spawn_worker(store.path, reply.id)
    store.set_turn_owner(reply.id, pid)
    return pid


def run(db: str, turn_id: str) -> int:
    # `chinwag session ...` imports this module for hand_to_worker: the runner loads only here
    from chinwag.app.config.loader import load_config  # lazy: start-up
    from chinwag.app.core.runner import Runner  # lazy: start-up
    from chinwag.storage import Store  # lazy: start-up
    from chinwag.storage.errors import TurnLost  # lazy: start-up

    store = Store(db, recover=False)
    try:
        store.set_turn_owner(turn_id, os.getpid())
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
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, lambda: runner.cancel(turn.session_id))
            await runner.run_reply(turn)
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
