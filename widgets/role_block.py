"""Rendering one turn as a role block: a list of `Strip`s (one per terminal line).

    ● claude-code · sonnet-4.5 · ⇡ 2,311 ⇣ 246 · 8.0s        <- header (glyph shows status)
    ▎ The run target is parsed in `cli/target.py` …           <- Markdown body on a rail
    ▎ ├─ ✓ search  pattern="parse_target"                     <- the rail runs on into
    ▎ │  └─ ✗ read_file  src/legacy.py                        <- the nested tool-call tree

Pure functions over plain rows (Turn, ToolCall) and a Rich Console: no widget state, so
the transcript can render lazily, cache, and re-render only what changed. Streaming text
is rendered incrementally: settled paragraphs are cached, only the tail is redone.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING

from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.strip import Strip

from chinwag.storage import tokens
from chinwag.storage.clock import parse_ts
from chinwag.storage.models import ToolCall, Turn
from chinwag.widgets import glyphs, paste, time_label
from chinwag.widgets.block_notes import PLAIN_CONSOLE as _PLAIN_CONSOLE
from chinwag.widgets.block_notes import checkpoint_skipped, permission_text, plan_lines
from chinwag.widgets.block_notes import text_lines as _text_lines
from chinwag.widgets.text_safety import one_line, safe_text
from chinwag.widgets.theme import DARK, Palette, code_theme, markdown_theme

if TYPE_CHECKING:
    from chinwag.widgets.fast_markdown import FastMarkdown

RAIL = "▎ "
RAIL_SELECTED = "┃ "
RAIL_WIDTH = 2
MAX_OUTPUT_LINES = 12


@dataclass
class RenderOptions:
    """How to draw a role block: width, state, palette, siblings, cost and clock."""

    width: int
    expanded: bool = False
    selected: bool = False
    frame: int = 0
    now_iso: str | None = None  # for the elapsed time of a streaming turn
    palette: Palette = DARK  # the theme's colours
    siblings: tuple[int, int] | None = None  # (position, count) among the turn's siblings: `‹ 2/3 ›`
    cost: str = ""  # an agent turn's cost (`$0.0123`, `~$0.01`, `–`), when the front end priced it
    clock: datetime | None = None  # "now" for the header's relative time (None: no time shown)
    absolute_times: bool = False  # the header's time as 2026-12-01 14:02 (the transcript's `T`)
    gap: str = ""  # a marker line above the block ("— 3 h later —"): a long pause before it
    output_focus: tuple[str, int] | None = None  # (tool call id, line): its output shown around that line (a find hit)


@dataclass
class StreamCache:
    """Incremental Markdown rendering of a growing text, per turn and width."""

    width: int = 0
    settled_end: int = 0  # text[:settled_end] is rendered into `lines`
    lines: list[list[Segment]] = field(default_factory=list)
    padded: list[Strip] = field(default_factory=list)  # `lines` with rail, padded to width
    padded_key: tuple = ()


def format_tokens(turn: Turn) -> str:
    return tokens.pair(turn.input_tokens, turn.output_tokens, tokens.turn_usage(turn))


def elapsed(turn: Turn, now_iso: str | None = None) -> str:
    start = turn.started_at or turn.created_at
    end = turn.finished_at or now_iso
    if not start or not end:
        return ""
    seconds = max(0.0, (parse_ts(end) - parse_ts(start)).total_seconds())
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}m{secs:02d}s"


def speed(turn: Turn) -> str:
    """A settled agent turn's output tokens per second ("" when not reported or instant)."""
    usage = tokens.turn_usage(turn)
    if turn.status == "streaming" or usage == tokens.UNREPORTED:
        return ""
    seconds = time_label.duration_seconds(turn.started_at or turn.created_at, turn.finished_at)
    return time_label.speed(turn.output_tokens, seconds, estimated=usage == tokens.ESTIMATED)


def _when(turn: Turn, opts: RenderOptions) -> str:
    if opts.clock is None and not opts.absolute_times:
        return ""
    return time_label.when(turn.created_at, opts.clock, absolute_times=opts.absolute_times)


