"""The views of /rewind and /branches: a modal list to pick one row from (the prompts to
rewind to, the branch tips to jump to) and the rewind's preview, which says what changes
(the turns that leave the active path, the files with a diff of each, shown once worked
out) and asks how.

Plain data in (rows of text, ids), the choice out through `dismiss`; user text is shown
literally (Rich `Text`, never markup).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.css.query import NoMatches
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList, Static
from textual.widgets.option_list import Option

from chinwag.widgets.text_safety import TITLE_LIMIT, notice, one_line, plain, safe_text
from chinwag.widgets.theme import palette_for

PANEL_CSS = """
{name} {{ align: center middle; }}
{name} > #panel {{
    width: 90%; max-width: 110; height: auto; max-height: 85%;
    border: round $accent; background: $surface; padding: 0 1;
}}
{name} #panel-title {{ text-style: bold; color: $accent; padding-bottom: 1; }}
{name} #panel-note {{ color: $text-muted; padding-bottom: 1; }}
{name} #panel-hint {{ color: $text-muted; padding-top: 1; }}
"""
COMPUTING = "computing the diff…"


@dataclass(frozen=True)
class Row:
    """One row of a pick list: `id` is what choosing it answers; `lines` are shown."""

    id: str
    title: str  # the first line (bold)
    when: str = ""  # e.g. "3h" (shown before the title)
    detail: str = ""  # a second, muted line
    mark: str = ""  # e.g. "*" for the active branch


class PickScreen(ModalScreen[str | None]):
    """Pick one row (Enter or a click); Esc answers None."""

    DEFAULT_CSS = PANEL_CSS.format(name="PickScreen") + """
    PickScreen OptionList { width: 100%; height: auto; max-height: 24; border: none; background: $surface; }
    PickScreen OptionList:focus { border: none; }
    """
    BINDINGS = [Binding("escape", "cancel", "cancel")]

    def __init__(self, title: str, rows: list[Row], *, note: str = "", hint: str = "enter choose · esc cancel"):
        super().__init__()
        self._title, self._rows, self._note, self._hint = title, rows, note, hint

    def _prompt(self, row: Row) -> Text:
        palette = palette_for(self.app)
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(f"{row.mark or ' '} ", Style(color=palette.success, bold=True))
        if row.when:
            text.append(f"{row.when:>4}  ", Style(color=palette.system))
        text.append(one_line(row.title, 200), Style(bold=True))
        if row.detail:
            text.append("\n      " + one_line(row.detail, 300), Style(color=palette.faint))
        return text

    def compose(self) -> ComposeResult:
        with Vertical(id="panel"):
            yield Static(plain(notice(self._title, TITLE_LIMIT)), id="panel-title")
            if self._note:
                yield Static(plain(self._note), id="panel-note")
            yield OptionList(*(Option(self._prompt(row), id=row.id) for row in self._rows), id="pick-list")
            yield Label(self._hint, id="panel-hint")

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)


@dataclass(frozen=True)
class PreviewData:
    """What a rewind to before a prompt changes (plain data for `RewindPreviewScreen`)."""

    prompt: str  # the prompt's first line
    leaving: int  # turns that leave the active path
    changed: list[str] = field(default_factory=list)
    created_removed: list[str] = field(default_factory=list)
    deleted_restored: list[str] = field(default_factory=list)
    diffs: dict[str, str] = field(default_factory=dict)
    files_note: str = ""  # why files would not be restored ('' when they would)


def preview_text(data: PreviewData, palette) -> Text:
    text = Text()
    text.append("conversation: ", Style(bold=True))
    text.append(f"{data.leaving} turn{'s' if data.leaving != 1 else ''} leave the active branch "
                "(nothing is deleted; /branches goes back to them)\n")
    text.append("files: ", Style(bold=True))
    if data.files_note:
        text.append(safe_text(data.files_note) + "\n", Style(color=palette.warning))
    elif not (data.changed or data.created_removed or data.deleted_restored):
        text.append("nothing changed since then\n")
    else:
        text.append(f"{len(data.changed)} changed back, {len(data.created_removed)} created later removed, "
                    f"{len(data.deleted_restored)} deleted brought back\n")
    for label, paths in (("changed", data.changed), ("removed", data.created_removed),
                         ("restored", data.deleted_restored)):
        for path in paths:
            text.append(f"  {label:<8} ", Style(color=palette.system))
            text.append(safe_text(path) + "\n", Style(bold=True))
    for path, diff in data.diffs.items():
        if not diff:
            continue
        text.append(f"\n{safe_text(path)} (now, against then)\n", Style(bold=True, underline=True))
        for line in safe_text(diff).splitlines():
            color = palette.success if line.startswith("+") else palette.error if line.startswith("-") else \
                palette.model if line.startswith("@@") else None
            text.append(line + "\n", Style(color=color))
    return text


class RewindPreviewScreen(ModalScreen[str | None]):
    """What a rewind changes, and the question: `b` conversation and files, `c` only the
    conversation, Esc cancel (answers "both", "conversation" or None).

    The preview may come later (`show`, or `failed`): the screen opens at once saying
    COMPUTING, with `c` and Esc working meanwhile; `b` waits for files that can be restored.
    What arrives after an answer is dropped."""

    DEFAULT_CSS = PANEL_CSS.format(name="RewindPreviewScreen") + """
    RewindPreviewScreen #preview-body { height: auto; max-height: 24; }
    RewindPreviewScreen #preview-keys { color: $accent; text-style: bold; padding-bottom: 1; }
    """
    BINDINGS = [Binding("escape", "answer(None)", "cancel"), Binding("c", "answer('conversation')", "conversation")]

    def __init__(self, title: str, data: PreviewData | None = None):
        super().__init__()
        self._title, self._data = title, data
        self._error = ""
        self._answered = False

    @property
    def ready(self) -> bool:
        """The preview (or why there is none) is shown."""
        return self._data is not None or bool(self._error)

    @property
    def files_restorable(self) -> bool:
        return self._data is not None and not self._data.files_note

    def _keys(self) -> str:
        return ("b  rewind conversation and files · " if self.files_restorable else "") + \
            "c  only the conversation · esc  cancel"

    def _body(self) -> Text:
        palette = palette_for(self.app)
        if self._data is not None:
            return preview_text(self._data, palette)
        if self._error:
            return Text(f"could not work out what changes: {safe_text(self._error)}", Style(color=palette.warning))
        return Text(COMPUTING, Style(color=palette.system, italic=True))

    def compose(self) -> ComposeResult:
        with Vertical(id="panel"):
            yield Static(plain(notice(self._title, TITLE_LIMIT)), id="panel-title")
            yield Label(self._keys(), id="preview-keys")  # above the preview: in view however long it is
            with VerticalScroll(id="preview-body"):
                yield Static(self._body(), id="preview-text")

    def show(self, data: PreviewData) -> None:
        self._data = data
        self._refresh_preview()

    def failed(self, message: str) -> None:
        self._error = message
        self._refresh_preview()

    def on_mount(self) -> None:
        self._refresh_preview()  # what arrived while the screen was being composed

    def _refresh_preview(self) -> None:
        if self._answered:
            return  # closed: nothing to show
        try:
            keys, body = self.query_one("#preview-keys", Label), self.query_one("#preview-text", Static)
        except NoMatches:
            return  # not composed yet: compose shows it
        keys.update(self._keys())
        body.update(self._body())

    def on_key(self, event) -> None:
        if event.key == "b" and self.files_restorable:
            event.stop()
            self.action_answer("both")

    def action_answer(self, value: str | None) -> None:
        if not self._answered:
            self._answered = True
            self.dismiss(value)
