"""A plain, scriptable live view: print a session's last reply, following it while it
streams (in this or another process) by polling the database cheaply.
"""

from __future__ import annotations

import sys
import time

from chinwag.app.cli.common import terminal_safe
from chinwag.app.cli.exit_codes import ExitCode
from chinwag.storage import Store
from chinwag.storage.models import Session

POLL_SECONDS = 0.05


def follow(store: Store, session: Session, out, *, timeout: float | None = None) -> int:
    turns = store.list_turns(session.id, limit=2)
    if not turns:
        out(f"session {session.id} has no turns yet")
        return ExitCode.OK
    last = turns[-1]
    if last.role == "agent" and len(turns) == 2 and turns[0].role == "user":
        out(f"▸ you: {turns[0].text}")
    if last.role != "agent":
        out(f"▸ you: {last.text}")
        return ExitCode.OK
    printed = 0
    version = None
    deadline = None if timeout is None else time.monotonic() + timeout
    next_liveness = time.monotonic() + 1.0
    while True:
        if time.monotonic() > next_liveness:  # a writer that died never settles its turn
            next_liveness = time.monotonic() + 1.0
            if not store.readonly:
                store.recover_interrupted()
                version = None
        current = store.data_version()
        if current != version:
            version = current
            last = store.get_turn(last.id)
            if len(last.text) > printed:
                sys.stdout.write(terminal_safe(last.text[printed:]))
                sys.stdout.flush()
                printed = len(last.text)
            if last.status != "streaming":
                break
        if deadline is not None and time.monotonic() > deadline:
            break
        time.sleep(POLL_SECONDS)
    sys.stdout.write("\n")
    if last.status != "complete":
        out(f"[{last.status}]" + (f" {last.error}" if last.error else ""))
    return ExitCode.OK
