"""The offline `echo` agent: deterministic replies streamed in small deltas, no network.

It answers with a short Markdown reply quoting the prompt, reports token usage marked
estimated, and for a prompt containing the word "tool" also runs one nested tool call
(start, update, end) so tool-call trees can be seen and tested offline. A summary
request (compaction) gets a deterministic summary listing the first line of each turn.
"""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import AsyncIterator

from chinwag.app.agents.base import (
    AgentEvent,
    Done,
    Message,
    TextDelta,
    ThinkingDelta,
    ToolCallEnd,
    ToolCallStart,
    ToolCallUpdate,
    Usage,
    estimate_messages,
    estimate_tokens,
)

DEFAULT_DELAY = 0.004  # seconds between deltas: visibly streams in the TUI
MAX_DELTAS = 2000  # a huge echo streams in bigger pieces rather than a million tiny ones


def _first_line(text: str, width: int = 80) -> str:
    line = (text.strip().splitlines() or [""])[0]
    return line if len(line) <= width else line[: width - 1] + "…"


def echo_reply(prompt: str) -> str:
    quoted = "\n".join("> " + line for line in prompt.splitlines()) or "> "
    words = len(prompt.split())
    return f"You said:\n\n{quoted}\n\nThat is {words} word{'s' if words != 1 else ''} and {len(prompt)} characters."


def echo_summary(messages: list[Message]) -> str:
    lines = [f"Summary of {len(messages) - 1} earlier messages:"]
    for message in messages[:-1]:
        who = "user" if message.role == "user" else "agent" if message.role == "assistant" else message.role
        lines.append(f"- {who}: {_first_line(message.text, 60)}")
    instructions = messages[-1].text.split("Additional instructions:", 1)
    if len(instructions) == 2 and instructions[1].strip():
        lines.append(f"(focus: {_first_line(instructions[1], 60)})")
    return "\n".join(lines)


class EchoAgent:
    """Streams `echo_reply(prompt)` in `chunk`-character deltas every `delay` seconds."""

    kind = "echo"

    def __init__(self, name: str = "echo", model: str = "echo-1", *, delay: float | None = None, chunk: int = 4):
        self.name = name
        self.model = model or "echo-1"
        env = os.environ.get("CHINWAG_ECHO_DELAY")
        self.delay = float(env) if env is not None and delay is None else (DEFAULT_DELAY if delay is None else delay)
        self.chunk = max(1, chunk)

    async def _pause(self) -> None:
        # Always yield to the loop so a cancel lands between deltas, even with no delay.
        await asyncio.sleep(self.delay)

    async def stream(self, messages: list[Message], *, purpose: str = "chat") -> AsyncIterator[AgentEvent]:
        users = [m for m in messages if m.role == "user"]
        prompt = users[-1].text if users else (messages[-1].text if messages else "")
        if purpose == "summary":
            reply = echo_summary(messages)
        elif purpose == "title":
            reply = _first_line(prompt.split("Conversation:", 1)[-1], 40) or "Echo chat"
        else:
            reply = echo_reply(prompt)
            if re.search(r"\bthink\b", prompt, re.IGNORECASE):
                yield ThinkingDelta("Considering how to echo this faithfully.")
            if re.search(r"\btools?\b", prompt, re.IGNORECASE):
                async for event in self._tool_calls(prompt):
                    yield event
        chunk = max(self.chunk, len(reply) // MAX_DELTAS + 1)
        for start in range(0, len(reply), chunk):
            await self._pause()
            yield TextDelta(reply[start : start + chunk])
        yield Usage(estimate_messages(messages), estimate_tokens(reply), estimated=True)
        yield Done()

    async def _tool_calls(self, prompt: str) -> AsyncIterator[AgentEvent]:
        words = len(prompt.split())
        yield ToolCallStart("echo-1", "inspect_prompt", f"chars={len(prompt)}")
        await self._pause()
        yield ToolCallStart("echo-2", "count_words", f"words={words}", parent_id="echo-1")
        await self._pause()
        yield ToolCallUpdate("echo-2", f"{words} words")
        yield ToolCallEnd("echo-2", "completed")
        yield ToolCallUpdate("echo-1", f"prompt has {len(prompt)} characters")
        yield ToolCallEnd("echo-1", "completed")
