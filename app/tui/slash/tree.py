"""Slash commands about the conversation tree: /rewind [--undo], /branches (the screens and
what they do are `app/tui/rewind.py`'s)."""

from __future__ import annotations


class TreeCommands:
    """Mixed into ChatScreen (with RewindMixin)."""

    def slash_rewind(self, parsed) -> None:
        if set(parsed.options) - {"undo"} or parsed.rest:
            raise ValueError("usage: /rewind (pick a prompt to go back to before) or /rewind --undo")
        if "undo" in parsed.options:
            self.undo_rewind()
        else:
            self.open_rewind()

    def slash_branches(self, parsed) -> None:
        if parsed.args:
            raise ValueError("/branches takes no arguments")
        self.open_branches()