def header_text(turn: Turn, calls: list[ToolCall], opts: RenderOptions) -> Text:
    text = Text(no_wrap=True, overflow="ellipsis")
    colors = opts.palette
    when = _when(turn, opts)
    if turn.role == "user":
        text.append("▸ you", Style(color=colors.user, bold=True))
        if when:
            text.append(f" · {when}", Style(color=colors.faint))
    elif turn.role == "summary" and turn.status == "streaming":  # a compaction at work
        text.append(f"{glyphs.spinner(opts.frame)} compacting", Style(color=colors.summary, bold=True))
        if (turn.metadata or {}).get("auto"):
            text.append(" · automatic", Style(color=colors.system))
        spent = elapsed(turn, opts.now_iso)
        if spent:
            text.append(f" · {spent}", Style(color=colors.system))
        text.append(" · working… esc cancels", Style(color=colors.warning, italic=True))
    elif turn.role == "summary":
        meta = turn.metadata or {}
        label = "≡ summary · auto-compacted" if meta.get("auto") else "≡ summary"
        if meta.get("auto") and meta.get("reason"):
            label = f"≡ summary · automatic: {one_line(str(meta['reason']), 80)}"
        text.append(label, Style(color=colors.summary, bold=True))
        if turn.undone:
            text.append(" · undone: not sent", Style(color=colors.warning, italic=True))
        if meta.get("summarized"):
            text.append(f" · {meta['summarized']} turns compacted", Style(color=colors.system))
        if meta.get("tokens_before"):
            text.append(f" · context {meta['tokens_before']:,} → {meta.get('tokens_after', 0):,}",
                        Style(color=colors.system))
        if when:
            text.append(f" · {when}", Style(color=colors.faint))
    elif turn.role == "system":
        text.append("· system", Style(color=colors.system, bold=True))
        if when:
            text.append(f" · {when}", Style(color=colors.faint))
    else:
        glyph, color_name = glyphs.turn_glyph(turn.status, opts.frame)
        color = colors.get(color_name)
        text.append(glyph, Style(color=color, bold=True))
        text.append(" ")
        text.append(one_line(turn.agent or "agent", 40), Style(bold=True))
        if turn.model:
            text.append(" · ")
            text.append(one_line(turn.model, 40), Style(color=colors.model))
        if turn.status != "streaming" or turn.input_tokens or turn.output_tokens:
            text.append(" · ")
            text.append(format_tokens(turn), Style(color=colors.tokens))
        if opts.cost:
            text.append(f" · {opts.cost}", Style(color=colors.tokens))
        spent = elapsed(turn, opts.now_iso)
        if spent:
            text.append(f" · {spent}", Style(color=colors.system))
        rate = speed(turn)
        if rate:
            text.append(f" · {rate}", Style(color=colors.system))
        if when:
            text.append(f" · {when}", Style(color=colors.faint))
        if turn.status == "streaming":
            text.append(" · working…", Style(color=color, italic=True))
    if opts.siblings and opts.siblings[1] > 1:  # the other versions of this block: [ ] or a click on the arrows
        text.append(f"  {SIBLINGS_LEFT} {opts.siblings[0]}/{opts.siblings[1]} {SIBLINGS_RIGHT}", Style(color=colors.model))
    if turn.compacted:
        text.append("  (compacted)", Style(color=colors.faint, italic=True))
    if turn.pinned:
        text.append("  • pinned", Style(color=colors.warning, bold=True))
    return text


SIBLINGS_LEFT, SIBLINGS_RIGHT = "‹", "›"


def rail_color(turn: Turn, palette: Palette = DARK) -> str:
    if turn.role == "agent" and turn.status == "error":
        return palette.error
    return palette.get(glyphs.ROLE_RAIL.get(turn.role, "system"))


def _rail(turn: Turn, opts: RenderOptions) -> Segment:
    style = Style(color=rail_color(turn, opts.palette), bold=opts.selected)
    return Segment(RAIL_SELECTED if opts.selected else RAIL, style)


def _lines_of(console: Console, renderable, width: int) -> list[list[Segment]]:
    options = console.options.update(width=max(1, width), highlight=False)
    return console.render_lines(renderable, options, pad=False)


def _markdown(text: str, palette: Palette = DARK) -> FastMarkdown:
    from chinwag.widgets.fast_markdown import FastMarkdown  # lazy: markdown-it (~30 ms) off the first paint

    return FastMarkdown(text, code_theme=code_theme(palette), hyperlinks=False)


