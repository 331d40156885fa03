"""`chinwag session stop|wait|attach`: the commands that act on or follow a session's running
turn, wherever it runs (a TUI, `session send`, a detached worker). They join the `session`
group (registered at the end of `session.py`).
"""

from __future__ import annotations

import sys
import time

import click

from chinwag.app.cli import common, exit_codes
from chinwag.app.cli.base import db_option
from chinwag.app.cli.exit_codes import ExitCode
from chinwag.app.cli.session import json_option, session, session_id_argument, with_store
from chinwag.app.core.worker import request_stop
from chinwag.storage import Store
from chinwag.storage.models import Turn


@session.command("stop")
@db_option
@session_id_argument
@with_store
def cmd_stop(store: Store, *, session_id: str) -> int:
    """stop a session's running turn, wherever it runs"""
    found = store.get_session(session_id)
    turn = store.running_turn(found.id)
    if turn is None:
        common.out(f"session {found.id} has no running turn")
        return ExitCode.OK
    request_stop(store, turn)  # signals a dedicated worker only: a TUI or `session send` settles it itself
    settled = _wait_settled(store, turn.id, timeout=5.0)
    if settled.status == "streaming":
        store.recover_interrupted()
        settled = store.get_turn(turn.id)
    if settled.status == "streaming":
        common.out(f"stop requested for turn {turn.id}; its process (pid {turn.owner_pid}) has not settled it yet")
        return ExitCode.OK
    common.out(f"stopped turn {turn.id} ({settled.status}, {len(settled.text):,} characters kept)")
    return ExitCode.OK


def _wait_settled(store: Store, turn_id: str, timeout: float) -> Turn:
    deadline = time.monotonic() + timeout
    turn = store.get_turn(turn_id)
    while turn.status == "streaming" and time.monotonic() < deadline:
        time.sleep(0.05)
        turn = store.get_turn(turn_id)
    return turn


@session.command("wait")
@db_option
@session_id_argument
@json_option
@with_store
def cmd_wait(store: Store, *, session_id: str, as_json: bool) -> int:
    """wait until the session's running turn settles; exit with its status

    0 complete, 4 error, 5 interrupted, 130 stopped; 3: no such session. With nothing
    running it returns at once, with the status of the last reply."""
    from chinwag.storage.errors import NotFound  # lazy: only `wait` on an unknown id

    try:
        found = store.get_session(session_id)
    except NotFound as exc:
        print(f"chinwag: {exc}", file=sys.stderr)
        return ExitCode.NOT_FOUND
    turn = _wait_for_reply(store, found.id)
    if turn is None:
        if as_json:
            common.print_json({"session_id": found.id, "turn_id": None, "status": None, "error": None})
        else:
            common.out(f"session {found.id} has no replies yet")
        return ExitCode.OK
    if as_json:
        common.print_json({"session_id": found.id, "turn_id": turn.id, "status": turn.status, "error": turn.error})
    else:
        common.out(f"turn {turn.id} {turn.status}" + (f": {turn.error}" if turn.error else ""))
    return exit_codes.for_turn(turn.status)


WAIT_POLL = 0.1  # seconds between looks at the database (`PRAGMA data_version`: cheap)
LIVENESS = 1.0  # seconds between checks that the turn's process still runs


def _wait_for_reply(store: Store, session_id: str) -> Turn | None:
    """The session's running turn once it settled, else its last reply (None: it has none)."""
    turn = store.running_turn(session_id)
    if turn is None:
        replies = [t for t in store.list_turns(session_id, limit=20) if t.role == "agent"]
        return replies[-1] if replies else None
    version = store.data_version()
    next_liveness = time.monotonic() + LIVENESS
    while turn.status == "streaming":
        time.sleep(WAIT_POLL)
        if time.monotonic() > next_liveness:  # a process that died never settles its turn
            next_liveness = time.monotonic() + LIVENESS
            if not store.readonly:
                store.recover_interrupted()
                version = None  # this connection's own write does not move data_version
        current = store.data_version()
        if current != version:
            version = current
            turn = store.get_turn(turn.id)
    return turn


@session.command("attach")
@db_option
@session_id_argument
@click.option("--plain", is_flag=True, help="print to stdout instead of opening the TUI")
@with_store
def cmd_attach(store: Store, *, session_id: str, plain: bool) -> int:
    """follow a session live (its running turn, or its last reply)"""
    found = store.get_session(session_id)
    if not plain and sys.stdout.isatty() and sys.stdin.isatty():
        from chinwag.app.cli.misc import launch_tui  # lazy: only `resume` starts the TUI

        return launch_tui(store.path, session_id=found.id)
    from chinwag.app.cli.follow import follow  # lazy: only `attach` follows

    return follow(store, found, common.out)
