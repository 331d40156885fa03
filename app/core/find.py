"""Find inside one session: a query -> the ordered hits over every turn of the session.

What is searched: each turn's text and thinking and its tool calls' input (args) and
output, on every branch, compacted turns included. Hits on the active path come first, in
the order the transcript shows them (thinking, text, then each tool call's args and
output); hits on other branches follow, in the order their turns were added.

The query is case-smart (all lower case: case-insensitive; any upper-case letter:
case-sensitive) and literal unless `regex` (a bad regex raises `BadPattern`, one line).

`Finder` keeps the session's searchable text in memory (read once with two SQL statements,
then only the turns added since and the ones still streaming), so a keystroke costs a
regex scan, not a read of the database. Nothing here knows Textual: the TUI runs `search`
in a thread and keeps the newest query's answer.
"""

from __future__ import annotations

import re
import threading
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field

from chinwag.storage import Store

MAX_CROSSINGS = 3  # matches running from one entry into the next before a scan goes entry by entry
MAX_HITS = 10_000  # beyond this the counter says "10,000+": a one-letter query stays fast
FIRST_PAGE = 100  # hits near the view found first, shown while the rest are counted
FIELDS = ("thinking", "text", "args", "output")  # in the order a block shows them
EXPANDED_ONLY = frozenset({"thinking", "output"})  # shown when the block is expanded


class BadPattern(ValueError):
    """A regex that does not compile (its message is one line)."""


def case_sensitive(text: str, regex: bool = False) -> bool:
    """The case-smart rule: any upper-case letter makes the query case-sensitive (in a
    regex, letters of escapes such as `\\S` or `\\W` do not count)."""
    letters = re.sub(r"\\.", "", text) if regex else text
    return any(ch.isupper() for ch in letters)


# escapes naming a character by its code (`\x41` is "A") and inline flags (`(?-i:x)`): a
# pattern with them does not match the lower-cased text as it matches the text ignoring case
_LOWER_UNSAFE = re.compile(r"\\[xuUN0-9]|\(\?[aiLmsux-]")


def lowers_safely(source: str) -> bool:
    """Whether a pattern with no capital letter (the case-smart rule made it ignore case)
    finds the same matches in the lower-cased text without ignoring case."""
    return _LOWER_UNSAFE.search(source) is None


def compile_query(text: str, regex: bool = False) -> re.Pattern[str] | None:
    """The pattern for a query (None for an empty one)."""
    if not text:
        return None
    flags = (0 if case_sensitive(text, regex) else re.IGNORECASE) | re.MULTILINE  # ^ and $: a line's ends
    try:
        pattern = re.compile(text if regex else re.escape(text), flags)
    except (re.error, OverflowError, RecursionError) as exc:
        raise BadPattern(f"bad regex: {exc}") from None
    if pattern.search("") is not None:  # `x*`, `^`: it would match between every two characters
        raise BadPattern("the regex matches empty text: make it match at least one character (x+, not x*)")
    return pattern


@dataclass(frozen=True)
class Entry:
    """One searchable piece of text."""

    turn_id: str
    seq: int
    field: str  # one of FIELDS
    text: str
    call_id: str | None = None


@dataclass(frozen=True)
class Hit:
    """One match of a find: the turn, the field it is in and where in that field's text."""

    turn_id: str
    field: str
    start: int  # offsets in the field's text
    end: int
    on_path: bool
    call_id: str | None = None


@dataclass
class FindResult:
    """The hits of one query over a session: on the active path first, then other branches."""

    query: str
    regex: bool
    hits: list[Hit] = field(default_factory=list)  # path hits, then other-branch hits
    on_path: int = 0  # how many of `hits` are on the active path (they come first)
    other: int = 0
    capped: bool = False  # more than `limit` hits: the counts are lower bounds
    head: str | None = None
    partial: bool = False  # a first page of hits (near the view): the full count follows
    path_index: dict[str, int] = field(default_factory=dict)  # the active path: turn id -> position

    @property
    def path_hits(self) -> list[Hit]:
        return self.hits[: self.on_path]

    @property
    def branch_hits(self) -> list[Hit]:
        return self.hits[self.on_path:]


