"""Colours from the theme: the semantic palette every widget draws with, and Chinwag's own
Textual themes.

Widgets never name a hex colour. Line-API widgets (transcript, role blocks, session list,
status bar) draw Rich `Style`s, so they read a `Palette` — one colour per meaning (the user's
rail, an agent's, warning, success, muted text …) — resolved from the app's current theme.
Chinwag's themes carry every palette entry as a `chinwag-*` theme variable; any other
Textual theme (`/theme nord`) gets a palette derived from its primary/secondary/warning/
error/success colours, so every theme works. CSS uses the same variables (`$chinwag-user`).
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from functools import lru_cache
from typing import TYPE_CHECKING

from rich.style import Style
from rich.theme import Theme as RichTheme
from textual.color import Color
from textual.theme import BUILTIN_THEMES, Theme

if TYPE_CHECKING:
    from textual.app import App
    from textual.dom import DOMNode


@dataclass(frozen=True)
class Palette:
    """The colours role blocks and bars are drawn with, taken from the theme."""

    user: str  # the user's rail and "▸ you"; the brand colour
    agent: str  # an agent's rail and name
    system: str  # system turns, pending tool calls, idle glyphs
    summary: str  # compaction summaries
    error: str
    warning: str  # running / streaming / stopped
    success: str  # complete, completed tool calls
    interrupted: str
    model: str  # model names, tool-call arguments
    tokens: str  # token counts
    faint: str  # tree lines, group headers, idle sessions
    selection: str  # background of the selected row/block (focused)
    selection_blur: str  # background of the selected row (unfocused)
    badge_fg: str  # text on a warning-coloured badge ("new output ↓")

    def get(self, name: str) -> str:
        """The colour for a palette entry name ("warning"), falling back to `system`."""
        return getattr(self, name, self.system)


# Dark: every text colour passes WCAG AA (4.5:1) on the backgrounds it is drawn on (the
# screen, the surface, the status bar's panel, a selected row); `faint` passes on the screen
# and the surface, and 3:1 (decoration: tree lines, idle glyphs) on a selection.
# tests/test_theme.py checks every entry, and the rendered screen cell by cell.
DARK = Palette(
    user="#7aa2f7", agent="#bb9af7", system="#999cb2", summary="#2ac3de", error="#f7768e",
    warning="#e0af68", success="#9ece6a", interrupted="#ff9e64", model="#a9b1d6", tokens="#7dcfff",
    faint="#7e85a5", selection="#283457", selection_blur="#1f2335", badge_fg="#000000",
)

# Light: the same meanings, darkened until body-size text passes WCAG AA (4.5:1) on the
# light background (tests/test_theme.py checks every entry).
LIGHT = Palette(
    user="#044fac", agent="#6e2dc2", system="#50566e", summary="#005b77", error="#aa0035",
    warning="#744e00", success="#3d5c1c", interrupted="#8e3900", model="#37405e", tokens="#005a82",
    faint="#4f546c", selection="#c4cfee", selection_blur="#d6dcef", badge_fg="#ffffff",
)

PREFIX = "chinwag-"
DARK_NAME = "chinwag"
LIGHT_NAME = "chinwag-light"


def _variables(palette: Palette) -> dict[str, str]:
    return {PREFIX + f.name.replace("_", "-"): getattr(palette, f.name) for f in fields(palette)}


def chinwag_themes() -> list[Theme]:
    """Chinwag's dark theme (Textual's own dark colours for the chrome, so the app looks as it
    always did) and a light one."""
    dark = replace(BUILTIN_THEMES["textual-dark"], name=DARK_NAME, variables=_variables(DARK))
    light_base = BUILTIN_THEMES["textual-light"]
    light = replace(light_base, name=LIGHT_NAME, primary="#044fac",
                    variables={**light_base.variables, **_variables(LIGHT)})
    return [dark, light]


def luminance(hex_color: str) -> float:
    """WCAG relative luminance (0 black – 1 white)."""
    r, g, b = (channel / 255 for channel in Color.parse(hex_color).rgb)
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b)]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def is_dark(palette: Palette) -> bool:
    """Whether the palette is for a dark background (its text colours are light)."""
    return luminance(palette.model) > 0.18


DARK_CODE_THEME = "monokai"
LIGHT_CODE_THEME = "xcode"  # Pygments' most readable light style: every token passes 4.5:1 on white


def code_theme(palette: Palette) -> str:
    """The Pygments style for code blocks under this palette."""
    return DARK_CODE_THEME if is_dark(palette) else LIGHT_CODE_THEME


@lru_cache(maxsize=16)
def markdown_theme(palette: Palette) -> RichTheme:
    """Rich's Markdown styles in the palette's colours (Rich's own are terminal colours: a
    block quote would be magenta, which many terminals show as the error red)."""
    p = palette
    return RichTheme({
        "markdown.code": Style(bold=True, color=p.tokens),
        "markdown.code_block": Style(color=p.model),
        "markdown.block_quote": Style(color=p.system, italic=True),
        "markdown.list": Style(color=p.agent),
        "markdown.item.bullet": Style(bold=True, color=p.agent),
        "markdown.item.number": Style(color=p.agent),
        "markdown.hr": Style(color=p.faint),
        "markdown.h1.border": Style(color=p.faint),
        "markdown.h1": Style(bold=True, underline=True, color=p.user),
        "markdown.h2": Style(bold=True, underline=True, color=p.user),
        "markdown.h3": Style(bold=True, color=p.user),
        "markdown.h4": Style(italic=True, color=p.user),
        "markdown.h5": Style(italic=True),
        "markdown.h6": Style(color=p.system),
        "markdown.h7": Style(italic=True, color=p.system),
        "markdown.link": Style(color=p.user),
        "markdown.link_url": Style(color=p.user, underline=True),
        "markdown.table.border": Style(color=p.faint),
        "markdown.table.header": Style(color=p.agent, bold=True),
        "markdown.kbd": Style(bold=True, color=p.warning),
    })


def _blend(color: str, over: str, alpha: float) -> str:
    return Color.parse(over).blend(Color.parse(color), alpha).hex6


def palette_from_variables(variables: dict[str, str], *, dark: bool = True) -> Palette:
    """The palette a theme's CSS variables describe: `chinwag-*` entries where the theme has
    them, otherwise derived from its standard colours."""
    base = DARK if dark else LIGHT
    background = variables.get("background", "#121212" if dark else "#e0e0e0")

    def pick(name: str, *candidates: str) -> str:
        own = variables.get(PREFIX + name.replace("_", "-"))
        if own:
            return own
        for candidate in candidates:
            value = variables.get(candidate)
            if value and not value.startswith(("ansi", "auto")):
                try:
                    color = Color.parse(value)
                except Exception:  # a value Color cannot read: try the next candidate
                    continue
                if color.a < 1:  # Rich styles take opaque colours: mix it over the background
                    color = Color.parse(background).blend(color.with_alpha(1), color.a)
                return color.hex6
        return getattr(base, name)

    primary = pick("user", "primary")
    return Palette(
        user=primary,
        agent=pick("agent", "secondary", "accent"),
        system=pick("system", "foreground-muted", "text-muted"),
        summary=pick("summary", "accent"),
        error=pick("error", "error"),
        warning=pick("warning", "warning"),
        success=pick("success", "success"),
        interrupted=pick("interrupted", "accent", "warning"),
        model=pick("model", "foreground"),
        tokens=pick("tokens", "secondary", "primary"),
        faint=pick("faint", "foreground-darken-3", "foreground-muted"),
        selection=variables.get(PREFIX + "selection") or _blend(primary, background, 0.3),
        selection_blur=variables.get(PREFIX + "selection-blur") or _blend(primary, background, 0.15),
        badge_fg=pick("badge_fg", "background"),
    )


def palette_for(node: App | DOMNode | None) -> Palette:
    """The palette of the current theme of `node`'s app (DARK outside an app), cached per
    theme name."""
    if node is None:
        return DARK
    try:
        app = node.app
        name = app.theme
        cached = _CACHE.get(name)
        if cached is None:
            cached = palette_from_variables(app.get_css_variables(), dark=app.current_theme.dark)
            _CACHE[name] = cached
        return cached
    except Exception:  # no active app / theme yet (a widget rendered outside an app)
        return DARK


_CACHE: dict[str, Palette] = {}


def contrast_ratio(foreground: str, background: str) -> float:
    """WCAG 2 contrast ratio between two colours (1.0 – 21.0)."""

    high, low = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def follow_theme(widget, callback) -> None:
    """Call `callback(palette)` now and again whenever the app's theme changes (call it from
    `on_mount`); Line-API widgets clear their cached strips in the callback."""
    app = widget.app

    def changed(_theme) -> None:
        _CACHE.pop(app.theme, None)
        callback(palette_for(app))

    app.theme_changed_signal.subscribe(widget, changed)
    callback(palette_for(app))


def install_themes(app: App, theme: str = DARK_NAME) -> None:
    """Register Chinwag's themes on `app` and switch to `theme` (any registered name)."""
    for chinwag_theme in chinwag_themes():
        app.register_theme(chinwag_theme)
    app.theme = theme


class ThemedLines:
    """Mixed into a Line-API widget (`class X(ThemedLines, ScrollView)`): every line it draws
    sits on its own CSS colours. A Line-API widget's strips carry only the styles it gave them;
    without this, cells it left unstyled show the terminal's default colours, not the theme's
    (a light terminal under the dark theme, and a mismatched band beside the padding)."""

    def render_lines(self, crop):
        base = self.rich_style
        return [strip.apply_style(base) for strip in super().render_lines(crop)]
