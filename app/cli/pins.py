"""`chinwag session pin ID [TURN] [--off]` and the undo of `session compact ID --undo`
(the contract in DESIGN.md). `pin` joins the `session` group (registered at the end of
`session.py`).

A pinned turn is sent to the model verbatim and never summarized; a pinned session sits at
the top of the session list. TURN is a turn id, a unique prefix of one, or `@N` (the Nth
prompt of the active path), as for `session edit`: bad text is a usage error (exit 2), a
turn that is not there is not found (exit 1); either way nothing changes.
"""

from __future__ import annotations

import click

from chinwag.app.cli import common
from chinwag.app.cli.base import db_option
from chinwag.app.cli.exit_codes import ExitCode
from chinwag.app.cli.session import session, session_id_argument, with_store
from chinwag.storage import Store
from chinwag.storage.enums import TurnRole

PINNABLE = (TurnRole.USER.value, TurnRole.AGENT.value)


@session.command("pin")
@db_option
@session_id_argument
@click.argument("turn", required=False)
@click.option("--off", is_flag=True, help="unpin instead")
@with_store
def cmd_pin(store: Store, *, session_id: str, turn: str | None, off: bool) -> int:
    """pin a turn (sent verbatim, never summarized), or without TURN the session (top of the list)

    TURN: a turn id, a unique prefix of one, or @N (the Nth prompt; @-1 the last)."""
    from chinwag.app.cli.tree import turn_arg  # lazy: only `pin TURN` reads a turn argument

    found = store.get_session(session_id)
    if turn is None:
        pinned = store.set_session_pinned(found.id, not off)
        common.out(f"{'unpinned' if off else 'pinned'} session {pinned.id}  {pinned.title}")
        return ExitCode.OK
    target = turn_arg(store, found.id, turn, roles=PINNABLE, what="a prompt or a reply")
    store.set_turn_pinned(target.id, not off)
    common.out(f"{'unpinned' if off else 'pinned'} turn {target.id}"
               + ("" if off else " (sent verbatim, never summarized)"))
    return ExitCode.OK


def undo_compaction(store: Store, session_id: str, *, window: int | None, instructions: tuple[str, ...]) -> int:
    """`session compact ID --undo`: the last compaction on the active branch taken back."""
    from chinwag.app.core.compaction import undo  # lazy: compaction loads on first use

    if window is not None or instructions:
        raise click.UsageError("--undo takes no --window and no instructions", click.get_current_context(silent=True))
    marker, revived = undo(store, session_id)
    what = "the /clear" if marker.role == TurnRole.SYSTEM else "the compaction"
    common.out(f"undid {what} {marker.id}: {revived} turn(s) are sent again (the summary is kept as history)")
    return ExitCode.OK
