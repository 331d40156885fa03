"""Slash commands that change how the next turns run: /agent, /set, /theme, /mode.
(/model lives with the model lists in `chinwag.app.tui.models`.)"""

from __future__ import annotations


class SettingsCommands:
    """Mixed into ChatScreen."""

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
        names = sorted(self.app.available_themes)
        if not name:
            self.status.notice = f"theme: {self.app.theme} (available: {', '.join(names)})"
            return
        if name not in self.app.available_themes:
            raise ValueError(f"unknown theme {name!r} (available: {', '.join(names)})")
        self.app.theme = name
        self.status.notice = f'theme set to {name}; to keep it, put [ui] theme = "{name}" in config.toml'

    def slash_mode(self, parsed) -> None:
        from chinwag.app.config.schema import parse_mode

        mode = parse_mode(parsed.rest).value
        self.store.update_session(self.session.id, mode=mode)
        self.update_status()
