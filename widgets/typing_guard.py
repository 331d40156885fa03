"""Typing never acts: the one rule for a focused view whose printable keys are actions (the
transcript's j k e r p …, the session list's `*`), so a word typed in the wrong place lands
where text goes (the prompt, the sidebar's filter) instead of regenerating, pinning or editing.

The owner's `on_key` hands every key to `TypingGuard.on_key` before any binding runs:

- a printable key no binding takes (along the owner's binding chain, `[keys]` rebinds
  included) is typed: `type_to(key, character)` moves the focus there at once (so the keys
  behind it follow) and types it;
- a printable key that is part of typing is typed too, bound or not: it came within `burst`
  seconds of the previous printable key (another key: a repeat, j j j, is never typing), or
  it reached the owner after the focus had left it (a burst's keys already on their way);
- the first key of a word may still be bound, so what it does can be taken back: a key in
  `immediate` (moving the selection: it must feel instant) acts at once and `snapshot()`
  returns how to put the view back; any other bound key is held `burst` seconds and acts
  only if no other printable key came. When one comes, the view goes back or the held key
  is dropped, and its character is typed first: nothing acted, nothing lost.
- `ask(...)` holds a one-line question (`r`: regenerate this reply?): its key or Enter says
  yes, Esc no; any other printable key closes it, an unbound one typing the asking key and
  itself, a bound one acting.

`burst` 0 turns the timing off (every bound key acts at once). Pilot presses keys at machine
speed, so the test suite runs with 0 and the guard's own tests set their interval.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from time import monotonic
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # no Textual at import: the test suite's fixtures set BURST_SECONDS without loading it
    from textual import events
    from textual.binding import Binding
    from textual.dom import DOMNode
    from textual.timer import Timer
    from textual.widget import Widget

    from chinwag.widgets.prompt import Prompt

# Between two keys of a word most people take 100-250 ms; a reader pressing different
# navigation keys takes longer (repeats of one key are exempt, however fast).
BURST_SECONDS = 0.3


@dataclass
class _Held:
    """A bound key that acted at once (`undo` puts the view back) or waits (`run`)."""

    key: str
    character: str
    undo: Callable[[], None] | None = None
    run: Callable[[], Awaitable[object]] | None = None
    timer: Timer | None = None


@dataclass
class _Question:
    """The one-line question a guarded key asked, and what yes and closing do."""

    key: str
    character: str
    yes: Callable[[], None]
    closed: Callable[[], None]


class TypingGuard:
    def __init__(self, owner: Widget, *, immediate: Collection[str] = (),
                 snapshot: Callable[[], Callable[[], None]] | None = None) -> None:
        self.owner = owner
        self.immediate = frozenset(immediate)
        self.snapshot = snapshot
        self.type_to: Callable[[str, str], None] | None = None  # (key, character): where typing goes
        self.paste_to: Callable[[str], None] | None = None  # where a paste goes
        self.burst = BURST_SECONDS
        self.clock: Callable[[], float] = monotonic
        self._last: tuple[str, float, bool] | None = None  # the previous printable key, when, whether typed
        self._held: _Held | None = None
        self._question: _Question | None = None

    # -- what is bound ---------------------------------------------------------------------
    def binding(self, key: str) -> tuple[DOMNode, Binding] | None:
        """The binding a key would run, from the owner up (as Textual looks), priority ones aside."""
        keymap = self.owner.app._keymap
        for node in self.owner.ancestors_with_self:
            bindings = node._bindings
            if keymap:
                bindings = bindings.copy()
                bindings.apply_keymap(keymap)
            for binding in bindings.key_to_bindings.get(key, ()):
                if not binding.priority:
                    return node, binding
        return None

    def binds(self, key: str) -> bool:
        return self.binding(key) is not None

    # -- keys --------------------------------------------------------------------------------
    async def on_key(self, event: events.Key) -> None:
        if self._question is not None and self._answer(event):
            return
        if not (event.is_printable and event.character):
            self._last = None
            if event.key == "escape" and self._held is not None and self._held.run is not None:
                self._drop()  # Esc right after a key takes it back, and does nothing else
                self._stop(event)
            else:
                await self._release()
            return
        now = self.clock()
        last, self._last = self._last, (event.key, now, False)
        recent = last is not None and self.burst > 0 and now - last[1] <= self.burst
        if not recent:
            await self._release()  # a held key whose time is up (its timer is late) acts first
        found = self.binding(event.key)
        away = self.owner.screen.focused is not self.owner
        repeat = recent and last is not None and last[0] == event.key and not last[2]
        if self.type_to is not None and (found is None or away or recent and not repeat):
            self._stop(event)
            self._type([*self._take_back(), (event.key, event.character)])
            return
        if found is None:
            return
        await self._release()
        if repeat or self.burst <= 0:
            return  # acts at once: the binding runs as the key bubbles on
        if event.key in self.immediate:
            self._held = _Held(event.key, event.character, undo=self.snapshot() if self.snapshot else None)
            return
        self._stop(event)
        node, binding = found
        self._held = _Held(event.key, event.character, run=lambda: self.owner.app.run_action(binding.action, node))
        self._held.timer = self.owner.set_timer(self.burst, self._release)

    def paste(self, event: events.Paste) -> None:
        """A paste on the owner goes where typing goes."""
        if self.paste_to is not None:
            self._stop(event)
            self.paste_to(event.text)

    def _take_back(self) -> list[tuple[str, str]]:
        """The held key, dropped or its effect undone: its character is to be typed."""
        held = self._drop()
        if held is None:
            return []
        if held.undo is not None:
            held.undo()
        return [(held.key, held.character)]

    def _drop(self) -> _Held | None:
        held, self._held = self._held, None
        if held is not None and held.timer is not None:
            held.timer.stop()
        return held

    async def _release(self) -> None:
        """The held key's time is up: a waiting one acts, an acted one stays."""
        held = self._drop()
        if held is not None and held.run is not None:
            await held.run()

    def _type(self, keys: list[tuple[str, str]]) -> None:
        if self._last is not None:
            self._last = (*self._last[:2], True)
        for key, character in keys:
            if self.type_to is not None:
                self.type_to(key, character)

    @staticmethod
    def _stop(event: events.Event) -> None:
        event.stop()
        event.prevent_default()

    # -- a one-line question -------------------------------------------------------------------
    def ask(self, key: str, character: str, yes: Callable[[], None], closed: Callable[[], None]) -> bool:
        """Hold a question (its text is the caller's to show, and to take away in `closed`);
        False, and nothing held, when the owner no longer has the focus (keys go elsewhere)."""
        if self.owner.screen.focused is not self.owner:
            return False
        self.close()
        self._question = _Question(key, character, yes, closed)
        return True

    @property
    def asking(self) -> bool:
        return self._question is not None

    def close(self) -> None:
        question, self._question = self._question, None
        if question is not None:
            question.closed()

    def _answer(self, event: events.Key) -> bool:
        """True when the key answered the question (and nothing else is to happen)."""
        question = self._question
        assert question is not None
        self.close()
        if event.key in (question.key, "enter"):
            self._stop(event)
            question.yes()
            return True
        if event.key == "escape":
            self._stop(event)
            return True
        if event.is_printable and event.character and self.type_to is not None and not self.binds(event.key):
            self._stop(event)
            self._last = (event.key, self.clock(), False)
            self._type([(question.key, question.character), (event.key, event.character)])
            return True
        return False


class PromptTypist:
    """Types into the prompt as if the keys were typed there: the focus moves at once, the
    prompt's own bindings come first (`/` on an empty prompt opens the commands), else the
    character replaces the selection, as a typed key does."""

    def __init__(self, prompt: Prompt) -> None:
        self.prompt = prompt

    def __call__(self, key: str, character: str) -> None:
        prompt, area = self.prompt, self.prompt.area
        if prompt.screen.focused is not area:
            prompt.screen.set_focus(area)
        if prompt.consume_key(key):
            return
        prompt.typing = True
        area._replace_via_keyboard(character, *area.selection)

    def paste(self, text: str) -> None:
        area = self.prompt.area
        if self.prompt.screen.focused is not area:
            self.prompt.screen.set_focus(area)
        from textual.events import Paste  # lazy: this module loads without Textual

        area._forward_event(Paste(text))  # as the app hands a paste to the focused widget (it bubbles back up)
