"""Export a session as Markdown or JSON, and import a JSON export losslessly.

The JSON export holds every column of the session, its turns, tool calls and events
(event ids and internal row keys are left out; order is kept), so export -> import ->
export gives the same document. An export holds the active path (the conversation) by
default, or with `all_branches` the whole tree: every turn keeps its `parent_id` and the
session its `head`. Version 1 exports (before the tree) import as one branch in `seq` order.
"""

from __future__ import annotations

import json
import typing
from dataclasses import asdict

from chinwag.storage import safe_json, tokens
from chinwag.storage.base import StoreBase
from chinwag.storage.enums import Choice, EventType, SessionKind, SessionState, ToolStatus, TurnRole, TurnStatus
from chinwag.storage.errors import StorageError
from chinwag.storage.models import Event, Session, ToolCall, Turn, storable
from chinwag.storage.sessions import DEFAULT_TITLE, clean_title

EXPORT_FORMAT = "chinwag-session"
EXPORT_VERSION = 3  # 2: turns carry parent_id, the session its head; 3: pins

_SESSION_COLUMNS = [f for f in Session.__dataclass_fields__]
_TURN_COLUMNS = [f for f in Turn.__dataclass_fields__]
_TOOL_COLUMNS = [f for f in ToolCall.__dataclass_fields__]


class TransferMixin(StoreBase):
    """Mixed into `Store`."""

    def export_session(self, id_or_prefix: str, *, all_branches: bool = False) -> dict:
        """The session as a document: its active path (and the events of those turns and
        of the session itself), or with `all_branches` every turn and event."""
        session = self.get_session(id_or_prefix, include_deleted=True)
        turns = self.list_turns(session.id, all_branches=all_branches)
        calls = self.list_tool_calls([t.id for t in turns])
        events = self.list_events(session.id, limit=10**9)
        record = asdict(session)
        if not all_branches:
            ids = {t.id for t in turns}
            events = [e for e in events if e.turn_id is None or e.turn_id in ids]
            record["turn_count"] = len(turns)
        return {
            "format": EXPORT_FORMAT,
            "version": EXPORT_VERSION,
            "session": record,
            "turns": [asdict(t) for t in turns],
            "tool_calls": [asdict(c) for c in calls],
            "events": [{k: v for k, v in asdict(e).items() if k != "id"} for e in events],
        }

    def export_json(self, id_or_prefix: str, *, all_branches: bool = False) -> str:
        return safe_json.dumps(self.export_session(id_or_prefix, all_branches=all_branches)) + "\n"

    def export_markdown(self, id_or_prefix: str, *, all_branches: bool = False) -> str:
        """The conversation as Markdown; a turn with siblings says which of them it is
        (`‹2/3›`). With `all_branches` every branch is written out, each turn after the
        turn it follows (its id, and its parent's where that is not the turn above)."""
        data = self.export_session(id_or_prefix, all_branches=all_branches)
        s = data["session"]
        placements = self.placements(s["id"], None if all_branches else [t["id"] for t in data["turns"]])
        turns = _depth_first(data["turns"]) if all_branches else data["turns"]
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
        previous = None
        for turn in turns:
            heading = _turn_heading(turn)
            place = placements.get(turn["id"])
            if place is not None and place.siblings > 1:
                heading += f" ‹{place.sibling_index}/{place.siblings}›"
            if all_branches:
                heading += f" · `{turn['id']}`"
            lines.append(heading)
            lines.append("")
            if all_branches and turn["parent_id"] and turn["parent_id"] != previous:
                lines.append(f"(follows `{turn['parent_id']}`)")
                lines.append("")
            previous = turn["id"]
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

    def import_session(self, document: dict | str, *, as_new: bool = False) -> Session:
        """Restore a JSON export: every record is checked first, then all go in one
        transaction, so a bad record (named in the error) imports nothing. An id that
        exists is refused unless `as_new`, which gives the session and its turns fresh ids."""
        if isinstance(document, str):
            try:
                document = json.loads(document)
            except ValueError as exc:
                raise StorageError(f"not a JSON export: {exc}") from exc
        if not isinstance(document, dict) or document.get("format") != EXPORT_FORMAT:
            raise StorageError("not a Chinwag session export (missing \"format\": \"chinwag-session\")")
        version = document.get("version", 0)
        if not isinstance(version, int) or isinstance(version, bool) or version > EXPORT_VERSION:
            raise StorageError(f"export version {version!r} is newer than this Chinwag understands")
        session, turns, calls, events = _validated(document, version)
        if as_new:
            session, turns, calls, events = _fresh_ids(self.new_id, session, turns, calls, events)
        elif self.db.query_one("SELECT id FROM sessions WHERE id = ?", (session["id"],)):
            raise StorageError(f"session {session['id']} already exists; nothing imported "
                               "(--as-new imports a copy with fresh ids)")
        turns = sorted(turns, key=lambda t: t["seq"])  # parents first: a trigger reads each parent's seq
        with self.db.transaction():
            utils = self.db.utils
            utils.table("sessions").insert(_row(session, _SESSION_COLUMNS, ("config", "metadata")))
            for table, records, columns, json_cols in (
                ("turns", turns, _TURN_COLUMNS, ("metadata",)),
                ("tool_calls", calls, _TOOL_COLUMNS, ()),
                ("events", events, _EVENT_COLUMNS, ("data",)),
            ):
                if records:
                    utils.table(table).insert_all(_row(r, columns, json_cols) for r in records)
        return self.get_session(session["id"], include_deleted=True)


