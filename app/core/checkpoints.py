"""Workspace checkpoints for coding agents: before each turn, a snapshot of the session's
workspace goes into a SHADOW git repository of Chinwag's own, so the files can later be put
back as they were before any prompt ran (`rewind --files`).

    take(ws, label=...)         -> Checkpoint: a commit sha and the ms it took, or why it was skipped
    diff(ws, checkpoint_id)     -> [FileChange]: what changed in the workspace since (bounded previews)
    restore(ws, id, dry_run=..) -> RestoreResult: changed files get their content back, files created
                                   since are removed, deleted ones come back; what it replaces is
                                   checkpointed first (`.before`), so a restore can be undone
    before_turn(...)            the runner's hook: take one alongside the request, record it on the prompt

The shadow repository (its git plumbing, excludes and scanning: `shadow_git`) is
CHINWAG_HOME/checkpoints/<hash of the workspace path>.git, used as
`git --git-dir=SHADOW --work-tree=WORKSPACE` with its own index. The user's `.git` is never
written and only its `info/exclude` is read; the workspace's `.gitignore` files are honoured.
Every call runs without the user's global or system git config (so no hooks, filters or
fsmonitor of theirs run; their global excludes file is still honoured) and with attributes
that store bytes as they are (no line-ending conversion). Files over `max_file_mb` (and
unreadable ones) are left out and never touched by a restore; a workspace over
`max_total_mb` gets no checkpoint. One lock file per shadow serializes sessions sharing a
workspace. The writes an agent makes through `fs/write_text_file` are kept in the same
repository, per tool call (`file_writes`).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from chinwag.app.config import paths, schema
from chinwag.app.config.schema import AgentKind, Scope
from chinwag.app.core.events import CheckpointTaken
from chinwag.app.core.shadow_git import (
    MB,
    CheckpointError,
    Git,
    Limits,
    Skip,
    commit_tree,
    left_out_of,
    snapshot,
    tree_of,
)

PREVIEW_LINES = 60
PREVIEW_CHARS = 4000
PREVIEW_TOTAL = 256 * 1024  # the most diff text `diff` reads


@dataclass(frozen=True)
class Checkpoint:
    """A workspace snapshot taken before a turn (its commit), or why none was taken."""

    id: str = ""  # the commit sha; "" when skipped
    ms: int = 0
    skipped: str = ""  # why there is none, as the end of "no checkpoint: …"
    left_out: tuple[str, ...] = ()

    def record(self) -> dict:
        """What the prompt's turn keeps (`metadata["checkpoint"]`)."""
        return {"skipped": self.skipped} if self.skipped else {"id": self.id, "ms": self.ms}


@dataclass(frozen=True)
class FileChange:
    """One file changed since a checkpoint, with a bounded diff."""

    path: str
    kind: str  # since the checkpoint: modified | added | deleted
    preview: str = ""  # a unified diff, bounded ("Binary files … differ" for binary files)


@dataclass
class RestoreResult:
    """What restoring a checkpoint changed (or, on a dry run, would change) in the workspace."""

    changed: list[str] = field(default_factory=list)
    created_removed: list[str] = field(default_factory=list)
    deleted_restored: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # left alone: not saved first, or not kept then
    before: str = ""  # the checkpoint of what the restore replaced ("" on a dry run with nothing to do)
    dry_run: bool = False

    @property
    def paths(self) -> list[str]:
        return sorted(self.changed + self.created_removed + self.deleted_restored)


# -- where, and the git command ---------------------------------------------------------------
def limits_for(config, agent: str) -> Limits | None:
    """The limits for a turn of `agent`, or None when its turns take no checkpoint: off in
    [checkpoints], or in its profile (`checkpoints = false`); a profile that does not say is
    on for ACP agents (they change files) and off for models (they cannot)."""
    from chinwag.app.agents import AgentError, profile_for  # lazy: start-up

    section = {name: spec.default for name, spec in schema.keys(Scope.CHECKPOINTS).items()} | config.checkpoints
    if not section["enabled"]:
        return None
    try:
        profile = profile_for(agent, config)
    except AgentError:
        profile = {}
    if not profile.get("checkpoints", profile.get("kind") == AgentKind.ACP):
        return None
    return Limits(int(section["max_file_mb"] * MB), int(section["max_total_mb"] * MB))


