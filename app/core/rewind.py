"""Rewinding a session to the moment just before one of its prompts was sent.

The conversation: the head goes back to the prompt's parent (the next prompt branches from
there; nothing is deleted). The files: a session with a workspace gets it back as the
checkpoint taken before that prompt ran. Every rewind is one `rewind` event (the old and
new head, whether files were restored and the checkpoint taken just before restoring), so
`undo` can take the last one back, files and head.

Files come back through workspace checkpoints (`app/core/checkpoints.py`, which records
`turn.metadata["checkpoint"]` on each prompt before it runs); a prompt without one gets one
line saying why, and nothing changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from chinwag.app.core import checkpoints
from chinwag.storage import SessionBusy, StorageError, Store
from chinwag.storage.enums import EventType, TurnRole
from chinwag.storage.models import Session, Turn


class RewindError(StorageError):
    """A rewind that cannot be done as asked; nothing was changed."""


class NoCheckpoint(RewindError):
    pass


@dataclass(frozen=True)
class FilesRestored:
    """What a files restore changed (or, dry, would change): paths relative to the workspace."""

    changed: list[str] = field(default_factory=list)
    created_removed: list[str] = field(default_factory=list)
    deleted_restored: list[str] = field(default_factory=list)
    before: str | None = None  # the checkpoint of the workspace as it was just before (for undo)


@dataclass(frozen=True)
class Rewound:
    """What a rewind (or its undo) did, or with `dry_run` would do."""

    prompt: Turn | None  # the prompt rewound to before (None: an undo)
    old_head: str | None
    new_head: str | None
    files: FilesRestored | None  # None: files were not touched
    files_note: str  # why files were not restored ('' when they were, or were not asked for)
    dry_run: bool


def checkpoint_of(prompt: Turn) -> str:
    """The checkpoint taken before `prompt` ran, or NoCheckpoint saying why there is none."""
    record = prompt.metadata.get("checkpoint")
    if isinstance(record, dict) and isinstance(record.get("id"), str) and record["id"]:
        return record["id"]
    reason = record.get("skipped") if isinstance(record, dict) else None
    raise NoCheckpoint(f"no checkpoint exists for prompt {prompt.id}" + (f" ({reason})" if reason else ""))


def restore_files(workspace: Path, checkpoint_id: str, *, dry_run: bool, force: bool,
                  exclude: tuple[Path, ...] = ()) -> FilesRestored:
    """Put `workspace` back as checkpoint `checkpoint_id` holds it; what it replaces is
    checkpointed first (`.before`, which an undo restores). When the workspace is now over
    the checkpoint size limit, that first checkpoint cannot be taken and nothing changes,
    unless `force` lifts the total-size limit for it. `exclude`: Chinwag's own open files."""
    limits = checkpoints.Limits(max_total_bytes=1 << 62) if force else checkpoints.Limits()
    try:
        result = checkpoints.restore(workspace, checkpoint_id, dry_run=dry_run, limits=limits, exclude=exclude)
    except checkpoints.CheckpointError as exc:
        hint = "; --force saves and restores it all the same" if "before restoring" in str(exc) and not force else ""
        raise RewindError(f"{exc}{hint}") from None
    return FilesRestored(list(result.changed), list(result.created_removed), list(result.deleted_restored),
                         result.before or None)


def _files(store: Store, session: Session, checkpoint: str | None, *, dry_run: bool,
           force: bool) -> tuple[FilesRestored | None, str]:
    if not session.workspace or not Path(session.workspace).is_dir():
        raise NoCheckpoint(f"session {session.id} has no workspace folder; no files to restore")
    if checkpoint is None:
        raise NoCheckpoint("no checkpoint was taken before that rewind")
    return restore_files(Path(session.workspace), checkpoint, dry_run=dry_run, force=force,
                         exclude=(Path(store.path),)), ""


def rewind(store: Store, session: Session, prompt: Turn, *, conversation: bool = True, files: bool = True,
           dry_run: bool = False, force: bool = False) -> Rewound:
    """Go back to just before `prompt` (a user turn): the head to its parent, and/or the
    workspace to the checkpoint taken before it ran. Files asked for alone must be
    restorable (NoCheckpoint otherwise); asked for with the conversation, a missing
    checkpoint only says so in `files_note`. Refused while a turn runs."""
    if prompt.role != TurnRole.USER or prompt.session_id != session.id:
        raise RewindError(f"turn {prompt.id} is not a prompt of session {session.id}")
    if store.running_turn(session.id) is not None:
        raise SessionBusy(f"session {session.id} has a running turn; stop it before you rewind")
    old_head = store.head_of(session.id)
    new_head = prompt.parent_id if conversation else old_head
    restored, note = None, ""
    if files:
        try:
            restored, note = _files(store, session, checkpoint_of(prompt), dry_run=dry_run, force=force)
        except NoCheckpoint as exc:
            if not conversation:
                raise
            note = f"files were not restored: {exc}"
    if not dry_run:
        store.move_head(session.id, new_head, EventType.REWIND, {
            "prompt": prompt.id, "from": old_head, "to": new_head, "files": restored is not None,
            "checkpoint_before": restored.before if restored else None,
        })
    return Rewound(prompt, old_head, new_head, restored, note, dry_run)


def undo(store: Store, session: Session, *, dry_run: bool = False, force: bool = False) -> Rewound:
    """Take the last rewind back: the head to where it was, and the files to the
    checkpoint taken just before they were restored."""
    done = store.rewinds(session.id)
    if not done:
        raise RewindError(f"session {session.id} has no rewind to undo")
    last = done[-1]
    if store.running_turn(session.id) is not None:
        raise SessionBusy(f"session {session.id} has a running turn; stop it before you undo a rewind")
    old_head = store.head_of(session.id)
    new_head = last.data.get("from")
    restored, note = None, ""
    if last.data.get("files"):
        try:
            restored, note = _files(store, session, last.data.get("checkpoint_before"), dry_run=dry_run, force=force)
        except NoCheckpoint as exc:
            note = f"files were not restored: {exc}"
    if not dry_run:
        store.move_head(session.id, new_head, EventType.REWIND, {
            "undo": last.id, "from": old_head, "to": new_head, "files": restored is not None,
            "checkpoint_before": restored.before if restored else None,
        })
    return Rewound(None, old_head, new_head, restored, note, dry_run)
