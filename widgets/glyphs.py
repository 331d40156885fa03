"""The visual grammar shared by widgets: status glyphs, spinner frames and colors for
roles, turn statuses, tool-call statuses and session states (color and shape, never
color alone).
"""

from __future__ import annotations

SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
BRAND = "#7aa2f7"

# turn status -> (glyph, color)
TURN_STATUS = {
    "streaming": (SPINNER[0], "#e0af68"),
    "complete": ("●", "#9ece6a"),
    "stopped": ("■", "#e0af68"),
    "error": ("✗", "#f7768e"),
    "interrupted": ("◌", "#ff9e64"),
}

TOOL_STATUS = {
    "pending": ("○", "#787c99"),
    "running": (SPINNER[0], "#e0af68"),
    "completed": ("✓", "#9ece6a"),
    "failed": ("✗", "#f7768e"),
}

ROLE_RAIL = {
    "user": BRAND,
    "agent": "#bb9af7",
    "system": "#787c99",
    "summary": "#2ac3de",
    "error": "#f7768e",
}

SESSION_STATE = {
    "init": ("○", "#787c99"),
    "ready": ("○", "#787c99"),
    "idle": ("○", "#565f89"),
    "busy": (SPINNER[0], "#e0af68"),
    "error": ("✗", "#f7768e"),
}

MARKERS = {
    "stopped": "■ stopped — the partial reply is kept",
    "interrupted": "◌ interrupted — the process running it stopped; partial reply kept",
    "error": "✗ error",
}


def spinner(frame: int) -> str:
    return SPINNER[frame % len(SPINNER)]


def turn_glyph(status: str, frame: int = 0) -> tuple[str, str]:
    glyph, color = TURN_STATUS.get(status, ("?", "#787c99"))
    if status == "streaming":
        glyph = spinner(frame)
    return glyph, color


def tool_glyph(status: str, frame: int = 0) -> tuple[str, str]:
    glyph, color = TOOL_STATUS.get(status, ("?", "#787c99"))
    if status == "running":
        glyph = spinner(frame)
    return glyph, color
