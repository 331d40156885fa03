"""The header and the status bar read at a glance at any width: each keeps a fixed priority
order and drops its least important items first (the header shortens the title only once
the mode and the model are gone); notices wrap on the notice line instead of being cut.
Plain functions, no Pilot, at 50, 80, 120 and 200 columns.
"""

from __future__ import annotations

import pytest

from chinwag.widgets.line_fit import Item, fit, render
from chinwag.widgets.notice_line import NoticeBoard, notice_text
from chinwag.widgets.session_header import header_items
from chinwag.widgets.status_bar import status_items

WIDTHS = (50, 80, 120, 200)
TITLE = "Where is the run target parsed in the command-line tool?"
HEADER = dict(title=TITLE, agent="claude-code", model="sonnet-4.5", mode="ask", state="busy")
STATUS = dict(hint="/ commands · ^p palette · ^b sidebar", queued=2, input_tokens=1_234_567, output_tokens=8_910,
              context_tokens=12_300, context_window=128_000)


def shown(items, width):
    return [i.text for i in fit(items, width)]


@pytest.mark.parametrize("width", WIDTHS)
def test_header_keeps_state_agent_and_model_and_drops_the_mode_then_shortens_the_title(width):
    line = render(header_items(**HEADER), width)
    assert line.cell_len == width and "\n" not in line.plain
    texts = shown(header_items(**HEADER), width)
    assert any(t.endswith("busy") for t in texts) and "claude-code" in texts  # never dropped at these widths
    assert "sonnet-4.5" in texts  # the model outlives the mode and the full title
    title = next(t for t in texts if t.startswith("Where"))
    if title != TITLE:  # shortened only when the mode is gone, and with an ellipsis
        assert title.endswith("…") and "mode ask" not in texts


def test_header_at_each_width():
    assert shown(header_items(**HEADER), 200)[0] == TITLE and "mode ask" in shown(header_items(**HEADER), 200)
    assert shown(header_items(**HEADER), 120) == [TITLE, "claude-code", "sonnet-4.5", "mode ask", "⠋ busy"]
    at_80 = shown(header_items(**HEADER), 80)
    assert at_80[1:] == ["claude-code", "sonnet-4.5", "⠋ busy"]  # the mode went, then the title was cut
    at_50 = shown(header_items(**HEADER), 50)
    assert at_50[1:] == ["claude-code", "sonnet-4.5", "⠋ busy"] and at_50[0].endswith("…") and at_50[0].startswith("Where is")


@pytest.mark.parametrize("width", WIDTHS)
def test_status_bar_drops_tokens_then_hints_then_the_meter(width):
    line = render(status_items(**STATUS), width)
    assert line.cell_len == width
    texts = shown(status_items(**STATUS), width)
    assert "2 queued" in texts and "/ commands" in texts  # the queue and the first hint are kept longest
    priority = ["2 queued", "/ commands", "ctx ~12k/128k 10%", "^p palette", "⇡ 1,234,567 ⇣ 8,910", "^b sidebar"]
    present = [p in texts for p in priority]
    assert present == sorted(present, reverse=True), present  # a less important item never outlives a more
    for text in texts:  # nothing is cut: each item is whole or gone
        assert not text.endswith("…")


def test_status_bar_at_each_width():
    assert len(shown(status_items(**STATUS), 200)) == 6
    assert shown(status_items(**STATUS), 50) == ["2 queued", "/ commands", "ctx ~12k/128k 10%"]
    assert shown(status_items(**STATUS), 30) == ["2 queued", "/ commands"]


def test_a_lone_title_is_shortened_with_an_ellipsis_and_dropped_when_nothing_is_left():
    items = [Item("a long title here", elastic=True, priority=1), Item("state", priority=0, right=True)]
    assert shown(items, 200) == ["a long title here", "state"]
    assert shown(items, 18) == ["a long title", "state"] or shown(items, 18)[0].endswith("…")
    assert shown(items, 10) == ["state"]


def test_notice_board_wraps_keeps_sticky_and_takes_back_by_key():
    board = NoticeBoard()
    board.add("offline echo agent: set a key", sticky=True, now=0)
    board.add("queued: it will be sent when the current turn ends", key="queued", now=0)
    board.add("queued: again", key="queued", now=1)  # replaces, not piles up
    assert [n.text for n in board.shown(2)] == ["offline echo agent: set a key", "queued: again"]
    assert board.remove("queued") and not board.remove("queued")
    assert [n.text for n in board.shown(1000)] == ["offline echo agent: set a key"]  # sticky: no expiry
    board.add("copied", timeout=5, now=1000)
    assert len(board.shown(1004)) == 2 and len(board.shown(1006)) == 1
    long = "word " * 40
    board.add(long, severity="error", now=2000)
    text = notice_text(board.shown(2000))
    from rich.console import Console

    lines = [line.plain for line in text.wrap(Console(width=50), 50)]
    assert len(lines) > 3 and all(len(line) <= 50 for line in lines)
    assert all(not line.rstrip().endswith("wor") for line in lines)  # wrapped between words, never cut
    assert board.dismiss() and board.shown(2000) == []
