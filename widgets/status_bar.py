"""The one-line status bar: session title, agent · model, mode, state, token totals, the
context meter, and key hints that say what keys do right now (or a transient notice).
"""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from chinwag.storage import tokens
from chinwag.widgets import glyphs
from chinwag.widgets.text_safety import notice, one_line
from chinwag.widgets.theme import palette_for


class StatusBar(Widget):
    DEFAULT_CSS = """
    StatusBar { height: 1; background: $panel; color: $text; padding: 0 1; }
    """

    title: reactive[str] = reactive("")
    agent: reactive[str] = reactive("")
    model: reactive[str] = reactive("")
    mode: reactive[str] = reactive("")
    state: reactive[str] = reactive("ready")
    input_tokens: reactive[int] = reactive(0)
    output_tokens: reactive[int] = reactive(0)
    token_usage: reactive[str] = reactive(tokens.REPORTED)  # of the totals: reported | estimated | unreported
    context_tokens: reactive[int] = reactive(0)
    context_window: reactive[int] = reactive(0)
    hint: reactive[str] = reactive("")
    notice: reactive[str] = reactive("")

    def watch_notice(self, value: str) -> None:
        if value:
            self.set_timer(6, lambda: self._expire(value))

    def _expire(self, value: str) -> None:
        if self.notice == value:
            self.notice = ""

    def render(self) -> Text:
        width = max(10, self.size.width)
        colors = palette_for(self)
        glyph, color_name = glyphs.SESSION_STATE.get(self.state, ("○", "system"))
        color = colors.get(color_name)
        if self.state == "busy":
            glyph = "●"
        parts_left = [
            (one_line(self.title or "untitled", 40), Style(bold=True), 0),
            (one_line(self.agent, 24), Style(color=colors.agent), 2),
            (one_line(self.model, 24), Style(color=colors.model), 3),
            (one_line(self.mode, 24), Style(dim=True), 4),
            (f"{glyph} {self.state}", Style(color=color), 1),
        ]
        totals = tokens.pair(self.input_tokens, self.output_tokens, self.token_usage)
        context = ""
        if self.context_tokens:  # always an estimate (~4 characters a token)
            context = f"ctx {tokens.count(self.context_tokens, tokens.ESTIMATED, compact=True)}"
            if self.context_window:
                share = 100 * self.context_tokens / self.context_window
                context += f"/{tokens.compact_number(self.context_window)} {share:.0f}%"
        right_parts = [(totals, Style(color=colors.tokens), 1), (context, Style(dim=True), 3)]
        message = notice(self.notice or self.hint)
        message_style = Style(color=colors.warning if self.notice else colors.system)
        # drop the least important pieces until it fits; the hint/notice takes what is left
        for level in (5, 4, 3, 2, 1):
            left = [(t, s) for t, s, p in parts_left if t and p < level]
            right = [(t, s) for t, s, p in right_parts if t and p < level]
            text = self._assemble(left, right, width, message, message_style)
            if text is not None:
                return text
        title = Text(one_line(self.title or "untitled", width), Style(bold=True), no_wrap=True, overflow="ellipsis")
        title.truncate(width, overflow="ellipsis")
        return title

    @staticmethod
    def _assemble(left, right, width: int, message: str = "", message_style=None) -> Text | None:
        left_text = Text(no_wrap=True)
        for index, (text, style) in enumerate(left):
            if index:
                left_text.append(" · ", Style(dim=True))
            left_text.append(text, style)
        right_text = Text(no_wrap=True)
        for index, (text, style) in enumerate(right):
            if index:
                right_text.append(" · ", Style(dim=True))
            right_text.append(text, style)
        gap = width - left_text.cell_len - right_text.cell_len
        if gap < 2:
            return None
        room = gap - 5
        if message and room >= 12:
            shown = message if len(message) <= room else message[: room - 1] + "…"
            right_text = Text.assemble((shown, message_style), (" · ", Style(dim=True)), right_text, no_wrap=True)
            gap = width - left_text.cell_len - right_text.cell_len
        return Text.assemble(left_text, " " * gap, right_text, no_wrap=True)
