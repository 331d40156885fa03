"""The notice line: a few lines above the prompt where notices appear (what a command did, an
error, a hint), wrapped at word boundaries instead of cut, and never over the prompt.

`NoticeBoard` decides what shows (plain, tested without Textual): each notice expires after
its timeout; a `sticky` one (the first-run hint) stays until it is dismissed; a notice with a
`key` replaces the earlier one with that key and can be taken back by key (the "queued"
notice, once the queue is empty). At most `SHOWN` notices show, the newest last.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from time import monotonic

from rich.style import Style
from rich.text import Text
from textual.widget import Widget

from chinwag.widgets import glyphs
from chinwag.widgets.messages import ControlMessage
from chinwag.widgets.text_safety import notice
from chinwag.widgets.theme import DARK, Palette, follow_theme

SHOWN = 3
DEFAULT_TIMEOUT = 6.0
STICKY_HINT = "esc hides"


@dataclass
class Notice:
    """One notice on the notice line: plain text, severity, when it expires."""

    text: str
    severity: str = "information"
    title: str = ""
    expires: float = math.inf
    key: str | None = None
    sticky: bool = False


@dataclass
class NoticeBoard:
    """The notices showing, newest last, without Textual."""

    notices: list[Notice] = field(default_factory=list)

    def add(self, text: str, *, severity: str = "information", title: str = "", timeout: float | None = None,
            key: str | None = None, sticky: bool = False, now: float = 0.0) -> Notice:
        if key is not None:
            self.remove(key)
        seconds = DEFAULT_TIMEOUT if timeout is None else timeout
        entry = Notice(notice(text), severity, notice(title), math.inf if sticky else now + seconds, key, sticky)
        self.notices.append(entry)
        return entry

    def remove(self, key: str) -> bool:
        before = len(self.notices)
        self.notices = [n for n in self.notices if n.key != key]
        return len(self.notices) != before

    def dismiss(self) -> bool:
        """Hide everything shown (the Esc key); True if something was."""
        had = bool(self.notices)
        self.notices = []
        return had

    def expire(self, now: float) -> None:
        self.notices = [n for n in self.notices if n.expires > now]

    def shown(self, now: float) -> list[Notice]:
        self.expire(now)
        return self.notices[-SHOWN:]

    def next_expiry(self) -> float:
        return min((n.expires for n in self.notices), default=math.inf)


def notice_text(notices: list[Notice], palette: Palette = DARK) -> Text:
    """The notices as wrapping lines: a glyph and colour for the severity (shape and colour)."""
    text = Text()
    for index, entry in enumerate(notices):
        if index:
            text.append("\n")
        glyph, color_name = glyphs.NOTICE.get(entry.severity, glyphs.NOTICE["information"])
        color = palette.get(color_name)
        text.append(f"{glyph} ", Style(color=color, bold=True))
        if entry.title:
            text.append(f"{entry.title}: ", Style(color=color, bold=True))
        text.append(entry.text, Style(color=color) if entry.severity != "information" else Style())
        if entry.sticky:
            text.append(f"  ({STICKY_HINT})", Style(color=palette.system))
    return text


class NoticeLine(Widget):
    DEFAULT_CSS = """
    NoticeLine { height: auto; max-height: 6; padding: 0 1; display: none; }
    NoticeLine.-shown { display: block; }
    """

    class Dismissed(ControlMessage):
        """The user hid the notices (a click on the line)."""

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None,
                 clock=monotonic) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.board = NoticeBoard()
        self._clock = clock
        self._timer = None
        self._palette = DARK

    def on_mount(self) -> None:
        follow_theme(self, self._set_palette)
        self._changed()

    def _set_palette(self, palette: Palette) -> None:
        self._palette = palette
        self.refresh(layout=True)

    def show(self, text: str, *, severity: str = "information", title: str = "", timeout: float | None = None,
             key: str | None = None, sticky: bool = False) -> None:
        self.board.add(text, severity=severity, title=title, timeout=timeout, key=key, sticky=sticky,
                       now=self._clock())
        self._changed()

    def remove(self, key: str) -> None:
        if self.board.remove(key):
            self._changed()

    def dismiss(self) -> bool:
        hidden = self.board.dismiss()
        self._changed()
        return hidden

    @property
    def texts(self) -> list[str]:
        """What shows now, as plain lines (for hosts and tests)."""
        return [n.text for n in self.board.shown(self._clock())]

    def _changed(self) -> None:
        if not self.is_mounted:
            return
        now = self._clock()
        shown = self.board.shown(now)
        self.set_class(bool(shown), "-shown")
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        expiry = self.board.next_expiry()
        if expiry != math.inf:
            self._timer = self.set_timer(max(0.05, expiry - now), self._changed)
        self.refresh(layout=True)

    def render(self) -> Text:
        return notice_text(self.board.shown(self._clock()), self._palette)

    def on_click(self) -> None:
        self.dismiss()
        self.post_message(self.Dismissed(self))
