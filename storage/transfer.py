"""Export a session as Markdown or JSON, and import a JSON export losslessly.

The JSON export holds every column of the session, its turns, tool calls and events
(event ids and internal row keys are left out; order is kept), so export -> import ->
export gives the same document.
"""

from __future__ import annotations

import json
from dataclasses import asdict

from chinwag.storage import tokens
from chinwag.storage.errors import StorageError
from chinwag.storage.models import Session, ToolCall, Turn

EXPORT_FORMAT = "chinwag-session"
EXPORT_VERSION = 1

_SESSION_COLUMNS = [f for f in Session.__dataclass_fields__]
_TURN_COLUMNS = [f for f in Turn.__dataclass_fields__]
_TOOL_COLUMNS = [f for f in ToolCall.__dataclass_fields__]


class TransferMixin:
    """Mixed into `Store`."""

    def export_session(self, id_or_prefix: str) -> dict:
        session = self.get_session(id_or_prefix, include_deleted=True)
        turns = self.list_turns(session.id)
        calls = self.list_tool_calls([t.id for t in turns])
        events = self.list_events(session.id, limit=10**9)
        return {
            "format": EXPORT_FORMAT,
            "version": EXPORT_VERSION,
            "session": asdict(session),
            "turns": [asdict(t) for t in turns],
            "tool_calls": [asdict(c) for c in calls],
            "events": [{k: v for k, v in asdict(e).items() if k != "id"} for e in events],
        }

    def export_json(self, id_or_prefix: str) -> str:
        return json.dumps(self.export_session(id_or_prefix), indent=2, ensure_ascii=False) + "\n"

    def export_markdown(self, id_or_prefix: str) -> str:
        data = self.export_session(id_or_prefix)
        s = data["session"]
        lines = [
            f"# {s['title']}",
            "",
            f"- id: `{s['id']}`",
            f"- agent: {s['agent']}" + (f" · {s['model']}" if s["model"] else ""),
            f"- kind: {s['kind']}" + (f" · workspace: {s['workspace']}" if s["workspace"] else ""),
            f"- created: {s['created_at']} · turns: {s['turn_count']}"
            f" · tokens {tokens.pair(s['input_tokens'], s['output_tokens'], _session_usage(data['turns']))}",
            "",
        ]
        calls_by_turn: dict[str, list[dict]] = {}
        for call in data["tool_calls"]:
            calls_by_turn.setdefault(call["turn_id"], []).append(call)
        for turn in data["turns"]:
            lines.append(_turn_heading(turn))
            lines.append("")
            if turn["text"]:
                lines.append(turn["text"])
                lines.append("")
            for call in calls_by_turn.get(turn["id"], []):
                indent = "  " if call["parent_id"] else ""
                lines.append(f"{indent}- tool `{call['name']}` ({call['status']}): {call['args']}")
            if turn["id"] in calls_by_turn:
                lines.append("")
            if turn["error"]:
                lines.append(f"> error: {turn['error']}")
                lines.append("")
        return "\n".join(lines).rstrip() + "\n"

    def import_session(self, document: dict | str) -> Session:
        """Restore a JSON export. Refuses a document that is not one, or an id that exists."""
        if isinstance(document, str):
            try:
                document = json.loads(document)
            except ValueError as exc:
                raise StorageError(f"not a JSON export: {exc}") from exc
        if not isinstance(document, dict) or document.get("format") != EXPORT_FORMAT:
            raise StorageError("not a Chinwag session export (missing \"format\": \"chinwag-session\")")
        if document.get("version", 0) > EXPORT_VERSION:
            raise StorageError(f"export version {document.get('version')} is newer than this Chinwag understands")
        try:
            session = document["session"]
            turns, calls, events = document["turns"], document["tool_calls"], document["events"]
            session_id = session["id"]
        except (KeyError, TypeError) as exc:
            raise StorageError(f"incomplete export: missing {exc}") from exc
        existing = self.db.query_one("SELECT id FROM sessions WHERE id = ?", (session_id,))
        if existing:
            raise StorageError(f"session {session_id} already exists; nothing imported")
        try:
            with self.db.transaction() as conn:
                _insert(conn, "sessions", _SESSION_COLUMNS, session, json_cols=("config", "metadata"))
                for turn in turns:
                    _insert(conn, "turns", _TURN_COLUMNS, turn, json_cols=("metadata",))
                for call in calls:
                    _insert(conn, "tool_calls", _TOOL_COLUMNS, call)
                for event in events:
                    _insert(conn, "events", ["session_id", "turn_id", "type", "data", "created_at"], event,
                            json_cols=("data",))
        except (KeyError, TypeError) as exc:
            raise StorageError(f"incomplete export: missing {exc}; nothing imported") from exc
        return self.get_session(session_id, include_deleted=True)


def _insert(conn, table: str, columns: list[str], row: dict, json_cols: tuple[str, ...] = ()) -> None:
    values = []
    for column in columns:
        value = row[column]
        if column in json_cols:
            value = json.dumps(value, ensure_ascii=False)
        elif isinstance(value, bool):
            value = int(value)
        values.append(value)
    marks = ", ".join("?" for _ in columns)
    conn.execute(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", values)


def _session_usage(turns: list[dict]) -> str:
    """`Store.token_usage` for an exported session's turns."""
    usages = [tokens.turn_usage(t) for t in turns if t["role"] == "agent" and t["status"] != "streaming"]
    return tokens.session_usage(len(usages), usages.count(tokens.ESTIMATED), usages.count(tokens.UNREPORTED))


def _turn_heading(turn: dict) -> str:
    who = {"user": "▸ you", "agent": "● agent", "system": "system", "summary": "summary"}[turn["role"]]
    parts = [f"## {who}"]
    if turn["role"] == "agent":
        label = turn["agent"] + (f" · {turn['model']}" if turn["model"] else "")
        parts.append(f"{label} · {tokens.pair(turn['input_tokens'], turn['output_tokens'], tokens.turn_usage(turn))}")
        if turn["status"] != "complete":
            parts.append(f"[{turn['status']}]")
    if turn["compacted"]:
        parts.append("(compacted)")
    return " · ".join(parts[:1] + [" ".join(parts[1:])]) if len(parts) > 1 else parts[0]

