"""The prompt: a multi-line input with history, queued-prompt display and the slash popup.

Keys: Enter submits (posts `Prompt.Submitted`), Alt+Enter / Ctrl+J insert a newline,
Up on the first line / Down on the last walk the history. `/` on an empty buffer (or Tab
on a `/` buffer) opens the popup: typing filters by strict prefix, Tab/Down/Up move and
wrap, Enter accepts into the buffer without submitting, Esc dismisses. After a command
that takes an argument, the popup completes the argument.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from rich.segment import Segment
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.reactive import reactive
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Static, TextArea

from chinwag.widgets.messages import ControlMessage
from chinwag.widgets.slash_popup import PopupCommand, SlashPopup, command_named, filter_commands
from chinwag.widgets.text_safety import needs_stand_ins, one_line, stand_ins
from chinwag.widgets.theme import DARK, Palette, follow_theme


class PromptArea(TextArea):
    """A TextArea whose special keys are decided by the owning Prompt first."""

    DEFAULT_CSS = """
    PromptArea { border: none; padding: 0; height: auto; min-height: 1; max-height: 8; background: transparent; }
    PromptArea:focus { border: none; }
    PromptArea .text-area--cursor-line { background: transparent; }
    """

    async def _on_key(self, event: events.Key) -> None:
        owner = self.parent
        if isinstance(owner, Prompt) and owner.consume_key(event.key):
            event.stop()
            event.prevent_default()
            return
        await super()._on_key(event)

    def render_line(self, y: int) -> Strip:
        """The buffer keeps the text as typed or pasted (an ANSI log is sent as it is), but its
        escapes and control characters are drawn as visible stand-ins, never sent to the terminal."""
        strip = super().render_line(y)
        if not any(needs_stand_ins(segment.text) for segment in strip):
            return strip
        shown = [Segment(stand_ins(s.text), s.style, s.control) for s in strip]
        return Strip(shown).adjust_cell_length(strip.cell_length)


class Prompt(Widget):
    DEFAULT_CSS = """
    Prompt { height: auto; padding: 0 1; border-top: solid $primary 40%; }
    Prompt #queued { height: auto; color: $text-muted; display: none; }
    Prompt #queued.-show { display: block; }
    Prompt #prompt-row { height: auto; }
    """

    placeholder: reactive[str] = reactive("Message · / for commands")

    class Submitted(ControlMessage):
        def __init__(self, prompt: Prompt, text: str) -> None:
            super().__init__(prompt)
            self.text = text

    class Unqueue(ControlMessage):
        """Up on an empty prompt while prompts are queued: take the last one back to edit."""

    def __init__(self, commands: Sequence[PopupCommand] = (),
                 arg_choices: Mapping[str, Sequence[tuple[str, str, str]]] | None = None, **kwargs):
        """`commands`: the slash commands the popup offers (the app's registry);
        `arg_choices`: popup rows (label, description, value) per argument kind."""
        super().__init__(**kwargs)
        self._commands: list[PopupCommand] = list(commands)
        self._focus_color = DARK.user
        self.history: list[str] = []
        self._history_pos: int | None = None
        self._draft = ""
        self._arg_choices: dict[str, list[tuple[str, str, str]]] = {k: list(v) for k, v in (arg_choices or {}).items()}
        self._extra: list[PopupCommand] = []
        self._popup_mode: str | None = None  # "command" | "argument"
        self._slash_typed = False  # "/" was typed into an empty buffer, not yet seen by after_edit
        self._popup_text = ""  # the buffer the popup's items were filtered for
        self._queued: list[str] = []

    def compose(self) -> ComposeResult:
        yield SlashPopup(id="slash-popup")
        yield Static(id="queued")
        yield PromptArea(id="prompt-input", soft_wrap=True, tab_behavior="focus", compact=True,
                         placeholder=self.placeholder)

    @property
    def area(self) -> PromptArea:
        return self.query_one(PromptArea)

    @property
    def popup(self) -> SlashPopup:
        return self.query_one(SlashPopup)

    @property
    def popup_open(self) -> bool:
        return self.is_mounted and self.popup.is_open

    @property
    def text(self) -> str:
        return self.area.text

    @text.setter
    def text(self, value: str) -> None:
        self.area.load_text(value)
        self.area.move_cursor(self.area.document.end)
        self.close_popup()

    def on_mount(self) -> None:
        self.area.cursor_blink = False  # a blinking cursor wakes the app twice a second
        follow_theme(self, self._set_colors)

    # the focused prompt's top rule takes the user's colour; set here, not in CSS, because a
    # `$chinwag-*` variable exists only under Chinwag's themes
    def _set_colors(self, palette: Palette) -> None:
        self._focus_color = palette.user
        if self.has_focus_within:
            self.styles.border_top = ("solid", palette.user)

    def on_descendant_focus(self) -> None:
        self.styles.border_top = ("solid", self._focus_color)

    def on_descendant_blur(self) -> None:
        self.styles.clear_rule("border_top")

    def watch_placeholder(self, value: str) -> None:
        if self.is_mounted:
            self.area.placeholder = value

    def focus_input(self) -> None:
        self.area.focus()

    def set_queued(self, items: list[str]) -> None:
        self._queued = list(items)
        queued = self.query_one("#queued", Static)
        text = Text()
        for index, item in enumerate(items):
            if index:
                text.append("\n")
            text.append("⏳ queued: ", "bold")
            text.append(one_line(item, 200))
        if items:
            text.append("   (↑ on an empty prompt takes it back to edit)", "dim italic")
        queued.update(text)
        queued.set_class(bool(items), "-show")

    def set_arg_choices(self, kind: str, items: list[tuple[str, str, str]]) -> None:
        self._arg_choices[kind] = list(items)

    def set_extra_commands(self, commands: Sequence[PopupCommand]) -> None:
        """Commands an agent advertises, offered after the app's own."""
        self._extra = list(commands)

    @property
    def commands(self) -> list[PopupCommand]:
        return self._commands + self._extra

    # -- keys ---------------------------------------------------------------------------------
    def consume_key(self, key: str) -> bool:
        """Return True when the key was consumed here (the TextArea must not see it)."""
        if self.popup_open and self.text != self._popup_text:
            # Keys that arrive in one burst are handled before their Changed messages: bring
            # the popup up to the buffer as it is now, so Enter never accepts a stale item.
            self.refilter()
        if self.popup_open:
            if key in ("tab", "down"):
                self.popup.move(1)
                return True
            if key in ("shift+tab", "up"):
                self.popup.move(-1)
                return True
            if key == "enter":
                self.accept_popup()
                return True
            if key == "escape":
                self.close_popup()
                return True
        if key == "slash" and not self.text:
            # The popup opens on a "/" typed into an empty buffer. Decided here, at the key:
            # keys that arrive in one burst are all in the buffer before the first Changed.
            self._slash_typed = True
        if key == "tab" and self.text.startswith("/"):
            self.refilter(force=True)
            return True
        if key == "enter":
            self.submit()
            return True
        if key in ("ctrl+j", "alt+enter", "shift+enter"):
            self.area.insert("\n")
            return True
        if key == "up" and not self.text and self._queued:
            self.post_message(self.Unqueue(self))
            return True
        if key == "up" and self.area.cursor_location[0] == 0 and self.history:
            self._walk_history(-1)
            return True
        if key == "down" and self.area.cursor_location[0] == self.area.document.line_count - 1 \
                and self._history_pos is not None:
            self._walk_history(1)
            return True
        return False

    def submit(self) -> None:
        text = self.text
        if not text.strip():
            return
        self._history_pos = None
        self._draft = ""
        self.text = ""
        self.post_message(self.Submitted(self, text))

    def _walk_history(self, step: int) -> None:
        if self._history_pos is None:
            if step > 0:
                return
            self._draft = self.text
            position = len(self.history) - 1
        else:
            position = self._history_pos + step
        if position >= len(self.history):
            self._history_pos = None
            self.text = self._draft
            return
        position = max(0, position)
        self._history_pos = position
        self.text = self.history[position]

    # -- popup ---------------------------------------------------------------------------------
    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        event.stop()
        self.after_edit()

    def after_edit(self) -> None:
        text = self.text
        slash_typed, self._slash_typed = self._slash_typed, False
        if self.popup_open or text == "/" or (slash_typed and text.startswith("/")):
            self.refilter()

    def refilter(self, force: bool = False) -> None:
        text = self._popup_text = self.text
        if not text.startswith("/") or "\n" in text:
            self.close_popup()
            return
        name, space, argument = text[1:].partition(" ")
        if not space:
            commands = filter_commands(name, self.commands)
            items = [(f"/{c.name}", c.description + ("  · agent" if c.source == "agent" else ""), c.name)
                     for c in commands]
            self._popup_mode = "command"
            self.popup.show_items(items, empty_text="no matching command")
            return
        command = command_named(name.lower(), self.commands)
        if command is None or not command.arg_kind or " " in argument.strip():
            self.close_popup()
            return
        prefix = argument.lower()
        choices = self._arg_choices.get(command.arg_kind, [])
        items = [c for c in choices if c[0].lower().startswith(prefix) or c[2].lower().startswith(prefix)]
        if not items and prefix:
            items = [c for c in choices if prefix in c[0].lower()]
        self._popup_mode = "argument"
        self.popup.show_items(items[:200], empty_text=f"no matching {command.arg_kind.replace('_', ' ')}")

    def accept_popup(self) -> None:
        current = self.popup.current
        if current is None:
            self.close_popup()
            return
        if self._popup_mode == "command":
            command = command_named(current[2], self.commands)
            value = f"/{current[2]}" + (" " if command and command.takes_args else "")
        else:
            name = self.text[1:].partition(" ")[0]
            value = f"/{name} {current[2]}"
        self.text = value
        if value.endswith(" ") and command_named(value[1:].strip(), self.commands) and \
                command_named(value[1:].strip(), self.commands).arg_kind:
            self.refilter()

    def close_popup(self) -> None:
        if self.is_mounted:
            self.popup.close()
        self._popup_mode = None