_EVENT_COLUMNS = ["session_id", "turn_id", "type", "data", "created_at"]
_CHOICES: dict[tuple[str, str], type[Choice]] = {
    ("session", "kind"): SessionKind,
    ("session", "state"): SessionState,
    ("turns", "role"): TurnRole,
    ("turns", "status"): TurnStatus,
    ("tool_calls", "status"): ToolStatus,
    ("events", "type"): EventType,
}
_TYPES = {
    "session": (typing.get_type_hints(Session), _SESSION_COLUMNS),
    "turns": (typing.get_type_hints(Turn), _TURN_COLUMNS),
    "tool_calls": (typing.get_type_hints(ToolCall), _TOOL_COLUMNS),
    "events": (typing.get_type_hints(Event), _EVENT_COLUMNS),
}


def _check_record(part: str, where: str, record) -> dict:
    """One record's fields: all present, of the exported types, known values. Returns a copy."""
    if not isinstance(record, dict):
        raise StorageError(f"bad export: {where} is not an object; nothing imported")
    hints, columns = _TYPES[part]
    label = f"{where} (id {record['id']})" if isinstance(record.get("id"), (str, int)) and part != "events" else where
    clean = {}
    for column in columns:
        if column not in record:
            raise StorageError(f"bad export: {label} has no {column!r}; nothing imported")
        value, expected = record[column], hints[column]
        allowed = typing.get_args(expected) or (expected,)
        if expected is bool:
            ok = isinstance(value, bool) or value in (0, 1) and type(value) is int
        else:
            ok = isinstance(value, tuple(t for t in allowed if t is not type(None))) and not isinstance(value, bool) \
                or value is None and type(None) in allowed
        if not ok:
            raise StorageError(f"bad export: {label} {column!r} is {type(value).__name__}, "
                               f"not {_type_name(expected)}; nothing imported")
        choice = _CHOICES.get((part, column))
        choices = choice.values() if choice else ()
        if choices and value not in choices:
            raise StorageError(f"bad export: {label} has unknown {column} {value!r} "
                               f"(one of {', '.join(choices)}); nothing imported")
        clean[column] = storable(value) if isinstance(value, str) else value
    if part != "events" and not clean["id"]:
        raise StorageError(f"bad export: {where} has an empty id; nothing imported")
    return clean


