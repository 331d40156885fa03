"""Turn operations: adding turns, the streaming life of an agent turn (append, heartbeat,
stop request, finish), reading them and crash recovery. Tool calls live in
`storage.tool_calls`, compaction marks in `storage.compaction`.

Every write to a live turn goes through `_touch_live`: it lands only while the turn is
still `streaming` (and, given an owner pid, still owned by it), so whoever lost a race
(a turn settled by `session stop` or recovery while its owner still ran) gets `TurnLost`
instead of writing into a settled turn.
"""

from __future__ import annotations

import json
import os
from datetime import timedelta

from chinwag.storage.base import StoreBase
from chinwag.storage.clock import parse_ts
from chinwag.storage.enums import FINAL_STATUSES, TurnRole, TurnStatus
from chinwag.storage.errors import NotFound, SessionBusy, StorageError, TurnLost
from chinwag.storage.events import PendingEvent
from chinwag.storage.models import Session, Turn, storable
from chinwag.storage.sessions import clean_title
from chinwag.storage.states import check_transition
from chinwag.storage.tokens import REPORTED, session_usage
from chinwag.storage.tree import AT_HEAD, AtHead

STALE_HEARTBEAT = timedelta(seconds=60)


def _row(cursor) -> dict | None:
    """The one row a `RETURNING *` statement gives (all of it read, so the statement ends)."""
    rows = cursor.fetchall()
    if not rows:
        return None
    return dict(zip([d[0] for d in cursor.description], rows[0], strict=True))


def _json_merge(column: str, values: dict) -> tuple[str, tuple]:
    """SQL merging `values` into a JSON object column key by key, as `{**old, **values}`
    does (a value that is not valid JSON text counts as `{}`)."""
    if not values:
        return column, ()
    paths = ", ".join("?, json(?)" for _ in values)
    params: list = []
    for key, value in values.items():
        params += ['$."' + key.replace('"', '""') + '"', json.dumps(value)]
    return f"json_set(CASE WHEN json_valid({column}) THEN {column} ELSE '{{}}' END, {paths})", tuple(params)


def pid_alive(pid: int | None) -> bool:
    """True when a process with this pid exists and is not a zombie (Linux: /proc)."""
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            state = handle.read().rsplit(b")", 1)[-1].split()[0]
        return state not in (b"Z", b"X")
    except (OSError, IndexError):
        return True


