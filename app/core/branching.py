"""Branching from the transcript, with no Textual in it: what `e` (edit a prompt), `r`
(regenerate a reply) and `[` / `]` (another version of a block) act on, and the path a
switch to another version shows. The TUI glue (app/tui/tree.py) turns these answers into a
turn to run or a transcript to re-render; tests call them directly.

Each answer is a target, or `Refused` with the one line to show (nothing changes then).
"""

from __future__ import annotations

from dataclasses import dataclass

from chinwag.storage import Store
from chinwag.storage.enums import TurnRole
from chinwag.storage.models import Turn

BUSY = "a turn is running in this session: wait for it to end (Esc cancels it), then try again"


@dataclass(frozen=True)
class Refused:
    """Nothing to do: `notice` says why, in one line."""

    notice: str


@dataclass(frozen=True)
class EditTarget:
    """An edit of the prompt `turn`: the new prompt follows `parent` (a sibling of it)."""

    turn: Turn
    parent: str | None
    number: int  # its @N: the Nth prompt of the path


@dataclass(frozen=True)
class Switch:
    """Another version of a block: `turn` (a sibling of the one shown) and `tip`, the
    newest turn under it, which is the head now (the controller pages the path between)."""

    turn: Turn
    tip: str


def edit_target(store: Store, session_id: str, turn_id: str) -> EditTarget | Refused:
    turn = store.get_turn(turn_id)
    if turn.role != TurnRole.USER:
        return Refused("e edits a prompt: select one of your prompts (r regenerates a reply)")
    return EditTarget(turn, turn.parent_id, store.prompt_number(session_id, turn.id))


def regenerate_parent(store: Store, turn_id: str) -> str | Refused:
    """The prompt a new reply answers: the reply's parent (a prompt: its own id)."""
    turn = store.get_turn(turn_id)
    if turn.role == TurnRole.USER:
        return turn.id
    if turn.role != TurnRole.AGENT:
        return Refused("r regenerates a reply: select an agent block (e edits a prompt)")
    if turn.parent_id is None:
        return Refused("this reply follows no prompt: there is nothing to answer again")
    return turn.parent_id


def switch_sibling(store: Store, session_id: str, turn_id: str, step: int) -> Switch | Refused:
    """Make the previous (`step` -1) or next (1) sibling of `turn_id` active: the head moves
    to the newest turn under it (as `session checkout` does)."""
    turn = store.get_turn(turn_id)
    siblings = store.children(session_id, turn.parent_id)
    if len(siblings) < 2:
        return Refused("this block has no other version (e edits a prompt, r regenerates a reply)")
    position = next(n for n, s in enumerate(siblings) if s.id == turn.id) + step
    if not 0 <= position < len(siblings):
        which = "first" if step < 0 else "last"
        return Refused(f"this is the {which} of {len(siblings)} versions of this block")
    target = siblings[position]
    return Switch(target, store.checkout(session_id, target.id))


def turns_line(turn_count: int, tree: tuple[int, int] | None) -> str:
    """How many turns a session has, as people read it: those of the active branch (the
    conversation they see), and the whole tree's when it has more (`tree`: `tree_counts`)."""
    if tree is None:
        return f"{turn_count:,}"
    turns, branches = tree
    more = f" · {branches} branches" if branches > 1 else ""
    return f"{turns:,} on the active branch · {turn_count:,} in all{more}"
