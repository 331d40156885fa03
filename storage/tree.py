"""The conversation as a tree: each turn follows its `parent_id`, a session's `head` is the
tip of the active branch, and the active path (root -> head) is the conversation that is
shown, exported by default and sent to the model.

Nothing here overwrites a turn: an edit or a regenerated reply is a sibling (same parent),
a checkout or a rewind only moves the head. `seq` still says the order turns were added in
(a parent always has a smaller one than its children); a path is read as a few ranges of
it (see `_seg`), so a page of the newest turns costs its own size and the whole path
about what the session's turns cost before the tree, whatever its length.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

from chinwag.storage.base import StoreBase
from chinwag.storage.enums import EventType, TurnRole, TurnStatus
from chinwag.storage.errors import AmbiguousId, NotFound, SessionBusy, StorageError
from chinwag.storage.models import Event, Turn


class AtHead:
    """The default `parent` of a new turn: the session's head, read in the write transaction."""

    def __repr__(self) -> str:
        return "AT_HEAD"


AT_HEAD = AtHead()
MARKERS = (TurnRole.SUMMARY.value, TurnRole.SYSTEM.value)  # turns that can take earlier ones out of the context
_SPEC = re.compile(r"@(-?\d+)")

# A path as seq ranges. A turn whose parent is the turn added just before it (seq - 1)
# continues its range; any other turn (a root, an edit, a reply regenerated after other
# turns, a prompt after a rewind) is a *break* and starts one. Breaks are few and indexed
# (`turns_breaks`), so a 10,000-turn path is read in a few range scans, not 10,000 lookups.
# `seg`: from the tip, its range starts at the nearest break at or below it, and the path
# goes on from that break's parent; `covered` stops the walk once :limit turns are in.
_BREAK_AT_OR_BELOW = """(SELECT MAX(x.seq) FROM turns x WHERE x.session_id = :sid AND x.seq <= {seq}
                         AND x.parent_seq IS NOT x.seq - 1)"""
_HEAD = "(SELECT head FROM sessions WHERE id = :sid)"


def _seg(tip: str) -> str:
    """`WITH RECURSIVE seg(lo, hi, up, covered)`: the path to the turn whose id is `tip`
    (SQL: `:tip`, or `_HEAD`) as seq ranges, tip first."""
    return f"""
    WITH RECURSIVE seg(lo, hi, up, covered) AS (
        SELECT b.seq, t.seq, b.parent_seq, t.seq - b.seq + 1 FROM turns t
        JOIN turns b ON b.session_id = :sid AND b.seq = {_BREAK_AT_OR_BELOW.format(seq="t.seq")}
        WHERE t.id = {tip} AND t.session_id = :sid
        UNION ALL
        SELECT b.seq, seg.up, b.parent_seq, seg.covered + seg.up - b.seq + 1 FROM seg
        JOIN turns b ON b.session_id = :sid AND b.seq = {_BREAK_AT_OR_BELOW.format(seq="seg.up")}
        WHERE seg.up IS NOT NULL AND (:limit < 0 OR seg.covered < :limit)
    )"""


# `t` on the path: read in seq order through the (session_id, seq) index, never sorted (a
# sort of long turns spills to temp files), each probed against the few ranges
_ON_PATH = """t.session_id = :sid AND t.seq BETWEEN (SELECT MIN(lo) FROM seg) AND (SELECT MAX(hi) FROM seg)
        AND EXISTS (SELECT 1 FROM seg WHERE t.seq BETWEEN seg.lo AND seg.hi)"""

# `select_context` in SQL: the latest marker on the path, the turn it names when that lies
# before it on the path (`cut`), and what is kept (`t` a path turn)
_THROUGH = ("CASE WHEN json_valid(t.metadata) AND json_type(t.metadata, '$.through') = 'text' "
            "THEN json_extract(t.metadata, '$.through') END")
_UNDONE = "(t.role IN ('summary', 'system') AND json_valid(t.metadata) AND json_extract(t.metadata, '$.undone') IS 1)"
_BOUNDS = f""",
    marker(seq, through) AS (
        SELECT t.seq, {_THROUGH} FROM turns t WHERE {_ON_PATH} AND t.role IN ('summary', 'system') AND NOT {_UNDONE}
        ORDER BY t.seq DESC LIMIT 1),
    bounds(cut, marker) AS MATERIALIZED (
        SELECT (SELECT t.seq FROM turns t WHERE {_ON_PATH} AND t.id = marker.through AND t.seq < marker.seq), marker.seq
        FROM (SELECT 1) LEFT JOIN marker)"""
