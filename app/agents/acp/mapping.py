"""ACP `session/update` notifications as Chinwag agent events (pure functions).

Text and thought chunks become deltas; tool calls and their updates become the nested
tool-call tree (ACP replaces a call's content on each update: we keep what was shown and
append only what is new); plans, available commands and usage become their own events.
Works on the `acp.schema` models by attribute, so this module imports nothing heavy.
"""

from __future__ import annotations

import difflib
import json

from chinwag.app.agents.base import (
    CommandsUpdate,
    PlanUpdate,
    TextDelta,
    ThinkingDelta,
    ToolCallEnd,
    ToolCallStart,
    ToolCallUpdate,
)

ARGS_MAX = 200


def block_text(block) -> str:
    """A content block as text; non-text blocks as a short placeholder."""
    kind = getattr(block, "type", "")
    if kind == "text":
        return getattr(block, "text", "")
    if kind == "resource_link":
        return f"[{getattr(block, 'name', '') or getattr(block, 'uri', '')}]"
    if kind == "resource":
        resource = getattr(block, "resource", None)
        return getattr(resource, "text", "") or f"[{getattr(resource, 'uri', 'resource')}]"
    return f"[{kind or 'content'}]"


def render_content(items) -> str:
    """A tool call's content list (text, diffs, terminals) as plain text."""
    parts = []
    for item in items or []:
        kind = getattr(item, "type", "")
        if kind == "diff":
            old = (getattr(item, "old_text", None) or "").splitlines(keepends=True)
            new = (getattr(item, "new_text", "") or "").splitlines(keepends=True)
            path = getattr(item, "path", "")
            diff = "".join(difflib.unified_diff(old, new, f"a/{path}", f"b/{path}"))
            parts.append(diff or f"(no change to {path})")
        elif kind == "terminal":
            parts.append(f"[terminal {getattr(item, 'terminal_id', '')}]")
        else:
            parts.append(block_text(getattr(item, "content", item)))
    return "\n".join(p.rstrip("\n") for p in parts if p)


def args_summary(update) -> str:
    bits = []
    kind = getattr(update, "kind", None)
    if kind:
        bits.append(str(kind))
    locations = getattr(update, "locations", None) or []
    for location in locations[:3]:
        line = getattr(location, "line", None)
        bits.append(f"{location.path}:{line}" if line else str(location.path))
    raw = getattr(update, "raw_input", None)
    if raw is not None and not locations:
        try:
            bits.append(json.dumps(raw, ensure_ascii=False, default=str))
        except (TypeError, ValueError):
            bits.append(str(raw))
    text = " ".join(bits)
    return text if len(text) <= ARGS_MAX else text[: ARGS_MAX - 1] + "…"


class UpdateMapper:
    """Stateful per turn: remembers what each tool call has shown so far."""

    def __init__(self) -> None:
        self.shown: dict[str, str] = {}
        self.open: set[str] = set()
        self.started: list[str] = []  # in the order they opened

    def current_call(self) -> str:
        """The tool call a file write now belongs to: the newest one still open ("" if none)."""
        return next((call for call in reversed(self.started) if call in self.open), "")

    def _opened(self, call_id: str) -> None:
        self.open.add(call_id)
        self.started.append(call_id)

    def map(self, update) -> list:
        kind = getattr(update, "session_update", "")
        if kind == "agent_message_chunk":
            text = block_text(update.content)
            return [TextDelta(text)] if text else []
        if kind == "agent_thought_chunk":
            text = block_text(update.content)
            return [ThinkingDelta(text)] if text else []
        if kind == "tool_call":
            call_id = update.tool_call_id
            self._opened(call_id)
            events = [ToolCallStart(call_id, update.title or "tool", args_summary(update))]
            return events + self._progress(call_id, update)
        if kind == "tool_call_update":
            call_id = update.tool_call_id
            events = []
            if call_id not in self.open:  # an update for a call we never saw start
                self._opened(call_id)
                events.append(ToolCallStart(call_id, update.title or "tool", args_summary(update)))
            return events + self._progress(call_id, update)
        if kind == "plan":
            return [PlanUpdate(tuple((e.content, str(e.status)) for e in update.entries))]
        if kind == "available_commands_update":
            return [CommandsUpdate(tuple((c.name, c.description or "") for c in update.available_commands))]
        return []  # user chunks (history replay), modes, config options, usage: recorded elsewhere

    def _progress(self, call_id: str, update) -> list:
        events = []
        content = getattr(update, "content", None)
        if content is not None:
            text = render_content(content)
            before = self.shown.get(call_id, "")
            if text and text != before:
                new = text[len(before):] if text.startswith(before) else ("\n" if before else "") + text
                self.shown[call_id] = text
                events.append(ToolCallUpdate(call_id, new))
        status = getattr(update, "status", None)
        if status in ("completed", "failed") and call_id in self.open:
            self.open.discard(call_id)
            events.append(ToolCallEnd(call_id, str(status)))
        return events

    def close_open_calls(self, status: str = "failed") -> list:
        """Calls still open when the turn ends (cancel, crash) are settled, never left running."""
        events = [ToolCallEnd(call_id, status) for call_id in sorted(self.open)]
        self.open.clear()
        return events
