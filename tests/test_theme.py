"""Colours come from the theme: Chinwag's dark theme is the look the snapshots pin, the
light one passes WCAG AA for text, any Textual theme yields a palette, and switching the
theme (`/theme`, `[ui] theme`) re-colours the Line-API widgets that cache their strips.
"""

from __future__ import annotations

from dataclasses import fields

import pytest

from chinwag.app.config.loader import Config
from chinwag.app.tui.app import ChinwagApp
from chinwag.storage import Store
from chinwag.widgets.theme import DARK, LIGHT, Palette, chinwag_themes, contrast_ratio, palette_from_variables

TEXT_ENTRIES = [f.name for f in fields(Palette) if f.name not in ("selection", "selection_blur", "badge_fg")]


@pytest.mark.parametrize("name", ["chinwag", "chinwag-light"])
def test_both_palettes_pass_wcag_aa_on_the_backgrounds_they_are_drawn_on(name):
    """Body text 4.5:1 on the screen, the surface, the status bar's panel and a selected row;
    `faint` (tree lines, group headings, idle rows) 4.5:1 where it is text (the screen, the
    surface) and 3:1 on a selection, where it marks an idle row's glyph."""
    theme = next(t for t in chinwag_themes() if t.name == name)
    palette = DARK if name == "chinwag" else LIGHT
    colors = theme.to_color_system().generate()
    backgrounds = {"background": colors["background"], "surface": colors["surface"], "panel": colors["panel"],
                   "selection": palette.selection, "selection_blur": palette.selection_blur}
    for entry in TEXT_ENTRIES:
        for where, background in backgrounds.items():
            need = 3.0 if entry == "faint" and where in ("panel", "selection", "selection_blur") else 4.5
            ratio = contrast_ratio(getattr(palette, entry), background)
            assert ratio >= need, f"{name}: {entry} {getattr(palette, entry)} on {where} {background}: {ratio:.2f}"
    assert contrast_ratio(palette.badge_fg, palette.warning) >= 4.5  # the "new output" badge


def test_markdown_takes_the_theme_colours_and_a_block_quote_is_not_error_red():
    from rich.console import Console

    from chinwag.storage.models import Turn
    from chinwag.widgets.role_block import RenderOptions, render_block

    console = Console(width=80, force_terminal=True, color_system="truecolor")
    reply = Turn(id="t", session_id="s", seq=1, role="agent", text="> a quoted line\n\nsee `code` and [a link](x)")
    for palette in (DARK, LIGHT):
        strips = render_block(console, reply, [], RenderOptions(width=80, palette=palette))
        quote = next(s for s in strips if "a quoted line" in s.text)
        colours = {seg.style.color.triplet.hex for seg in quote if seg.text.strip("▌▎ ") and seg.style and seg.style.color}
        assert colours == {palette.system} and palette.error not in colours
        used = _colors_in(strips)
        assert palette.tokens in used and palette.user in used  # inline code, the link
        assert all(seg.style.color is None or seg.style.color.triplet is not None
                   for strip in strips for seg in strip if seg.style)  # no terminal (ANSI) colours


def test_any_theme_gives_a_full_palette():
    from textual.theme import BUILTIN_THEMES

    for theme in BUILTIN_THEMES.values():
        variables = theme.to_color_system().generate()
        palette = palette_from_variables(variables, dark=theme.dark)
        for f in fields(Palette):
            value = getattr(palette, f.name)
            assert value.startswith("#") and len(value) == 7, (theme.name, f.name, value)
    own = palette_from_variables(next(t for t in chinwag_themes() if t.name == "chinwag").to_color_system().generate()
                                 | {"chinwag-user": DARK.user})
    assert own.user == DARK.user


def _colors_in(strips) -> set[str]:
    found = set()
    for strip in strips:
        for segment in strip:
            if segment.style and segment.style.color and segment.style.color.triplet:
                found.add(segment.style.color.triplet.hex)
    return found