_CUT, _MARKER = "(SELECT cut FROM bounds)", "(SELECT marker FROM bounds)"  # once: not per turn
_KEPT = f"""t.status != 'streaming' AND t.seq > COALESCE({_CUT}, 0) AND NOT {_UNDONE} AND CASE
        WHEN {_CUT} IS NOT NULL THEN t.role != 'summary' OR t.seq >= {_MARKER}
        WHEN {_MARKER} IS NOT NULL THEN NOT (t.compacted AND t.seq < {_MARKER}) OR (t.pinned AND t.role != 'summary')
        ELSE 1 END"""
# pinned turns before the cut: sent all the same (their own arm, so the rest keeps its range scan)
_PINNED = f"""t.seq <= {_CUT} AND t.pinned = 1 AND t.role != 'summary' AND t.status != 'streaming'
        AND NOT {_UNDONE}"""
_CONTEXT_TURNS = "{seg}" + _BOUNDS + f"""
    SELECT t.* FROM turns t WHERE {_ON_PATH} AND {_KEPT}
    UNION ALL SELECT t.* FROM turns t WHERE {_ON_PATH} AND {_PINNED} ORDER BY seq"""
_CONTEXT_SIZE = "{seg}" + _BOUNDS + f""",
    summary(seq) AS MATERIALIZED (  -- only the latest summary counts
        SELECT MAX(t.seq) FROM turns t
        WHERE {_ON_PATH} AND t.role IN ('summary', 'system') AND t.role = 'summary' AND {_KEPT})
    SELECT COALESCE(SUM(CASE WHEN k.n = 0 THEN 0 ELSE MAX(1, (k.n + 3) / 4) END + 4), 0) AS n FROM (
        SELECT length(t.text) AS n, t.role, t.seq FROM turns t WHERE {_ON_PATH} AND {_KEPT}
        UNION ALL SELECT length(t.text), t.role, t.seq FROM turns t WHERE {_ON_PATH} AND {_PINNED}) k
    WHERE k.role != 'summary' OR k.seq = (SELECT seq FROM summary)"""

# the newest turn at or below a turn: its own range runs up to the next break; the
# ranges hanging off it start at breaks whose parent lies in it, and so on down
_NEXT_BREAK = """COALESCE((SELECT MIN(n.seq) FROM turns n WHERE n.session_id = :sid AND n.seq > {seq}
                           AND n.parent_seq IS NOT n.seq - 1), :top + 1) - 1"""
_BELOW = f"""
    WITH RECURSIVE seg(lo, hi) AS (
        SELECT :seq, {_NEXT_BREAK.format(seq=":seq")}
        UNION ALL
        SELECT b.seq, {_NEXT_BREAK.format(seq="b.seq")} FROM seg
        JOIN turns b ON b.session_id = :sid AND b.parent_seq BETWEEN seg.lo AND seg.hi AND b.parent_seq IS NOT b.seq - 1
    )
    SELECT MAX(hi) AS hi FROM seg"""


class BadTurnSpec(StorageError):
    """A TURN argument that is not an id, a prefix or `@N` (a usage error, not a lookup)."""


