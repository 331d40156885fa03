"""The session state machine (from the seeds): the one place transitions are checked.

    init -> ready | error
    ready -> busy | idle | error
    busy -> ready | error
    idle -> ready | error
    error -> init | ready
"""

from __future__ import annotations

from chinwag.storage.enums import SessionState as S
from chinwag.storage.errors import InvalidTransition

TRANSITIONS: dict[str, frozenset[str]] = {
    S.INIT: frozenset({S.READY, S.ERROR}),
    S.READY: frozenset({S.BUSY, S.IDLE, S.ERROR}),
    S.BUSY: frozenset({S.READY, S.ERROR}),
    S.IDLE: frozenset({S.READY, S.ERROR}),
    S.ERROR: frozenset({S.INIT, S.READY}),
}


def can_transition(current: str, new: str) -> bool:
    return new in TRANSITIONS.get(current, frozenset())


def check_transition(current: str, new: str) -> None:
    """Raise InvalidTransition unless `current -> new` is allowed."""
    if not can_transition(current, new):
        raise InvalidTransition(f"invalid state transition {current} -> {new}")


def path_to(current: str, target: str) -> list[str]:
    """Shortest list of states leading from `current` to `target` (excluding `current`)."""
    if current == target:
        return []
    frontier = [[current]]
    seen = {current}
    while frontier:
        path = frontier.pop(0)
        for nxt in sorted(TRANSITIONS.get(path[-1], ())):
            if nxt in seen:
                continue
            if nxt == target:
                return path[1:] + [nxt]
            seen.add(nxt)
            frontier.append(path + [nxt])
    raise InvalidTransition(f"no path from state {current} to {target}")
