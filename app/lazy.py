"""A module imported when it is first used, for the front ends' features that start-up does
not need (find, the outline, branching, terminal notices): their code loads with the first
key that uses them instead of with the app.

    if TYPE_CHECKING:
        from chinwag.app.core import branching
    else:
        branching = LazyModule("chinwag.app.core.branching")

The code then reads `branching.edit_target(...)` as with a plain import; the import under
TYPE_CHECKING keeps the type checker and the layer contracts (import-linter) seeing the
dependency. Written here rather than with `importlib.util.LazyLoader`, whose module object
is not safe to touch from two threads at once on Python 3.11 (the find searches in a thread).
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any


class LazyModule:
    """Stands for the module `name` and imports it at the first attribute read."""

    __slots__ = ("_module", "_name")

    def __init__(self, name: str) -> None:
        self._name = name
        self._module: ModuleType | None = None

    def __getattr__(self, attribute: str) -> Any:
        module = self._module
        if module is None:  # two threads may both import: the import system's lock gives them one module
            module = self._module = importlib.import_module(self._name)
        return getattr(module, attribute)

    def __repr__(self) -> str:
        state = "loaded" if self._module is not None else "not loaded yet"
        return f"<lazy module {self._name!r} ({state})>"
