"""Modules the first paint does not need but the first turn will, imported after it.

An empty or fresh session paints without Markdown (markdown-it and rich.markdown: ~30 ms
of imports); the first reply, or opening a session with turns, needs it. Importing it in a
daemon thread once the first frame is out keeps it off the start-up path and, mostly, off
the UI loop (the import lock makes a render that needs it first simply wait for it). The
thread waits IMPORT_AFTER first: Textual draws the first screen up to twice more as its
mounts settle (~40 ms), and an import running beside those frames holds the interpreter
(~10 ms later each). A prompt sent before the runner is imported (typed ahead of the first
paint) imports it on the UI loop: a one-time pause of ~35-65 ms.

Code blocks cost more the first time: Pygments compiles a language's patterns on its first
use (~45 ms for Python, on top of ~70 ms of imports), which would land on the first frame
that shows a code block (a jump, a reply). The thread highlights a line of the common ones,
PRIME_AFTER seconds later: right after the first frame it would hold the interpreter while
the start-up's own later frames (the sidebar's count) are drawn.
"""

from __future__ import annotations

import importlib
import threading
import time

# the first reply's Markdown; the runner (its events, the agents' streams, pricing: ~20 ms), which
# the first Enter makes (app/tui/app.py)
MODULES = ("chinwag.widgets.fast_markdown", "chinwag.app.core.runner")
LEXERS = ("python", "bash", "json")  # the languages whose patterns are compiled ahead
IMPORT_AFTER = 0.1  # seconds after the first frame (its redraws are out; a first Enter rarely is)
PRIME_AFTER = 2.0  # seconds after the imports


def start() -> threading.Thread:
    """Import `MODULES` in a daemon thread; returns it (tests join it)."""
    thread = threading.Thread(target=_import_all, name="chinwag-warmup", daemon=True)
    thread.start()
    return thread


def _import_all() -> None:
    time.sleep(IMPORT_AFTER)
    for name in MODULES:
        try:
            importlib.import_module(name)
        except Exception:  # a warm-up is an optimisation: the render imports it again and reports
            pass
    time.sleep(PRIME_AFTER)
    try:
        from rich.syntax import Syntax  # lazy: the point of the thread is to load it off the start-up path

        for lexer in LEXERS:
            Syntax("x = 1", lexer).highlight("x = 1\n")
    except Exception:
        pass
