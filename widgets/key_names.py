"""Key names as people write them: Textual's `ctrl+j` is shown `Ctrl+J`, `escape` `Esc`,
`slash` `/`. `key_label` and its inverse `key_name` are the one mapping the placeholder,
/help and the README's key tables (tests/test_readme_keys.py) share.
"""

from __future__ import annotations

_LABELS = {
    "escape": "Esc", "enter": "Enter", "tab": "Tab", "space": "Space", "backspace": "Backspace",
    "delete": "Del", "insert": "Ins", "pageup": "PgUp", "pagedown": "PgDn", "home": "Home", "end": "End",
    "up": "Up", "down": "Down", "left": "Left", "right": "Right", "slash": "/", "question_mark": "?",
    "left_square_bracket": "[", "right_square_bracket": "]",
    "left_curly_bracket": "{", "right_curly_bracket": "}",
    "ctrl": "Ctrl", "shift": "Shift", "alt": "Alt", "super": "Super", "meta": "Meta", "hyper": "Hyper",
    "asterisk": "*",
}
_NAMES = {label.lower(): name for name, label in _LABELS.items()} | {"esc": "escape", "del": "delete"}


def key_label(key: str) -> str:
    """`ctrl+shift+y` -> `Ctrl+Shift+Y`; a plain letter stays as typed (`k`)."""
    parts = key.split("+")
    out = [_LABELS.get(part, part.capitalize()) for part in parts[:-1]]
    last = parts[-1]
    if last in _LABELS:
        out.append(_LABELS[last])
    elif len(last) == 1:
        out.append(last.upper() if len(parts) > 1 else last)
    elif last[:1] == "f" and last[1:].isdigit():
        out.append(last.upper())
    else:
        out.append(last.capitalize())
    return "+".join(out)


def key_name(label: str) -> str:
    """The inverse of `key_label`: `Ctrl+J` -> `ctrl+j`, `Esc` -> `escape`, `/` -> `slash`; a
    lone letter keeps its case (`G` is Shift+G, not `g`)."""
    if len(label.strip()) == 1 and label.strip().isalpha():
        return label.strip()
    parts = label.strip().split("+") if label.strip() != "+" else ["plus"]
    return "+".join(_NAMES.get(part.lower(), part.lower()) for part in parts)
