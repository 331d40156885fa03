"""The outline of a session (Ctrl+O): a navigator over its active path — the user prompts,
the tool calls under them, errors, summaries and branch points (turns with more than one
child) — each with when it happened and its tokens, and a case-smart filter over them.

Built from three statements (storage/outline.py), not one query per turn, so a 10,000-turn
session opens at once; no Textual here (the view is widgets/outline_screen.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from chinwag.storage import tokens
from chinwag.storage.base import StoreBase
from chinwag.storage.outline import outline_source

PROMPT, TOOL, ERROR, SUMMARY, BRANCH = "prompt", "tool", "error", "summary", "branch"


@dataclass(slots=True)
class OutlineRow:
    """One row of the outline (Ctrl+O): a prompt, a tool call, an error, a summary or a branch point."""

    kind: str  # PROMPT | TOOL | ERROR | SUMMARY | BRANCH
    turn_id: str  # the block a jump goes to
    text: str  # one line (what the filter looks in, too)
    at: str = ""  # ISO timestamp
    tokens: str = ""  # "⇡1.2k ⇣300" (a prompt: its replies'), "" for none
    depth: int = 0  # 1: under its prompt
    status: str = ""  # a tool call's status (its glyph), a turn's otherwise
    compacted: bool = False


def first_line(text: str | None, limit: int = 200) -> str:
    line = (text or "").lstrip().split("\n", 1)[0]
    return " ".join(line[: limit * 2].split())[:limit]


def _usage(turn: dict) -> str:
    if turn.get("usage") == tokens.UNREPORTED:
        return tokens.UNREPORTED
    return tokens.ESTIMATED if turn.get("tokens_estimated") else tokens.REPORTED


def _pair(input_tokens: int, output_tokens: int, usage: str) -> str:
    if usage == tokens.UNREPORTED or not (input_tokens or output_tokens):
        return ""
    return (f"⇡{tokens.count(input_tokens, usage, compact=True)} "
            f"⇣{tokens.count(output_tokens, usage, compact=True)}")


@dataclass
class _Spent:
    """The tokens of the replies to one prompt."""

    input_tokens: int = 0
    output_tokens: int = 0
    usage: str = tokens.REPORTED

    def add(self, turn: dict) -> None:
        self.input_tokens += turn["input_tokens"] or 0
        self.output_tokens += turn["output_tokens"] or 0
        usage = _usage(turn)
        if usage == tokens.UNREPORTED or (usage == tokens.ESTIMATED and self.usage == tokens.REPORTED):
            self.usage = usage


def build_rows(turns: list[dict], calls: list[dict], branch_points: dict[int, int]) -> list[OutlineRow]:
    """Rows in path order: each prompt, then what happened under it."""
    calls_of: dict[str, list[dict]] = {}
    for call in calls:
        calls_of.setdefault(call["turn_id"], []).append(call)
    rows: list[OutlineRow] = []
    prompt: OutlineRow | None = None
    spent = _Spent()

    def close(prompt: OutlineRow | None) -> None:
        if prompt is not None:
            prompt.tokens = _pair(spent.input_tokens, spent.output_tokens, spent.usage)

    for turn in turns:
        role, depth = turn["role"], 1 if prompt is not None else 0
        compacted = bool(turn["compacted"])
        if role == "user":
            close(prompt)
            prompt = OutlineRow(PROMPT, turn["id"], first_line(turn["text"]) or "(empty prompt)", turn["created_at"],
                                status=turn["status"], compacted=compacted)
            rows.append(prompt)
            spent = _Spent()
        elif role == "summary":
            close(prompt)
            prompt = None
            label = "auto-compacted" if turn.get("auto") else "summary"
            if turn.get("summarized"):
                label += f" · {turn['summarized']} turns"
            rows.append(OutlineRow(SUMMARY, turn["id"], f"{label}: {first_line(turn['text'])}", turn["created_at"],
                                   status=turn["status"]))
        elif role == "agent":
            spent.add(turn)
            for call in calls_of.get(turn["id"], []):
                text = f"{call['name']}  {first_line(call['args'], 120)}".rstrip()
                rows.append(OutlineRow(TOOL, turn["id"], text, call["started_at"] or turn["created_at"], depth=depth,
                                       status=call["status"], compacted=compacted))
            if turn["status"] == "error":
                rows.append(OutlineRow(ERROR, turn["id"], f"error: {first_line(turn['error']) or 'unknown error'}",
                                       turn["finished_at"] or turn["created_at"],
                                       _pair(turn["input_tokens"], turn["output_tokens"], _usage(turn)), depth=depth,
                                       status="error", compacted=compacted))
        children = branch_points.get(turn["seq"], 0)
        if children > 1:
            what = "prompt" if role == "user" else "reply" if role == "agent" else role
            rows.append(OutlineRow(BRANCH, turn["id"], f"branch point: {children} branches after this {what}",
                                   turn["created_at"], depth=1 if prompt is not None else 0))
    close(prompt)
    return rows


def outline(store: StoreBase, session_id: str) -> list[OutlineRow]:
    return build_rows(*outline_source(store, session_id))


class OutlineCache:
    """The last outline built, kept while nothing at all was written to the database
    (`Store.change_stamp`): the front end builds it ahead, in a thread, when a session opens
    and when a turn settles, so Ctrl+O opens without reading 10,000 turns first."""

    def __init__(self) -> None:
        self._kept: tuple[tuple, list[OutlineRow]] | None = None  # (key, rows): one attribute, swapped whole

    def rows(self, store, session_id: str) -> list[OutlineRow]:
        """The session's outline: the kept one if nothing changed since it was built."""
        key = (session_id, store.change_stamp())  # taken *before* reading: a write meanwhile makes it stale
        kept = self._kept
        if kept is not None and kept[0] == key:
            return kept[1]
        rows = outline(store, session_id)
        self._kept = (key, rows)
        return rows

    def kept(self, session_id: str) -> list[OutlineRow] | None:
        """The last outline built for this session, current or not (None: none)."""
        kept = self._kept
        return kept[1] if kept is not None and kept[0][0] == session_id else None

    def fresh(self, store, session_id: str) -> bool:
        kept = self._kept
        return kept is not None and kept[0] == (session_id, store.change_stamp())


def matching(rows: list[OutlineRow], query: str) -> list[OutlineRow]:
    """The rows whose text holds `query`: case-insensitive unless it has a capital letter."""
    query = query.strip()
    if not query:
        return rows
    if query != query.lower():
        return [row for row in rows if query in row.text]
    return [row for row in rows if query in row.text.lower()]
