"""The find bar: one line above the prompt — the query, a `.*` regex toggle, the counter.

A pure view: it posts what the user does (`Changed` on every keystroke, `Step` for the
next / previous hit, `OpenBranch`, `Closed`) and shows what it is told (`show_count`,
`show_error`). Everything it shows is plain text: a query or an error with `[markup]` in it
reads as typed.
"""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.reactive import reactive
from textual.widgets import Input, Static

from chinwag.widgets.messages import ControlMessage
from chinwag.widgets.text_safety import one_line


class RegexToggle(Static):
    """`.*`: lit when the query is a regular expression; a click flips it."""

    DEFAULT_CSS = """
    RegexToggle { width: 4; height: 1; color: $text-muted; content-align: center middle; }
    RegexToggle.-on { color: $background; background: $accent; text-style: bold; }
    """

    def on_click(self) -> None:
        bar = self.parent
        if isinstance(bar, FindBar):
            bar.action_toggle_regex()


class FindBar(Horizontal):
    DEFAULT_CSS = """
    FindBar { height: 1; background: $panel; }
    FindBar > .find-label { width: auto; color: $text-muted; padding: 0 1; }
    FindBar > Input { width: 1fr; height: 1; border: none; padding: 0; background: $panel; }
    FindBar > Input:focus { border: none; background-tint: $foreground 5%; }
    FindBar > #find-count { width: auto; max-width: 60; padding: 0 1; color: $text-muted; }
    FindBar > #find-count.-error { color: $error; }
    """
    BINDINGS = [
        Binding("down", "step(1)", "next hit", show=False),
        Binding("shift+enter,up", "step(-1)", "previous hit", show=False),
        # priority: the input would take Alt+R as a typed "r"
        Binding("alt+r", "toggle_regex", "regex on/off", show=False, priority=True),
        Binding("alt+b", "open_branch", "open the next hit's branch", show=False, priority=True),
        Binding("escape", "close", "close find", show=False),
    ]

    regex: reactive[bool] = reactive(False, init=False)

    class Changed(ControlMessage):
        def __init__(self, bar: FindBar, query: str, regex: bool) -> None:
            super().__init__(bar)
            self.query, self.regex = query, regex

    class Step(ControlMessage):
        def __init__(self, bar: FindBar, step: int) -> None:
            super().__init__(bar)
            self.step = step

    class OpenBranch(ControlMessage):
        """Go to the next hit that is on another branch (it becomes the active one)."""

    class Closed(ControlMessage):
        """Esc: the bar goes."""

    def compose(self) -> ComposeResult:
        yield Static("find", classes="find-label")
        yield Input(placeholder="in this session · Enter next · Shift+Enter/↑ previous · Alt+R regex · Esc close",
                    id="find-input", select_on_focus=False)
        yield RegexToggle(".*", id="find-regex")
        yield Static("", id="find-count")

    @property
    def input(self) -> Input:
        return self.query_one("#find-input", Input)

    @property
    def query_text(self) -> str:
        return self.input.value

    def focus_input(self) -> None:
        self.input.focus()

    # -- shown --------------------------------------------------------------------------
    def show_count(self, text: str) -> None:
        count = self.query_one("#find-count", Static)
        count.remove_class("-error")
        count.update(Text(text))

    def show_error(self, text: str) -> None:
        count = self.query_one("#find-count", Static)
        count.add_class("-error")
        count.update(Text(one_line(text, 60), Style(italic=True)))

    # -- done -----------------------------------------------------------------------------
    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.post_message(self.Changed(self, event.value, self.regex))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.post_message(self.Step(self, 1))

    def watch_regex(self, value: bool) -> None:
        self.query_one(RegexToggle).set_class(value, "-on")
        self.post_message(self.Changed(self, self.query_text, value))

    def action_step(self, step: int) -> None:
        self.post_message(self.Step(self, step))

    def action_toggle_regex(self) -> None:
        self.regex = not self.regex

    def action_open_branch(self) -> None:
        self.post_message(self.OpenBranch(self))

    def action_close(self) -> None:
        self.post_message(self.Closed(self))