def _markdown_lines(console: Console, text: str, width: int, palette: Palette) -> list[list[Segment]]:
    with console.use_theme(markdown_theme(palette)):  # Markdown's styles in the theme's colours
        return _lines_of(console, _markdown(text, palette), width)


FENCES = ("```", "~~~")


def _paragraph_ends(text: str, start: int) -> list[int]:
    """Where each complete paragraph after `start` ends: after a blank line outside a fence
    (`start` is itself such a boundary, so no fence is open there)."""
    ends: list[int] = []
    fence, position = False, start
    while True:
        newline = text.find("\n", position)
        if newline < 0:
            return ends
        line = text[position:newline]
        if line.lstrip().startswith(FENCES):
            fence = not fence
        elif not fence and not line.strip():
            ends.append(newline + 1)
        position = newline + 1


def _is_blank(line: list[Segment]) -> bool:
    return all(not segment.text.strip() and not (segment.style and segment.style.bgcolor) for segment in line)


def _trimmed(lines: list[list[Segment]]) -> list[list[Segment]]:
    """Without the blank lines Rich puts before or after some elements (a list that opens
    a document starts with one): the spacing between paragraphs is added by `_join`."""
    start, end = 0, len(lines)
    while start < end and _is_blank(lines[start]):
        start += 1
    while end > start and _is_blank(lines[end - 1]):
        end -= 1
    return lines[start:end]


def _join(lines: list[list[Segment]], more: list[list[Segment]]) -> None:
    if more:
        if lines:
            lines.append([])
        lines.extend(more)


MAX_RENDER_CHARS = 60_000


def body_lines(console: Console, turn: Turn, width: int, cache: StreamCache | None,
               palette: Palette = DARK) -> list[list[Segment]]:
    """The body of a block as segment lines (Markdown for agents, literal text for users).

    A huge text (a pasted log, a dumped file) shows its first MAX_RENDER_CHARS characters
    and a line saying how much more there is: rendering cost stays bounded.
    """
    text = safe_text(turn.text[:MAX_RENDER_CHARS])
    if not text.strip():
        return []
    hidden = len(turn.text) - MAX_RENDER_CHARS
    lines = _body_text_lines(console, turn, text, width, cache, palette)
    if hidden > 0:
        more = Text(f"… {hidden:,} more characters (the whole text: /transcript, /export, or copy)",
                    Style(color=palette.system, italic=True))
        lines = lines + _lines_of(console, more, width)
    return lines


def _body_text_lines(console: Console, turn: Turn, text: str, width: int,
                     cache: StreamCache | None, palette: Palette) -> list[list[Segment]]:
    if turn.role == "user" or turn.role == "system":
        return _lines_of(console, Text(text), width)
    return markdown_lines(console, text, width, cache, palette)


def markdown_lines(console: Console, text: str, width: int, cache: StreamCache | None = None,
                   palette: Palette = DARK) -> list[list[Segment]]:
    """Markdown as lines, one paragraph at a time, each paragraph rendered on its own and
    joined by one blank line. It is the one rendering path for a reply that streams (its
    complete paragraphs are kept in `cache`, only the tail is redone) and for the same reply
    read back (a fresh cache): both split the text at the same places, so they match line
    for line whenever and in whatever pieces the text arrived."""
    cache = cache if cache is not None else StreamCache()
    if cache.width != width or cache.settled_end > len(text):
        cache.width, cache.settled_end, cache.lines = width, 0, []
    for end in _paragraph_ends(text, cache.settled_end):
        chunk = text[cache.settled_end:end]
        if chunk.strip():
            _join(cache.lines, _trimmed(_markdown_lines(console, chunk, width, palette)))
        cache.settled_end = end
    lines = list(cache.lines)
    tail = text[cache.settled_end:]
    if tail.strip():
        _join(lines, _trimmed(_markdown_lines(console, tail, width, palette)))
    return lines


def shown_turn(turn: Turn, expanded: bool) -> Turn:
    """A user turn as its block shows it: big pastes collapsed to their labels until expanded."""
    if turn.role != "user" or expanded:
        return turn
    text = paste.collapsed(turn.text, paste.valid_spans(turn.text, (turn.metadata or {}).get("pastes")))
    return turn if text == turn.text else replace(turn, text=text)


