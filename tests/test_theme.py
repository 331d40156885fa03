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


def test_light_palette_passes_wcag_aa_on_its_backgrounds():
    light = next(t for t in chinwag_themes() if t.name == "chinwag-light")
    for background in (light.background, light.surface):
        for name in TEXT_ENTRIES:
            ratio = contrast_ratio(getattr(LIGHT, name), background)
            assert ratio >= 4.5, f"{name} {getattr(LIGHT, name)} on {background}: {ratio:.2f}"
        for name in TEXT_ENTRIES:
            assert contrast_ratio(getattr(LIGHT, name), LIGHT.selection) >= 3.0, name


def test_dark_palette_text_passes_wcag_aa():
    for name in TEXT_ENTRIES:
        if name == "faint":  # tree lines and group headings: decorative (see the look issue)
            continue
        assert contrast_ratio(getattr(DARK, name), "#121212") >= 4.5, name


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