def _type_name(expected) -> str:
    names = [t.__name__ for t in (typing.get_args(expected) or (expected,))]
    return " or ".join("null" if n == "NoneType" else n for n in names)


def _validated(document: dict, version: int) -> tuple[dict, list[dict], list[dict], list[dict]]:
    """The document's records, checked as a whole; the first bad record raises."""
    for key, kind in (("session", dict), ("turns", list), ("tool_calls", list), ("events", list)):
        if not isinstance(document.get(key), kind):
            raise StorageError(f"bad export: {key!r} is missing or not a{'n object' if kind is dict else ' list'};"
                               " nothing imported")
    raw_session = document["session"]
    if version < 2 and isinstance(raw_session, dict):  # before the tree: linked below, in seq order
        raw_session = {**raw_session, "head": None}
    if version < 3 and isinstance(raw_session, dict):  # before pins: nothing pinned
        raw_session = {**raw_session, "pinned_at": None}
    session = _check_record("session", "session", raw_session)
    session["title"] = clean_title(session["title"]) or DEFAULT_TITLE
    turns, ids, seqs = [], set(), set()
    for n, raw in enumerate(document["turns"]):
        if version < 2 and isinstance(raw, dict):
            raw = {**raw, "parent_id": None}
        if version < 3 and isinstance(raw, dict):
            raw = {**raw, "pinned": False}
        turn = _check_record("turns", f"turns[{n}]", raw)
        where = f"turns[{n}] (id {turn['id']})"
        if turn["session_id"] != session["id"]:
            raise StorageError(f"bad export: {where} belongs to session {turn['session_id']}, "
                               f"not {session['id']}; nothing imported")
        if turn["id"] in ids:
            raise StorageError(f"bad export: {where} repeats a turn id; nothing imported")
        if turn["seq"] in seqs:
            raise StorageError(f"bad export: {where} repeats seq {turn['seq']}; nothing imported")
        ids.add(turn["id"])
        seqs.add(turn["seq"])
        turns.append(turn)
    if version < 2:
        _link_in_order(session, turns)
    _check_tree(session, turns)
    calls, call_keys = [], set()
    for n, raw in enumerate(document["tool_calls"]):
        call = _check_record("tool_calls", f"tool_calls[{n}]", raw)
        where = f"tool_calls[{n}] (id {call['id']})"
        if call["turn_id"] not in ids:
            raise StorageError(f"bad export: {where} refers to turn {call['turn_id']}, "
                               "which is not in the export; nothing imported")
        if call["session_id"] != session["id"]:
            raise StorageError(f"bad export: {where} belongs to session {call['session_id']}; nothing imported")
        if (call["turn_id"], call["id"]) in call_keys:
            raise StorageError(f"bad export: {where} repeats a tool call id in its turn; nothing imported")
        call_keys.add((call["turn_id"], call["id"]))
        calls.append(call)
    events = []
    for n, raw in enumerate(document["events"]):
        if isinstance(raw, dict):
            raw = {**raw, "id": 0}  # event ids are not exported: the database numbers them
        event = _check_record("events", f"events[{n}]", raw)
        if event["session_id"] != session["id"]:
            raise StorageError(f"bad export: events[{n}] belongs to session {event['session_id']}; nothing imported")
        events.append(event)
    return session, turns, calls, events


def _link_in_order(session: dict, turns: list[dict]) -> None:
    """A version 1 export as one branch: each turn follows the one before it in seq order."""
    previous = None
    for turn in sorted(turns, key=lambda t: t["seq"]):
        turn["parent_id"] = previous
        previous = turn["id"]
    session["head"] = previous