class TurnsMixin(StoreBase):
    """Mixed into `Store`."""

    def add_turn(
        self,
        session_id: str,
        role: str,
        text: str = "",
        *,
        status: str = "complete",
        agent: str = "",
        model: str = "",
        owner_pid: int | None = None,
        metadata: dict | None = None,
        parent: str | None | AtHead = AT_HEAD,
    ) -> Turn:
        """Add a turn after `parent` (by default the head, so it continues the active
        branch); the head moves to it."""
        role = TurnRole.check(role, "turn role")
        status = TurnStatus.check(status, "turn status")
        now = self.clock.stamp()
        with self.db.transaction() as conn:
            events: list[PendingEvent] = []
            turn = self._insert_turn(conn, session_id, parent, role, storable(text), status, agent, model, owner_pid,
                                     now, metadata, events)
            conn.execute(
                "UPDATE sessions SET turn_count = turn_count + 1, head = ?, updated_at = ?, last_activity_at = ? "
                "WHERE id = ?",
                (turn.id, now, now, session_id),
            )
            if role == "user":
                events.append(self._event("user_message", {"chars": len(turn.text)}, turn.id))
            if events:
                self._insert_events(conn, session_id, events)
        return turn

    def copy_turn(self, turn: Turn, session_id: str, *, renamed: dict[str, str] | None = None) -> Turn:
        """Copy a settled turn (text, tokens, tool calls) into another session, after its
        head. `renamed` maps the source's turn ids to their copies' (a summary's `through`)."""
        metadata = turn.metadata
        if renamed and turn.through in renamed:
            metadata = {**metadata, "through": renamed[turn.through]}
        copy = self.add_turn(
            session_id, turn.role, turn.text, status=turn.status, agent=turn.agent, model=turn.model,
            metadata=metadata,
        )
        with self.db.transaction() as conn:
            conn.execute(
                """UPDATE turns SET thinking = ?, input_tokens = ?, output_tokens = ?, tokens_estimated = ?,
                   compacted = ?, error = ?, started_at = ?, finished_at = ? WHERE id = ?""",
                (turn.thinking, turn.input_tokens, turn.output_tokens, int(turn.tokens_estimated),
                 int(turn.compacted), turn.error, turn.started_at, turn.finished_at, copy.id),
            )
            conn.execute(
                "UPDATE sessions SET input_tokens = input_tokens + ?, output_tokens = output_tokens + ? WHERE id = ?",
                (turn.input_tokens, turn.output_tokens, session_id),
            )
            for call in self.list_tool_calls([turn.id]):
                conn.execute(
                    """INSERT INTO tool_calls (id, turn_id, session_id, parent_id, seq, name, args, status, output,
                       started_at, finished_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                    (call.id, copy.id, session_id, call.parent_id, call.seq, call.name, call.args, call.status,
                     call.output, call.started_at, call.finished_at),
                )
        return self.get_turn(copy.id)

    # -- the life of one exchange ----------------------------------------------------------
    def begin_exchange(
        self, session_id: str, prompt: str, *, agent: str | None = None, model: str | None = None,
        owner_pid: int | None = None, parent: str | None | AtHead = AT_HEAD,
    ) -> tuple[Turn, Turn]:
        """Commit the user's prompt and open a streaming agent turn, atomically; both turns
        are returned as stored (no read-back). `agent`/`model` default to the session's.
        The prompt follows `parent` (default: the head; an edit passes the edited prompt's
        parent, which makes a sibling); the head moves to the reply.

        Refuses with SessionBusy when another live process already runs a turn here. The
        hot path of every Enter: a handful of statements, one durable transaction.
        """
        owner_pid = owner_pid or os.getpid()
        with self.db.transaction(durable=True) as conn:  # the user's words survive a power cut
            session = self.get_session(session_id)
            running = self.running_turn(session.id)
            if running is not None:
                if pid_alive(running.owner_pid) and not self._stale(running):
                    raise SessionBusy(
                        f"session {session.id} is busy with another turn (pid {running.owner_pid}); "
                        "wait for it or stop it with `chinwag session stop`"
                    )
                self.mark_interrupted(running)
                session = self.get_session(session.id)
            agent = session.agent if agent is None else agent
            model = session.model if model is None else model
            # stamps are taken in the order things happen (a test clock advances per stamp)
            events: list[PendingEvent] = []
            title = clean_title(" ".join(prompt.split())[:60]) if session.title_source == "default" else ""
            if title:
                events.append(self._event("session_change", {"title": title, "source": "auto"}))
            if session.state != "ready":
                check_transition(session.state, "ready")
                events.append(self._event("state_change", {"from": session.state, "to": "ready",
                                                           "reason": f"new turn after {session.state}"}))
            check_transition("ready", "busy")
            user = self._insert_turn(conn, session.id, session.head if isinstance(parent, AtHead) else parent, "user",
                                     storable(prompt), "complete", agent, model, None, self.clock.stamp(), None, events)
            events.append(self._event("user_message", {"chars": len(user.text)}, user.id))
            now = self.clock.stamp()
            reply = self._insert_turn(conn, session.id, user.id, "agent", "", "streaming", agent, model, owner_pid, now,
                                      None, events)
            events += [self._event("state_change", {"from": "ready", "to": "busy"}),
                       self._event("generation_start", {"agent": agent, "model": model}, reply.id)]
            retitle = "title = ?, title_source = 'auto', " if title else ""
            conn.execute(
                f"""UPDATE sessions SET {retitle}turn_count = turn_count + 2, state = 'busy', head = ?, updated_at = ?,
                    last_activity_at = ? WHERE id = ?""",
                (*((title,) if title else ()), reply.id, now, now, session.id),
            )
            self._insert_events(conn, session.id, events)
        return user, reply

    def _insert_turn(self, conn, session_id: str, parent: str | None | AtHead, role: str, text: str, status: str,
                     agent: str, model: str, owner_pid: int | None, now: str, metadata: dict | None,
                     events: list[PendingEvent]) -> Turn:
        """Inside a write transaction: insert a turn as the session's next (`seq`) after
        `parent` and return it as stored. A turn beside existing ones of the same parent
        starts a branch: a `branch_created` event joins `events`. The caller moves the head."""
        if isinstance(parent, AtHead):
            head = conn.execute("SELECT head FROM sessions WHERE id = ?", (session_id,)).fetchone()
            if head is None:
                raise NotFound(f"no session {session_id}")
            parent = head[0]
        parent_seq = None
        if parent is not None:
            found = conn.execute("SELECT seq FROM turns WHERE id = ? AND session_id = ?", (parent, session_id)).fetchone()
            if found is None:
                raise NotFound(f"no turn {parent} in session {session_id}")
            parent_seq = found[0]
        siblings = conn.execute("SELECT COUNT(*) FROM turns WHERE session_id = ? AND parent_id IS ?",
                                (session_id, parent)).fetchone()[0]
        cursor = conn.execute(
            """INSERT INTO turns (id, session_id, seq, role, text, status, agent, model, created_at,
               started_at, owner_pid, heartbeat_at, metadata, parent_id, parent_seq)
               VALUES (?, ?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM turns WHERE session_id = ?),
                       ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *""",
            (self.new_id(), session_id, session_id, role, text, status, agent, model, now, now, owner_pid,
             now if status == "streaming" else None, json.dumps(metadata or {}), parent, parent_seq),
        )
        row = _row(cursor)
        assert row is not None  # an INSERT ... RETURNING returns its row
        turn = Turn.from_row(row)
        if siblings:
            events.append(self._event("branch_created", {"parent_id": parent, "siblings": siblings + 1}, turn.id))
        return turn

    def _ready_for_turn(self, session: Session) -> None:
        if session.state != "ready":
            self.set_state(session.id, "ready", reason=f"new turn after {session.state}")

    def begin_reply(self, session_id: str, *, agent: str, model: str, owner_pid: int | None = None,
                    parent: str | None | AtHead = AT_HEAD) -> Turn:
        """Open a streaming agent turn after `parent` (default: the head: after a committed
        prompt, or to continue a reply; a regenerated reply follows the same prompt)."""
        owner_pid = owner_pid or os.getpid()
        with self.db.transaction():
            if self.running_turn(session_id) is not None:
                raise SessionBusy(f"session {session_id} is busy with another turn")
            self._ready_for_turn(self.get_session(session_id))
            reply = self.add_turn(
                session_id, "agent", "", status="streaming", agent=agent, model=model, owner_pid=owner_pid,
                parent=parent,
            )
            self.set_state(session_id, "busy")
            self.append_event(session_id, "generation_start", {"agent": agent, "model": model}, turn_id=reply.id)
        return reply

    def _touch_live(self, conn, turn_id: str, owner_pid: int | None, assignments: str = "", params: tuple = (),
                    *, returning: bool = False) -> Turn | None:
        """Inside a write transaction: update a turn (and its heartbeat) only while it is
        streaming and, given `owner_pid`, owned by it; otherwise raise TurnLost. With
        `returning`, the turn as updated is returned (no read-back)."""
        where = "id = ? AND status = 'streaming'"
        extra: list[str | int] = [turn_id]
        if owner_pid is not None:
            where += " AND owner_pid = ?"
            extra.append(owner_pid)
        sets = f"{assignments + ', ' if assignments else ''}heartbeat_at = ?"
        cursor = conn.execute(f"UPDATE turns SET {sets} WHERE {where}{' RETURNING *' if returning else ''}",
                              (*params, self.clock.stamp(), *extra))
        if returning:
            row = _row(cursor)
            if row is not None:
                return Turn.from_row(row)
        elif cursor.rowcount:
            return None
        found = conn.execute("SELECT status, owner_pid FROM turns WHERE id = ?", (turn_id,)).fetchone()
        if found is None:
            raise NotFound(f"no turn {turn_id}")
        if found[0] != "streaming":
            raise TurnLost(f"turn {turn_id} is already settled ({found[0]}); nothing was written to it")
        raise TurnLost(f"turn {turn_id} is now run by pid {found[1]}, not {owner_pid}; nothing was written to it")

    def append_stream(self, turn_id: str, text: str = "", thinking: str = "", *, owner_pid: int | None = None) -> None:
        """Append a batch of streamed text (and thinking) to a streaming turn, with a heartbeat.
        Raises TurnLost when the turn is no longer streaming (under `owner_pid`, if given)."""
        with self.db.transaction() as conn:
            self._touch_live(conn, turn_id, owner_pid, "text = text || ?, thinking = thinking || ?",
                             (storable(text), storable(thinking)))

    def set_turn_owner(self, turn_id: str, pid: int) -> None:
        with self.db.transaction() as conn:
            conn.execute(
                "UPDATE turns SET owner_pid = ?, heartbeat_at = ? WHERE id = ? AND status = 'streaming'",
                (pid, self.clock.stamp(), turn_id),
            )

    def heartbeat(self, turn_id: str, *, owner_pid: int | None = None) -> None:
        with self.db.transaction() as conn:
            self._touch_live(conn, turn_id, owner_pid)

    def request_stop(self, turn_id: str) -> None:
        with self.db.transaction() as conn:
            conn.execute("UPDATE turns SET stop_requested = 1 WHERE id = ?", (turn_id,))

    def stop_requested(self, turn_id: str) -> bool:
        row = self.db.query_one("SELECT stop_requested FROM turns WHERE id = ?", (turn_id,))
        return bool(row and row["stop_requested"])

    def merge_turn_metadata(self, turn_id: str, values: dict) -> None:
        """Merge keys into a turn's metadata (e.g. an agent's plan, updated in place)."""
        with self.db.transaction() as conn:
            row = conn.execute("SELECT metadata FROM turns WHERE id = ?", (turn_id,)).fetchone()
            if row is None:
                raise NotFound(f"no turn {turn_id}")
            merged = {**json.loads(row[0] or "{}"), **values}
            merged = {k: v for k, v in merged.items() if v is not None}
            conn.execute("UPDATE turns SET metadata = ? WHERE id = ?", (json.dumps(merged), turn_id))

    def finish_turn(
        self,
        turn_id: str,
        status: str,
        *,
        input_tokens: int = 0,
        output_tokens: int = 0,
        estimated: bool = False,
        error: str | None = None,
        model: str = "",
        metadata: dict | None = None,
        owner_pid: int | None = None,
        text: str = "",
        thinking: str = "",
    ) -> Turn:
        """Settle a streaming turn and move the session out of `busy`. `metadata` is merged
        into the turn's (e.g. usage details, the provider's own record of the reply); `text`
        and `thinking` are the last streamed batch, appended in the same write.

        Only a turn still streaming (under `owner_pid`, if given) is settled, once: anyone
        else gets TurnLost and nothing changes. Committed durably (synchronous=FULL)."""
        if status not in FINAL_STATUSES:
            raise StorageError(f"{status!r} is not a final turn status")
        now = self.clock.stamp()
        merge_sql, merge_params = _json_merge("metadata", metadata or {})
        with self.db.transaction(durable=True) as conn:
            settled = self._touch_live(
                conn, turn_id, owner_pid,
                f"""text = text || ?, thinking = thinking || ?, status = ?, input_tokens = ?, output_tokens = ?,
                   tokens_estimated = ?, error = ?, finished_at = ?, owner_pid = NULL,
                   model = COALESCE(NULLIF(?, ''), model), metadata = {merge_sql}""",
                (storable(text), storable(thinking), status, input_tokens, output_tokens, int(estimated),
                 storable(error) or None, now, model, *merge_params),
                returning=True,
            )
            assert settled is not None
            state = conn.execute("SELECT state FROM sessions WHERE id = ?", (settled.session_id,)).fetchone()[0]
            new_state = ("error" if status == "error" else "ready") if state == "busy" else state
            conn.execute(
                """UPDATE sessions SET input_tokens = input_tokens + ?, output_tokens = output_tokens + ?,
                   updated_at = ?, last_activity_at = ?, state = ? WHERE id = ?""",
                (input_tokens, output_tokens, now, now, new_state, settled.session_id),
            )
            events = [
                self._event("generation_end", {"status": status, "input_tokens": input_tokens,
                                               "output_tokens": output_tokens, "estimated": estimated,
                                               "chars": len(settled.text), **({"error": error} if error else {})},
                            turn_id),
                self._event("agent_response", {"chars": len(settled.text), "status": status}, turn_id),
            ]
            if new_state != state:
                check_transition(state, new_state)
                events.append(self._event("state_change", {"from": state, "to": new_state}))
            self._insert_events(conn, settled.session_id, events)
        return settled

    # -- reading -------------------------------------------------------------------------
    def get_turn(self, turn_id: str) -> Turn:
        row = self.db.query_one("SELECT * FROM turns WHERE id = ?", (turn_id,))
        if row is None:
            raise NotFound(f"no turn {turn_id}")
        return Turn.from_row(row)

    def list_turns(
        self,
        session_id: str,
        *,
        limit: int | None = None,
        before_seq: int | None = None,
        after_seq: int | None = None,
        all_branches: bool = False,
    ) -> list[Turn]:
        """The conversation: the active path's turns, root first; with `limit`, the newest
        `limit` (those before the turn numbered `before_seq`, if given: a page further back).
        `all_branches`: every turn of the tree in the order they were added."""
        if not all_branches:
            tip = self.head_of(session_id)
            if before_seq is not None:
                row = self.db.query_one("SELECT parent_id FROM turns WHERE session_id = ? AND seq = ?",
                                        (session_id, before_seq))
                tip = row["parent_id"] if row else None
            turns = self.turns_to(session_id, tip, limit=limit)
            return turns if after_seq is None else [t for t in turns if t.seq > after_seq]
        clauses = ["session_id = ?"]
        params: list[str | int] = [session_id]
        if before_seq is not None:
            clauses.append("seq < ?")
            params.append(before_seq)
        if after_seq is not None:
            clauses.append("seq > ?")
            params.append(after_seq)
        where = " AND ".join(clauses)
        if limit is None:
            rows = self.db.query(f"SELECT * FROM turns WHERE {where} ORDER BY seq", tuple(params))
        else:
            rows = self.db.query(
                f"SELECT * FROM turns WHERE {where} ORDER BY seq DESC LIMIT ?", (*params, limit)
            )
            rows.reverse()
        return [Turn.from_row(r) for r in rows]

    def context_turns(self, session_id: str, *, tip: str | None | AtHead = AT_HEAD) -> list[Turn]:
        """What the model sees of the path to `tip` (default: the active path): the latest
        summary first, then every turn after the last compaction (`storage.tree.select_context`)."""
        return self.context_of(session_id, tip)

    def context_size(self, session_id: str) -> int:
        """Estimated tokens of what the model sees on the active path (~4 characters a token,
        +4 a message); the same formula as `chinwag.app.core.context.context_tokens`, in SQL."""
        return self.context_tokens_of(session_id)

    def token_usage(self, session_ids: list[str]) -> dict[str, str]:
        """How each session's token totals read (`storage.tokens.session_usage`): reported,
        estimated or unreported. Computed from its settled agent turns when asked."""
        usage: dict[str, str] = {}
        ids = list(dict.fromkeys(session_ids))
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            rows = self.db.query(
                f"""SELECT session_id, COUNT(*) AS n, MAX(tokens_estimated) AS estimated,
                       SUM(json_valid(metadata) AND json_extract(metadata, '$.usage') = 'unreported') AS unreported
                    FROM turns WHERE session_id IN ({", ".join("?" for _ in chunk)})
                    AND role = 'agent' AND status != 'streaming' GROUP BY session_id""",
                tuple(chunk),
            )
            for row in rows:
                usage[row["session_id"]] = session_usage(row["n"], row["estimated"] or 0, row["unreported"] or 0)
        return {sid: usage.get(sid, REPORTED) for sid in ids}

    def running_turn(self, session_id: str) -> Turn | None:
        # `+session_id` keeps SQLite on the small partial index of streaming turns instead of
        # walking the session's (seq) index: 5 ms -> 0.01 ms on a 10,000-turn session.
        row = self.db.query_one(
            "SELECT * FROM turns WHERE +session_id = ? AND status = 'streaming' ORDER BY seq DESC LIMIT 1",
            (session_id,),
        )
        return Turn.from_row(row) if row else None

    def running_session_ids(self) -> set[str]:
        rows = self.db.query("SELECT DISTINCT session_id FROM turns WHERE status = 'streaming'")
        return {r["session_id"] for r in rows}

    # -- recovery ----------------------------------------------------------------------
    def _stale(self, turn: Turn) -> bool:
        if not turn.heartbeat_at:
            return True
        return self.clock.now() - parse_ts(turn.heartbeat_at) > STALE_HEARTBEAT

    def mark_interrupted(self, turn: Turn) -> bool:
        """Settle a turn whose owner died as `interrupted`; False when it was settled meanwhile."""
        try:
            with self.db.transaction(durable=True):
                self.finish_turn(turn.id, "interrupted", error="the process running this turn stopped unexpectedly")
                self.append_event(turn.session_id, "turn_interrupted", {"owner_pid": turn.owner_pid}, turn_id=turn.id)
        except TurnLost:
            return False
        return True

    def recover_interrupted(self) -> list[Turn]:
        """Mark streaming turns whose owner died (or went silent) as `interrupted`."""
        rows = self.db.query("SELECT * FROM turns WHERE status = 'streaming'")
        recovered = []
        for row in rows:
            turn = Turn.from_row(row)
            if pid_alive(turn.owner_pid) and not self._stale(turn):
                continue
            if self.mark_interrupted(turn):
                recovered.append(self.get_turn(turn.id))
        return recovered


