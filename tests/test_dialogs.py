"""Dialogs size to their text: the title and the explanation wrap inside the box at word
boundaries (nothing is cut, a markup-looking title keeps its closing quote), the buttons
line up with the text in one row (a column when they do not fit), and the focused button is
filled, not drawn as a reversed box inside a box.
"""

from __future__ import annotations

import pytest
from textual.app import App
from textual.widgets import Button, Static

from chinwag.widgets.choice_screen import ChoiceScreen
from chinwag.widgets.confirm import ConfirmScreen, TextPrompt
from chinwag.widgets.info_screen import InfoScreen
from chinwag.widgets.theme import install_themes

QUIT_TEXT = ("Stop keeps the partial reply. Background hands the turn to a worker process that continues the "
             "reply after you quit (follow it with `chinwag session attach`).")
QUIT_CHOICES = [("s", "Stop and quit"), ("b", "Finish in background"), ("w", "Wait, then quit"), ("c", "Cancel")]
DELETE_TITLE = "Delete “[bold]Where is the run target parsed? A much longer title for the test[/]”?"
HARD_TEXT = ("Soft-deleted sessions can be restored with `chinwag session restore`. Permanent deletion removes "
             "its turns and events for good.")


class Host(App):
    def __init__(self, screen):
        super().__init__()
        install_themes(self)
        self._dialog = screen

    def compose(self):
        yield Static("behind " * 400)

    def on_mount(self):
        self.push_screen(self._dialog)


def dialogs():
    return {
        "quit": lambda: ChoiceScreen("2 turn(s) still running", QUIT_TEXT, QUIT_CHOICES),
        "delete": lambda: ConfirmScreen(DELETE_TITLE, "It disappears from the list (recoverable)."),
        "hard": lambda: ConfirmScreen("Also delete “Where is the run target parsed?” permanently?", HARD_TEXT),
        "rename": lambda: TextPrompt("Rename session", "Where is the run target parsed?"),
        "info": lambda: InfoScreen("Help: every command and every key in effect, " * 3, "body"),
    }


def box_text(app) -> str:
    box = app.screen.query_one("#dialog, #panel")
    region = box.region
    lines = ["".join(s.text for s in strip) for strip in app.screen._compositor.render_strips()]
    return " ".join(line[region.x + 1:region.right - 1].strip(" │") for line in lines[region.y:region.bottom])


@pytest.mark.parametrize("size", [(80, 24), (50, 24)])
@pytest.mark.parametrize("name", sorted(dialogs()))
async def test_dialog_text_wraps_inside_the_box_and_nothing_is_cut(name, size):
    screen = dialogs()[name]()
    app = Host(screen)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        box = screen.query_one("#dialog, #panel")
        assert box.region.right <= size[0] and box.region.x >= 0
        shown = " ".join(box_text(app).split())
        for widget in screen.query(Static):
            if widget.id in ("dialog-title", "info-title") or widget.has_class("dialog-text"):
                words = " ".join(str(widget.render()).split())
                assert words in shown, (words, shown)  # every word, in order, the closing quote included
        for button in screen.query(Button):
            assert button.region.right <= box.region.right - 1  # inside the box
            assert " ".join(str(button.label).split()) in shown


async def test_buttons_line_up_with_the_text_and_focus_is_a_fill():
    screen = ChoiceScreen("2 turn(s) still running", QUIT_TEXT, QUIT_CHOICES)
    app = Host(screen)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        text_x = screen.query_one(".dialog-text").region.x
        choices = list(screen.query(Button))
        assert {b.region.x for b in choices} == {text_x}  # a column, flush with the text
        assert all(b.region.height == 1 for b in choices)
        focused = app.focused
        assert isinstance(focused, Button)
        assert not focused.rich_style.reverse  # no reversed label inside the button
        assert focused.styles.background != choices[-1].styles.background
    confirm = ConfirmScreen("Delete “notes”?", "It disappears from the list (recoverable).")
    app = Host(confirm)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        yes, no = confirm.query_one("#yes"), confirm.query_one("#no")
        assert yes.region.y == no.region.y and yes.region.x == confirm.query_one(".dialog-text").region.x
        assert app.focused is no