class Corpus:
    """Entries joined into one text (an entry per line-separated slot), so a query is one
    regex scan of it, not one per entry; matches are mapped back to their entry."""

    SEP = "\n"

    def __init__(self, entries: list[Entry]) -> None:
        self.entries = entries
        self.starts: list[int] = []
        position = 0
        for entry in entries:
            self.starts.append(position)
            position += len(entry.text) + len(self.SEP)
        self.text = self.SEP.join(entry.text for entry in entries)
        self._lower: str | None = None
        self.first_entry: dict[str, int] = {}  # turn id -> the index of its first entry
        for index in range(len(entries) - 1, -1, -1):
            self.first_entry[entries[index].turn_id] = index

    def lower(self) -> str | None:
        """The text in lower case when that keeps every offset (else None)."""
        if self._lower is None:
            lowered = self.text.lower()
            self._lower = lowered if len(lowered) == len(self.text) else ""
        return self._lower or None

    def scan(self, pattern: re.Pattern[str], *, on_path: bool, limit: int, literal: bool = False,
             first: int = 0, stop: int | None = None) -> tuple[list[Hit], bool]:
        """The hits of `pattern` in entries `first` to `stop` (None: the last), in order, at
        most `limit` (and whether it stopped there). Empty matches are no hits; a match never
        runs from one entry into the next."""
        text, starts, entries, original = self.text, self.starts, self.entries, pattern
        stop = len(entries) if stop is None else min(stop, len(entries))
        hits: list[Hit] = []
        if first >= stop:
            return hits, False
        if pattern.flags & re.IGNORECASE and (literal or lowers_safely(pattern.pattern)):
            lowered = self.lower()
            if lowered is not None:  # case-insensitive: a plain scan of the lower-cased text (~10x faster)
                text, pattern = lowered, re.compile(pattern.pattern, pattern.flags & ~re.IGNORECASE)
        last = entries[stop - 1]
        end_of_range = starts[stop - 1] + len(last.text)
        matches, crossings = pattern.finditer(text, starts[first], end_of_range), 0
        while True:
            for match in matches:
                if match.end() == match.start():
                    continue
                index = bisect_right(starts, match.start()) - 1
                entry, begin = entries[index], starts[index]
                end = begin + len(entry.text)
                if match.end() <= end:
                    if len(hits) >= limit:
                        return hits, True
                    hits.append(Hit(entry.turn_id, entry.field, match.start() - begin, match.end() - begin, on_path,
                                    entry.call_id))
                    continue
                # It runs on into the next entry: this entry alone from where it began, then on after it.
                # A pattern that does so again and again (`[^z]+`) goes entry by entry: one that
                # spans the rest of the text at every entry would cost its length squared.
                crossings += 1
                capped = self._scan_entries(original, index, max(0, match.start() - begin), hits, on_path, limit,
                                            stop if crossings > MAX_CROSSINGS else index + 1)
                if capped or crossings > MAX_CROSSINGS or index + 1 >= stop:
                    return hits, capped
                matches = pattern.finditer(text, starts[index + 1], end_of_range)
                break
            else:
                return hits, False

    def _scan_entries(self, pattern: re.Pattern[str], first: int, offset: int, hits: list[Hit], on_path: bool,
                      limit: int, stop: int) -> bool:
        """Hits entry by entry, from entry `first` (at `offset` in it) to `stop`; True if it
        stopped at `limit`."""
        for index in range(first, stop):
            entry = self.entries[index]
            for match in pattern.finditer(entry.text, offset if index == first else 0):
                if match.end() > match.start():
                    if len(hits) >= limit:
                        return True
                    hits.append(Hit(entry.turn_id, entry.field, match.start(), match.end(), on_path, entry.call_id))
        return False


@dataclass
class _TurnText:
    """A turn's searchable text as read, kept until the turn changes."""

    seq: int
    parent_id: str | None
    entries: list[Entry]
    live: bool  # streaming when read: read again next time


_COLUMNS = "id, seq, parent_id, status, text, thinking"


