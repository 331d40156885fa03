"""Slash commands about sessions: /export, /new, /sessions, /switch, /rename, /fork,
/archive, /restore, /delete, /pin-session (delegating to the session actions)."""

from __future__ import annotations

import shlex
from pathlib import Path

from chinwag.storage import files
from chinwag.widgets.text_safety import one_line


class SessionCommands:
    """Mixed into ChatScreen."""

    def slash_export(self, parsed) -> None:
        """`/export [md|json] [PATH] [--force]`: an existing PATH is replaced only with --force."""
        words = [w for w in parsed.argv if w != "--force"]
        force = len(words) < len(parsed.argv)
        fmt = words.pop(0).lower() if words and words[0].lower() in ("md", "json") else None
        if len(words) > 1 or any(w.startswith("--") for w in words):
            raise ValueError("usage: /export [md|json] [PATH] [--force]")
        if fmt is None:
            fmt = "json" if words and words[0].lower().endswith(".json") else "md"
        name = words[0] if words else f"chinwag-{self.session.id[:10].lower()}.{fmt}"
        target = Path.cwd() / Path(name).expanduser()
        text = self.store.export_json(self.session.id) if fmt == "json" else self.store.export_markdown(self.session.id)
        try:
            files.safe_write(target, text, force=force)
        except files.TargetExists:
            self.notify(f"{target} exists (left untouched); /export {fmt} {shlex.quote(str(target))} --force "
                        "replaces it", severity="warning", timeout=10)
            return
        self.notify(f"exported to {target}", timeout=6)

    # -- sessions (delegating to the session actions) -------------------------------------------
    def slash_new(self, parsed) -> None:
        """`/new [TITLE]`: a session titled TITLE (a title you set is never replaced by a generated one)."""
        title = parsed.rest.strip()
        if not title:
            self.action_new_session()
            return
        session = self._create_session(title)
        self.refresh_sidebar()
        self.open_session(session.id)
        self.prompt.focus_input()
        self.status.notice = f"new session “{session.title}”"

    def slash_sessions(self, parsed) -> None:
        self.action_focus_sidebar()

    def slash_switch(self, parsed) -> None:
        target = parsed.rest.strip()
        if not target:
            self.action_focus_sidebar()
            return
        self.open_session(self.resolve_session(target))

    def slash_rename(self, parsed) -> None:
        if parsed.rest.strip():
            self.store.rename_session(self.session.id, parsed.rest)
            self.after_session_change(self.session.id)
        else:
            self.ask_rename(self.session.id)

    def slash_fork(self, parsed) -> None:
        self.fork(self.session.id)

    def slash_archive(self, parsed) -> None:
        self.toggle_archive(self.session.id, archive=True)

    def slash_restore(self, parsed) -> None:
        self.toggle_archive(self.session.id, archive=False)

    def slash_delete(self, parsed) -> None:
        self.ask_delete(self.session.id)

    def slash_pin_session(self, parsed) -> None:
        self.toggle_session_pin(self.session.id)

    def toggle_session_pin(self, session_id: str) -> None:
        """Pin a session to the top of the sidebar, or unpin it (`*` in the sidebar, /pin-session)."""
        wanted = self.store.get_session(session_id).pinned_at is None
        session = self.store.set_session_pinned(session_id, wanted)
        self.refresh_sidebar()
        self.status.notice = f"pinned to the top: {one_line(session.title, 40)}" if wanted else "unpinned"
