"""The small notes under a role block's header: an agent's plan as a checklist, a pending
permission request with the keys that answer it, and why a prompt got no workspace
checkpoint; with the one-line text renderer they (and the header) share.
"""

from __future__ import annotations

from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from rich.text import Text

from chinwag.storage.models import Turn
from chinwag.widgets.text_safety import one_line
from chinwag.widgets.theme import DARK, Palette

PLAIN_CONSOLE = Console(width=400, color_system="truecolor", force_terminal=True, legacy_windows=False)


def text_lines(text: Text, width: int) -> list[list[Segment]]:
    text = text.copy()
    text.truncate(width, overflow="ellipsis")
    return [list(text.render(PLAIN_CONSOLE))]


PLAN_GLYPHS = {"completed": ("☑", "success"), "in_progress": ("◐", "warning"), "pending": ("☐", "faint")}


def plan_lines(metadata: dict, width: int, palette: Palette = DARK) -> list[list[Segment]]:
    """An agent's plan as a checklist (it is replaced in place as the agent updates it)."""
    plan = metadata.get("plan") or []
    lines: list[list[Segment]] = []
    if plan:
        done = sum(1 for entry in plan if len(entry) > 1 and entry[1] == "completed")
        lines.extend(text_lines(Text(f"plan · {done}/{len(plan)} done", Style(bold=True, color=palette.user)), width))
    for entry in plan:
        content, status = (list(entry) + ["pending"])[:2]
        glyph, color_name = PLAN_GLYPHS.get(status, PLAN_GLYPHS["pending"])
        line = Text(no_wrap=True, overflow="ellipsis")
        line.append(f"{glyph} ", Style(color=palette.get(color_name), bold=True))
        line.append(one_line(str(content), 300), Style(strike=status == "completed",
                                                           color=palette.faint if status == "completed" else None))
        lines.extend(text_lines(line, width))
    return lines


def permission_text(metadata: dict, palette: Palette = DARK) -> Text | None:
    """A pending permission request, with the keys that answer it."""
    request = metadata.get("permission")
    if not request:
        return None
    text = Text()
    text.append("⚠ permission: ", Style(color=palette.warning, bold=True))
    text.append(one_line(str(request.get("title", "")), 200), Style(bold=True))
    text.append(f" ({request.get('kind', 'other')}) — ", Style(color=palette.system))
    options = request.get("options") or []
    text.append(" · ".join(f"{n} {one_line(str(o[1]), 40)}" for n, o in enumerate(options, 1)), Style(color=palette.warning))
    return text


def checkpoint_skipped(turn: Turn) -> str:
    """Why no workspace checkpoint was taken before this prompt ran ('' when one was, or none was due)."""
    record = turn.metadata.get("checkpoint") if turn.role == "user" and turn.metadata else None
    return str(record.get("skipped") or "") if isinstance(record, dict) and "skipped" in record else ""
