"""When the cyclic garbage collector runs in the TUI process.

Start-up (imports, compose, the first paint) allocates a few hundred thousand objects that
live as long as the app: collecting while they are made only costs time (about 50 ms of a
~0.5 s start, measured with `gc.callbacks`). So collection is held from just before the TUI
is imported until its first paint; then everything alive is frozen out of future full
collections (`gc.freeze`) and collection resumes. The app freezes again after each turn and
every few seconds while streaming (see `tui_app`), for the same reason.
"""

from __future__ import annotations

import gc

_held = False


def hold() -> None:
    """Pause collection (idempotent); `release` undoes it."""
    global _held
    if gc.isenabled():
        gc.disable()
        _held = True


def release(freeze: bool = True) -> None:
    """Resume collection if `hold` paused it, freezing what exists first (if `freeze`)."""
    global _held
    if freeze:
        gc.freeze()
    if _held:
        _held = False
        gc.enable()