class Finder:
    """The searchable text of one session, kept fresh cheaply; `search` is thread-safe."""

    def __init__(self, store: Store, session_id: str) -> None:
        self.store = store
        self.session_id = session_id
        self._turns: dict[str, _TurnText] = {}
        self._top = -1  # the largest seq read
        self._path_head: str | None = None
        self._path: list[str] = []
        self._path_index: dict[str, int] = {}
        self._corpora: tuple[Corpus, Corpus] | None = None
        self._lock = threading.Lock()

    # -- reading -------------------------------------------------------------------------
    def refresh(self) -> None:
        """Read what changed since the last read: turns added since, turns that were
        streaming (or still are), and the active path when the head moved."""
        sid, db = self.session_id, self.store.db
        first = self._top < 0
        stale = [turn_id for turn_id, turn in self._turns.items() if turn.live]
        rows = db.query(f"SELECT {_COLUMNS} FROM turns WHERE session_id = ? AND seq > ?", (sid, self._top))
        if stale:
            marks = ", ".join("?" for _ in stale)
            rows += db.query(f"SELECT {_COLUMNS} FROM turns WHERE id IN ({marks})", tuple(stale))
        rows += db.query(f"SELECT {_COLUMNS} FROM turns WHERE status = 'streaming' AND session_id = ?", (sid,))
        changed = self._read_turns(rows, every=first)
        head = self.store.head_of(sid)
        if head != self._path_head or changed:
            self._path_head, self._path = head, self._walk(head)
            self._path_index = {turn_id: n for n, turn_id in enumerate(self._path)}
            changed = True
        if changed:
            self._corpora = None

    def _walk(self, head: str | None) -> list[str]:
        """The active path, root first, from the parent links read (no recursive SQL)."""
        path, cursor = [], head
        while cursor is not None and cursor in self._turns:
            path.append(cursor)
            cursor = self._turns[cursor].parent_id
        path.reverse()
        return path

    def _read_turns(self, rows: list[dict], *, every: bool) -> bool:
        fresh: dict[str, _TurnText] = {}
        for row in rows:
            if row["id"] not in fresh:
                entries = [Entry(row["id"], row["seq"], name, row[name] or "") for name in ("thinking", "text")]
                fresh[row["id"]] = _TurnText(row["seq"], row["parent_id"], entries, row["status"] == "streaming")
        if not fresh:
            return False
        if every:  # the whole session: one join, not a list of ids
            calls = self.store.db.query(
                "SELECT c.turn_id, c.id, c.args, c.output FROM turns t JOIN tool_calls c ON c.turn_id = t.id "
                "WHERE t.session_id = ? ORDER BY c.turn_id, c.seq", (self.session_id,))
        else:
            ids, calls = list(fresh), []
            for start in range(0, len(ids), 500):
                chunk = ids[start:start + 500]
                calls += self.store.db.query(
                    f"SELECT turn_id, id, args, output FROM tool_calls WHERE turn_id IN ({', '.join('?' for _ in chunk)}) "
                    "ORDER BY turn_id, seq", tuple(chunk))
        for call in calls:
            turn = fresh.get(call["turn_id"])
            if turn is not None:
                turn.entries.append(Entry(call["turn_id"], turn.seq, "args", call["args"] or "", call["id"]))
                turn.entries.append(Entry(call["turn_id"], turn.seq, "output", call["output"] or "", call["id"]))
        self._turns.update(fresh)
        self._top = max(self._top, max(turn.seq for turn in fresh.values()))
        return True

    def _corpus(self) -> tuple[Corpus, Corpus]:
        """(the active path's entries in path order, the other branches' in seq order)."""
        if self._corpora is None:
            on_path = set(self._path)
            path = [entry for turn_id in self._path for entry in self._turns[turn_id].entries]
            others = sorted((t for turn_id, t in self._turns.items() if turn_id not in on_path), key=lambda t: t.seq)
            self._corpora = (Corpus(path), Corpus([entry for turn in others for entry in turn.entries]))
        return self._corpora

    @property
    def path(self) -> list[str]:
        """The active path's turn ids, root first (as of the last refresh)."""
        return self._path

    # -- searching -----------------------------------------------------------------------
    def search(self, query: str, regex: bool = False, *, limit: int = MAX_HITS, around: str | None = None
               ) -> FindResult:
        """Every hit of `query` (at most `limit`); BadPattern for a regex that does not compile.

        `around`: a turn of the path the user is looking at. When there are more than
        `limit` hits, those kept are the ones from that turn on (then from the start), so
        the hits near the view are always among them."""
        pattern = compile_query(query, regex)
        with self._lock:
            self.refresh()
            result = FindResult(query, regex, head=self._path_head, path_index=self._path_index)
            if pattern is None:
                return result
            path, others = self._corpus()
            start = path.first_entry.get(around or "", 0)
            hits, capped = path.scan(pattern, on_path=True, limit=limit, literal=not regex, first=start)
            if start and not capped:
                before, capped = path.scan(pattern, on_path=True, limit=limit - len(hits), literal=not regex,
                                           stop=start)
                hits = before + hits
            result.on_path = len(hits)
            if not capped:
                more, capped = others.scan(pattern, on_path=False, limit=limit - len(hits), literal=not regex)
                hits += more
            result.hits, result.capped = hits, capped
            result.other = len(hits) - result.on_path
            return result


def counter_text(result: FindResult | None, current: int | None) -> str:
    """What the bar's counter says: `3/17`, `+4 in other branches`, `no match`."""
    if result is None or not result.query:
        return ""
    plus = "…" if result.partial else "+" if result.capped else ""
    if not result.hits:
        return "no match"
    parts = []
    if result.on_path:
        where = f"{current + 1}" if current is not None and current < result.on_path else "–"
        parts.append(f"{where}/{result.on_path:,}{plus if not result.other else ''}")
    if result.other:
        parts.append(f"+{result.other:,}{plus} in other branches")
    return " · ".join(parts)


def visible_ordinal(hits: list[Hit], index: int, expanded: bool,
                    shown: Callable[[Hit], bool] | None = None) -> int | None:
    """Which match, counted down the block as it is shown, hit `index` is: the hits of its
    turn before it in fields the block shows (thinking and tool output only when
    expanded; `shown` says which hits in a tool's output are on the lines shown). None when
    the hit is in a field or on a line the block hides."""
    def visible(h: Hit) -> bool:
        if h.field in EXPANDED_ONLY and not expanded:
            return False
        return shown is None or shown(h)

    hit = hits[index]
    if not visible(hit):
        return None
    ordinal = 0
    position = index - 1
    while position >= 0 and hits[position].turn_id == hit.turn_id:
        if visible(hits[position]):
            ordinal += 1
        position -= 1
    return ordinal
