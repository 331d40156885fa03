"""`chinwag stats [--since 30d] [--by day|model|agent] [--json]`: turns, tokens and cost per
day, model or agent, and the busiest and longest sessions (`app/core/stats.py` computes them
from SQL aggregates). Text fits 80 columns, with a bar per row; `--json` is for scripts."""

from __future__ import annotations

import sys
import unicodedata
from datetime import timedelta

import click

from chinwag.app.cli import common
from chinwag.app.cli.base import Command, db_option
from chinwag.app.cli.exit_codes import ExitCode
from chinwag.app.core import ages

WIDTH = 80
BY = ("day", "model", "agent")  # app/core/stats.py's, spelled here so `--help` loads no storage
EIGHTHS = " ▏▎▍▌▋▊▉"


class Age(click.ParamType):
    """`30d`, `12h`, `2w` ... or `all`."""

    name = "AGE"

    def convert(self, value, param, ctx) -> timedelta | None:
        if value is None or isinstance(value, timedelta):
            return value
        try:
            return ages.parse_since(value)  # as /stats parses it
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


@click.command("stats", cls=Command)
@db_option
@click.option("--since", type=Age(), default="30d", show_default=True,
              help="how far back: a number and s, m, h, d or w; all: everything")
@click.option("--by", type=click.Choice(BY), default="day", show_default=True, help="one row per")
@click.option("--json", "as_json", is_flag=True, help="print JSON")
def stats(*, since: timedelta | None, by: str, as_json: bool) -> int:
    """turns, tokens and cost per day, model or agent"""
    from chinwag.app.core.stats import usage_stats  # lazy: `chinwag --help` loads no storage
    from chinwag.storage.stats import ensure_stats_indexes  # lazy: as above

    store = common.open_store()
    try:
        if ensure_stats_indexes(store):  # once per database (not in the migration: see storage/stats.py)
            print("chinwag: built the indexes statistics read (once)", file=sys.stderr)
        result = usage_stats(store, common.prices_config(), since=since, by=by)
    finally:
        store.close()
    if as_json:
        common.print_json(result.as_json())
        return ExitCode.OK
    for line in render(result):
        common.out(line)
    return ExitCode.OK


def cells(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 0 if unicodedata.combining(c) else 1 for c in text)


def fit(text: str, width: int) -> str:
    """`text` cut (with …) or padded to `width` terminal cells."""
    text = " ".join(text.split())
    if cells(text) > width:
        while text and cells(text) > width - 1:
            text = text[:-1]
        text += "…"
    return text + " " * (width - cells(text))


def plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def bar(value: float, most: float, width: int) -> str:
    if most <= 0 or value <= 0:
        return ""
    eighths = max(1, round(value / most * width * 8))
    return ("█" * (eighths // 8) + EIGHTHS[eighths % 8]).rstrip()


def render(result) -> list[str]:
    from chinwag.storage import tokens  # lazy: as above

    def count(value: int, estimated: bool) -> str:
        return tokens.count(value, tokens.ESTIMATED if estimated else tokens.REPORTED, compact=True)

    whole = result.total
    since = f"since {result.since[:16].replace('T', ' ')} UTC" if result.since else "all time"
    lines = [f"{since}: {plural(whole.turns, 'turn')} · ⇡ {count(whole.input_tokens, whole.tokens_estimated)} "
             f"⇣ {count(whole.output_tokens, whole.tokens_estimated)} tokens · {whole.cost.text()}", ""]
    if not whole.turns:
        return lines[:1] + ["no agent turns in this time"]
    rows = result.rows
    if any(row.cost.amount for row in rows):
        metric, value = "cost", lambda row: row.cost.amount or 0.0
    else:
        metric, value = "tokens", lambda row: float(row.tokens)
    key_width = 10 if result.by == "day" else min(22, max(cells(row.key) for row in rows))
    fixed = key_width + 2 + 6 + 2 + 7 + 2 + 7 + 2 + 9 + 2
    most = max(value(row) for row in rows)
    lines.append(f"{fit(result.by.upper() + ' (UTC)' if result.by == 'day' else result.by.upper(), key_width)}  "
                 f"{'TURNS':>6}  {'⇡ IN':>7}  {'⇣ OUT':>7}  {'COST':>9}  {metric}")
    for row in rows:
        if not row.turns:  # a quiet day
            lines.append(f"{fit(row.key, key_width)}  {'·':>6}")
            continue
        lines.append(f"{fit(row.key, key_width)}  {row.turns:>6,}  {count(row.input_tokens, row.tokens_estimated):>7}  "
                     f"{count(row.output_tokens, row.tokens_estimated):>7}  {row.cost.text():>9}  "
                     f"{bar(value(row), most, WIDTH - 1 - fixed)}".rstrip())
    for title, listed, what in (("busiest sessions (most turns)", result.busiest, "turns"),
                                ("longest sessions (most tokens)", result.longest, "tokens")):
        lines += ["", title]
        for row in listed:
            amount = plural(row.turns, "turn") if what == "turns" else f"{count(row.tokens, row.tokens_estimated)} tokens"
            lines.append(f"  {row.key}  {fit(row.title, 22)}  {amount:>13}  {row.cost.text():>9}")
    return lines
