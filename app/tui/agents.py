"""The App's glue for coding agents: answering permission requests, the agent's own slash
commands, and shutting agent processes down (`/stop`, archive, quit).

Mixed into `ChatScreen`. A permission request shows inline in the agent's block and as a
small modal whose options are picked by their number keys (Esc rejects).
"""

from __future__ import annotations

import asyncio

from chinwag.app.agents.acp import pool as acp_pool
from chinwag.app.agents.base import Permission
from chinwag.app.core.commands import COMMANDS, Command
from chinwag.app.tui.guard import push_modal
from chinwag.widgets.choice_screen import ChoiceScreen

CHINWAG_NAMES = {c.name for c in COMMANDS}


class AgentGlueMixin:
    _permission_screens: dict[str, ChoiceScreen]

    def on_agent_permission(self, session_id: str, request: Permission) -> None:
        """Called by the runner when an agent in `ask` mode wants permission."""
        session = self.store.get_session(session_id)
        choices = [(str(n), name) for n, (_, name, _) in enumerate(request.options[:9], 1)]
        options = [option_id for option_id, _, _ in request.options[:9]]

        def chosen(key: str | None) -> None:
            self._permission_screens.pop(session_id, None)
            if self.runner.pending_permission(session_id) is not request:
                return  # the turn ended (or was cancelled) while the question was open
            option = options[int(key) - 1] if key and key.isdigit() and 0 < int(key) <= len(options) else None
            self.runner.answer_permission(session_id, option)
            self.status.notice = f"permission {'given: ' + option if option else 'refused'}"

        screen = ChoiceScreen(f"{session.agent} asks permission", f"{request.title} ({request.kind})"
                              f" · session “{session.title}” · keys 1–{len(choices)}, Esc refuses", choices)
        self._permission_screens[session_id] = screen
        push_modal(self, screen, chosen, key=f"permission:{id(request)}",
                   wanted=lambda: self.runner.pending_permission(session_id) is request)

    def close_permission_question(self, session_id: str) -> None:
        """The turn ended: a question still on screen has nobody waiting for its answer."""
        screen = self._permission_screens.pop(session_id, None)
        if screen is not None and screen in self.app.screen_stack:
            screen.dismiss(None)

    # -- the agent's own slash commands -----------------------------------------------------------
    def agent_commands(self, session) -> list[Command]:
        listed = (session.metadata or {}).get("agent_commands") or []
        return [Command(str(name), str(description) or "agent command", f"/{name} [input]", takes_args=True,
                        group="agent", source="agent")
                for name, description in listed if str(name) not in CHINWAG_NAMES]

    def refresh_agent_commands(self) -> None:
        if self.session is not None:
            session = self.store.get_session(self.session.id)
            self.prompt.set_extra_commands(self.agent_commands(session))

    def is_agent_command(self, name: str) -> bool:
        """One of the agent's commands, as the popup offers them (kept fresh mid-turn)."""
        return any(c.source == "agent" and c.name == name for c in self.prompt.commands)

    # -- agent processes ---------------------------------------------------------------------------
    def close_agent(self, session_id: str) -> None:
        if session_id in acp_pool.live_sessions():
            asyncio.ensure_future(acp_pool.close(session_id))

    async def close_all_agents(self) -> None:
        await acp_pool.close_all()