class _Row(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def role(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def compacted(self) -> bool: ...
    @property
    def through(self) -> str | None: ...
    @property
    def pinned(self) -> bool: ...
    @property
    def undone(self) -> bool: ...


R = TypeVar("R", bound=_Row)


def select_context(path: Sequence[R]) -> list[R]:
    """What the model sees of a path (root first): the rule, over whole turns. The store
    applies it in SQL (`_KEPT`: `context_of`, `context_tokens_of`); tests hold the two equal.

    The latest compaction marker (a summary, or the note /clear writes) names the last turn
    it took out (`through`): everything up to that turn is cut, and so is every summary
    before the marker (the marker supersedes it); after the cut every turn counts, even one
    compacted on another branch. Streaming turns never count; the summary goes first.

    A latest marker that says nothing (hand-made data) falls back on the `compacted` flags
    of the turns before it, which are exact while a session has one branch.

    A pinned turn (not a summary) counts wherever it is, in its place on the path; a marker
    that was undone is no marker and never counts itself."""
    index = {row.id: n for n, row in enumerate(path)}
    kept = list(path)  # no marker on the path: nothing was compacted on it
    for marker in range(len(path) - 1, -1, -1):
        if path[marker].role not in MARKERS or path[marker].undone:
            continue
        through = path[marker].through
        if through is not None and index.get(through, marker) < marker:
            cut = index[through]
            kept = [row for n, row in enumerate(path) if (row.pinned and row.role != TurnRole.SUMMARY)
                    or (n > cut and (row.role != TurnRole.SUMMARY or n >= marker))]
        else:
            kept = [row for n, row in enumerate(path) if not (row.compacted and n < marker)
                    or (row.pinned and row.role != TurnRole.SUMMARY)]
        break
    kept = [row for row in kept if row.status != TurnStatus.STREAMING and not (row.role in MARKERS and row.undone)]
    summaries = [row for row in kept if row.role == TurnRole.SUMMARY]
    return summaries[-1:] + [row for row in kept if row.role != TurnRole.SUMMARY]


@dataclass(frozen=True)
class Branch:
    """One branch of a session's tree, named by its tip (a turn with no children)."""

    tip: str
    turns: int  # on its path, root to tip
    last_prompt: str  # the text of the last user turn on its path ('' if none)
    created_at: str  # when its tip was added
    active: bool  # the head is this tip


@dataclass(frozen=True)
class Placement:
    """Where a turn sits among its siblings (the turns with the same parent), 1-based."""

    sibling_index: int
    siblings: int


class TreeMixin(StoreBase):
    """Mixed into `Store`."""

    # -- reading paths ------------------------------------------------------------------
    def head_of(self, session_id: str) -> str | None:
        row = self.db.query_one("SELECT head FROM sessions WHERE id = ?", (session_id,))
        if row is None:
            raise NotFound(f"no session {session_id}")
        return row["head"]

    def turns_to(self, session_id: str, tip: str | None, *, limit: int | None = None) -> list[Turn]:
        """The turns from the root to `tip` (None: no path), root first; with `limit`, the
        `limit` nearest the tip."""
        if tip is None or limit == 0:
            return []
        rows = self.db.query(
            f"{_seg(':tip')} SELECT t.* FROM turns t WHERE {_ON_PATH} ORDER BY t.seq DESC LIMIT :limit",
            {"sid": session_id, "tip": tip, "limit": -1 if limit is None else limit},
        )
        return [Turn.from_row(r) for r in reversed(rows)]

    def turns_from(self, session_id: str, tip: str, from_seq: int, limit: int) -> list[Turn]:
        """Up to `limit` turns of the path to `tip` from the one numbered `from_seq` down
        (root first): a page below a block, read in seq order (its cost is the page's)."""
        rows = self.db.query(
            f"{_seg(':tip')} SELECT t.* FROM turns t WHERE {_ON_PATH} AND t.seq >= :start ORDER BY t.seq LIMIT :count",
            {"sid": session_id, "tip": tip, "limit": -1, "start": from_seq, "count": limit},
        )
        return [Turn.from_row(r) for r in rows]

    def turn_ids_to(self, session_id: str, tip: str | None) -> list[str]:
        if tip is None:
            return []
        rows = self.db.query(f"{_seg(':tip')} SELECT t.id FROM turns t WHERE {_ON_PATH} ORDER BY t.seq",
                             {"sid": session_id, "tip": tip, "limit": -1})
        return [r["id"] for r in rows]

    def on_active_path(self, session_id: str, turn_ids: Sequence[str]) -> set[str]:
        """Which of `turn_ids` lie on the session's active path (root -> head)."""
        wanted = list(dict.fromkeys(turn_ids))[:500]
        if not wanted:
            return set()
        rows = self.db.query(
            f"{_seg(_HEAD)} SELECT t.id FROM turns t WHERE {_ON_PATH} AND t.id IN "
            f"({', '.join(f':t{n}' for n in range(len(wanted)))})",
            {"sid": session_id, "limit": -1, **{f"t{n}": turn for n, turn in enumerate(wanted)}})
        return {r["id"] for r in rows}

    def context_of(self, session_id: str, tip: str | None | AtHead = AT_HEAD) -> list[Turn]:
        """What the model sees of the path to `tip` (default: the head): the latest summary
        first, then every turn after the last compaction's cut (`select_context`)."""
        if tip is None:
            return []
        rows = self.db.query(_CONTEXT_TURNS.format(seg=_seg(_HEAD if isinstance(tip, AtHead) else ":tip")),
                             {"sid": session_id, "tip": None if isinstance(tip, AtHead) else tip, "limit": -1})
        turns = [Turn.from_row(r) for r in rows]
        summaries = [t for t in turns if t.role == TurnRole.SUMMARY]
        return summaries[-1:] + [t for t in turns if t.role != TurnRole.SUMMARY]

    def context_tokens_of(self, session_id: str, tip: str | None | AtHead = AT_HEAD) -> int:
        """Estimated tokens of `context_of` (~4 characters a token, +4 a message), in one
        statement: the formula of `chinwag.app.core.context.context_tokens`, no text read out."""
        if tip is None:
            return 0
        rows = self.db.query(_CONTEXT_SIZE.format(seg=_seg(_HEAD if isinstance(tip, AtHead) else ":tip")),
                             {"sid": session_id, "tip": None if isinstance(tip, AtHead) else tip, "limit": -1})
        return rows[0]["n"] if rows else 0

    def prompt_number(self, session_id: str, turn_id: str) -> int:
        """How many user prompts the path to `turn_id` has, itself included (its `@N`, when
        it is a prompt of the active path)."""
        rows = self.db.query(f"{_seg(':tip')} SELECT COUNT(*) AS n FROM turns t WHERE {_ON_PATH} AND t.role = 'user'",
                             {"sid": session_id, "tip": turn_id, "limit": -1})
        return rows[0]["n"] if rows else 0

    def children(self, session_id: str, parent_id: str | None) -> list[Turn]:
        rows = self.db.query(
            "SELECT * FROM turns WHERE session_id = ? AND parent_id IS ? ORDER BY seq", (session_id, parent_id)
        )
        return [Turn.from_row(r) for r in rows]

    def newest_tip(self, session_id: str, turn_id: str) -> str:
        """The newest turn at or below `turn_id` (the largest `seq`: it has no children)."""
        row = self.db.query_one(
            "SELECT seq, (SELECT MAX(seq) FROM turns WHERE session_id = ?) AS top FROM turns "
            "WHERE id = ? AND session_id = ?", (session_id, turn_id, session_id))
        if row is None:
            raise NotFound(f"no turn {turn_id} in session {session_id}")
        hi = self.db.query(_BELOW, {"sid": session_id, "seq": row["seq"], "top": row["top"]})[0]["hi"]
        # a range may end in a gap (the seqs of turns an export left out): the turn below it
        newest = self.db.query_one(
            "SELECT id FROM turns WHERE session_id = ? AND seq <= ? ORDER BY seq DESC LIMIT 1", (session_id, hi))
        assert newest is not None  # the turn itself is one
        return newest["id"]

    def placements(self, session_id: str, turn_ids: Sequence[str] | None = None) -> dict[str, Placement]:
        """Each turn's position among its siblings (of `turn_ids`, or of every turn)."""
        rows = self.db.query(
            """SELECT id, ROW_NUMBER() OVER (PARTITION BY parent_id ORDER BY seq) AS n,
                      COUNT(*) OVER (PARTITION BY parent_id) AS siblings
               FROM turns WHERE session_id = ?""",
            (session_id,),
        ) if turn_ids is None or len(turn_ids) > 200 else self.db.query(
            f"""SELECT t.id, (SELECT COUNT(*) FROM turns s WHERE s.session_id = t.session_id
                                AND s.parent_id IS t.parent_id AND s.seq <= t.seq) AS n,
                       (SELECT COUNT(*) FROM turns s WHERE s.session_id = t.session_id
                                AND s.parent_id IS t.parent_id) AS siblings
                FROM turns t WHERE t.session_id = ? AND t.id IN ({", ".join("?" for _ in turn_ids)})""",
            (session_id, *turn_ids),
        )
        wanted = None if turn_ids is None else set(turn_ids)
        return {r["id"]: Placement(r["n"], r["siblings"]) for r in rows if wanted is None or r["id"] in wanted}

    def placements_in(self, session_id: str, turns: Sequence[Turn]) -> dict[str, Placement]:
        """`placements` of those of `turns` (a page of a path) that have siblings. A second
        child is always a break, so only turns whose parent has a break child can have
        siblings: one indexed range read of the breaks finds those few, and only they are
        counted (a page of a long path costs about nothing, whatever its length)."""
        if not turns:
            return {}
        parents = {t.parent_id for t in turns}
        rows = self.db.query(
            "SELECT parent_id FROM turns WHERE session_id = ? AND parent_seq IS NOT seq - 1 "
            "AND (parent_seq <= ? OR parent_seq IS NULL)", (session_id, max(t.seq for t in turns)))
        broken: dict[str | None, int] = {}
        for r in rows:
            if r["parent_id"] in parents:
                broken[r["parent_id"]] = broken.get(r["parent_id"], 0) + 1
        # a root family: the first root is a break too (it has no parent)
        candidates = [t.id for t in turns if broken.get(t.parent_id, 0) > (1 if t.parent_id is None else 0)]
        found = self.placements(session_id, candidates) if candidates else {}
        return {k: p for k, p in found.items() if p.siblings > 1}

    def branches(self, session_id: str) -> list[Branch]:
        """One row per tip (a turn with no children), newest first."""
        rows = self.db.query(
            "SELECT id, parent_id, role, created_at FROM turns WHERE session_id = ? ORDER BY seq", (session_id,))
        by_id = {r["id"]: r for r in rows}
        parents = {r["parent_id"] for r in rows}
        depth: dict[str, int] = {}
        for r in rows:  # in seq order: a parent's depth is known before its children's
            depth[r["id"]] = depth.get(r["parent_id"], 0) + 1 if r["parent_id"] in by_id else 1
        tips = []
        for r in reversed(rows):
            if r["id"] in parents:
                continue
            cursor = r
            while cursor is not None and cursor["role"] != TurnRole.USER:
                cursor = by_id.get(cursor["parent_id"])
            tips.append((r, cursor["id"] if cursor else None))
        prompts = {p for _, p in tips if p}
        texts: dict[str, str] = {}
        ids = list(prompts)
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            texts.update((t["id"], t["text"]) for t in self.db.query(
                f"SELECT id, substr(text, 1, 500) AS text FROM turns WHERE id IN ({', '.join('?' for _ in chunk)})",
                tuple(chunk)))
        head = self.head_of(session_id)
        return [Branch(r["id"], depth[r["id"]], texts.get(p or "", ""), r["created_at"], r["id"] == head)
                for r, p in tips]

    # -- naming a turn ------------------------------------------------------------------
    def resolve_turn(self, session_id: str, spec: str) -> Turn:
        """A turn of the session named by its id, a unique prefix of it, or `@N`: the Nth
        user prompt of the active path (1-based; `@-1` the last). BadTurnSpec for text that
        is none of these; NotFound / AmbiguousId when it names no turn or several."""
        text = (spec or "").strip()
        if text.startswith("@"):
            match = _SPEC.fullmatch(text)
            if match is None or int(match.group(1)) == 0:
                raise BadTurnSpec(f"bad turn {spec!r}: use a turn id, a prefix of one, or @N "
                                  "(the Nth prompt, 1-based; @-1 the last)")
            number = int(match.group(1))
            rows = self.db.query(
                f"""{_seg(_HEAD)} SELECT t.* FROM turns t WHERE {_ON_PATH} AND t.role = 'user'
                    ORDER BY t.seq {"ASC" if number > 0 else "DESC"} LIMIT 1 OFFSET :skip""",
                {"sid": session_id, "limit": -1, "skip": abs(number) - 1},
            )
            if not rows:
                count = self.db.query(f"{_seg(_HEAD)} SELECT COUNT(*) AS n FROM turns t WHERE {_ON_PATH} AND t.role = 'user'",
                                      {"sid": session_id, "limit": -1})[0]["n"]
                raise NotFound(f"no prompt {text} on the active branch of session {session_id} (it has {count})")
            return Turn.from_row(rows[0])
        prefix = text.upper()
        if not prefix or not prefix.isalnum():
            raise BadTurnSpec(f"bad turn {spec!r}: use a turn id, a prefix of one, or @N")
        rows = self.db.query(
            "SELECT * FROM turns WHERE session_id = ? AND id >= ? AND id < ? ORDER BY id LIMIT 6",
            (session_id, prefix, prefix + "\uffff"),
        )
        exact = [r for r in rows if r["id"] == prefix]
        if exact:
            return Turn.from_row(exact[0])
        if not rows:
            raise NotFound(f"no turn {spec!r} in session {session_id}")
        if len(rows) > 1:
            raise AmbiguousId(spec, [r["id"] for r in rows])
        return Turn.from_row(rows[0])

    # -- moving the head ----------------------------------------------------------------
    def _refuse_busy(self, session_id: str, action: str) -> None:
        if self.running_turn(session_id) is not None:
            raise SessionBusy(f"session {session_id} has a running turn; stop it before you {action}")

    def move_head(self, session_id: str, head: str | None, event: str, data: dict) -> int:
        """Point the session's head at `head` (None: before the first prompt) and record
        `event` (head_moved, rewind) with `data`, atomically; refused while a turn runs.
        Returns the event's id."""
        EventType.check(event, "event type")
        with self.db.transaction() as conn:
            self._refuse_busy(session_id, "move its head")
            if head is not None:
                found = conn.execute("SELECT 1 FROM turns WHERE id = ? AND session_id = ?", (head, session_id))
                if found.fetchone() is None:
                    raise NotFound(f"no turn {head} in session {session_id}")
            now = self.clock.stamp()
            conn.execute("UPDATE sessions SET head = ?, updated_at = ?, last_activity_at = ? WHERE id = ?",
                         (head, now, now, session_id))
            return self._insert_events(conn, session_id, [self._event(event, data)])

    def checkout(self, session_id: str, turn_id: str) -> str:
        """Make the branch holding `turn_id` active: the head becomes its newest tip."""
        tip = self.newest_tip(session_id, turn_id)
        before = self.head_of(session_id)
        if tip != before:
            self.move_head(session_id, tip, EventType.HEAD_MOVED, {"from": before, "to": tip, "turn": turn_id})
        return tip

    def rewinds(self, session_id: str) -> list[Event]:
        """The session's rewind events that are not undone, oldest first (the last is what
        `--undo` takes back)."""
        rows = self.db.query(
            "SELECT * FROM events WHERE session_id = ? AND type = 'rewind' ORDER BY id", (session_id,)
        )
        stack: list[Event] = []
        for row in rows:
            event = Event.from_row(row)
            undone = event.data.get("undo")
            if undone is None:
                stack.append(event)
            elif stack and stack[-1].id == undone:
                stack.pop()
        return stack

    # -- counting, for lists of sessions ---------------------------------------------------
    def tree_counts(self, session_ids: Sequence[str]) -> dict[str, tuple[int, int]]:
        """(turns on the active path, branches) of those of `session_ids` whose tree is not
        one path ending at its head; a session left out is one branch of `turn_count` turns.

        Cheap for a page of sidebar rows at any number of sessions: a branch beyond the
        first is a turn with an older sibling, and such a turn is always a break (indexed),
        so only breaks are looked at; only a session with branches, or with its head not on
        its newest turn (rewound), has its path counted."""
        ids = list(dict.fromkeys(session_ids))
        extra: dict[str, int] = {}
        moved: set[str] = set()
        for start in range(0, len(ids), 400):
            chunk = ids[start:start + 400]
            marks = ", ".join("?" for _ in chunk)
            for r in self.db.query(
                f"""SELECT b.session_id AS sid, COUNT(*) AS n FROM turns b
                    WHERE b.session_id IN ({marks}) AND b.parent_seq IS NOT b.seq - 1
                    AND EXISTS (SELECT 1 FROM turns s WHERE s.session_id = b.session_id
                                AND s.parent_id IS b.parent_id AND s.seq < b.seq)
                    GROUP BY b.session_id
                    UNION ALL
                    SELECT s.id, -1 FROM sessions s WHERE s.id IN ({marks}) AND s.turn_count > 0
                    AND s.head IS NOT (SELECT t.id FROM turns t WHERE t.session_id = s.id
                                       ORDER BY t.seq DESC LIMIT 1)""", (*chunk, *chunk)):
                if r["n"] < 0:
                    moved.add(r["sid"])
                else:
                    extra[r["sid"]] = r["n"]
        counts = {}
        for sid in [i for i in ids if i in extra or i in moved]:
            turns = self.db.query(f"{_seg(_HEAD)} SELECT COUNT(*) AS n FROM turns t WHERE {_ON_PATH}",
                                  {"sid": sid, "limit": -1})[0]["n"]
            counts[sid] = (turns, 1 + extra.get(sid, 0))
        return counts
