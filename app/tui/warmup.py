"""Modules the first paint does not need but the first reply will, imported after it.

An empty or fresh session paints without Markdown (markdown-it and rich.markdown: ~30 ms
of imports); the first reply, or opening a session with turns, needs it. Importing it in a
daemon thread once the first frame is out keeps it off the start-up path and, mostly, off
the UI loop (the import lock makes a render that needs it first simply wait for it).
"""

from __future__ import annotations

import importlib
import threading

MODULES = ("chinwag.widgets.fast_markdown",)


def start() -> threading.Thread:
    """Import `MODULES` in a daemon thread; returns it (tests join it)."""
    thread = threading.Thread(target=_import_all, name="chinwag-warmup", daemon=True)
    thread.start()
    return thread


def _import_all() -> None:
    for name in MODULES:
        try:
            importlib.import_module(name)
        except Exception:  # a warm-up is an optimisation: the render imports it again and reports
            pass
