"""The keys in effect, read from the live app: the bindings of the app, the chat screen and
every widget on it, with the `[keys]` rebinds applied (Textual's keymap). /help lists them,
slash commands show their key from them, and tests/test_readme_keys.py compares the README's
key tables with them, so no list of keys is written by hand.

A binding is listed when a Chinwag class declares it (Textual's own editing and scrolling
keys of the inputs are left out) or the App holds it (Ctrl+P, the command palette). Each is
filed under the area it works in: the widget it belongs to, else "global".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from textual.app import App
from textual.binding import Binding
from textual.dom import DOMNode
from textual.screen import Screen

from chinwag.widgets.key_names import key_label
from chinwag.widgets.prompt import Prompt
from chinwag.widgets.sidebar import Sidebar
from chinwag.widgets.transcript import Transcript

AREAS = ("global", "prompt", "transcript", "sidebar")
AREA_TITLES = {"global": "Everywhere", "prompt": "In the prompt", "transcript": "In the transcript",
               "sidebar": "In the sidebar"}
_AREA_OF = ((Prompt, "prompt"), (Transcript, "transcript"), (Sidebar, "sidebar"))


@dataclass(frozen=True)
class KeyRow:
    """One row of the keys table (/help): where a key acts, its keys and what it does."""

    area: str
    keys: tuple[str, ...]  # Textual key names, e.g. ("ctrl+j", "shift+enter")
    description: str
    action: str
    binding_id: str | None = None

    @property
    def labels(self) -> str:
        return ", ".join(key_label(key) for key in self.keys)


def _area(node: DOMNode) -> str:
    for ancestor in (node, *node.ancestors):
        for cls, area in _AREA_OF:
            if isinstance(ancestor, cls):
                return area
    return "global"


def _declared(node: DOMNode) -> list[str]:
    """The actions of the bindings Chinwag's own classes declare for this node, in order."""
    actions: list[str] = []
    for cls in reversed(type(node).__mro__):
        if not cls.__module__.startswith("chinwag."):
            continue
        for binding in cls.__dict__.get("BINDINGS", ()):
            action = binding.action if isinstance(binding, Binding) else binding[1]
            if action not in actions:
                actions.append(action)
    return actions


def _effective(node: DOMNode, keymap: dict[str, str]) -> Iterable[Binding]:
    bindings = node._bindings.copy()
    if keymap:
        bindings.apply_keymap(keymap)
    for key_bindings in bindings.key_to_bindings.values():
        yield from key_bindings


def bindings_in_effect(screen: Screen) -> list[KeyRow]:
    """Every listed binding of `screen`, its widgets and the app, one row per action (its
    keys together), in area order, then in the order they are declared."""
    app: App = screen.app
    keymap = getattr(app, "_keymap", {}) or {}
    rows: dict[tuple[str, str, str], list] = {}
    for position, node in enumerate((screen, *screen.walk_children(with_self=False), app)):
        declared = _declared(node)
        for binding in _effective(node, keymap):
            if binding.system or not (binding.action in declared or node is app):
                continue
            order = (position, declared.index(binding.action) if binding.action in declared else len(declared))
            slot = rows.setdefault((_area(node), binding.action, binding.description), [[], binding.id, order])
            if binding.key not in slot[0]:
                slot[0].append(binding.key)
    ordered = sorted(rows.items(), key=lambda item: (AREAS.index(item[0][0]), item[1][2]))
    return [KeyRow(area, tuple(keys), description, action, binding_id)
            for (area, action, description), (keys, binding_id, _) in ordered]


def keys_for(rows: Iterable[KeyRow], binding_id: str | None) -> tuple[str, ...]:
    """The keys of the binding with this id (after rebinds); () when there is none."""
    if not binding_id:
        return ()
    return next((row.keys for row in rows if row.binding_id == binding_id), ())
