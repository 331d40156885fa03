"""The sidebar's total (how many sessions its view holds) without counting on the UI loop.

A count reads every row of the sessions table (tens of ms at 100,000 sessions), so the
controller asks for one only when its first page is full (a page that is not holds them
all), the screen counts in a thread on its own connection (`SidebarPart`), and the
answer is kept here per view and per state of the database (`Store.change_stamp`): a
refresh with nothing written since reuses it, one after a write shows the view's last
count until the new one comes. No Textual here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

View = tuple[str, str | None]  # (list filter, workspace) as `Store.count_sessions` takes them
Stamp = tuple[int, int]


@dataclass(frozen=True)
class CountRequest:
    """Count the sessions of `view` as the database stood at `stamp`."""

    view: View
    stamp: Stamp


@dataclass
class SidebarTotals:
    """The last count of each sidebar view, with the database state it was counted at."""

    _counts: dict[View, tuple[Stamp, int]] = field(default_factory=dict)

    def known(self, view: View) -> int | None:
        """The last count of the view (perhaps of an older state), None if it was never counted."""
        kept = self._counts.get(view)
        return kept[1] if kept else None

    def fresh(self, request: CountRequest) -> bool:
        """Whether the view was counted with the database as it stands in `request`."""
        kept = self._counts.get(request.view)
        return kept is not None and kept[0] == request.stamp

    def keep(self, request: CountRequest, count: int) -> None:
        kept = self._counts.get(request.view)
        if kept is None or kept[0] <= request.stamp:  # a slow count of an older state does not win
            self._counts[request.view] = (request.stamp, count)
