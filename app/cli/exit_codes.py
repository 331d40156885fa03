"""The `chinwag` command's exit statuses (DESIGN.md's contract): the one place they are defined."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    ERROR = 1  # a failure the user can act on, told in one stderr line
    USAGE = 2  # bad arguments: one line naming the `--help` to read
    STOPPED = 130  # a turn was stopped or interrupted, or Ctrl+C (128 + SIGINT)
