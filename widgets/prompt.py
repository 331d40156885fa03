"""The prompt: a multi-line input with history, queued-prompt display, the slash popup and
collapsed big pastes.

Its keys are `Prompt.BINDINGS` (ids for `[keys]` rebinds, descriptions for /help), run here
before the TextArea sees the key (so Enter sends instead of inserting a newline, in the
order the keys arrived): Enter sends, Ctrl+J (Shift+Enter / Alt+Enter where the terminal
reports them; tmux does not) inserts a newline, Up on the first line / Down on the last walk
the history. `/` on an empty buffer (or Tab on a `/` buffer) opens the popup, and typing
reopens it while the buffer starts with `/`: typing filters by strict prefix, Tab/Down/Up
move and wrap, Enter accepts into the buffer without submitting, Esc dismisses. After a
command that takes an argument, the popup completes the argument.

A big paste (see `paste.is_big`) is one atomic token in the buffer, `[pasted 5,000 lines ·
212 KB]`: the cursor steps over it, an edit touching it removes it whole. `text` is always
the full text (tokens expanded); `Submitted` carries where the pastes are in it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.actions import SkipAction
from textual.actions import parse as parse_action
from textual.app import ComposeResult
from textual.binding import Binding
from textual.reactive import reactive
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Static, TextArea
from textual.widgets.text_area import Edit, EditResult, Location, Selection

from chinwag.storage.visible_text import needs_stand_ins, stand_ins
from chinwag.widgets import paste
from chinwag.widgets.key_names import key_label
from chinwag.widgets.messages import ControlMessage
from chinwag.widgets.slash_popup import PopupCommand, SlashPopup, command_named, filter_commands
from chinwag.widgets.text_safety import one_line
from chinwag.widgets.theme import DARK, Palette, follow_theme

Choice = tuple[str, str, str]  # a popup row: label, description, value
PASTE_HIGHLIGHT = "chinwag.paste"
EDIT_KEYS = ("backspace", "delete", "ctrl+w", "ctrl+u", "ctrl+k", "ctrl+backspace", "alt+backspace",
             "alt+delete", "ctrl+x", "ctrl+z", "ctrl+v")  # edits by key, besides typing
RECENT_PASTES = 8  # pastes remembered, so a text set back into the prompt collapses them again


class PromptArea(TextArea):
    """A TextArea whose special keys are decided by the owning Prompt first, and in which a
    big paste is one token (see the module docstring)."""

    DEFAULT_CSS = """
    PromptArea { border: none; padding: 0; height: auto; min-height: 1; max-height: 8; background: transparent; }
    PromptArea:focus { border: none; }
    PromptArea .text-area--cursor-line { background: transparent; }
    """

    paste_style = Style(color=DARK.user, bgcolor=DARK.selection)

    @property
    def owner(self) -> Prompt | None:
        return self.parent if isinstance(self.parent, Prompt) else None

    async def _on_key(self, event: events.Key) -> None:
        owner = self.owner
        if owner is not None:
            if owner.consume_key(event.key):
                event.stop()
                event.prevent_default()
                return
            if event.is_printable or event.key in EDIT_KEYS:
                owner.typing = True
        await super()._on_key(event)

    async def _on_paste(self, event: events.Paste) -> None:
        owner = self.owner
        if owner is None or self.read_only or not paste.is_big(event.text):
            return  # TextArea's own handler inserts it
        event.stop()
        event.prevent_default()
        owner.typing = True
        result = self._replace_via_keyboard(owner.token_for(event.text), *self.selection)
        if result:
            self.move_cursor(result.end_location)
            self.focus()

    # -- tokens are atomic -------------------------------------------------------------------
    def token_ranges(self) -> list[tuple[Location, Location]]:
        owner = self.owner
        if owner is None or not owner.pastes:
            return []
        text, ranges = self.text, []
        for token in owner.pastes:
            at = text.find(token)
            if at >= 0:
                locate = self.document.get_location_from_index
                ranges.append((locate(at), locate(at + len(token))))
        return ranges

    def edit(self, edit: Edit) -> EditResult:
        """An edit that touches a token covers all of it; text typed inside goes after it."""
        top, bottom = edit.top, edit.bottom
        for start, end in self.token_ranges():
            if top == bottom and start < top < end:
                top = bottom = end
            elif top < end and bottom > start:
                top, bottom = min(top, start), max(bottom, end)
        edit.from_location, edit.to_location = top, bottom
        return super().edit(edit)

    def watch_selection(self, previous: Selection, selection: Selection) -> None:
        """The cursor never rests inside a token: it steps to the side it was moving to."""
        if not selection.is_empty:
            return
        cursor = selection.end
        for start, end in self.token_ranges():
            if start < cursor < end:
                self.selection = Selection.cursor(start if previous.end >= end else end)
                return

    def _build_highlight_map(self) -> None:
        super()._build_highlight_map()
        for start, end in self.token_ranges():
            line = self.document[start[0]]
            byte = len(line[:start[1]].encode("utf-8", "surrogatepass"))
            stop = len(line[:end[1]].encode("utf-8", "surrogatepass"))
            self._highlights[start[0]].append((byte, stop, PASTE_HIGHLIGHT))

    def _set_theme(self, theme: str) -> None:
        super()._set_theme(theme)
        # a copy: TextArea's built-in themes share their style table
        styles = {**self._theme.syntax_styles, PASTE_HIGHLIGHT: self.paste_style}
        self._theme = dataclasses.replace(self._theme, syntax_styles=styles)

    def set_paste_style(self, style: Style) -> None:
        self.paste_style = style
        self._set_theme(self._theme.name)
        self.refresh()

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
    # Run by `consume_key` (a key's bindings in this order; the first that does not skip
    # wins). The popup's keys come first: they apply only while it is open.
    BINDINGS = [
        Binding("tab,down", "popup_move(1)", "slash popup: next", show=False, id="popup_next"),
        Binding("shift+tab,up", "popup_move(-1)", "slash popup: previous", show=False, id="popup_previous"),
        Binding("enter", "popup_accept", "slash popup: put the command in the prompt (Enter again runs it)",
                show=False, id="popup_accept"),
        Binding("escape", "popup_close", "slash popup: close (typing reopens it)", show=False, id="popup_close"),
        Binding("enter", "send", "send (while a turn runs: queue it)", show=False, id="send"),
        Binding("ctrl+j,shift+enter,alt+enter", "newline", "new line (Shift+Enter and Alt+Enter only where the "
                "terminal reports them; in tmux use Ctrl+J)", show=False, id="newline"),
        Binding("up", "history(-1)", "on the first line: the previous prompt (on an empty prompt, "
                "the last queued one first)", show=False, id="history_previous"),
        Binding("down", "history(1)", "on the last line: the next prompt", show=False, id="history_next"),
        Binding("slash", "slash", "on an empty prompt: the slash-command popup", show=False, id="slash_popup"),
        Binding("tab", "complete", "on a / line: the slash-command popup", show=False, id="complete"),
    ]

    placeholder: reactive[str] = reactive("Message · / for commands")

    class Submitted(ControlMessage):
        def __init__(self, prompt: Prompt, text: str, pastes: list[paste.Span] | None = None) -> None:
            super().__init__(prompt)
            self.text = text
            self.pastes = pastes or []  # where the collapsed pastes are in `text`

    class Unqueue(ControlMessage):
        """Up on an empty prompt while prompts are queued: take the last one back to edit."""

    class Edited(ControlMessage):
        """The buffer changed (typed, pasted, or set): the owner may save it as a draft."""

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
        self._arg_choices: dict[str, list[Choice] | Callable[[], list[Choice]]] = {
            k: list(v) for k, v in (arg_choices or {}).items()}
        self._extra: list[PopupCommand] = []
        self._popup_mode: str | None = None  # "command" | "argument"
        self.typing = False  # a key edited the buffer, not yet seen by after_edit
        self._popup_text = ""  # the buffer the popup's items were filtered for
        self._queued: list[str] = []
        self.pastes: dict[str, str] = {}  # token in the buffer -> the full pasted text
        self._recent: list[str] = []  # the last pastes' full texts

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
        """The full text: every paste token expanded."""
        return self.expanded()[0]

    @text.setter
    def text(self, value: str) -> None:
        """Set the buffer; pastes seen lately collapse to tokens again, and a text that is
        still big (a draft from an earlier run) becomes one token, unless it is a command
        line (a token at the start makes a message of it)."""
        self.pastes = {}
        buffer = value
        for full in reversed(self._recent):
            if len(full) <= len(buffer) and full in buffer:
                buffer = buffer.replace(full, self._new_token(full), 1)
        if paste.is_big(buffer) and not value.lstrip().startswith("/"):
            self.pastes = {}
            buffer = self._new_token(value)
        self.typing = False
        self.area.load_text(buffer)
        self.area.move_cursor(self.area.document.end)
        self.close_popup()

    def expanded(self) -> tuple[str, list[paste.Span]]:
        """The full text and where its pastes are in it."""
        raw = self.area.text
        if not self.pastes:
            return raw, []
        found = sorted((at, token) for token in self.pastes if (at := raw.find(token)) >= 0)
        parts: list[str] = []
        spans: list[paste.Span] = []
        position = length = 0
        for at, token in found:
            parts.append(raw[position:at])
            length += at - position
            full = self.pastes[token]
            spans.append((length, length + len(full)))
            parts.append(full)
            length += len(full)
            position = at + len(token)
        parts.append(raw[position:])
        return "".join(parts), spans

    def token_for(self, text: str) -> str:
        """The token a big paste shows as in the buffer (remembered with its text)."""
        self._recent = [t for t in self._recent if t != text][-(RECENT_PASTES - 1):] + [text]
        return self._new_token(text)

    def _new_token(self, text: str) -> str:
        number = 1
        while (token := paste.label(text, number)) in self.pastes:
            number += 1
        self.pastes[token] = text
        return token

    def on_mount(self) -> None:
        self.area.cursor_blink = False  # a blinking cursor wakes the app twice a second
        follow_theme(self, self._set_colors)

    # the focused prompt's top rule takes the user's colour; set here, not in CSS, because a
    # `$chinwag-*` variable exists only under Chinwag's themes
    def _set_colors(self, palette: Palette) -> None:
        self._focus_color = palette.user
        self.area.set_paste_style(Style(color=palette.user, bgcolor=palette.selection))
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
            text.append(one_line(paste.collapsed(item, []), 200))
        if items:
            text.append("   (↑ on an empty prompt takes it back to edit)", "dim italic")
        queued.update(text)
        queued.set_class(bool(items), "-show")

    def set_arg_choices(self, kind: str, items: list[Choice] | Callable[[], list[Choice]]) -> None:
        """The popup's rows for an argument kind, or a function giving them when the popup opens."""
        self._arg_choices[kind] = items if callable(items) else list(items)

    def set_extra_commands(self, commands: Sequence[PopupCommand]) -> None:
        """Commands an agent advertises, offered after the app's own."""
        self._extra = list(commands)

    @property
    def commands(self) -> list[PopupCommand]:
        return self._commands + self._extra

    # -- keys ---------------------------------------------------------------------------------
    def keys_for(self, binding_id: str) -> list[str]:
        """The keys bound to one of the prompt's bindings, after `[keys]` rebinds."""
        return [b.key for bindings in self._key_map().values() for b in bindings if b.id == binding_id]

    @property
    def newline_hint(self) -> str:
        keys = self.keys_for("newline")
        return f"{key_label(keys[0])} new line" if keys else ""

    def _key_map(self) -> dict[str, list[Binding]]:
        bindings = self._bindings.copy()
        keymap = getattr(self.app, "_keymap", None) if self.is_attached else None
        if keymap:
            bindings.apply_keymap(keymap)
        return bindings.key_to_bindings

    def consume_key(self, key: str) -> bool:
        """Run the key's first binding that applies now; True when one did (the TextArea
        must not see the key)."""
        if self.popup_open and self.text != self._popup_text:
            # Keys that arrive in one burst are handled before their Changed messages: bring
            # the popup up to the buffer as it is now, so Enter never accepts a stale item.
            self.refilter()
        for binding in self._key_map().get(key, []):
            _, name, params = parse_action(binding.action)
            try:
                getattr(self, f"action_{name}")(*params)
            except SkipAction:
                continue
            return True
        return False

    # Each action raises SkipAction when it does not apply, so the key goes on (to the
    # TextArea, then to the screen's bindings: Esc cancels a turn when no popup is open).
    def action_popup_move(self, step: int) -> None:
        self._popup_only()
        self.popup.move(step)

    def action_popup_accept(self) -> None:
        self._popup_only()
        self.accept_popup()

    def action_popup_close(self) -> None:
        self._popup_only()
        self.close_popup()

    def _popup_only(self) -> None:
        if not self.popup_open:
            raise SkipAction()

    def action_send(self) -> None:
        self.submit()

    def action_newline(self) -> None:
        self.area.insert("\n")

    def action_history(self, step: int) -> None:
        area = self.area
        if step < 0 and not self.text and self._queued:
            self.post_message(self.Unqueue(self))
        elif step < 0 and area.cursor_location[0] == 0 and self.history:
            self._walk_history(-1)
        elif step > 0 and area.cursor_location[0] == area.document.line_count - 1 \
                and self._history_pos is not None:
            self._walk_history(1)
        else:
            raise SkipAction()

    def action_slash(self) -> None:
        if self.area.text:
            raise SkipAction()  # "/" inside text is just a character
        self.area.insert("/")
        self.typing = True

    def action_complete(self) -> None:
        if not self.text.startswith("/"):
            raise SkipAction()
        self.refilter(force=True)

    def submit(self) -> None:
        text, spans = self.expanded()
        if not text.strip():
            return
        self._history_pos = None
        self._draft = ""
        self.text = ""
        self.post_message(self.Submitted(self, text, spans))

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
        self.post_message(self.Edited(self))

    def after_edit(self) -> None:
        typed, self.typing = self.typing, False
        text = self.area.text
        if self.popup_open or (typed and text.startswith("/")):
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
        choices = choices() if callable(choices) else choices
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
