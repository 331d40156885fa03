"""The visual grammar shared by widgets: status glyphs, spinner frames and colours for
roles, turn statuses, tool-call statuses and session states (colour and shape, never
colour alone). Colours are palette entry names (`chinwag.widgets.theme.Palette`), so the
theme decides the actual colour.
"""

from __future__ import annotations

SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"

# turn status -> (glyph, color)
TURN_STATUS = {
    "streaming": (SPINNER[0], "warning"),
    "complete": ("●", "success"),
    "stopped": ("■", "warning"),
    "error": ("✗", "error"),
    "interrupted": ("◌", "interrupted"),
}

TOOL_STATUS = {
    "pending": ("○", "system"),
    "running": (SPINNER[0], "warning"),
    "completed": ("✓", "success"),
    "failed": ("✗", "error"),
}

ROLE_RAIL = {
    "user": "user",
    "agent": "agent",
    "system": "system",
    "summary": "summary",
    "error": "error",
}

SESSION_STATE = {
    "init": ("○", "system"),
    "ready": ("○", "system"),
    "idle": ("○", "faint"),
    "busy": (SPINNER[0], "warning"),
    "error": ("✗", "error"),
}

MARKERS = {
    "stopped": "■ stopped — the partial reply is kept",
    "interrupted": "◌ interrupted — the process running it stopped; partial reply kept",
    "error": "✗ error",
}


def spinner(frame: int) -> str:
    return SPINNER[frame % len(SPINNER)]


def turn_glyph(status: str, frame: int = 0) -> tuple[str, str]:
    glyph, color = TURN_STATUS.get(status, ("?", "system"))
    if status == "streaming":
        glyph = spinner(frame)
    return glyph, color


def tool_glyph(status: str, frame: int = 0) -> tuple[str, str]:
    glyph, color = TOOL_STATUS.get(status, ("?", "system"))
    if status == "running":
        glyph = spinner(frame)
    return glyph, color

# notice severity -> (glyph, color)
NOTICE = {
    "information": ("•", "user"),
    "warning": ("▲", "warning"),
    "error": ("✗", "error"),
}
