"""The files an agent writes through Chinwag (ACP `fs/write_text_file`), recorded per tool
call so one call can be undone on its own, without rewinding the whole turn.

    file_written(...)   the runner's hook: each write becomes a `file_write` event on the agent
                        turn ({"call_id", "workspace", "path", "before", "after"}: blob ids of
                        the file's content before and after, kept in the workspace's checkpoint
                        repository; "before" None: the call created the file)
    undo_tool_call(store, turn_id, tool_call_id, dry_run=...)
                        puts back what each file held before the call's first write (a file it
                        created is removed)

A file changed again since the call last wrote it (by a later call, the agent writing to
disk itself, or the user) is left alone and listed in `.skipped`: undoing it would lose that
change. Nothing an undo overwrites is lost: it is what the call wrote, which is kept.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from chinwag.app.core.checkpoints import RestoreResult, limits_for, path_inside, remove_file
from chinwag.app.core.shadow_git import CheckpointError, Git, Limits

PAGE = 10_000


def save_write(workspace: str, path: str, before: bytes | None, after: bytes, *, kept: bool = True,
               limits: Limits | None = None) -> dict:
    """Keep a written file's content before and after (blobs in the shadow repository);
    returns the `file_write` event's data. `before` None: the file did not exist (unless
    `kept` is False: it was too large to keep, so the write cannot be undone)."""
    git = Git(Path(workspace))
    git.ensure()
    if before is not None and len(before) > (limits or Limits()).max_file_bytes:
        before, kept = None, False
    data: dict = {"workspace": workspace, "path": path, "after": _blob(git, after),
                  "before": _blob(git, before) if before is not None else None}
    if not kept:
        data["before_lost"] = True
    return data


def _blob(git: Git, content: bytes) -> str:
    return git.run("hash-object", "-w", "--stdin", "--no-filters", input=content).decode().strip()


async def file_written(store, config, live, event, *, offload: Callable) -> None:
    """Record a write (`FileWritten`) on its tool call of the live agent turn, unless the
    agent's turns take no checkpoints (then nothing of the workspace is kept)."""
    limits = limits_for(config, live.agent)
    if limits is None:
        return
    try:
        data = await asyncio.to_thread(save_write, event.workspace, event.path, event.before, event.after,
                                       kept=event.before_kept, limits=limits)
    except (CheckpointError, OSError) as exc:
        data = {"workspace": event.workspace, "path": event.path, "before_lost": True, "error": str(exc)}
    await offload(store.append_event, live.session_id, "file_write", {"call_id": event.call_id, **data},
                  turn_id=live.id)


def writes_of(store, turn_id: str, tool_call_id: str) -> list[dict]:
    """The `file_write` records of one tool call of an agent turn, oldest first."""
    turn = store.get_turn(turn_id)
    found, after = [], 0
    while True:
        events = store.list_events(turn.session_id, after_id=after, limit=PAGE)
        found += [e.data for e in events if e.type == "file_write" and e.turn_id == turn.id
                  and e.data.get("call_id") == tool_call_id and "path" in e.data]
        if len(events) < PAGE:
            return found
        after = events[-1].id


def _current(git: Git, relative: str) -> str | None:
    """The blob id of the file as it is now (None: missing, or not a regular file)."""
    path = git.workspace / relative
    if path.is_symlink() or not path.is_file():
        return None
    return git.run("hash-object", "--no-filters", "--", relative).decode().strip()


def undo_tool_call(store, turn_id: str, tool_call_id: str, *, dry_run: bool = False) -> RestoreResult:
    """Put back what the files one tool call wrote held before it (see the module's doc).
    CheckpointError (one line, nothing changed) when the call wrote no files through Chinwag."""
    writes = writes_of(store, turn_id, tool_call_id)
    if not writes:
        raise CheckpointError(f"tool call {tool_call_id} of turn {turn_id} wrote no files through Chinwag")
    first: dict[tuple[str, str], dict] = {}
    last: dict[tuple[str, str], dict] = {}
    for write in writes:
        key = (write["workspace"], write["path"])
        first.setdefault(key, write)
        last[key] = write
    result = RestoreResult(dry_run=dry_run)
    for (workspace, relative), earliest in first.items():
        git = Git(Path(workspace))
        latest = last[(workspace, relative)]
        target = path_inside(git.workspace, relative)
        if earliest.get("before_lost") or not latest.get("after") or target is None or \
                _current(git, relative) != latest["after"]:
            result.skipped.append(relative)  # not kept, or changed since: left as it is
            continue
        if earliest["before"] is None:
            if dry_run or remove_file(git.workspace, relative):
                result.created_removed.append(relative)
            continue
        result.changed.append(relative)
        if not dry_run:
            content = git.run("cat-file", "blob", earliest["before"])
            with open(target, "wb") as out:  # in place: the file keeps its mode
                out.write(content)
    if not dry_run and result.paths:
        store.append_event(store.get_turn(turn_id).session_id, "file_write",
                           {"undone_call_id": tool_call_id, "paths": result.paths}, turn_id=turn_id)
    return result
