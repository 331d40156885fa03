"""Fitting a one-line bar (the session header, the status bar) into a width: items have a
fixed priority, and the least important ones are dropped first; only the one item marked
`elastic` (a title) may be shortened, with an ellipsis, and only once nothing else can go.

Plain functions over Rich `Text`: no Textual, so the order is tested at any width.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.style import Style
from rich.text import Text

SEPARATOR = " · "
MIN_ELASTIC = 8  # an elastic item shorter than this is dropped rather than cut to nothing


@dataclass(frozen=True)
class Item:
    """A piece of a one-line bar: its text and style, and how soon it is dropped when the line is short."""

    text: str
    style: Style | str = ""
    priority: int = 0  # 0 is kept longest; the highest number is dropped first
    right: bool = False  # placed in the right-hand group
    elastic: bool = False  # may be shortened with an ellipsis (at most one item)


def _group(items: list[Item], separator: Style | str = "") -> Text:
    line = Text(no_wrap=True)
    for index, item in enumerate(items):
        if index:
            line.append(SEPARATOR, separator)
        line.append(item.text, item.style)
    return line


def _width(items: list[Item]) -> int:
    left = [i for i in items if not i.right]
    right = [i for i in items if i.right]
    gap = 2 if left and right else 0
    return _group(left).cell_len + _group(right).cell_len + gap


def fit(items: list[Item], width: int) -> list[Item]:
    """The items that fit in `width`, in their order: the least important dropped first, the
    elastic one shortened (an ellipsis marks it) only when nothing less important is left."""
    kept = [i for i in items if i.text]
    while kept and _width(kept) > width:
        lowest = max(i.priority for i in kept)
        level = [i for i in kept if i.priority == lowest]
        if all(i.elastic for i in level):
            elastic = level[0]
            room = width - (_width(kept) - Text(elastic.text).cell_len)
            if room >= MIN_ELASTIC:
                cut = Text(elastic.text, no_wrap=True)
                cut.truncate(room, overflow="ellipsis")
                return [Item(cut.plain, i.style, i.priority, i.right, True) if i is elastic else i for i in kept]
        drop = next((i for i in reversed(level) if not i.elastic), level[-1])
        kept = [i for i in kept if i is not drop]
    return kept


def render(items: list[Item], width: int, separator: Style | str = "") -> Text:
    """The fitted items as one line exactly `width` cells wide: the left group, then the
    right group flush right (`separator`: the style of the " · " between items)."""
    kept = fit(items, width)
    left = _group([i for i in kept if not i.right], separator)
    right = _group([i for i in kept if i.right], separator)
    gap = max(0, width - left.cell_len - right.cell_len)
    line = Text.assemble(left, " " * gap, right, no_wrap=True)
    line.truncate(width, overflow="ellipsis")
    return line
