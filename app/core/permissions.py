"""Permission requests of a running turn: the one pending per session, waiting for its
answer (from the TUI's dialog, the API, or nobody: refused), and the events that record
the request and the answer. Mixed into `Runner`, whose live-turn events it emits.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from chinwag.app.agents.base import Permission
from chinwag.app.core.events import PermissionAsked, ToolChanged
from chinwag.storage.models import Turn

if TYPE_CHECKING:
    from chinwag.app.core.offload import Offload
    from chinwag.storage import Store

log = logging.getLogger("chinwag.runner")


class PermissionsMixin:
    store: Store
    on_permission: Callable[[str, Permission], None] | None
    _offload: Offload
    _permissions: dict[str, tuple[Permission, Turn]]

    if TYPE_CHECKING:
        def _live(self, kind, live: Turn, calls: dict, **extra) -> None: ...

    def pending_permission(self, session_id: str) -> Permission | None:
        pending = self._permissions.get(session_id)
        return pending[0] if pending else None

    def answer_permission(self, session_id: str, option_id: str | None, *, by: str = "user") -> bool:
        """Answer the session's pending permission request (None cancels it)."""
        pending = self._take_permission(session_id, option_id)
        if pending is None:
            return False
        self._store_answer(session_id, *pending, option_id, by)
        self._live(ToolChanged, pending[1], {})
        return True

    async def _answer_permission(self, session_id: str, option_id: str | None, *, by: str) -> None:
        pending = self._take_permission(session_id, option_id)
        if pending is not None:
            await self._offload(self._store_answer, session_id, *pending, option_id, by)
            self._live(ToolChanged, pending[1], {})

    def _take_permission(self, session_id: str, option_id: str | None) -> tuple[Permission, Turn] | None:
        pending = self._permissions.pop(session_id, None)
        if pending is not None:
            request, live = pending
            if request.answer is not None and not request.answer.done():
                request.answer.set_result(option_id)
            live.metadata = {k: v for k, v in live.metadata.items() if k != "permission"}
        return pending

    def _store_answer(self, session_id: str, request: Permission, live: Turn, option_id: str | None, by: str) -> None:
        self.store.append_event(session_id, "permission_answer",
                                {"call_id": request.call_id, "option": option_id or "cancelled", "by": by},
                                turn_id=live.id)
        self.store.merge_turn_metadata(live.id, {"permission": None})

    async def _ask_permission(self, event: Permission, live: Turn, calls: dict) -> None:
        """Record an agent's permission request and hand it to `on_permission` (or, with
        nobody to ask, refuse it); one decided by the agent's own policy is only recorded."""
        store, sid, offload = self.store, live.session_id, self._offload
        record = {"call_id": event.call_id, "title": event.title, "kind": event.kind,
                  "options": [list(o) for o in event.options]}
        if event.decided is not None:
            await offload(store.append_event, sid, "permission_request",
                          {**record, "answer": event.decided, "by": event.by}, turn_id=live.id)
            return
        await offload(store.append_event, sid, "permission_request", record, turn_id=live.id)
        self._permissions[sid] = (event, live)
        live.metadata = {**live.metadata, "permission": record}
        await offload(store.merge_turn_metadata, live.id, {"permission": record})
        self._live(PermissionAsked, live, calls, request=event)
        if self.on_permission is None:
            await self._answer_permission(sid, None, by="nobody to ask (mode ask without a terminal)")
        else:
            try:
                self.on_permission(sid, event)
            except Exception:
                log.exception("permission handler failed")
                await self._answer_permission(sid, None, by="handler failed")
