"""The /stats screen: turns, tokens or cost per day, model or agent as a bar plot
(textual-plotext), the totals, and the busiest and longest sessions. It opens at once with a
line saying what is being read; `show` fills it with `app/core/stats.Stats` (one per grouping,
read in a worker thread by the chat screen, app/tui/money.py). Keys switch the grouping (d, m,
a) and the measure (t, k, c).

textual-plotext (and plotext) are imported with this module, which is imported only when
/stats opens: nothing of it at start-up.
"""

from __future__ import annotations

import math

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, Static
from textual_plotext import PlotextPlot

from chinwag.app.core.stats import Row, Stats
from chinwag.storage import tokens
from chinwag.widgets.text_safety import one_line, plain
from chinwag.widgets.theme import palette_for

MEASURES = {"turns": "turns", "tokens": "tokens", "cost": "cost (USD)"}
BY_NAMES = {"day": "per day (UTC)", "model": "per model", "agent": "per agent"}
BARS = 12  # models or agents plotted: the busiest


def _rgb(hex_color: str) -> tuple[int, int, int]:
    value = hex_color.lstrip("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def measure(row: Row, what: str) -> float:
    if what == "turns":
        return float(row.turns)
    if what == "tokens":
        return float(row.tokens)
    return row.cost.amount or 0.0


def plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def _count(value: int, estimated: bool) -> str:
    return tokens.count(value, tokens.ESTIMATED if estimated else tokens.REPORTED, compact=True)


def summary(stats: Stats) -> Group:
    """The totals, then the busiest and the longest sessions."""
    whole = stats.total
    since = f"since {stats.since[:10]}" if stats.since else "all time"
    head = Text(f"{since}: {plural(whole.turns, 'turn')} · ⇡ {_count(whole.input_tokens, whole.tokens_estimated)} "
                f"⇣ {_count(whole.output_tokens, whole.tokens_estimated)} tokens · {whole.cost.text()}")
    parts: list = [head]
    for title, rows in (("busiest sessions (most turns)", stats.busiest),
                        ("longest sessions (most tokens)", stats.longest)):
        if not rows:
            continue
        table = Table(box=None, padding=(0, 1), show_header=False)
        for justify in ("left", "right", "right", "right"):
            table.add_column(justify=justify)  # type: ignore[arg-type]
        for row in rows:
            table.add_row(plain(one_line(row.title, 40)), plural(row.turns, "turn"),
                          f"{_count(row.tokens, row.tokens_estimated)} tokens", row.cost.text())
        parts += [Text(""), Text(title, style="bold"), table]
    return Group(*parts)


class StatsScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    StatsScreen { align: center middle; }
    StatsScreen > #stats-panel {
        width: 90%; max-width: 120; height: 90%;
        border: round $accent; background: $surface; padding: 0 1;
    }
    StatsScreen #stats-title { text-style: bold; color: $accent; }
    StatsScreen #stats-plot { height: 1fr; min-height: 8; }
    StatsScreen #stats-summary { height: auto; max-height: 14; }
    StatsScreen #stats-hint { color: $text-muted; }
    """
    BINDINGS = [
        Binding("escape,q", "close", "close"),
        Binding("d", "by('day')", "per day"),
        Binding("m", "by('model')", "per model"),
        Binding("a", "by('agent')", "per agent"),
        Binding("t", "measure('turns')", "turns"),
        Binding("k", "measure('tokens')", "tokens"),
        Binding("c", "measure('cost')", "cost"),
    ]

    def __init__(self, note: str = "reading the statistics…", *, by: str = "day"):
        super().__init__()
        self.note = note
        self.stats: dict[str, Stats] = {}
        self.by, self.what = by, "turns"  # `by`: the grouping it opens on (/stats --by)

    def compose(self) -> ComposeResult:
        with Vertical(id="stats-panel"):
            yield Static("Stats", id="stats-title")
            yield PlotextPlot(id="stats-plot")
            yield Static(plain(self.note), id="stats-summary")
            yield Label("d day · m model · a agent   t turns · k tokens · c cost   esc close", id="stats-hint")

    def on_mount(self) -> None:
        self._draw()

    # -- what the chat screen calls ----------------------------------------------------------
    def tell(self, note: str) -> None:
        """A line about the reading (building the index, a failure) in place of the summary."""
        self.note = note
        if self.is_mounted:
            self.query_one("#stats-summary", Static).update(plain(note))

    def show(self, stats: dict[str, Stats]) -> None:
        self.stats = stats
        if self.is_mounted:
            self._draw()

    # -- keys ---------------------------------------------------------------------------------
    def action_by(self, by: str) -> None:
        self.by = by
        self._draw()

    def action_measure(self, what: str) -> None:
        self.what = what
        self._draw()

    def action_close(self) -> None:
        self.dismiss(None)

    # -- drawing ------------------------------------------------------------------------------
    def _draw(self) -> None:
        stats = self.stats.get(self.by)
        title = self.query_one("#stats-title", Static)
        title.update(plain(f"Stats · {MEASURES[self.what]} {BY_NAMES[self.by]}"))
        plot = self.query_one(PlotextPlot)
        plt = plot.plt
        plt.clear_data()
        plt.clear_figure()
        if stats is None:
            plot.refresh()
            return
        rows = [row for row in stats.rows if row.turns] if self.by != "day" else stats.rows
        if self.by != "day":
            rows = sorted(rows, key=lambda row: (-measure(row, self.what), row.key))[:BARS]
        if not stats.total.turns:
            plt.title("no agent turns in this time")
        else:
            values = [measure(row, self.what) for row in rows]
            palette = palette_for(self)
            colour = _rgb({"turns": palette.user, "tokens": palette.tokens}.get(self.what, palette.success))
            top = max(values) or 1.0
            if self.by == "day":  # days in order, a label on every few
                positions = list(range(len(rows)))
                step = max(1, -(-len(rows) // 8))
                plt.bar(positions, values, color=colour, width=0.3 if len(rows) > 10 else 0.6)  # apart when many
                ticks = positions[::-1][::step][::-1]  # today always labelled
                plt.xticks(ticks, [rows[n].key[5:] for n in ticks])
                plt.ylim(0, top * 1.05)
                if self.what != "cost":  # whole numbers of turns and tokens on the axis
                    every = max(1, math.ceil(top / 5))
                    plt.yticks(list(range(0, int(top) + every, every)))
            else:  # the biggest on top
                plt.bar([one_line(row.key, 24) for row in reversed(rows)], list(reversed(values)), color=colour,
                        orientation="horizontal", width=0.6)
                plt.xlim(0, top * 1.05)
        plot.refresh()
        self.query_one("#stats-summary", Static).update(summary(stats))