def output_start(call_id: str, lines: int, focus: tuple[str, int] | None) -> int:
    """The first of a tool call's output lines an expanded block shows: 0, or when a find hit
    is on a line past the first MAX_OUTPUT_LINES, a window with that line a third of the way down."""
    if focus is None or focus[0] != call_id or focus[1] < MAX_OUTPUT_LINES:
        return 0
    return max(0, min(focus[1] - MAX_OUTPUT_LINES // 3, lines - MAX_OUTPUT_LINES))


def tool_tree_lines(calls: list[ToolCall], width: int, opts: RenderOptions) -> list[list[Segment]]:
    children: dict[str | None, list[ToolCall]] = {}
    known = {c.id for c in calls}
    for call in calls:
        parent = call.parent_id if call.parent_id in known else None
        children.setdefault(parent, []).append(call)
    lines: list[list[Segment]] = []

    def walk(parent: str | None, prefix: str) -> None:
        siblings = children.get(parent, [])
        for index, call in enumerate(siblings):
            last = index == len(siblings) - 1
            glyph, color_name = glyphs.tool_glyph(call.status, opts.frame)
            line = Text(no_wrap=True, overflow="ellipsis")
            line.append(prefix + ("└─ " if last else "├─ "), Style(color=opts.palette.faint))
            line.append(glyph, Style(color=opts.palette.get(color_name), bold=True))
            line.append(" ")
            line.append(one_line(call.name, 40), Style(bold=True))
            if call.args:
                line.append("  " + one_line(call.args, 200), Style(color=opts.palette.model))
            if call.output and not opts.expanded:
                line.append(f"  ({len(call.output):,} chars)", Style(color=opts.palette.system))
            lines.extend(_text_lines(line, width))
            inner = prefix + ("   " if last else "│  ")
            if opts.expanded and call.output:
                output = safe_text(call.output).splitlines()
                start = output_start(call.id, len(output), opts.output_focus)
                shown = output[start:start + MAX_OUTPUT_LINES]
                note = Style(color=opts.palette.system, italic=True)
                if start:
                    lines.extend(_text_lines(Text(f"{inner}  … {start} lines above", note), width))
                for out in shown:
                    lines.extend(_text_lines(Text(inner + "  " + out, Style(color=opts.palette.system), no_wrap=True,
                                                         overflow="ellipsis"), width))
                if len(output) > start + len(shown):
                    lines.extend(_text_lines(Text(f"{inner}  … {len(output) - start - len(shown)} more lines", note),
                                             width))
            walk(call.id, inner)

    walk(None, "")
    return lines




def _pad(segments: list[Segment], width: int) -> Strip:
    strip = Strip(segments)
    return strip.adjust_cell_length(width)


class BlockLines(list):
    """A block's strips, and the row its tool-call tree starts on (None without calls), so
    the transcript can bring an expanded tool output into view."""

    tools_at: int | None = None


def render_block(
    console: Console,
    turn: Turn,
    calls: list[ToolCall],
    opts: RenderOptions,
    cache: StreamCache | None = None,
) -> BlockLines:
    """All lines of one block, each exactly `opts.width` cells, ending with a blank line."""
    width = max(RAIL_WIDTH + 8, opts.width)
    inner = width - RAIL_WIDTH
    rail = _rail(turn, opts)
    strips = [gap_strip(opts.gap, width, opts.palette)] if opts.gap else []
    strips.append(header_strip(turn, calls, opts))
    body: list[list[Segment]] = []
    if turn.role == "agent" and turn.thinking:
        label = Text(no_wrap=True, overflow="ellipsis")
        label.append(("▾ thinking" if opts.expanded else "▸ thinking") + f" ({len(turn.thinking):,} chars)",
                     Style(color=opts.palette.system, italic=True))
        body.extend(_text_lines(label, inner))
        if opts.expanded:
            body.extend(_lines_of(console, Text(safe_text(turn.thinking), Style(color=opts.palette.system, italic=True)), inner))
    if turn.role == "agent":
        body.extend(plan_lines(turn.metadata or {}, inner, opts.palette))
    prefix = len(body)
    body.extend(body_lines(console, shown_turn(turn, opts.expanded), inner, cache, opts.palette))
    settled = len(cache.lines) if cache is not None and turn.role == "agent" else 0
    tools_at = None
    if calls:
        tools_at = len(strips) + len(body)  # the gap and header lines, then the body lines before the tree
        body.extend(tool_tree_lines(calls, inner, opts))
    asking = permission_text(turn.metadata or {}, opts.palette) if turn.role == "agent" else None
    if asking is not None:
        body.extend(_lines_of(console, asking, inner))
    marker = _marker(turn, opts.palette)
    if marker is not None:
        body.extend(_lines_of(console, marker, inner))
    if turn.role == "agent" and not body and turn.status == "streaming":
        body.extend(_text_lines(Text("…", Style(color=opts.palette.system)), inner))
    # a compacted turn (no longer sent) is greyed out: one theme colour, not terminal dim,
    # so it keeps a readable contrast
    dim = Style(color=opts.palette.faint) if turn.compacted or turn.undone else None

    def pad(line: list[Segment]) -> Strip:
        segments = [rail, *line]
        if dim is not None:
            segments = list(Segment.apply_style(segments, post_style=dim))
        return _pad(segments, width)

    strips.extend(pad(line) for line in body[:prefix])
    if settled:
        # settled paragraphs of a stream are padded once, not on every update
        key = (width, rail, dim)
        if cache.padded_key != key or len(cache.padded) > settled:
            cache.padded, cache.padded_key = [], key
        cache.padded.extend(pad(line) for line in body[prefix + len(cache.padded): prefix + settled])
        strips.extend(cache.padded)
    strips.extend(pad(line) for line in body[prefix + settled:])
    strips.append(Strip.blank(width))
    rendered = BlockLines(strips)
    rendered.tools_at = tools_at
    return rendered


def header_strip(turn: Turn, calls: list[ToolCall], opts: RenderOptions) -> Strip:
    width = max(RAIL_WIDTH + 8, opts.width)
    text = header_text(turn, calls, opts)
    text.truncate(width, overflow="ellipsis")
    segments = list(text.render(_PLAIN_CONSOLE))
    if opts.selected:
        segments = list(Segment.apply_style(segments, post_style=Style(bgcolor=opts.palette.selection)))
    if turn.compacted or turn.undone:
        segments = list(Segment.apply_style(segments, post_style=Style(color=opts.palette.faint)))
    strip = _pad(segments, width)
    if opts.selected:
        strip = strip.apply_style(Style(bgcolor=opts.palette.selection))
    return strip


def gap_strip(label: str, width: int, palette: Palette = DARK) -> Strip:
    """The gap marker, centred and faint, above a block that came long after the one before."""
    pad = max(0, (width - len(label)) // 2)
    return _pad([Segment(" " * pad), Segment(label, Style(color=palette.faint, italic=True))], width)


def _marker(turn: Turn, palette: Palette = DARK) -> Text | None:
    if turn.role == "user" and checkpoint_skipped(turn):
        return Text(f"no checkpoint: {one_line(checkpoint_skipped(turn), 300)}", Style(color=palette.warning, italic=True))
    if turn.role != "agent":
        return None
    if turn.status == "error":
        return Text(f"✗ error: {one_line(turn.error or 'unknown error', 500)}", Style(color=palette.error, bold=True))
    if turn.status in ("stopped", "interrupted"):
        return Text(glyphs.MARKERS[turn.status], Style(color=palette.get(glyphs.TURN_STATUS[turn.status][1]), italic=True))
    return None


def estimate_height(turn: Turn, calls: list[ToolCall], width: int, expanded: bool = False, *,
                    gap: bool = False) -> int:
    """A cheap guess of a block's height before it is rendered (`gap`: with a gap marker)."""
    inner = max(10, width - RAIL_WIDTH)
    lines = 2 + (1 if gap else 0)  # header + trailing blank line (+ the gap marker)
    turn = shown_turn(turn, expanded)
    for paragraph in turn.text[:MAX_RENDER_CHARS].split("\n"):
        lines += 1 + len(paragraph) // inner
    if turn.role == "agent":
        lines += turn.text.count("\n\n") // 2  # Markdown spacing is already counted mostly
        lines += len(calls) + (1 if turn.thinking else 0)
        plan = (turn.metadata or {}).get("plan") or []
        lines += len(plan) + (1 if plan else 0) + (1 if (turn.metadata or {}).get("permission") else 0)
        if turn.status in ("stopped", "interrupted", "error"):
            lines += 1
    elif checkpoint_skipped(turn):
        lines += 1
    return lines
