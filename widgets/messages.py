"""The base for every message a Chinwag widget posts: it carries the widget that sent it as
`control`, so handlers can use `@on(Message, "#selector")` and tell two instances apart.
"""

from __future__ import annotations

from textual.message import Message
from textual.widget import Widget


class ControlMessage(Message):
    def __init__(self, control: Widget) -> None:
        super().__init__()
        self._control = control

    @property
    def control(self) -> Widget:
        return self._control
