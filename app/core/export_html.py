"""A session as one self-contained HTML file (`chinwag session export --format html`): role
blocks with coloured rails, each agent turn's header (status, agent, model, tokens, cost,
time), thinking and tool-call trees collapsible (`<details>`), Markdown replies with code
highlighted by Pygments into CSS classes, timestamps in UTC.

Nothing loads from the network: the CSS is inline, fonts are the system's, there is no
script (a Content-Security-Policy forbids any), and links and images in replies stay text.
Every piece of user or agent text is escaped, with control characters (ANSI escapes
included) shown as visible stand-ins, so hostile text shows literally.

Colours and glyphs come from the caller (`Look`: the CLI passes the theme's palettes and the
widgets' glyphs), so this module knows nothing of Textual. The dark palette is used, or the
light one when the browser prefers a light scheme.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from chinwag.storage.visible_text import stand_ins

ROLES = {"user": "▸ you", "agent": "agent", "system": "system", "summary": "summary"}
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'none'; base-uri 'none'"


@dataclass(frozen=True)
class Look:
    """What the export looks like: two palettes (entry name -> colour, plus `background` and
    `foreground`), and glyph and palette entry per turn status and per tool-call status."""

    dark: Mapping[str, str]
    light: Mapping[str, str]
    turn_status: Mapping[str, tuple[str, str]]
    tool_status: Mapping[str, tuple[str, str]]


def visible(text: str | None) -> str:
    """Text with every control character (but newline and tab) and lone surrogate shown as a
    visible stand-in, carriage returns folded into newlines."""
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n")
    return stand_ins(text)


def escape(text: str | None) -> str:
    return html.escape(visible(text), quote=True)


def _color(value: str) -> str:
    # colours go into CSS: only a plain hex colour is written, whatever the caller passed
    return value if re.fullmatch(r"#[0-9a-fA-F]{3,8}", value or "") else "#808080"


def _variables(palette: Mapping[str, str]) -> str:
    return "; ".join(f"--{name.replace('_', '-')}: {_color(value)}" for name, value in palette.items())


def _pygments_css() -> str:
    from pygments.formatters import HtmlFormatter  # lazy: only an HTML export highlights code

    dark = HtmlFormatter(style="github-dark").get_style_defs(".hl")
    light = HtmlFormatter(style="default").get_style_defs(".hl")
    return f"{dark}\n@media (prefers-color-scheme: light) {{\n{light}\n}}"


CSS = """
:root { color-scheme: dark light; %(dark)s }
@media (prefers-color-scheme: light) { :root { %(light)s } }
* { box-sizing: border-box }
body { margin: 0 auto; max-width: 60rem; padding: 1.5rem 1rem 4rem; background: var(--background);
       color: var(--foreground); font: 15px/1.55 system-ui, -apple-system, "Segoe UI", sans-serif }
