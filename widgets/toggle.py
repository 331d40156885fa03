"""A one-line on/off toggle (`☐ label` / `☑ label`): click, Enter or Space flips it and
posts `Toggle.Changed`. Plainer than Textual's Checkbox, which reads as checked when off.
"""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding
from textual.reactive import reactive
from textual.widget import Widget

from chinwag.widgets.messages import ControlMessage


class Toggle(Widget, can_focus=True):
    DEFAULT_CSS = """
    Toggle { height: 1; width: auto; color: $text-muted; }
    Toggle:focus { color: $text; text-style: bold; }
    Toggle.-on { color: $accent; }
    """
    BINDINGS = [Binding("enter,space", "flip", "toggle", show=False)]

    value: reactive[bool] = reactive(False)

    class Changed(ControlMessage):
        def __init__(self, toggle: Toggle, value: bool) -> None:
            super().__init__(toggle)
            self.toggle = toggle
            self.value = value

    def __init__(self, label: str, *, value: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.label = label
        self.set_reactive(Toggle.value, value)

    def render(self) -> Text:
        return Text(("☑ " if self.value else "☐ ") + self.label)

    def watch_value(self, value: bool) -> None:
        self.set_class(value, "-on")
        self.post_message(self.Changed(self, value))

    def action_flip(self) -> None:
        self.value = not self.value

    def on_click(self) -> None:
        self.action_flip()