def _workspace(workspace: str | os.PathLike) -> Path:
    path = Path(os.path.expanduser(os.fspath(workspace))) if os.fspath(workspace) else None
    if path is None:
        raise Skip("the session has no workspace")
    path = path.resolve()
    if not path.is_dir():
        raise Skip(f"the workspace {path} is not a folder")
    if not os.access(path, os.R_OK | os.X_OK):
        raise Skip(f"the workspace {path} cannot be read")
    home = paths.data_dir().resolve()
    if path == home or home in path.parents:
        raise Skip(f"the workspace {path} is inside Chinwag's own folder")
    return path


def take(workspace: str | os.PathLike, *, label: str, limits: Limits | None = None,
         exclude: Iterable[Path] = ()) -> Checkpoint:
    """A checkpoint of the workspace now, or a Checkpoint saying why there is none (this never
    raises). `exclude`: more of Chinwag's own files (an open database) to leave out."""
    started = time.monotonic()
    try:
        git = Git(_workspace(workspace))
        with git.locked():
            tree, left_out = snapshot(git, limits or Limits(), exclude)
            sha = commit_tree(git, tree, left_out, label)
    except (Skip, CheckpointError, OSError) as exc:
        return Checkpoint(skipped=str(exc), ms=round((time.monotonic() - started) * 1000))
    return Checkpoint(sha, round((time.monotonic() - started) * 1000), left_out=tuple(left_out))


# -- comparing and restoring -------------------------------------------------------------------
@dataclass(frozen=True)
class _Entry:
    """One line of git's name-status between a checkpoint and now."""

    status: str  # git's: A (only now), D (only then), M, T
    path: str
    gitlink: bool


def _compare(git: Git, then: str, now: str) -> list[_Entry]:
    out = git.run("diff-tree", "-r", "-z", "--raw", "--no-renames", then, now)
    fields = out.split(b"\0")
    entries = []
    for meta, path in zip(fields[0::2], fields[1::2], strict=False):
        if not meta.startswith(b":"):
            continue
        old_mode, new_mode, _, _, status = meta[1:].decode().split(" ")
        entries.append(_Entry(status[0], os.fsdecode(path), "160000" in (old_mode, new_mode)))
    return entries


def _commit_of(git: Git, checkpoint_id: str) -> tuple[str, list[str]]:
    """A checkpoint's tree and left-out files; CheckpointError when the shadow has no such commit."""
    if not checkpoint_id or not all(c in "0123456789abcdef" for c in checkpoint_id.lower()):
        raise CheckpointError(f"{checkpoint_id!r} is not a checkpoint id")
    out = git.run("cat-file", "--batch", input=f"{checkpoint_id}^{{commit}}\n".encode()).decode(errors="replace")
    header, _, body = out.partition("\n")
    if header.endswith("missing") or header.endswith("ambiguous"):
        raise CheckpointError(f"no checkpoint {checkpoint_id} for {git.workspace}")
    return tree_of(body), left_out_of(body)


def _open(workspace: str | os.PathLike) -> Git:
    try:
        git = Git(_workspace(workspace))
    except Skip as exc:
        raise CheckpointError(str(exc)) from None
    if not (git.shadow / "chinwag-workspace").exists():
        raise CheckpointError(f"no checkpoints were taken of {git.workspace}")
    return git


def diff(workspace: str | os.PathLike, checkpoint_id: str, *, limits: Limits | None = None,
         exclude: Iterable[Path] = ()) -> list[FileChange]:
    """What changed in the workspace since the checkpoint (what a restore would undo), each
    file with a bounded diff preview (from then to now)."""
    git = _open(workspace)
    with git.locked():
        then, _ = _commit_of(git, checkpoint_id)
        try:
            now, _ = snapshot(git, limits or Limits(), exclude)
        except Skip as exc:
            raise CheckpointError(f"cannot compare: {exc}") from None
        entries = _compare(git, then, now)
        previews = _previews(git, then, now)
    kinds = {"A": "added", "D": "deleted"}
    return [FileChange(e.path, kinds.get(e.status, "modified"), previews.get(e.path, "")) for e in entries
            if not e.gitlink]