@pytest.mark.parametrize("via", ["command", "config"])
async def test_switching_theme_recolours_the_transcript(tmp_path, via):
    store = Store(tmp_path / "db.sqlite")
    session = store.create_session(title="colours", agent="echo", model="echo-1")
    store.add_turn(session.id, "user", "hello there")
    config = Config(ui={"theme": "chinwag-light"}) if via == "config" else Config()
    app = ChinwagApp(store=store, config=config, session_id=session.id, animate=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        transcript = app.chat.transcript
        if via == "command":
            assert DARK.user in _colors_in(transcript._strips(0))
            app.chat.prompt.text = "/theme chinwag-light"
            await pilot.press("enter")
            await pilot.pause()
        assert app.theme == "chinwag-light"
        colours = _colors_in(transcript._strips(0))
        assert LIGHT.user in colours and DARK.user not in colours
        # the sidebar and status bar render under it too
        assert app.screen.render_lines is not None


async def test_unknown_theme_is_reported_and_the_default_kept(tmp_path):
    store = Store(tmp_path / "db.sqlite")
    app = ChinwagApp(store=store, config=Config(ui={"theme": "no-such-theme"}), new=True, animate=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert app.theme == "chinwag"
        messages = [n.message for n in app._notifications]
        assert any("no-such-theme" in m and "chinwag-light" in m for m in messages)
        app.chat.prompt.text = "/theme nope"
        await pilot.press("enter")
        await pilot.pause()
        assert app.theme == "chinwag" and app.is_running


# -- the rendered screen, cell by cell --------------------------------------------------------
DECORATION = {chr(c) for c in range(0x2500, 0x25A0)}  # box drawing and blocks: borders, rules, scrollbars
RAILS = set("▎┃▌")  # a block's rail says whose it is: non-text contrast, 3:1


def _effective(style, dim_factor):
    from textual.color import Color

    fg = Color.from_rich_color(style.color) if style.color else None
    bg = Color.from_rich_color(style.bgcolor) if style.bgcolor else None
    if style.reverse:
        fg, bg = bg, fg
    if fg is not None and bg is not None and style.dim:  # a terminal shows dim text about this faint
        fg = bg.blend(fg, dim_factor)
    return fg, bg


def low_contrast_cells(app, region=None) -> list[str]:
    """Every cell of the screen (or of `region`) whose text is below 4.5:1 on its own
    background (rails below 3:1; borders and rules are not text), or that has no colour."""
    from textual.constants import DIM_FACTOR

    found = []
    for y, strip in enumerate(app.screen._compositor.render_strips()):
        x = 0
        if region is not None and not region.y <= y < region.bottom:
            continue
        for segment in strip:
            text, style = segment.text, segment.style
            x += segment.cell_length
            if region is not None and not (region.x <= x - segment.cell_length and x <= region.right):
                continue
            visible = {c for c in text if not c.isspace()} - DECORATION
            rails = {c for c in text if c in RAILS}
            if not visible and not rails:
                continue
            fg, bg = _effective(style, DIM_FACTOR) if style else (None, None)
            if fg is None or bg is None:
                found.append(f"row {y}: {text.strip()!r} has no colour of its own ({style})")
                continue
            ratio = contrast_ratio(fg.hex6, bg.hex6)
            need = 4.5 if visible else 3.0
            if ratio < need:
                found.append(f"row {y} col {x - segment.cell_length}: {text.strip()!r} {fg.hex6} on {bg.hex6} "
                             f"= {ratio:.2f}")
    return found


def _demo_app(db_path, theme, **kwargs):
    from chinwag.app.demo import DEMO_NOW, build_demo
    from chinwag.storage.clock import FixedClock

    store = build_demo(db_path)
    store.clock = FixedClock(DEMO_NOW)
    return ChinwagApp(store=store, config=Config(ui={"theme": theme}), animate=False, **kwargs), store


@pytest.mark.parametrize("theme", ["chinwag", "chinwag-light"])
async def test_every_cell_of_the_screen_is_readable(db_path, theme):
    """WCAG AA on the real screen: the header, the transcript (Markdown, code, tool trees, a
    summary, compacted turns), the sidebar, the prompt, the status bar, the notice line and
    a dialog, in both of Chinwag's themes."""
    from chinwag.widgets.confirm import ConfirmScreen

    app, store = _demo_app(db_path, theme)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            app.notify("copied last reply (1,234 characters)")
            app.notify("could not list models: connection refused", severity="error")
            app.notify("the server answered slowly", severity="warning")
            await pilot.pause()
            problems = low_contrast_cells(app)
            scratch = next(s for s in store.list_sessions() if s.title == "Scratch pad")
            app.chat.open_session(scratch.id)  # an error block
            await pilot.pause()
            problems += low_contrast_cells(app)
            app.push_screen(ConfirmScreen("Delete “Scratch pad”?", "It disappears from the list (recoverable)."))
            await pilot.pause()
            # what lies under a dialog is dimmed on purpose (inactive); the dialog itself is checked
            problems += [f"dialog: {p}" for p in low_contrast_cells(app, app.screen.query_one("#dialog").region)]
        assert problems == [], "\n".join(problems[:40])
    finally:
        store.close()


@pytest.mark.parametrize("theme", ["chinwag", "chinwag-light"])
async def test_a_coding_agent_at_work_and_the_first_run_are_readable(db_path, tmp_path, theme):
    from datetime import timedelta

    from chinwag.app.demo import DEMO_NOW, build_agent_at_work

    store, session_id = build_agent_at_work(db_path)  # a plan, running and failed tools, a permission question
    try:
        app = ChinwagApp(store=store, config=Config(ui={"theme": theme}), session_id=session_id, animate=False,
                         now=lambda: DEMO_NOW + timedelta(seconds=14))
        async with app.run_test(size=(110, 32)) as pilot:
            await pilot.pause()
            problems = low_contrast_cells(app)
    finally:
        store.close()
    first = Store(tmp_path / "first.sqlite")
    try:
        app = ChinwagApp(store=first, config=Config(ui={"theme": theme}), animate=False)  # the offline hint
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            assert app.chat.notices.texts
            problems += low_contrast_cells(app)
    finally:
        first.close()
    assert problems == [], "\n".join(problems[:40])
