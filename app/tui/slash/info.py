"""Slash commands that show: /help, /status, /runs, /history, /transcript."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Group
from rich.table import Table
from rich.text import Text

from chinwag.app.core.commands import COMMANDS
from chinwag.app.errors import first_line
from chinwag.app.lazy import LazyModule
from chinwag.app.tui.guard import push_modal
from chinwag.app.tui.keys import AREA_TITLES, AREAS, bindings_in_effect, keys_for
from chinwag.storage import tokens
from chinwag.widgets.key_names import key_label
from chinwag.widgets.text_safety import one_line, plain, safe_text

if TYPE_CHECKING:
    from chinwag.app.core import branching
    from chinwag.widgets import info_screen
else:  # the command's own modules load when it first runs, not with the app
    branching = LazyModule("chinwag.app.core.branching")
    info_screen = LazyModule("chinwag.widgets.info_screen")


class InfoCommands:
    """Mixed into ChatScreen."""

    # -- information ------------------------------------------------------------------------
    def action_help(self) -> None:
        self.slash_help(None)

    def slash_help(self, parsed) -> None:
        """Every slash command (the registry) and every key in effect (read from the app)."""

        rows = bindings_in_effect(self)
        commands = Table.grid(padding=(0, 2))
        commands.add_column(style="bold")
        commands.add_column()
        commands.add_column(style="dim")
        for command in COMMANDS:
            keys = ", ".join(key_label(k) for k in keys_for(rows, command.binding))
            commands.add_row(Text(command.usage), Text(command.description), Text(keys))
        parts: list = [Text("Slash commands", style="bold"), commands]
        for area in AREAS:
            keys_table = Table.grid(padding=(0, 2))
            keys_table.add_column(style="bold", min_width=14)
            keys_table.add_column()
            for row in (r for r in rows if r.area == area):
                keys_table.add_row(Text(row.labels), Text(row.description or row.action, style="" if
                                                          row.description else "dim"))
            parts += [Text(""), Text(f"Keys · {AREA_TITLES[area].lower()}", style="bold"), keys_table]
        push_modal(self, info_screen.InfoScreen("Commands and keys", Group(*parts)))

    def slash_status(self, parsed) -> None:
        s = self.store.get_session(self.session.id)
        running = self.store.running_turn(s.id)
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold")
        table.add_column()
        rows = [
            ("session", s.id), ("title", s.title), ("kind", s.kind), ("workspace", s.workspace or "-"),
            ("agent", s.agent), ("model", s.model or "(agent default)"), ("mode", s.mode),
            ("state", "busy" if running else s.state),
            ("running turn", running.id if running else "-"),
            ("turns", branching.turns_line(s.turn_count, self.store.tree_counts([s.id]).get(s.id))),
            ("tokens", tokens.pair(s.input_tokens, s.output_tokens, self.store.token_usage([s.id])[s.id])),
            ("context", f"{tokens.count(self.store.context_size(s.id), tokens.ESTIMATED)} tokens (estimated)"),
            ("parent", s.parent_id or "-"), ("created", s.created_at), ("database", str(self.store.path)),
        ]
        for key, value in rows:
            table.add_row(key, plain(value))
        push_modal(self, info_screen.InfoScreen("Status", table))

    def slash_runs(self, parsed) -> None:
        turns = [t for t in self.store.list_turns(self.session.id, limit=200) if t.role == "agent"]
        table = Table(box=None, padding=(0, 1), header_style="bold")
        for column in ("#", "turn", "status", "model", "⇡ in", "⇣ out", "time"):
            table.add_column(column, justify="right" if column in ("#", "⇡ in", "⇣ out", "time") else "left")
        for t in turns:
            usage = tokens.turn_usage(t)
            duration = f"{t.duration_s:.1f}s" if t.duration_s is not None else "…"
            table.add_row(str(t.seq), t.id[:12], plain(t.status), plain(one_line(t.model or t.agent, 60)),
                          tokens.count(t.input_tokens, usage),
                          tokens.count(t.output_tokens, usage), duration)
        push_modal(self, info_screen.InfoScreen(f"Runs · {len(turns)} agent turns", table if turns else Text("no runs yet")))

    def slash_history(self, parsed) -> None:
        history = self.store.prompt_history(limit=50)
        body = Text()
        for i, item in enumerate(reversed(history), 1):
            first = one_line(first_line(item), 10_000)
            body.append(f"{i:>3}  ", style="dim")
            body.append(first[:100] + ("…" if len(first) > 100 or "\n" in item.strip() else "") + "\n")
        push_modal(self, info_screen.InfoScreen("Prompt history (newest first; Up in the prompt recalls)", body or Text("empty")))

    def slash_transcript(self, parsed) -> None:
        from rich.markdown import Markdown  # lazy: markdown-it (~30 ms) loads after the first paint

        document = safe_text(self.store.export_markdown(self.session.id))
        push_modal(self, info_screen.InfoScreen(f"Transcript · {self.session.title}", Markdown(document)))
