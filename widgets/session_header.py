"""The session header: one line over the transcript with the open session's title, its
agent · model, mode and state (what it is doing: "compacting", a running turn). Attributes
down, nothing up; narrow, it drops the mode, then the model, then shortens the title
(`header_items` is the fixed order, `line_fit` does the fitting).
"""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from chinwag.widgets import glyphs
from chinwag.widgets.line_fit import Item, render
from chinwag.widgets.text_safety import one_line
from chinwag.widgets.theme import DARK, Palette, palette_for


def header_items(*, title: str, agent: str, model: str, mode: str, state: str, activity: str = "",
                 frame: int = 0, palette: Palette = DARK) -> list[Item]:
    """In priority order (lower = kept longer): the state, the agent, the model, the title
    (shortened, with an ellipsis, before the model goes), the mode."""
    glyph, color_name = glyphs.SESSION_STATE.get(state, ("○", "system"))
    if state == "busy":
        glyph = glyphs.spinner(frame)
    label = f"{glyph} {state}" + (f": {one_line(activity, 30)}" if activity else "")
    return [
        Item(one_line(title or "untitled", 200), Style(bold=True), 3, elastic=True),
        Item(one_line(agent, 40), Style(color=palette.agent, bold=True), 1, right=True),
        Item(one_line(model, 40), Style(color=palette.model), 2, right=True),
        Item(f"mode {one_line(mode, 20)}" if mode else "", Style(color=palette.system), 4, right=True),
        Item(label, Style(color=palette.get(color_name)), 0, right=True),
    ]


class SessionHeader(Widget):
    DEFAULT_CSS = """
    SessionHeader { height: 1; padding: 0 1; background: $background; }
    """

    title: reactive[str] = reactive("")
    agent: reactive[str] = reactive("")
    model: reactive[str] = reactive("")
    mode: reactive[str] = reactive("")
    state: reactive[str] = reactive("ready")
    activity: reactive[str] = reactive("")

    def __init__(self, *, animate: bool = True, name: str | None = None, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.animations_on = animate
        self._frame = 0
        self._timer = None

    def watch_state(self, state: str) -> None:
        if state == "busy" and self.animations_on and self._timer is None and self.is_mounted:
            self._timer = self.set_interval(1 / 8, self._tick)
        elif state != "busy" and self._timer is not None:
            self._timer.stop()
            self._timer = None

    def _tick(self) -> None:
        self._frame += 1
        self.refresh()

    def render(self) -> Text:
        items = header_items(title=self.title, agent=self.agent, model=self.model, mode=self.mode, state=self.state,
                             activity=self.activity, frame=self._frame, palette=palette_for(self))
        return render(items, max(1, self.size.width), Style(color=palette_for(self).faint))
