"""Tool calls of an agent turn: started, fed output, settled, listed. Writes go through the
turn's `_touch_live`, so a call lands only while its turn is still streaming."""

from __future__ import annotations

from chinwag.storage.base import StoreBase
from chinwag.storage.models import ToolCall, storable


class ToolCallsMixin(StoreBase):
    """Mixed into `Store`."""

    def start_tool_call(
        self, turn_id: str, call_id: str, name: str, args: str = "", parent_id: str | None = None,
        *, owner_pid: int | None = None,
    ) -> None:
        turn = self.get_turn(turn_id)
        now = self.clock.stamp()
        with self.db.transaction() as conn:
            self._touch_live(conn, turn_id, owner_pid)
            seq = conn.execute("SELECT COUNT(*) FROM tool_calls WHERE turn_id = ?", (turn_id,)).fetchone()[0]
            conn.execute(
                """INSERT INTO tool_calls (id, turn_id, session_id, parent_id, seq, name, args, status, started_at)
                   VALUES (?, ?, ?, ?, ?, ?, ?, 'running', ?)""",
                (call_id, turn_id, turn.session_id, parent_id, seq, storable(name), storable(args), now),
            )
            self.append_event(
                turn.session_id, "tool_call",
                {"call_id": call_id, "name": name, "args": args, "parent_id": parent_id}, turn_id=turn_id,
            )

    def update_tool_call(
        self, turn_id: str, call_id: str, *, output: str = "", status: str | None = None,
        owner_pid: int | None = None,
    ) -> None:
        """Append output to a tool call; a final status (completed/failed) settles it."""
        turn = self.get_turn(turn_id)
        now = self.clock.stamp()
        settled = status in ("completed", "failed")
        with self.db.transaction() as conn:
            self._touch_live(conn, turn_id, owner_pid)
            conn.execute(
                """UPDATE tool_calls SET output = output || ?, status = COALESCE(?, status),
                   finished_at = CASE WHEN ? THEN ? ELSE finished_at END WHERE turn_id = ? AND id = ?""",
                (storable(output), status, settled, now, turn_id, call_id),
            )
            if settled:
                row = conn.execute(
                    "SELECT output FROM tool_calls WHERE turn_id = ? AND id = ?", (turn_id, call_id)
                ).fetchone()
                self.append_event(
                    turn.session_id, "tool_result",
                    {"call_id": call_id, "status": status, "output": (row[0] if row else "")[:2000]},
                    turn_id=turn_id,
                )

    def list_tool_calls(self, turn_ids: list[str]) -> list[ToolCall]:
        if not turn_ids:
            return []
        marks = ",".join("?" for _ in turn_ids)
        rows = self.db.query(
            f"SELECT * FROM tool_calls WHERE turn_id IN ({marks}) ORDER BY turn_id, seq", tuple(turn_ids)
        )
        return [ToolCall.from_row(r) for r in rows]

