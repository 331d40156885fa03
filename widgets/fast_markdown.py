"""Rich's `Markdown` renderable, parsed by one shared markdown-it parser.

Rich builds a new `MarkdownIt` for every `Markdown` object, and markdown-it's HTML renderer
introspects itself on construction: ~5 ms each. The transcript makes one per block (and one
per streaming repaint), so that alone was ~30 ms of the first paint of a long session and a
steady cost while streaming. Parsing is stateless per call, so one parser serves all.
"""

from __future__ import annotations

from functools import lru_cache

from markdown_it import MarkdownIt
from rich.markdown import Markdown


@lru_cache(maxsize=1)
def shared_parser() -> MarkdownIt:
    """The parser Rich would build (CommonMark + strikethrough + tables), made once."""
    return MarkdownIt().enable("strikethrough").enable("table")


class FastMarkdown(Markdown):
    """`rich.markdown.Markdown` with the same attributes, without the per-object parser."""

    def __init__(self, markup: str, code_theme: str = "monokai", hyperlinks: bool = True) -> None:
        # Mirrors Markdown.__init__ (rich 14, 15); tests compare the attributes with Rich's own.
        self.markup = markup
        self.parsed = shared_parser().parse(markup)
        self.code_theme = code_theme
        self.justify = None
        self.style = "none"
        self.hyperlinks = hyperlinks
        self.inline_code_lexer = None
        self.inline_code_theme = code_theme
