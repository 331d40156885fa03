"""The `chinwag` command's exit statuses (DESIGN.md's contract): the one place they are defined.

`chinwag session wait ID` exits with the status of the turn it waited for: complete 0, error
TURN_ERROR, interrupted (the process running it died) INTERRUPTED, stopped STOPPED; an
unknown session is NOT_FOUND.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    ERROR = 1  # a failure the user can act on, told in one stderr line
    USAGE = 2  # bad arguments: one line naming the `--help` to read
    NOT_FOUND = 3  # `session wait`: no session has that id
    TURN_ERROR = 4  # `session wait`: the turn ended in an error
    INTERRUPTED = 5  # `session wait`: the process running the turn stopped unexpectedly
    STOPPED = 130  # a turn was stopped or interrupted, or Ctrl+C (128 + SIGINT)


TURN_STATUS = {"complete": ExitCode.OK, "error": ExitCode.TURN_ERROR, "interrupted": ExitCode.INTERRUPTED,
               "stopped": ExitCode.STOPPED}


def for_turn(status: str) -> ExitCode:
    """The exit status that says how a settled turn ended."""
    return TURN_STATUS.get(status, ExitCode.ERROR)
