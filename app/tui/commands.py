"""Slash commands in the TUI: parse the prompt's `/command args` and carry it out.

Each `/name` maps to a `slash_<name>` method. Unknown commands get a clear message with
the nearest matches; nothing is ever sent to the agent from here.
"""

from __future__ import annotations

import shlex
from pathlib import Path

from rich.table import Table
from rich.text import Text
from textual import work

from chinwag.app.core.commands import COMMANDS, nearest, parse_slash
from chinwag.app.errors import first_line
from chinwag.storage import files, tokens
from chinwag.widgets.info_screen import InfoScreen
from chinwag.widgets.text_safety import one_line, plain, safe_text


class SlashCommandsMixin:
    """Mixed into ChinwagApp (uses its store, runner, session, widgets)."""

    def run_slash(self, text: str) -> None:
        parsed = parse_slash(text)
        if parsed is None:
            return
        handler = getattr(self, f"slash_{parsed.name.replace('-', '_')}", None)
        known = {c.name for c in COMMANDS}
        if parsed.name not in known and self.is_agent_command(parsed.name):
            self.send_prompt(text.strip())  # the agent's own command: it gets the text as typed
            return
        if handler is None or parsed.name not in known:
            close = nearest(parsed.name)
            hint = f" — did you mean {', '.join('/' + n for n in close)}?" if close else " — /help lists them"
            self.notify(f"unknown command /{parsed.name}{hint}", severity="error", timeout=6)
            self.prompt.text = text
            return
        try:
            handler(parsed)
        except Exception as exc:  # a failing command never kills the app
            self.notify(first_line(exc), severity="error", timeout=8)

    # -- information ------------------------------------------------------------------------
    def slash_help(self, parsed) -> None:
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold")
        table.add_column()
        table.add_column(style="dim")
        for command in COMMANDS:
            table.add_row(Text(command.usage), Text(command.description), Text(command.binding or ""))
        self.push_screen(InfoScreen("Slash commands", table))

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
            ("turns", f"{s.turn_count:,}"),
            ("tokens", tokens.pair(s.input_tokens, s.output_tokens, self.store.token_usage([s.id])[s.id])),
            ("context", f"{tokens.count(self.store.context_size(s.id), tokens.ESTIMATED)} tokens (estimated)"),
            ("parent", s.parent_id or "-"), ("created", s.created_at), ("database", str(self.store.path)),
        ]
        for key, value in rows:
            table.add_row(key, plain(value))
        self.push_screen(InfoScreen("Status", table))

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
        self.push_screen(InfoScreen(f"Runs · {len(turns)} agent turns", table if turns else Text("no runs yet")))

    def slash_history(self, parsed) -> None:
        history = self.store.prompt_history(limit=50)
        body = Text()
        for i, item in enumerate(reversed(history), 1):
            first = one_line(first_line(item), 10_000)
            body.append(f"{i:>3}  ", style="dim")
            body.append(first[:100] + ("…" if len(first) > 100 or "\n" in item.strip() else "") + "\n")
        self.push_screen(InfoScreen("Prompt history (newest first; Up in the prompt recalls)", body or Text("empty")))

    def slash_transcript(self, parsed) -> None:
        from rich.markdown import Markdown

        document = safe_text(self.store.export_markdown(self.session.id))
        self.push_screen(InfoScreen(f"Transcript · {self.session.title}", Markdown(document)))

    # -- the running turn ---------------------------------------------------------------------
    def slash_cancel(self, parsed) -> None:
        if not self.cancel_current_turn():
            self.status.notice = "nothing is running"

    def slash_stop(self, parsed) -> None:
        sid = self.session.id
        dropped = len(self.queued.pop(sid, []))
        self.prompt.set_queued([])
        stopped = self.cancel_current_turn()
        self.close_agent(sid)
        self.status.notice = ("stopped" if stopped else "nothing was running") + (
            f" · {dropped} queued prompt(s) dropped" if dropped else "")

    def slash_detach(self, parsed) -> None:
        self.status.notice = "the turn keeps running in the background"
        self.action_focus_sidebar()

    def slash_quit(self, parsed) -> None:
        self.call_later(self.quit_app)

    # -- compaction and context ---------------------------------------------------------------
    def slash_compact(self, parsed) -> None:
        from chinwag.app.core.compaction import DEFAULT_WINDOW

        window = parsed.options.get("window", DEFAULT_WINDOW)
        try:
            window = int(window)
        except (TypeError, ValueError):
            raise ValueError(f"--window needs a number, not {window!r}")
        self.status.notice = "compacting…"
        self._compact(self.session.id, window, parsed.rest)

    @work(group="compact", exclusive=True)
    async def _compact(self, session_id: str, window: int, instructions: str) -> None:
        from chinwag.app.agents import agent_for_session
        from chinwag.app.core.compaction import compact

        try:
            session = self.store.get_session(session_id)
            agent = agent_for_session(session, self._config)
            result = await compact(self.store, agent, session_id, window=window, instructions=instructions)
        except Exception as exc:
            self.status.notice = ""
            self.notify(first_line(exc), title="compact", severity="error", timeout=8)
            return
        if self.session and self.session.id == session_id:
            self.open_session(session_id)
        self.status.notice = (
            f"compacted {result.summarized} turns (kept {result.kept}): "
            f"context {result.tokens_before:,} → {result.tokens_after:,} tokens"
        )

    def slash_clear(self, parsed) -> None:
        sid = self.session.id
        if self.store.running_turn(sid) is not None:
            raise ValueError("a turn is running; /cancel it first")
        ids = [t.id for t in self.store.context_turns(sid)]
        if not ids:
            self.status.notice = "the context is already empty"
            return
        with self.store.db.transaction():
            self.store.mark_compacted(ids)
            self.store.add_turn(sid, "system", f"Context cleared: {len(ids)} earlier turns are no longer sent to the model.")
        self.open_session(sid)

    # -- session settings ---------------------------------------------------------------------
    def slash_agent(self, parsed) -> None:
        from chinwag.app.agents.settings import new_session_choice

        name = parsed.rest.strip()
        if not name:
            self.status.notice = f"agent: {self.session.agent}"
            return
        choice = new_session_choice(self._config, self.session.workspace, agent=name)  # unknown: clear error
        self.store.update_session(self.session.id, agent=choice.agent, model=choice.model)
        self.update_status()
        self.prepare_agent(self.session)
        self.status.notice = f"agent set to {name} for the next turns"

    def slash_set(self, parsed) -> None:
        from chinwag.app.agents.settings import SESSION_KEYS, effective, parse_override, session_key

        key, _, raw = parsed.rest.strip().partition(" ")
        if not key:
            values = effective(self._config, session=self.session, probe=False)
            shown = [k for k in SESSION_KEYS if k != "system_prompt"]  # a prompt is too long for one line
            self.status.notice = "  ".join(f"{k}={values[k].value!r}" for k in shown if k in values)
            return
        overrides = dict(self.session.config or {})
        if raw.strip():
            overrides[key] = parse_override(key, raw)
        else:
            overrides.pop(session_key(key), None)
        self.store.update_session(self.session.id, config=overrides)
        self.update_status()
        self.status.notice = (f"{key} = {overrides[key]!r} for this session" if key in overrides
                              else f"{key}: back to the configured value")

    def slash_theme(self, parsed) -> None:
        name = parsed.rest.strip()
        names = sorted(self.available_themes)
        if not name:
            self.status.notice = f"theme: {self.theme} (available: {', '.join(names)})"
            return
        if name not in self.available_themes:
            raise ValueError(f"unknown theme {name!r} (available: {', '.join(names)})")
        self.theme = name
        self.status.notice = f'theme set to {name}; to keep it, put [ui] theme = "{name}" in config.toml'

    def slash_mode(self, parsed) -> None:
        from chinwag.app.config.schema import parse_mode

        mode = parse_mode(parsed.rest).value
        self.store.update_session(self.session.id, mode=mode)
        self.update_status()

    def slash_export(self, parsed) -> None:
        """`/export [md|json] [PATH] [--force]`: an existing PATH is replaced only with --force."""
        words = [w for w in parsed.argv if w != "--force"]
        force = len(words) < len(parsed.argv)
        fmt = words.pop(0).lower() if words and words[0].lower() in ("md", "json") else None
        if len(words) > 1 or any(w.startswith("--") for w in words):
            raise ValueError("usage: /export [md|json] [PATH] [--force]")
        if fmt is None:
            fmt = "json" if words and words[0].lower().endswith(".json") else "md"
        name = words[0] if words else f"chinwag-{self.session.id[:10].lower()}.{fmt}"
        target = Path.cwd() / Path(name).expanduser()
        text = self.store.export_json(self.session.id) if fmt == "json" else self.store.export_markdown(self.session.id)
        try:
            files.safe_write(target, text, force=force)
        except files.TargetExists:
            self.notify(f"{target} exists (left untouched); /export {fmt} {shlex.quote(str(target))} --force "
                        "replaces it", severity="warning", timeout=10)
            return
        self.notify(f"exported to {target}", timeout=6)

    # -- sessions (delegating to the session actions) -------------------------------------------
    def slash_new(self, parsed) -> None:
        self.action_new_session()

    def slash_sessions(self, parsed) -> None:
        self.action_focus_sidebar()

    def slash_switch(self, parsed) -> None:
        target = parsed.rest.strip()
        if not target:
            self.action_focus_sidebar()
            return
        self.open_session(self.resolve_session(target))

    def slash_rename(self, parsed) -> None:
        if parsed.rest.strip():
            self.store.rename_session(self.session.id, parsed.rest)
            self.after_session_change(self.session.id)
        else:
            self.ask_rename(self.session.id)

    def slash_fork(self, parsed) -> None:
        self.fork(self.session.id)

    def slash_archive(self, parsed) -> None:
        self.toggle_archive(self.session.id, archive=True)

    def slash_restore(self, parsed) -> None:
        self.toggle_archive(self.session.id, archive=False)

    def slash_delete(self, parsed) -> None:
        self.ask_delete(self.session.id)