header h1 { font-size: 1.35rem; margin: 0 0 .25rem; color: var(--user) }
header .meta, .head .meta, time { color: var(--system); font-size: .85rem }
.turn { border-left: 3px solid var(--rail); margin: 1.1rem 0; padding: .1rem 0 .1rem 1rem }
.turn.user { --rail: var(--user) } .turn.agent { --rail: var(--agent) }
.turn.system { --rail: var(--system) } .turn.summary { --rail: var(--summary) }
.turn.compacted { opacity: .6 }
.head { display: flex; flex-wrap: wrap; gap: .5rem; align-items: baseline }
.head .who { color: var(--rail); font-weight: 600 }
.glyph { font-weight: 700 } .c-success { color: var(--success) } .c-warning { color: var(--warning) }
.c-error { color: var(--error) } .c-interrupted { color: var(--interrupted) } .c-system { color: var(--system) }
.c-faint { color: var(--faint) }
.model { color: var(--model) } .tokens { color: var(--tokens) }
.plain { white-space: pre-wrap; overflow-wrap: anywhere; margin: .35rem 0 }
.body { overflow-wrap: anywhere } .body > :first-child { margin-top: .35rem } .body > :last-child { margin-bottom: .35rem }
pre, code { font-family: ui-monospace, "SF Mono", Menlo, Consolas, monospace; font-size: .88rem }
pre { overflow-x: auto; padding: .6rem .8rem; border-radius: 4px; background: rgba(127, 127, 127, .12) }
:not(pre) > code { padding: 0 .25rem; border-radius: 3px; background: rgba(127, 127, 127, .15) }
details { margin: .3rem 0 } summary { cursor: pointer; color: var(--system) }
details.tool { border-left: 1px solid var(--faint); padding-left: .75rem }
details.tool > summary .name { color: var(--foreground); font-weight: 600 }
details.tool > summary .args { color: var(--model) }
details.tool pre { white-space: pre-wrap; overflow-wrap: anywhere }
.marker { color: var(--warning) } .error { color: var(--error); white-space: pre-wrap }
.gap { text-align: center; color: var(--faint); font-size: .85rem }
"""


def _markdown():
    from markdown_it import MarkdownIt  # lazy: only an HTML export renders Markdown

    def highlight(code: str, lang: str, _attrs) -> str:
        from pygments import highlight as pygmentize  # lazy: as above
        from pygments.formatters import HtmlFormatter  # lazy: as above
        from pygments.lexers import TextLexer, get_lexer_by_name  # lazy: as above
        from pygments.util import ClassNotFound  # lazy: as above

        try:
            lexer = get_lexer_by_name(lang) if lang else TextLexer()
        except ClassNotFound:
            lexer = TextLexer()
        # a result starting with <pre is used as it is (markdown-it wraps anything else in one)
        return f'<pre class="hl"><code>{pygmentize(code, lexer, HtmlFormatter(nowrap=True))}</code></pre>'

    # no raw HTML, and links, images, references and entities stay the text they were written as
    md = MarkdownIt("commonmark", {"html": False, "highlight": highlight})
    md.disable(["link", "image", "autolink", "reference", "entity", "html_inline", "html_block"])
    return md


def _time(stamp: str | None) -> str:
    if not stamp:
        return ""
    shown = stamp[:19].replace("T", " ") + " UTC"
    return f'<time datetime="{escape(stamp)}">{escape(shown)}</time>'


def _tokens(turn: dict) -> str:
    metadata = turn.get("metadata") or {}
    if isinstance(metadata, dict) and metadata.get("usage") == "unreported":
        return "⇡ – ⇣ –"
    mark = "~" if turn.get("tokens_estimated") else ""
    return f"⇡ {mark}{turn['input_tokens']:,} ⇣ {mark}{turn['output_tokens']:,}"


class _Renderer:
    def __init__(self, look: Look, costs: Mapping[str, str]):
        self.look, self.costs = look, costs
        self.md = _markdown()

    def glyph(self, table: Mapping[str, tuple[str, str]], status: str) -> str:
        glyph, color = table.get(status, ("?", "system"))
        return f'<span class="glyph c-{escape(color)}" title="{escape(status)}">{escape(glyph)}</span>'

    def tools(self, calls: list[dict], parent: str | None, by_parent: dict) -> list[str]:
        out: list[str] = []
        for call in by_parent.get(parent, []):
            args = visible(call.get("args"))
            short = args if len(args) <= 160 else args[:159] + "…"
            out.append(f'<details class="tool"><summary>{self.glyph(self.look.tool_status, call["status"])} '
                       f'<span class="name">{escape(call["name"])}</span> <code class="args">{html.escape(short)}'
                       f"</code></summary>")
            if len(args) > 160:
                out.append(f'<pre class="args">{html.escape(args)}</pre>')
            if call.get("output"):
                out.append(f'<pre class="output">{escape(call["output"])}</pre>')
            out += self.tools(calls, call["id"], by_parent)
            out.append("</details>")
        return out

    def turn(self, turn: dict, calls: list[dict]) -> str:
        role = turn["role"] if turn["role"] in ROLES else "system"
        classes = f"turn {role}" + (" compacted" if turn.get("compacted") else "")
        head = []
        if role == "agent":
            head.append(self.glyph(self.look.turn_status, turn["status"]))
        head.append(f'<span class="who">{escape(turn["agent"] or "agent") if role == "agent" else ROLES[role]}</span>')
        if role == "agent":
            if turn.get("model"):
                head.append(f'<span class="model">{escape(turn["model"])}</span>')
            head.append(f'<span class="tokens">{escape(_tokens(turn))}</span>')
            if turn["id"] in self.costs:
                head.append(f'<span class="meta cost">{escape(self.costs[turn["id"]])}</span>')
        if turn.get("compacted"):
            head.append('<span class="meta">(compacted)</span>')
        head.append(_time(turn.get("created_at")))
        parts = [f'<article class="{classes}" id="turn-{escape(turn["id"])}">',
                 f'<div class="head">{" ".join(head)}</div>']
        if turn.get("thinking"):
            parts.append(f'<details class="thinking"><summary>thinking</summary>'
                         f'<div class="plain">{escape(turn["thinking"])}</div></details>')
        if turn.get("text"):
            if role in ("agent", "summary"):
                parts.append(f'<div class="body">{self.md.render(visible(turn["text"]))}</div>')
            else:
                parts.append(f'<div class="plain">{escape(turn["text"])}</div>')
        by_parent: dict[str | None, list[dict]] = {}
        ids = {call["id"] for call in calls}
        for call in calls:
            by_parent.setdefault(call.get("parent_id") if call.get("parent_id") in ids else None, []).append(call)
        parts += self.tools(calls, None, by_parent)
        if turn["status"] in ("stopped", "interrupted"):
            parts.append(f'<p class="marker">[{escape(turn["status"])}] the partial reply is kept</p>')
        if turn.get("error"):
            parts.append(f'<p class="error">error: {escape(turn["error"])}</p>')
        parts.append("</article>")
        return "\n".join(parts)


def render(document: dict[str, Any], look: Look, *, costs: Mapping[str, str] | None = None,
           session_cost: str = "") -> str:
    """The HTML of a session export (`Store.export_session`'s document); `costs` maps turn ids
    to the cost shown in their headers."""
    session = document["session"]
    renderer = _Renderer(look, costs or {})
    by_turn: dict[str, list[dict]] = {}
    for call in document.get("tool_calls", []):
        by_turn.setdefault(call["turn_id"], []).append(call)
    css = CSS % {"dark": _variables(look.dark), "light": _variables(look.light)} + _pygments_css()
    meta = [escape(session["id"]), escape(session["agent"] + (f" · {session['model']}" if session["model"] else "")),
            f"{session['turn_count']:,} turns", f"⇡ {session['input_tokens']:,} ⇣ {session['output_tokens']:,}"]
    if session_cost:
        meta.append(escape(session_cost))
    meta.append(f"started {_time(session['created_at'])}")
    body = [renderer.turn(turn, by_turn.get(turn["id"], [])) for turn in document.get("turns", [])]
    return "\n".join([
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="generator" content="chinwag">',
        f"<title>{escape(session['title'])}</title>",
        f"<style>{css}</style>",
        "</head>",
        "<body>",
        f'<header><h1>{escape(session["title"])}</h1><div class="meta">{" · ".join(meta)}</div></header>',
        "<main>",
        *body,
        "</main>",
        "</body>",
        "</html>",
        "",
    ])
