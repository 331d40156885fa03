"""What the outline of a session reads (app/core/outline.py builds its rows): the active
path's turns without their full text, the tool calls of those turns, and the branch points
on the tree, in three statements whatever the session's length."""

from __future__ import annotations

from chinwag.storage.base import StoreBase
from chinwag.storage.tree import _HEAD, _ON_PATH, _seg

SNIPPET = 300  # characters of a prompt's or summary's text (its first line is what the outline shows)

_PATH_TURNS = f"""{_seg(_HEAD)}
    SELECT t.id, t.seq, t.role, t.status, t.created_at, t.started_at, t.finished_at, t.input_tokens,
           t.output_tokens, t.tokens_estimated, t.compacted, substr(t.error, 1, 200) AS error,
           CASE WHEN t.role != 'agent' THEN substr(t.text, 1, {SNIPPET}) END AS text,
           CASE WHEN t.metadata != '{{}}' AND json_valid(t.metadata) THEN json_extract(t.metadata, '$.usage') END
               AS usage,
           CASE WHEN t.role = 'summary' AND json_valid(t.metadata) THEN json_extract(t.metadata, '$.auto') END AS auto,
           CASE WHEN t.role = 'summary' AND json_valid(t.metadata) THEN json_extract(t.metadata, '$.summarized') END
               AS summarized
    FROM turns t WHERE {_ON_PATH} ORDER BY t.seq"""

_PATH_CALLS = f"""{_seg(_HEAD)}
    SELECT c.turn_id, c.name, substr(c.args, 1, 200) AS args, c.status, c.started_at
    FROM turns t JOIN tool_calls c ON c.turn_id = t.id
    WHERE {_ON_PATH} AND t.role = 'agent' ORDER BY t.seq, c.seq"""

# a turn with two children or more has at least one that is a break (only one child can
# follow it in seq): count the children of the breaks' parents only (partial indexes)
_BRANCH_POINTS = """
    SELECT b.parent_seq AS seq, COUNT(*) + EXISTS (
               SELECT 1 FROM turns n WHERE n.session_id = :sid AND n.seq = b.parent_seq + 1
               AND n.parent_seq = b.parent_seq) AS children
    FROM turns b WHERE b.session_id = :sid AND b.parent_seq IS NOT b.seq - 1 AND b.parent_seq IS NOT NULL
    GROUP BY b.parent_seq HAVING children > 1"""


def outline_source(store: StoreBase, session_id: str) -> tuple[list[dict], list[dict], dict[int, int]]:
    """(the active path's turns as lean rows, their tool calls, {seq: children} of the
    session's branch points)."""
    params = {"sid": session_id, "limit": -1}
    turns = store.db.query(_PATH_TURNS, params)
    calls = store.db.query(_PATH_CALLS, params) if any(t["role"] == "agent" for t in turns) else []
    branches = {r["seq"]: r["children"] for r in store.db.query(_BRANCH_POINTS, {"sid": session_id})}
    return turns, calls, branches