def _previews(git: Git, then: str, now: str) -> dict[str, str]:
    """Each file's patch by path, read up to PREVIEW_TOTAL and cut per file (a path git
    quotes in the header, an unusual name, gets none)."""
    process = subprocess.Popen([*git.argv, "diff-tree", "-r", "-p", "--no-renames", "--no-color", "--no-ext-diff",
                                "--no-textconv", then, now], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                               env=git.env, cwd=git.workspace)
    assert process.stdout is not None
    try:
        data = process.stdout.read(PREVIEW_TOTAL)
    finally:
        process.kill()
        process.wait()
    patches: dict[str, list[str]] = {}
    lines: list[str] = []
    for line in data.decode(errors="replace").splitlines():
        if line.startswith("diff --git "):
            pair = line[len("diff --git "):]
            name = pair[2:2 + (len(pair) - 5) // 2]  # "a/NAME b/NAME": no renames, so the same name twice
            lines = patches.setdefault(name, [])  # a type change is two patches under one name
            continue
        lines.append(line)
    return {name: _cut(body) for name, body in patches.items()}


def _cut(lines: list[str]) -> str:
    body = [line for line in lines if not line.startswith(("index ", "new file mode", "deleted file mode"))]
    text = "\n".join(body[:PREVIEW_LINES])
    if len(body) > PREVIEW_LINES or len(text) > PREVIEW_CHARS:
        text = text[:PREVIEW_CHARS] + f"\n… ({len(body):,} lines in all)"
    return text


def path_inside(workspace: Path, relative: str) -> Path | None:
    """The path of `relative` in the workspace when no folder on the way is a symlink (which
    could lead outside it); else None."""
    target = workspace
    for part in Path(relative).parts[:-1]:
        target = target / part
        if target.is_symlink():
            return None
    return workspace / relative


def remove_file(workspace: Path, relative: str) -> bool:
    target = path_inside(workspace, relative)
    if target is None:
        return False
    with contextlib.suppress(FileNotFoundError):
        target.unlink()
    for folder in target.parents:  # folders the removed files were alone in go too
        if folder == workspace or workspace not in folder.parents:
            break
        try:
            folder.rmdir()
        except OSError:
            break
    return True


def restore(workspace: str | os.PathLike, checkpoint_id: str, *, dry_run: bool = False,
            limits: Limits | None = None, exclude: Iterable[Path] = ()) -> RestoreResult:
    """Put the workspace back as it was at the checkpoint: changed files get their content
    back, files created since are removed, deleted files come back. What it replaces is
    checkpointed first (`.before`: restore to that to undo this). Files ignored, outside
    the workspace, or not saved (too big, unreadable) are never touched. CheckpointError
    (one line) when it cannot be done: nothing changed, or, should git fail half-way, what
    was there is checkpoint `.before`, named in the message."""
    git = _open(workspace)
    result = RestoreResult(dry_run=dry_run)
    with git.locked():
        then, then_left_out = _commit_of(git, checkpoint_id)
        try:
            now, left_out = snapshot(git, limits or Limits(), exclude)
        except Skip as exc:
            raise CheckpointError(f"cannot save the workspace before restoring: {exc}") from None
        result.before = commit_tree(git, now, left_out, f"before restoring {checkpoint_id[:12]}")
        remove, bring_back = [], []
        for entry in _compare(git, then, now):
            if entry.gitlink:
                continue
            here = git.workspace / entry.path
            on_disk = os.path.lexists(here)
            if entry.status == "A":
                if entry.path in then_left_out:
                    result.skipped.append(entry.path)  # it was there, too big to keep: left as it is
                else:
                    remove.append(entry.path)
            elif entry.status == "D" and on_disk and (here.is_symlink() or not here.is_dir()):
                # there, but not in the checkpoint just taken (too big, unreadable or ignored
                # now): what it holds was not saved, so it is never overwritten
                result.skipped.append(entry.path)
            else:
                bring_back.append(entry.path)
                (result.changed if on_disk else result.deleted_restored).append(entry.path)
        for path in remove:
            if dry_run or remove_file(git.workspace, path):
                result.created_removed.append(path)
            else:
                result.skipped.append(path)
        if bring_back and not dry_run:
            try:
                git.run("checkout", then, "--pathspec-from-file=-", "--pathspec-file-nul",
                        input=b"\0".join(os.fsencode(p) for p in bring_back))
            except CheckpointError as exc:
                raise CheckpointError(f"{exc} (the files as they were before are checkpoint {result.before})") from None
    return result


# -- for rewind ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PromptCheckpoint:
    """The checkpoint to take for a prompt: its workspace, its id and what it leaves out."""

    workspace: str
    checkpoint_id: str
    limits: Limits
    exclude: tuple[Path, ...]


def checkpoint_before(store, config, turn_id: str) -> PromptCheckpoint:
    """Where and what the checkpoint taken just before the prompt `turn_id` ran is;
    CheckpointError (one line) when it has none (and why, when it was skipped)."""
    turn = store.get_turn(turn_id)
    held = (turn.metadata or {}).get("checkpoint") or {}
    if not held.get("id"):
        why = f": no checkpoint: {held['skipped']}" if held.get("skipped") else \
            " (it ran with checkpoints off, or before Chinwag took them)"
        raise CheckpointError(f"turn {turn.id} has no workspace checkpoint{why}")
    session = store.get_session(turn.session_id)
    return PromptCheckpoint(session.workspace, held["id"], limits_for(config, session.agent) or Limits(),
                            (Path(store.path),))


def restore_before_prompt(store, config, turn_id: str, *, dry_run: bool = False) -> RestoreResult:
    """`rewind --files`: the workspace put back as it was just before the prompt `turn_id`
    ran. Its `.before` is the checkpoint of what it replaced: `restore_checkpoint` of that
    (`rewind --undo`) puts the files back as they were before the rewind."""
    found = checkpoint_before(store, config, turn_id)
    return restore(found.workspace, found.checkpoint_id, dry_run=dry_run, limits=found.limits, exclude=found.exclude)


def restore_checkpoint(store, config, session_id: str, checkpoint_id: str, *, dry_run: bool = False) -> RestoreResult:
    """A session's workspace put back to any of its checkpoints (`rewind --undo`: the one a
    rewind took first)."""
    session = store.get_session(session_id)
    return restore(session.workspace, checkpoint_id, dry_run=dry_run,
                   limits=limits_for(config, session.agent) or Limits(), exclude=(Path(store.path),))


# -- the runner's hook -----------------------------------------------------------------------------
async def before_turn(store, config, reply, user_id: str | None, *, offload: Callable,
                      emit: Callable[[CheckpointTaken], None]) -> Checkpoint | None:
    """Checkpoint the workspace of the reply's session in a thread (the request goes on
    meanwhile), then record it on the prompt's turn (`metadata["checkpoint"]`: {"id", "ms"}
    or {"skipped": reason}) and as a `checkpoint` event. The first checkpoint of a prompt is
    kept (a regenerated reply does not replace it): it is what `rewind --files` goes back to.

    The runner hands this task to the agent as its `files_gate`: an ACP agent's writes,
    terminals and permission requests through Chinwag wait for it, so the checkpoint holds
    the workspace as it was before the prompt. An agent writing to disk by itself without
    asking is not held back: a change it makes before the checkpoint is done (well under a
    second once the first one exists) lands in it."""
    limits = limits_for(config, reply.agent)
    if limits is None or user_id is None:
        return None
    session = await offload(store.get_session, reply.session_id)
    db = Path(store.path)
    checkpoint = await asyncio.to_thread(take, session.workspace, label=f"before turn {user_id}", limits=limits,
                                         exclude=(db,))
    await offload(record, store, session.id, user_id, reply.id, checkpoint)
    emit(CheckpointTaken(session.id, user_id, checkpoint.id, checkpoint.ms, checkpoint.skipped))
    return checkpoint


def record(store, session_id: str, user_id: str, reply_id: str, checkpoint: Checkpoint) -> None:
    held = (store.get_turn(user_id).metadata or {}).get("checkpoint") or {}
    if not held.get("id"):
        store.merge_turn_metadata(user_id, {"checkpoint": checkpoint.record()})
    data = {**checkpoint.record(), "turn_id": user_id, "reply_id": reply_id}
    if checkpoint.left_out:
        data["left_out"] = list(checkpoint.left_out[:100])
    store.append_event(session_id, "checkpoint", data, turn_id=user_id)