def _check_tree(session: dict, turns: list[dict]) -> None:
    """Every parent is an earlier turn of the export (so the tree has no cycle); the head,
    when set, is one of its turns."""
    seq_of = {t["id"]: t["seq"] for t in turns}
    for n, turn in enumerate(turns):
        parent = turn["parent_id"]
        if parent is None:
            continue
        where = f"turns[{n}] (id {turn['id']})"
        if parent not in seq_of:
            raise StorageError(f"bad export: {where} follows turn {parent}, which is not in the export; nothing imported")
        if seq_of[parent] >= turn["seq"]:
            raise StorageError(f"bad export: {where} follows turn {parent}, which comes after it (seq); "
                               "nothing imported")
    if session["head"] is not None and session["head"] not in seq_of:
        raise StorageError(f"bad export: the session's head {session['head']} is not one of its turns; nothing imported")


def _depth_first(turns: list[dict]) -> list[dict]:
    """The tree's turns, each branch written out after the turn it follows (siblings in
    the order they were added)."""
    children: dict[str | None, list[dict]] = {}
    ids = {t["id"] for t in turns}
    for turn in sorted(turns, key=lambda t: t["seq"]):
        children.setdefault(turn["parent_id"] if turn["parent_id"] in ids else None, []).append(turn)
    ordered: list[dict] = []
    stack = list(reversed(children.get(None, [])))
    while stack:
        turn = stack.pop()
        ordered.append(turn)
        stack.extend(reversed(children.get(turn["id"], [])))
    return ordered


def _fresh_ids(new_id, session, turns, calls, events):
    """The same records under a new session id and new turn ids (tool call ids are the
    agent's and stay, as they are only unique within a turn)."""
    sid = new_id()
    turn_ids = {t["id"]: new_id() for t in turns}
    session = {**session, "id": sid, "head": turn_ids.get(session["head"])}
    turns = [{**t, "id": turn_ids[t["id"]], "session_id": sid, "parent_id": turn_ids.get(t["parent_id"]),
              "metadata": _renamed_through(t["metadata"], turn_ids)} for t in turns]
    calls = [{**c, "turn_id": turn_ids[c["turn_id"]], "session_id": sid} for c in calls]
    events = [{**e, "session_id": sid, "turn_id": turn_ids.get(e["turn_id"], e["turn_id"])} for e in events]
    return session, turns, calls, events


def _renamed_through(metadata, turn_ids: dict[str, str]):
    """A compaction marker's `through` under the turns' new ids."""
    if isinstance(metadata, dict) and metadata.get("through") in turn_ids:
        return {**metadata, "through": turn_ids[metadata["through"]]}
    return metadata


def _row(record: dict, columns: list[str], json_cols: tuple[str, ...] = ()) -> dict:
    row = {}
    for column in columns:
        value = record[column]
        if column in json_cols:
            value = storable(json.dumps(value, ensure_ascii=False))
        elif isinstance(value, bool):
            value = int(value)
        row[column] = value
    return row


def _session_usage(turns: list[dict]) -> str:
    """`Store.token_usage` for an exported session's turns."""
    usages = [tokens.turn_usage(t) for t in turns
              if t["role"] == TurnRole.AGENT and t["status"] != TurnStatus.STREAMING]
    return tokens.session_usage(len(usages), usages.count(tokens.ESTIMATED), usages.count(tokens.UNREPORTED))


def _turn_heading(turn: dict) -> str:
    who = {TurnRole.USER: "▸ you", TurnRole.AGENT: "● agent", TurnRole.SYSTEM: "system",
           TurnRole.SUMMARY: "summary"}[turn["role"]]
    parts = [f"## {who}"]
    if turn["role"] == TurnRole.AGENT:
        label = turn["agent"] + (f" · {turn['model']}" if turn["model"] else "")
        parts.append(f"{label} · {tokens.pair(turn['input_tokens'], turn['output_tokens'], tokens.turn_usage(turn))}")
        if turn["status"] != TurnStatus.COMPLETE:
            parts.append(f"[{turn['status']}]")
    if turn["compacted"]:
        parts.append("(compacted)")
    return " · ".join(parts[:1] + [" ".join(parts[1:])]) if len(parts) > 1 else parts[0]

