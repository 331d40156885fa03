"""The App's glue for real models: `/model` (list the server's models, switch), warming the
provider layer in the background, and the effective settings (context window) of a session.

Mixed into `ChatScreen`; it never renders anything itself, it sets widget attributes.
"""

from __future__ import annotations

import asyncio

from textual import work

from chinwag.app.agents import agent_for_session, profile_for
from chinwag.app.agents.settings import effective
from chinwag.app.config.schema import PROVIDER_KINDS
from chinwag.app.errors import first_line

MODEL_LIST_SHOWN = 8
WARM_UP_DELAY = 1.5  # seconds after opening a provider session


class ModelsMixin:
    _model_lists: dict[str, list[str]]

    def effective_settings(self, session) -> dict:
        try:
            return effective(self._config, session=session, probe=False)
        except Exception:  # an agent removed from the config: fall back to built-ins
            return {}

    def context_window(self, session) -> int:
        setting = self.effective_settings(session).get("context_window")
        try:
            return int(setting.value) if setting else 0
        except (TypeError, ValueError):
            return 0

    def _is_provider(self, session) -> bool:
        try:
            return profile_for(session.agent, self._config).get("kind") in PROVIDER_KINDS
        except Exception:
            return False

    def prepare_agent(self, session) -> None:
        """For a provider session: import the provider layer off the UI thread and fetch the
        server's model list for the `/model` popup (once per agent)."""
        if not self._is_provider(session):
            return
        if session.agent in self._model_lists:
            self._offer_models(self._model_lists[session.agent])
            return
        # after the first paint has settled: the import (~0.6 s) holds the GIL while it runs
        self.set_timer(WARM_UP_DELAY, lambda: self._fetch_models(session, announce=False))

    @work(thread=True, group="models", exclusive=True)
    def _fetch_models(self, session, announce: bool) -> None:
        try:
            agent = agent_for_session(session, self._config)
            models = asyncio.run(asyncio.wait_for(agent.list_models(), timeout=10))
        except Exception as exc:  # no list: /model NAME still works
            if announce:
                self.app.call_from_thread(self._models_failed, first_line(exc))
            return
        self.app.call_from_thread(self._models_loaded, session.agent, models, announce)

    def _models_failed(self, reason: str) -> None:
        self.status.notice = f"could not list models: {reason}"

    def _models_loaded(self, agent: str, models: list[str], announce: bool) -> None:
        self._model_lists[agent] = models
        if self.session and self.session.agent == agent:
            self._offer_models(models)
            if announce:
                shown = ", ".join(models[:MODEL_LIST_SHOWN]) + (" …" if len(models) > MODEL_LIST_SHOWN else "")
                self.status.notice = f"{len(models)} models: {shown}" if models else "the server lists no models"

    def _offer_models(self, models: list[str]) -> None:
        current = {self.session.model} - {""} if self.session else set()
        self.prompt.set_arg_choices("model", [(m, "", m) for m in sorted(set(models) | current)])

    def slash_model(self, parsed) -> None:
        name = parsed.rest.strip()
        if not name:
            self.status.notice = f"model: {self.session.model or '(agent default)'}"
            if self._is_provider(self.session):
                self._fetch_models(self.session, announce=True)
            return
        self.store.update_session(self.session.id, model=name)
        self.update_status()
        self.status.notice = f"model set to {name} for the next turns"
