"""Which binding ids `[keys]` in config.toml may rebind, and the one line that names the
ones it may not. The ids are read from the app's own classes (every `Binding` with an id on
the App, its screens and its widgets), so the list never falls out of step with the keys.
The TUI shows the line as a notice at start-up; `chinwag doctor` and `config show` print it.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping
from pathlib import Path

from textual.binding import Binding
from textual.dom import DOMNode


def _subclasses(cls: type) -> Iterator[type]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def binding_ids() -> list[str]:
    """Every id a `[keys]` entry may name, sorted."""
    import chinwag.app.tui.app  # noqa: F401  # lazy: cycle (app.py imports this); it loads every screen and widget

    ids = set()
    for cls in _subclasses(DOMNode):
        if not cls.__module__.startswith("chinwag."):
            continue
        for binding in cls.__dict__.get("BINDINGS", ()):
            if isinstance(binding, Binding) and binding.id:
                ids.add(binding.id)
    return sorted(ids)


def keymap_problem(keys: Mapping[str, str], path: Path | None = None) -> str | None:
    """One line naming the `[keys]` entries that match no binding id, with the valid ids;
    None when every entry is known."""
    valid = binding_ids()
    unknown = [name for name in keys if name not in valid]
    if not unknown:
        return None
    where = f"{path}: " if path else ""
    names = ", ".join(repr(name) for name in unknown)
    # the ids closest to a misspelt one first: a notice cut to the screen's width still shows them
    close = [match for name in unknown for match in difflib.get_close_matches(name, valid, n=3)]
    ordered = list(dict.fromkeys(close)) + [name for name in valid if name not in close]
    return (f"{where}[keys] unknown binding id{'s' if len(unknown) > 1 else ''} {names}, ignored "
            f"(valid: {', '.join(ordered)})")
