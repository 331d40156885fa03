"""What the TUI shows of a session's tree before it acts on it, with no Textual in it:

    rewind_points(store, session)        the active path's prompts, newest first, each with the
                                         files its turn changed (from the workspace checkpoints)
    rewind_preview(store, session, p)    what rewinding to before prompt `p` changes: the turns
                                         leaving the active path, the files (a dry run of
                                         `rewind.rewind`) and a bounded diff of each
    call_writes(store, turn_id)          the tool calls of an agent turn that wrote files
                                         through Chinwag (`file_write` events), for `u`
    search_hit(store, session_id, text)  the turn a sidebar search matched in a session, and
                                         whether it lies on the active path

Everything that changes something stays in `rewind.py` / `file_writes.py` / the store: this
module only reads (a dry run changes nothing).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from chinwag.app.core import checkpoints, rewind
from chinwag.app.core.file_writes import PAGE
from chinwag.storage import Store
from chinwag.storage.enums import TurnRole
from chinwag.storage.models import Session, Turn

NOT_TRACKED = "files are not tracked in this session (no workspace checkpoints)"
NO_CHECKPOINT = "no checkpoint"  # a prompt's row, when other prompts of the path have one
PREVIEW_FILES = 20  # diffs shown in a preview; the rest are listed by name


def first_line(text: str, width: int = 80) -> str:
    line = next((part.strip() for part in text.splitlines() if part.strip()), "")
    return line if len(line) <= width else line[: width - 1] + "…"


def _workspace(session: Session) -> Path | None:
    if not session.workspace:
        return None
    path = Path(os.path.expanduser(session.workspace)).resolve()
    return path if path.is_dir() else None


# -- /rewind: the picker -----------------------------------------------------------------------
@dataclass(frozen=True)
class RewindPoint:
    """A prompt of the active path one can rewind to before."""

    prompt: Turn
    files: tuple[str, ...] | None  # what its turn changed; None: not known (see `note`)
    note: str = ""  # "no checkpoint: …" when there is none


def _checkpoint(prompt: Turn) -> tuple[str, str]:
    """(checkpoint id, '') or ('', why there is none)."""
    try:
        return rewind.checkpoint_of(prompt), ""
    except rewind.NoCheckpoint:
        record = prompt.metadata.get("checkpoint")
        reason = record.get("skipped") if isinstance(record, dict) else None
        return "", f"{NO_CHECKPOINT}: {reason}" if reason else NO_CHECKPOINT


_HEADER = re.compile(rb"([0-9a-f]{40,64}) ([0-9a-f]{40,64})\n")


def _changed_between(git: checkpoints.Git, pairs: list[tuple[str, str]]) -> dict[tuple[str, str], tuple[str, ...]]:
    """The files that differ between each pair of checkpoints, in two git processes
    whatever the number of pairs (`diff-tree --stdin` over their trees)."""
    ids = list(dict.fromkeys(c for pair in pairs for c in pair))
    looked_up = git.run("cat-file", "--batch-check=%(objectname)", input="".join(f"{c}^{{tree}}\n" for c in ids).encode())
    trees = dict(zip(ids, looked_up.decode().split("\n"), strict=False))
    if any(not re.fullmatch(r"[0-9a-f]{40,64}", trees.get(c, "")) for c in ids):
        raise checkpoints.CheckpointError("a checkpoint is missing from the checkpoint repository")
    wanted: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for a, b in pairs:
        if trees[a] != trees[b]:  # the same tree: nothing changed, and git prints no names
            wanted.setdefault((trees[a], trees[b]), []).append((a, b))
    if not wanted:
        return {pair: () for pair in pairs}
    out = git.run("diff-tree", "--stdin", "-r", "-z", "--name-only", "--no-renames",
                  input="".join(f"{a} {b}\n" for a, b in wanted).encode())
    changed: dict[tuple[str, str], list[str]] = {}
    current: list[tuple[str, str]] = []
    for token in out.split(b"\0"):
        while header := _HEADER.match(token):  # "TREE TREE\n" starts each pair's names (a pair without any: none)
            current = wanted.get((header[1].decode(), header[2].decode()), [])
            token = token[header.end():]
        for pair in current if token else ():
            changed.setdefault(pair, []).append(os.fsdecode(token))
    return {pair: tuple(changed.get(pair, ())) for pair in pairs}


def rewind_points(store: Store, session: Session) -> tuple[list[RewindPoint], str]:
    """The prompts of the active path, newest first, and a note for the whole list ('' or
    NOT_TRACKED). A prompt's files: what changed between its checkpoint and the next one
    on the path (the newest: and the workspace as it is now)."""
    prompts = [t for t in store.list_turns(session.id) if t.role == TurnRole.USER]
    found = [_checkpoint(p) for p in prompts]
    workspace = _workspace(session)
    if workspace is None or not any(cid for cid, _ in found):
        # the note says it once for the list: a row keeps only a reason of its own ("no checkpoint: too big")
        return [RewindPoint(p, None, why if workspace is not None and why != NO_CHECKPOINT else "")
                for p, (_, why) in reversed(list(zip(prompts, found, strict=True)))], NOT_TRACKED
    ids = [cid for cid, _ in found if cid]
    pairs = list(zip(ids, ids[1:], strict=False))  # each checkpoint and the next one on the path
    try:
        between = _changed_between(checkpoints.Git(workspace), pairs) if pairs else {}
        since = tuple(c.path for c in checkpoints.diff(workspace, ids[-1], exclude=(Path(store.path),)))
    except checkpoints.CheckpointError as exc:
        return [RewindPoint(p, None, why or str(exc)) for p, (_, why) in
                reversed(list(zip(prompts, found, strict=True)))], ""
    following = iter([between[pair] for pair in pairs] + [since])  # by position: an unchanged workspace
    points = [RewindPoint(p, next(following)) if cid else RewindPoint(p, None, why)  # keeps its checkpoint id
              for p, (cid, why) in zip(prompts, found, strict=True)]
    return points[::-1], ""


# -- /rewind: what a choice changes ----------------------------------------------------------------
@dataclass(frozen=True)
class RewindPreview:
    """What rewinding to a prompt would do: the turns that leave the path and the files restored."""

    prompt: Turn
    leaving: int  # turns that leave the active path (none is deleted)
    files: rewind.FilesRestored | None  # None: files would not be restored (`files_note` says why)
    files_note: str
    diffs: dict[str, str] = field(default_factory=dict)  # path -> a bounded diff (then -> now)

    @property
    def restorable(self) -> bool:
        return self.files is not None


def rewind_preview(store: Store, session: Session, prompt: Turn) -> RewindPreview:
    """A dry run of rewinding conversation and files to before `prompt`."""
    done = rewind.rewind(store, session, prompt, dry_run=True)
    leaving = len(store.turn_ids_to(session.id, done.old_head)) - len(store.turn_ids_to(session.id, done.new_head))
    diffs: dict[str, str] = {}
    if done.files is not None:
        workspace = _workspace(session)
        try:
            changes = checkpoints.diff(workspace, rewind.checkpoint_of(prompt), exclude=(Path(store.path),)) \
                if workspace is not None else []
        except checkpoints.CheckpointError:
            changes = []
        diffs = {c.path: c.preview for c in changes[:PREVIEW_FILES]}
    note = NOT_TRACKED if done.files is None and _workspace(session) is None else done.files_note
    return RewindPreview(prompt, leaving, done.files, note, diffs)


# -- u: the files one tool call wrote -------------------------------------------------------------
@dataclass(frozen=True)
class CallWrites:
    """A tool call of an agent turn and what it wrote through Chinwag (first write per file)."""

    call_id: str
    name: str
    writes: tuple[dict, ...]  # the `file_write` records, one per path (the first)
    undone: bool  # an undo of it was recorded already

    @property
    def paths(self) -> list[str]:
        return [w["path"] for w in self.writes]


def call_writes(store: Store, turn_id: str) -> list[CallWrites]:
    """The tool calls of `turn_id` that wrote files through Chinwag, in the order they wrote."""
    turn = store.get_turn(turn_id)
    writes: dict[str, dict[str, dict]] = {}
    undone: set[str] = set()
    after = 0
    while True:
        events = store.list_events(turn.session_id, after_id=after, limit=PAGE)
        for event in events:
            if event.type != "file_write" or event.turn_id != turn.id:
                continue
            if "undone_call_id" in event.data:
                undone.add(event.data["undone_call_id"])
            elif "path" in event.data and event.data.get("call_id"):
                writes.setdefault(event.data["call_id"], {}).setdefault(event.data["path"], event.data)
        if len(events) < PAGE:
            break
        after = events[-1].id
    names = {call.id: call.name for call in store.list_tool_calls([turn.id])}
    return [CallWrites(cid, names.get(cid, "tool"), tuple(paths.values()), cid in undone)
            for cid, paths in writes.items()]


def write_preview(write: dict, lines: int = 12) -> str:
    """A short diff of what one write changed (the file's content before -> after)."""
    git = checkpoints.Git(Path(write["workspace"]))
    try:
        if write.get("before_lost"):
            return "(what the file held before was not kept: this write cannot be undone)"
        if write.get("before") is None:
            body = git.run("cat-file", "blob", write["after"]).decode(errors="replace").splitlines()
            text = [f"+{line}" for line in body]
        else:
            out = git.run("diff", "--no-color", "--no-ext-diff", write["before"], write["after"])
            text = [line for line in out.decode(errors="replace").splitlines()
                    if not line.startswith(("diff --git", "index "))]
    except checkpoints.CheckpointError as exc:
        return str(exc)
    return "\n".join(text[:lines] + ([f"… ({len(text)} lines in all)"] if len(text) > lines else []))


# -- a search hit in another branch --------------------------------------------------------------------
@dataclass(frozen=True)
class Hit:
    """A turn that matches, and whether it is on the active path."""

    turn_id: str
    on_path: bool


def search_hit(store: Store, session_id: str, text: str) -> Hit | None:
    """The newest turn of the session the sidebar's search `text` matched (as the filter
    matches: by prefix), preferring one on the active path; None when only the title matched."""
    if not text.strip():
        return None
    turn_ids = [h.turn_id for h in store.search(text, limit=200, prefix=True, session_id=session_id) if h.turn_id]
    if not turn_ids:
        return None
    on_path = store.on_active_path(session_id, turn_ids)
    first = next((t for t in turn_ids if t in on_path), turn_ids[0])
    return Hit(first, first in on_path)
