"""Slash commands that change how the next turns run: /agent, /set, /theme, /mode.
(/model lives with the model lists in `chinwag.app.tui.models`.)"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.table import Table

from chinwag.app.agents import list_agents
from chinwag.app.agents.settings import SESSION_KEYS, effective, new_session_choice, parse_override, session_key
from chinwag.app.config.schema import MODES, parse_mode
from chinwag.app.lazy import LazyModule
from chinwag.app.tui.guard import push_modal
from chinwag.widgets.text_safety import plain

if TYPE_CHECKING:
    from chinwag.widgets import info_screen
else:  # the command's own modules load when it first runs, not with the app
    info_screen = LazyModule("chinwag.widgets.info_screen")


class SettingsCommands:
    """Mixed into ChatScreen."""

    # -- session settings ---------------------------------------------------------------------
    def slash_agent(self, parsed) -> None:
        name = parsed.rest.strip()
        if not name:
            self._show_agents()
            return
        choice = new_session_choice(self._config, self.session.workspace, agent=name)  # unknown: clear error
        self.store.update_session(self.session.id, agent=choice.agent, model=choice.model)
        self.update_status()
        self.prepare_agent(self.session)
        self.status.notice = f"agent set to {name} for the next turns"

    def _show_agents(self) -> None:
        """/agent alone: every agent, the current one marked."""


        current = self.session.agent
        table = Table(box=None, padding=(0, 1), header_style="bold")
        for column in ("", "agent", "kind", "model", ""):
            table.add_column(column)
        for info in list_agents(self._config):
            mark = "●" if info.name == current else ""
            note = "current" if info.name == current else ("" if info.available else info.detail or "not available")
            table.add_row(mark, plain(info.name, limit=40), plain(info.kind), plain(info.model, limit=60),
                          plain(note, limit=80, style="dim"))
        push_modal(self, info_screen.InfoScreen(f"Agents · current: {current} · /agent NAME switches", table))

    def slash_set(self, parsed) -> None:
        """`/set` lists the values, `/set KEY` shows one and where it comes from, `/set KEY
        VALUE` overrides it for this session, `/set KEY --reset` (or `default`) drops that."""

        key, _, raw = parsed.rest.strip().partition(" ")
        raw = raw.strip()
        values = effective(self._config, session=self.session, probe=False)
        if not key:
            shown = [k for k in SESSION_KEYS if k != "system_prompt"]  # a prompt is too long for one line
            self.status.notice = "  ".join(f"{k}={values[k].value!r}" for k in shown if k in values)
            return
        key = session_key(key)  # an unknown key: one clear line, nothing changed
        if not raw:
            self.status.notice = f"{_value_of(key, values)} · /set {key} VALUE overrides it here, --reset drops that"
            return
        overrides = dict(self.session.config or {})
        if raw in ("--reset", "default"):
            had = overrides.pop(key, None) is not None
            self.store.update_session(self.session.id, config=overrides)
            self.update_status()
            values = effective(self._config, session=self.store.get_session(self.session.id), probe=False)
            self.status.notice = ("no override any more: " if had else "not overridden: ") + _value_of(key, values)
            return
        overrides[key] = parse_override(key, raw)
        self.store.update_session(self.session.id, config=overrides)
        self.update_status()
        self.status.notice = f"{key} = {overrides[key]!r} for this session"

    def slash_theme(self, parsed) -> None:
        name = parsed.rest.strip()
        names = sorted(self.app.available_themes)
        if not name:
            self.status.notice = f"theme: {self.app.theme} (available: {', '.join(names)})"
            return
        if name not in self.app.available_themes:
            raise ValueError(f"unknown theme {name!r} (available: {', '.join(names)})")
        self.app.theme = name
        self.status.notice = f'theme set to {name}; to keep it, put [ui] theme = "{name}" in config.toml'

    def slash_mode(self, parsed) -> None:
        if not parsed.rest.strip():
            self.status.notice = f"mode: {self.session.mode} (choices: {', '.join(MODES)}; /mode NAME sets it)"
            return
        mode = parse_mode(parsed.rest).value
        self.store.update_session(self.session.id, mode=mode)
        self.update_status()
        self.status.notice = f"mode set to {mode}"


def _value_of(key: str, values: dict) -> str:
    """`temperature = 0.3 (from [defaults] (…/config.toml))`, or that nothing sets it."""
    if key not in values or values[key].value is None:
        return f"{key} is not set (the model's own default)"
    setting = values[key]
    shown = setting.value if key != "system_prompt" else " ".join(str(setting.value).split())[:60]
    return f"{key} = {shown!r} (from {setting.origin})"
