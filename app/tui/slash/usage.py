"""Slash commands about usage: /context (what fills the context window) and /stats (usage plots)."""

from __future__ import annotations

from chinwag.app.tui.guard import push_modal
from chinwag.storage.tokens import compact_number


class UsageCommands:
    """Mixed into ChatScreen (the stats worker is in app/tui/money.py)."""

    def slash_context(self, parsed) -> None:
        from chinwag.app.core.context_report import context_report  # lazy: off the start-up path
        from chinwag.widgets.context_bar import ContextScreen  # lazy: as above

        session = self.session
        window = self.context_window(session)
        setting = self.effective_settings(session).get("system_prompt") if self._is_provider(session) else None
        report = context_report(self.store, session.id, window=window,
                                system_prompt=str(setting.value or "") if setting else "")
        if report.share is not None:
            title = (f"Context · ~{compact_number(report.total)} of {compact_number(window)} tokens "
                     f"({100 * report.share:.0f}%)")
        else:
            title = f"Context · ~{compact_number(report.total)} tokens (window not known)"
        notes = []
        if report.tool_output_tokens:
            notes.append(f"tool outputs ~{compact_number(report.tool_output_tokens)} tokens: kept by the agent "
                         "in its own context, not sent by Chinwag")
        notes.append(report.hint)
        items = [(f"#{item.seq}", item.role, item.words, item.tokens) for item in report.items]
        push_modal(self, ContextScreen(title, [(p.name, p.tokens, p.colour) for p in report.parts], window, items,
                                       notes))

    def slash_stats(self, parsed) -> None:
        from chinwag.app.core.stats import parse_request  # lazy: off the start-up path

        try:
            request = parse_request(parsed.options, parsed.rest)
        except ValueError as exc:  # one line, and nothing opens
            self.notify(str(exc), severity="warning", timeout=8)
            return
        self.open_stats(request)
