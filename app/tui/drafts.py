"""Drafts: the unsent prompt text of each session survives switching sessions, quitting and
restarting. Kept in the store's kv table (`draft:<session id>`); written a moment after the
last edit (the screen's debounce timer), on a session switch and on quit; sending clears it.
Plain Python, no Textual: the chat screen calls it and owns the timer.
"""

from __future__ import annotations

import logging

from chinwag.storage import Store

log = logging.getLogger("chinwag.tui")
DRAFT_SECONDS = 1.0  # the debounce: a draft is written this long after the last edit


class Drafts:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.session_id: str | None = None
        self._saved = ""  # what the store holds for session_id
        self.typed: str | None = None  # the open session's prompt text as last shown or edited

    def open(self, session_id: str) -> str:
        """Follow `session_id` from now on; returns its draft, to show in the prompt."""
        self.session_id = session_id
        try:
            self._saved = self.store.draft(session_id)
        except Exception:  # a draft is a convenience: never an error
            log.exception("reading the draft failed")
            self._saved = ""
        self.typed = self._saved
        return self._saved

    def save(self, text: str) -> None:
        """Write the open session's draft if it changed (an empty text removes it)."""
        self.typed = text
        if self.session_id is None or text == self._saved or self.store.readonly:
            return
        try:
            self.store.save_draft(self.session_id, text)
        except Exception:  # the database is gone or locked: the next edit tries again
            log.exception("saving the draft failed")
            return
        self._saved = text
