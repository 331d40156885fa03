"""Big pastes, collapsed: what counts as big (one place), the `[pasted 5,000 lines · 212 KB]`
label the prompt and the user block show instead of the text, and the text with its pasted
spans replaced by labels. The full text is what is sent and stored; only the view collapses.
"""

from __future__ import annotations

from collections.abc import Sequence

PASTE_MAX_LINES = 20  # a paste of more lines than this is collapsed ...
PASTE_MAX_CHARS = 2_000  # ... and so is one of more characters

Span = tuple[int, int]  # [start, end) character offsets of a paste in the full text


def line_count(text: str) -> int:
    """Lines as the user sees them (a terminal pastes CR for a newline); a trailing line
    break does not start another."""
    breaks = text.count("\n") + text.count("\r") - text.count("\r\n")
    return breaks + (0 if text.endswith(("\n", "\r")) else 1)


def is_big(text: str) -> bool:
    return len(text) > PASTE_MAX_CHARS or line_count(text) > PASTE_MAX_LINES


def size_text(text: str) -> str:
    size = len(text.encode("utf-8", "surrogatepass"))
    if size < 1024 * 1024:
        return f"{max(1, round(size / 1024)):,} KB"
    return f"{size / (1024 * 1024):,.1f} MB"


def label(text: str, number: int = 1) -> str:
    """`[pasted 5,000 lines · 212 KB]`; `number` > 1 tells apart several pastes of one prompt."""
    lines = line_count(text)
    which = f" #{number}" if number > 1 else ""
    return f"[pasted{which} {lines:,} line{'s' if lines != 1 else ''} · {size_text(text)}]"


def valid_spans(text: str, spans: object) -> list[Span]:
    """The spans of a turn's metadata that make sense for `text`: sorted, in range, apart."""
    out: list[Span] = []
    if not isinstance(spans, list | tuple):
        return out
    for span in spans:
        if (isinstance(span, list | tuple) and len(span) == 2 and all(isinstance(x, int) for x in span)
                and 0 <= span[0] < span[1] <= len(text) and (not out or span[0] >= out[-1][1])):
            out.append((span[0], span[1]))
    return out


def collapsed(text: str, spans: Sequence[Span]) -> str:
    """`text` with each span replaced by its label; with no span, a big text is one paste."""
    if not spans:
        return label(text) if is_big(text) else text
    parts: list[str] = []
    position = 0
    for number, (start, end) in enumerate(spans, 1):
        parts.append(text[position:start])
        parts.append(label(text[start:end], number if len(spans) > 1 else 1))
        position = end
    parts.append(text[position:])
    return "".join(parts)
