"""The one-line status bar at the bottom: what keys do right now, the queue, the token
totals, the session's cost and the context meter. The session's own facts (title, agent · model, mode, state)
are in the header above the transcript (`session_header.py`); notices go to the notice line
above the prompt (`notice_line.py`). Narrow, the bar drops its least important items first
(`status_items` is the fixed order, `line_fit` does the dropping).
"""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from chinwag.storage import tokens
from chinwag.widgets.line_fit import Item, render
from chinwag.widgets.text_safety import notice
from chinwag.widgets.theme import DARK, Palette, palette_for


def context_meter(context_tokens: int, context_window: int) -> str:
    if not context_tokens:
        return ""
    meter = f"ctx {tokens.count(context_tokens, tokens.ESTIMATED, compact=True)}"  # always an estimate
    if context_window:
        meter += f"/{tokens.compact_number(context_window)} {100 * context_tokens / context_window:.0f}%"
    return meter


def status_items(*, hint: str, queued: int = 0, busy: bool = False, input_tokens: int = 0, output_tokens: int = 0,
                 token_usage: str = tokens.REPORTED, context_tokens: int = 0, context_window: int = 0,
                 cost: str = "", palette: Palette = DARK) -> list[Item]:
    """The bar's items in their fixed priority (lower = kept longer): the queue, the first key
    hint, the context meter, the session's cost (`$0.42`, `~$0.42`, `cost –` when not known),
    the other key hints, then the token totals."""
    hint_style = Style(color=palette.warning if busy else palette.system)
    hints = [part for part in notice(hint).split(" · ") if part]
    items = [Item(f"{queued} queued" if queued else "", Style(color=palette.warning, bold=True), 0)]
    items += [Item(part, hint_style, 1 if n == 0 else 3 + 2 * n) for n, part in enumerate(hints)]
    items.append(Item(context_meter(context_tokens, context_window), Style(color=palette.system), 2, right=True))
    items.append(Item(tokens.pair(input_tokens, output_tokens, token_usage), Style(color=palette.tokens), 4,
                      right=True))
    shown_cost = f"cost {cost}" if cost == tokens.NOT_REPORTED else cost
    items.append(Item(shown_cost, Style(color=palette.tokens), 3, right=True))
    return items


class StatusBar(Widget):
    DEFAULT_CSS = """
    StatusBar { height: 1; background: $panel; color: $text; padding: 0 1; }
    """

    state: reactive[str] = reactive("ready")
    busy: reactive[bool] = reactive(False)
    queued: reactive[int] = reactive(0)
    input_tokens: reactive[int] = reactive(0)
    output_tokens: reactive[int] = reactive(0)
    token_usage: reactive[str] = reactive(tokens.REPORTED)  # of the totals: reported | estimated | unreported
    context_tokens: reactive[int] = reactive(0)
    context_window: reactive[int] = reactive(0)
    cost: reactive[str] = reactive("")  # the session's cost as `Cost.text` reads, "" while not known
    hint: reactive[str] = reactive("")
    # Setting `notice` shows it on the one notice path (`App.notify`: the notice line); kept so
    # `status.notice = "…"` still reaches it. It holds the last notice given this way.
    notice: reactive[str] = reactive("", always_update=True)

    def watch_notice(self, value: str) -> None:
        if value:
            self.notify(value)

    def render(self) -> Text:
        items = status_items(hint=self.hint, queued=self.queued, busy=self.busy, input_tokens=self.input_tokens,
                             output_tokens=self.output_tokens, token_usage=self.token_usage,
                             context_tokens=self.context_tokens, context_window=self.context_window,
                             cost=self.cost, palette=palette_for(self))
        return render(items, max(1, self.size.width), Style(color=palette_for(self).system))
