"""Rich's `Markdown` renderable, made cheaper to build: one shared markdown-it parser, and a
quicker-to-compile Python lexer for code blocks.

Rich builds a new `MarkdownIt` for every `Markdown` object, and markdown-it's HTML renderer
introspects itself on construction: ~5 ms each. The transcript makes one per block (and one
per streaming repaint), so that alone was ~30 ms of the first paint of a long session and a
steady cost while streaming. Parsing is stateless per call, so one parser serves all.

Pygments compiles a lexer's regular expressions the first time it is used; for Python most
of that time (~15 of ~23 ms) goes into six rules whose identifier pattern spells out the
Unicode XID classes as a 3,500-character set. `FastPythonLexer` is Pygments' own lexer with
that pattern written as `[^\\W\\d]\\w*` (letters or `_`, then word characters: the same
identifiers in practice; a test compares the tokens on this project's source). Code blocks
in Python use it; every other language goes to Pygments by name, as Rich does.
"""

from __future__ import annotations

from functools import lru_cache

from markdown_it import MarkdownIt
from rich.markdown import CodeBlock, Markdown
from rich.syntax import Syntax

SIMPLE_NAME = r"[^\W\d]\w*"


@lru_cache(maxsize=1)
def shared_parser() -> MarkdownIt:
    """The parser Rich would build (CommonMark + strikethrough + tables), made once."""
    return MarkdownIt().enable("strikethrough").enable("table")


@lru_cache(maxsize=1)
def fast_python_lexer_class():
    """Pygments' PythonLexer with a simpler identifier pattern (built on first use)."""
    from pygments.lexers.python import PythonLexer  # lazy: start-up

    slow = PythonLexer.uni_name

    def simpler(rule):
        if isinstance(rule, tuple) and isinstance(rule[0], str) and slow in rule[0]:
            return (rule[0].replace(slow, SIMPLE_NAME), *rule[1:])
        return rule

    tokens = {state: [simpler(rule) for rule in rules] for state, rules in PythonLexer.tokens.items()}
    return type("FastPythonLexer", (PythonLexer,), {"aliases": [], "filenames": [], "tokens": tokens})


@lru_cache(maxsize=8)
def _python_lexer(tab_size: int):
    # The options Rich's Syntax passes to get_lexer_by_name.
    return fast_python_lexer_class()(stripnl=False, ensurenl=True, tabsize=tab_size)


PYTHON_NAMES = frozenset({"python", "py", "python3", "py3", "sage", "bazel", "starlark", "pyi"})


class FastCodeBlock(CodeBlock):
    """Rich's code block, with `FastPythonLexer` for Python."""

    def __rich_console__(self, console, options):
        code = str(self.text).rstrip()
        lexer = _python_lexer(4) if self.lexer_name.lower() in PYTHON_NAMES else self.lexer_name
        yield Syntax(code, lexer, theme=self.theme, word_wrap=True, padding=1)


class FastMarkdown(Markdown):
    """`rich.markdown.Markdown` with the same attributes, without the per-object parser."""

    elements = {**Markdown.elements, "fence": FastCodeBlock, "code_block": FastCodeBlock}

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
