"""Command palette entries (Ctrl+P) generated from the slash-command registry, so every
action has one source: `chinwag.app.core.commands`.
"""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from chinwag.app.core.commands import COMMANDS
from chinwag.app.tui.keys import bindings_in_effect, keys_for
from chinwag.widgets.key_names import key_label


class ChinwagCommands(Provider):
    def _entries(self):
        """(label, command, help): the help ends with the command's key, as bound now."""
        rows = bindings_in_effect(self.app.chat)
        for command in COMMANDS:
            keys = keys_for(rows, command.binding)
            help = command.description + (f"  ({', '.join(key_label(k) for k in keys)})" if keys else "")
            yield f"/{command.name}", command, help

    async def discover(self) -> Hits:
        for label, command, help in self._entries():
            yield DiscoveryHit(label, partial(self._run, command), help=help)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for label, command, help in self._entries():
            score = max(matcher.match(label), matcher.match(command.description) * 0.8)
            if score > 0:
                yield Hit(score, matcher.highlight(label), partial(self._run, command), help=help)

    def _run(self, command) -> None:
        chat = self.app.chat
        if command.takes_args:
            chat.prompt.text = f"/{command.name} "
            chat.prompt.focus_input()
        else:
            chat.run_slash(f"/{command.name}")
