"""Workspace checkpoints for coding agents, against real git and real temp workspaces: the
shadow repository never touches the user's own .git (index, stash, branches, hooks), honours
their ignore files, restores changed, created, deleted and binary files byte for byte, leaves
files outside the workspace and those it did not keep alone; the runner takes one alongside
each request and records it on the prompt; one ACP tool call's writes are undone on their own,
with the real ACP client and the scripted fake agent (writing through Chinwag and to disk)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from chinwag.app.agents.acp import pool as acp_pool
from chinwag.app.agents.base import Done, TextDelta
from chinwag.app.config.loader import Config, load_config
from chinwag.app.core import checkpoints, shadow_git
from chinwag.app.core.checkpoints import CheckpointError, Limits, diff, restore, take
from chinwag.app.core.events import CheckpointTaken
from chinwag.app.core.file_writes import undo_tool_call, writes_of
from chinwag.app.core.runner import Runner

AGENT = str(Path(__file__).parent / "fake_acp_agent.py")
MB = 1024 * 1024
pytestmark = pytest.mark.usefixtures("user_git")  # tests/conftest.py: a hostile global git config


# -- helpers ---------------------------------------------------------------------------------------
def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout


def files_of(root: Path) -> dict[str, tuple[int, bytes]]:
    """Every file and symlink under root: its mode and content (a symlink's target)."""
    found = {}
    for folder, dirs, names in os.walk(root):
        for name in names + [d for d in dirs if os.path.islink(os.path.join(folder, d))]:
            path = Path(folder) / name
            relative = path.relative_to(root).as_posix()
            info = path.lstat()
            found[relative] = (info.st_mode, os.readlink(path).encode() if path.is_symlink() else path.read_bytes())
    return found


def work_files(root: Path) -> dict[str, tuple[int, bytes]]:
    return {k: v for k, v in files_of(root).items() if not k.startswith(".git/")}


@pytest.fixture
def repo(ws, user_git) -> Path:
    """The workspace as a git repository with history, a second branch, a stash, a staged
    change, its own hook and info/exclude."""
    git(ws, "-c", "core.hooksPath=/dev/null", "init", "-q")
    (ws / ".gitignore").write_text("build/\n*.log\n")
    git(ws, "add", "-A")
    git(ws, "-c", "core.hooksPath=/dev/null", "commit", "-q", "-m", "first")
    git(ws, "branch", "feature")
    (ws / "notes.txt").write_text("stashed change\n")
    git(ws, "-c", "core.hooksPath=/dev/null", "stash", "-q")
    (ws / "staged.txt").write_text("staged\n")
    git(ws, "add", "staged.txt")
    (ws / ".git" / "info").mkdir(exist_ok=True)
    (ws / ".git" / "info" / "exclude").write_text("secret.txt\n")
    (ws / ".git" / "hooks").mkdir(exist_ok=True)
    (ws / ".git" / "hooks" / "post-checkout").write_text(f"#!/bin/sh\necho local >> {user_git}\n")
    (ws / ".git" / "hooks" / "post-checkout").chmod(0o755)
    return ws


# -- the user's repository --------------------------------------------------------------------------
def test_checkpoints_and_restores_leave_the_users_git_byte_for_byte_untouched(repo, user_git, chinwag_home):
    status, stashes, branches = git(repo, "status", "--porcelain"), git(repo, "stash", "list"), git(repo, "branch")
    before = files_of(repo / ".git")
    user_git.unlink(missing_ok=True)  # the set-up's own git commands ran the hooks
    first = take(repo, label="one")
    (repo / "notes.txt").write_text("changed by the agent\n")
    (repo / "new.py").write_text("x = 1\n")
    (repo / "staged.txt").unlink()
    second = take(repo, label="two")
    assert first.id and second.id and first.id != second.id and not first.skipped
    assert {c.path for c in diff(repo, first.id)} == {"notes.txt", "new.py", "staged.txt"}
    restored = restore(repo, first.id)
    assert sorted(restored.paths) == ["new.py", "notes.txt", "staged.txt"]
    restore(repo, restored.before)
    restore(repo, first.id)
    assert files_of(repo / ".git") == before  # index, stash, refs, logs, objects, config, hooks
    assert not user_git.exists()  # no hook of theirs ran, global or local
    assert git(repo, "status", "--porcelain") == status and git(repo, "stash", "list") == stashes
    assert git(repo, "branch") == branches
    shadow = shadow_git.shadow_dir(repo.resolve())
    assert shadow.parent == chinwag_home / "checkpoints" and (shadow / "chinwag-workspace").read_text().strip() == \
        str(repo.resolve())
    held = subprocess.run(["git", "--git-dir", str(shadow), "ls-tree", "-r", "--name-only", first.id],
                          capture_output=True, text=True, check=True).stdout.split()
    assert sorted(held) == [".gitignore", "notes.txt", "src/app.py", "staged.txt"]  # never .git itself


def test_ignored_files_are_left_out_and_never_touched(repo):
    (repo / "build").mkdir()
    (repo / "build" / "out.bin").write_bytes(b"built")
    for name in ("debug.log", "secret.txt", "cache.globalignored"):
        (repo / name).write_text(f"{name} before\n")
    checkpoint = take(repo, label="t")
    (repo / "build" / "out.bin").write_bytes(b"rebuilt")
    (repo / "debug.log").write_text("more log\n")
    (repo / "secret.txt").unlink()
    (repo / "build" / "new.o").write_bytes(b"obj")
    (repo / "cache.globalignored").write_text("changed\n")
    assert diff(repo, checkpoint.id) == []
    result = restore(repo, checkpoint.id)
    assert result.paths == [] and result.skipped == []
    assert (repo / "build" / "out.bin").read_bytes() == b"rebuilt" and (repo / "build" / "new.o").exists()
    assert (repo / "debug.log").read_text() == "more log\n" and not (repo / "secret.txt").exists()
    assert (repo / "cache.globalignored").read_text() == "changed\n"


# -- what a restore puts back -----------------------------------------------------------------------
def test_restore_brings_back_changed_created_and_deleted_files_byte_for_byte(ws):
    (ws / ".gitattributes").write_text("* text=auto eol=lf\n")  # must not convert what is stored
    (ws / "crlf.txt").write_bytes(b"one\r\ntwo\r\n")
    (ws / "blob.bin").write_bytes(bytes(range(256)) * 64)
    (ws / "run.sh").write_text("#!/bin/sh\n")
    (ws / "run.sh").chmod(0o755)
    (ws / "old" / "deep").mkdir(parents=True)
    (ws / "old" / "deep" / "kept.txt").write_text("deep\n")
    original = work_files(ws)
    checkpoint = take(ws, label="before")
    (ws / "crlf.txt").write_bytes(b"one\ntwo\n")
    (ws / "blob.bin").write_bytes(b"\x00" * 10)
    (ws / "run.sh").chmod(0o644)
    (ws / "notes.txt").unlink()
    import shutil

    shutil.rmtree(ws / "old")
    (ws / "made" / "by" / "agent").mkdir(parents=True)
    (ws / "made" / "by" / "agent" / "file.py").write_text("new\n")
    (ws / "src" / "extra.py").write_text("extra\n")
    changed = work_files(ws)

    assert {(c.path, c.kind) for c in diff(ws, checkpoint.id)} == {
        ("crlf.txt", "modified"), ("blob.bin", "modified"), ("run.sh", "modified"), ("notes.txt", "deleted"),
        ("old/deep/kept.txt", "deleted"), ("made/by/agent/file.py", "added"), ("src/extra.py", "added")}
    dry = restore(ws, checkpoint.id, dry_run=True)
    assert work_files(ws) == changed  # a dry run changes nothing
    result = restore(ws, checkpoint.id)
    assert (result.changed, result.created_removed, result.deleted_restored) == (dry.changed, dry.created_removed,
                                                                                 dry.deleted_restored)
    assert sorted(result.changed) == ["blob.bin", "crlf.txt", "run.sh"]
    assert sorted(result.created_removed) == ["made/by/agent/file.py", "src/extra.py"]
    assert sorted(result.deleted_restored) == ["notes.txt", "old/deep/kept.txt"]
    assert work_files(ws) == original and not (ws / "made").exists()  # folders it alone made go too
    undone = restore(ws, result.before)  # what the restore replaced comes back: it is undoable
    assert work_files(ws) == changed and sorted(undone.paths) == sorted(result.paths)


def test_files_outside_the_workspace_and_chinwags_own_are_never_touched(tmp_path, monkeypatch):
    ws = tmp_path / "proj"
    ws.mkdir()
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "file.txt").write_text("outside before\n")
    (ws / "link.txt").symlink_to(outside / "file.txt")
    (ws / "linkdir").symlink_to(outside)
    (ws / "mine.txt").write_text("mine\n")
    monkeypatch.setenv("CHINWAG_HOME", str(ws / ".chinwag"))  # Chinwag's home inside the workspace
    (ws / ".chinwag").mkdir()
    (ws / ".chinwag" / "chinwag.db").write_bytes(b"db")
    checkpoint = take(ws, label="t", exclude=[ws / "elsewhere.db"])
    (outside / "file.txt").write_text("outside after\n")
    (outside / "new.txt").write_text("new outside\n")
    (ws / "elsewhere.db").write_bytes(b"another db")
    (ws / "mine.txt").write_text("changed\n")
    (ws / ".chinwag" / "chinwag.db").write_bytes(b"db grew")
    assert checkpoint.id
    result = restore(ws, checkpoint.id)
    assert result.changed == ["mine.txt"] and result.created_removed == ["elsewhere.db"]
    assert (outside / "file.txt").read_text() == "outside after\n" and (outside / "new.txt").exists()
    assert os.readlink(ws / "link.txt") == str(outside / "file.txt") and (ws / "linkdir").is_symlink()
    assert (ws / ".chinwag" / "chinwag.db").read_bytes() == b"db grew"


def test_a_file_over_the_size_limit_is_left_out_and_never_overwritten(ws):
    limits = Limits(max_file_bytes=1000, max_total_bytes=10 * MB)
    (ws / "big.bin").write_bytes(b"b" * 2000)
    (ws / "grows.txt").write_text("small\n")
    checkpoint = take(ws, label="t", limits=limits)
    assert checkpoint.left_out == ("big.bin",) and checkpoint.id
    (ws / "big.bin").write_bytes(b"c" * 3000)
    (ws / "grows.txt").write_bytes(b"g" * 5000)  # now too big: its new content is not saved
    (ws / "notes.txt").write_text("changed\n")
    result = restore(ws, checkpoint.id, limits=limits)
    assert result.changed == ["notes.txt"] and sorted(result.skipped) == ["grows.txt"]
    assert (ws / "big.bin").read_bytes() == b"c" * 3000 and (ws / "grows.txt").read_bytes() == b"g" * 5000


def test_a_file_ignored_since_the_checkpoint_is_still_restored_and_undoable(ws):
    checkpoint = take(ws, label="t")
    (ws / ".gitignore").write_text("notes.txt\n")  # the agent ignores the file it then changes
    (ws / "notes.txt").write_text("the agent's version\n")
    result = restore(ws, checkpoint.id)
    assert result.created_removed == [".gitignore"] and result.changed == ["notes.txt"]
    assert (ws / "notes.txt").read_text() == "hello notes\n"
    restore(ws, result.before)  # what it held was saved first all the same
    assert (ws / "notes.txt").read_text() == "the agent's version\n"


@pytest.mark.parametrize("case", ["too big", "not a folder", "missing", "no workspace"])
def test_a_workspace_it_cannot_checkpoint_gets_a_reason_not_an_error(ws, case):
    target: str | Path = ws
    limits = Limits()
    if case == "too big":
        (ws / "data.bin").write_bytes(b"x" * (2 * MB))
        limits = Limits(max_total_bytes=MB)
    elif case == "not a folder":
        target = ws / "notes.txt"
    elif case == "missing":
        target = ws / "gone"
    else:
        target = ""
    checkpoint = take(target, label="t", limits=limits)
    assert not checkpoint.id and checkpoint.record() == {"skipped": checkpoint.skipped}
    expected = {"too big": "the workspace holds over 1 MB ([checkpoints] max_total_mb)",
                "not a folder": f"the workspace {ws / 'notes.txt'} is not a folder",
                "missing": f"the workspace {ws / 'gone'} is not a folder",
                "no workspace": "the session has no workspace"}[case]
    assert checkpoint.skipped == expected


def test_without_git_there_is_no_checkpoint_and_one_reason(ws, tmp_path, monkeypatch):
    empty = tmp_path / "no-git-here"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    shadow_git._git_problem.cache_clear()
    try:
        assert take(ws, label="t").skipped == "git is not installed (checkpoints need the git command)"
    finally:
        shadow_git._git_problem.cache_clear()


def test_unknown_checkpoints_are_one_line_errors_that_change_nothing(ws, tmp_path):
    take(ws, label="t")
    before = work_files(ws)
    for bad in ("deadbeef" * 5, "not-a-sha", ""):
        with pytest.raises(CheckpointError) as caught:
            restore(ws, bad)
        assert "\n" not in str(caught.value)
    other = tmp_path / "never"
    other.mkdir()
    with pytest.raises(CheckpointError, match="no checkpoints were taken"):
        restore(other, "a" * 40)
    assert work_files(ws) == before


def test_an_unchanged_workspace_keeps_its_checkpoint_and_previews_are_bounded(ws):
    first = take(ws, label="one")
    assert take(ws, label="two").id == first.id
    (ws / "long.txt").write_text("".join(f"line {n}\n" for n in range(5000)))
    (ws / "notes.txt").write_bytes(b"\x00\x01binary now")
    changes = {c.path: c for c in diff(ws, first.id)}
    assert changes["long.txt"].kind == "added" and changes["long.txt"].preview.endswith("(5,003 lines in all)")
    assert len(changes["long.txt"].preview) < checkpoints.PREVIEW_CHARS + 100
    assert "Binary files" in changes["notes.txt"].preview


# -- config -----------------------------------------------------------------------------------------
def test_checkpoints_are_on_for_coding_agents_and_off_where_configured(chinwag_home):
    (chinwag_home / "config.toml").write_text(
        '[checkpoints]\nmax_file_mb = 2\nmax_total_mb = 50.5\n'
        '[agents.coder]\nkind = "acp"\ncommand = ["x"]\n'
        '[agents.quiet]\nkind = "acp"\ncommand = ["x"]\ncheckpoints = false\n'
        '[agents.watched]\nkind = "echo"\ncheckpoints = true\n')
    config = load_config()
    assert checkpoints.limits_for(config, "coder") == Limits(2 * MB, int(50.5 * MB))
    assert checkpoints.limits_for(config, "watched") is not None
    assert checkpoints.limits_for(config, "quiet") is None
    assert checkpoints.limits_for(config, "echo") is None  # a model cannot change files
    assert checkpoints.limits_for(Config(agents={"c": {"kind": "acp"}}), "c") == Limits()
    off = Config(agents={"c": {"kind": "acp"}}, checkpoints={"enabled": False})
    assert checkpoints.limits_for(off, "c") is None


@pytest.mark.parametrize("text, message", [
    ("[checkpoints]\nenabled = 1\n", ":2: [checkpoints].enabled has the wrong type (int)"),
    ("[checkpoints]\nmax_file_mb = -1\n", ":2: [checkpoints].max_file_mb is out of range (-1; at least 0)"),
    ("[checkpoints]\nkeep = 3\n", ":2: unknown key 'keep' in [checkpoints]"),
    ('[agents.x]\nkind = "acp"\ncheckpoints = "no"\n', ":3: [agents.x].checkpoints has the wrong type (str)"),
])
def test_a_bad_checkpoints_setting_is_one_line(chinwag_home, cli, text, message):
    (chinwag_home / "config.toml").write_text(text)
    result = cli("config", "show")
    assert result.returncode == 1 and result.stdout == ""
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"chinwag: {chinwag_home / 'config.toml'}{message}")


# -- the runner ---------------------------------------------------------------------------------------
class Replier:
    """Replies "done"; `before` runs first (in a thread), `change` once the files gate opens
    (as an agent's changes through Chinwag wait for the turn's checkpoint)."""

    name, model = "replier", "r-1"

    def __init__(self, before=None, change=None):
        self.before, self.change = before, change
        self.files_gate = None

    async def stream(self, messages, *, purpose="chat"):
        if self.before:
            await asyncio.to_thread(self.before)
        if self.change:
            await self.files_gate
            self.change()
        yield TextDelta("done")
        yield Done()


def watched(agent) -> tuple[Config, dict]:
    return Config(agents={"echo": {"kind": "echo", "checkpoints": True}}), {"agent_factory": lambda n, m: agent}


async def test_the_runner_records_the_checkpoint_on_the_prompt_and_it_restores(store, ws):
    events: list = []
    agent = Replier(change=lambda: (ws / "notes.txt").write_text("the agent changed it\n"))
    config, kwargs = watched(agent)
    session = store.create_session(agent="echo", workspace=str(ws))
    reply = await Runner(store, config, on_event=events.append, **kwargs).send(session.id, "change notes")
    user = next(t for t in store.list_turns(session.id) if t.role == "user")
    record = user.metadata["checkpoint"]
    assert reply.status == "complete" and set(record) == {"id", "ms"} and record["ms"] >= 0
    (taken,) = [e for e in events if isinstance(e, CheckpointTaken)]
    assert (taken.turn_id, taken.checkpoint_id, taken.skipped) == (user.id, record["id"], "")
    (event,) = [e for e in store.list_events(session.id) if e.type == "checkpoint"]
    assert event.turn_id == user.id and event.data["id"] == record["id"] and event.data["reply_id"] == reply.id
    restore(ws, record["id"])
    assert (ws / "notes.txt").read_text() == "hello notes\n"  # as before the prompt ran


async def test_the_checkpoint_runs_alongside_the_request(store, ws, monkeypatch):
    """The request is sent while the checkpoint is still being taken: the checkpoint waits
    for the agent to have been called, which it could not if the runner waited for it."""
    called = threading.Event()
    seen: list[bool] = []
    real = checkpoints.take

    def slow_take(*args, **kwargs):
        seen.append(called.wait(timeout=30))
        return real(*args, **kwargs)

    monkeypatch.setattr(checkpoints, "take", slow_take)
    config, kwargs = watched(Replier(before=called.set))
    session = store.create_session(agent="echo", workspace=str(ws))
    reply = await Runner(store, config, **kwargs).send(session.id, "hi")
    assert seen == [True] and reply.status == "complete"
    user = next(t for t in store.list_turns(session.id) if t.role == "user")
    assert user.metadata["checkpoint"]["id"]


async def test_a_workspace_that_is_not_a_folder_gets_one_line_and_the_turn_runs(store, ws):
    config, kwargs = watched(Replier())
    session = store.create_session(agent="echo", workspace=str(ws / "notes.txt"))
    reply = await Runner(store, config, **kwargs).send(session.id, "hi")
    user = next(t for t in store.list_turns(session.id) if t.role == "user")
    assert reply.status == "complete" and reply.text == "done"
    assert user.metadata["checkpoint"] == {"skipped": f"the workspace {ws / 'notes.txt'} is not a folder"}
    with pytest.raises(CheckpointError, match="has no workspace checkpoint: no checkpoint: the workspace .* is not"):
        checkpoints.restore_before_prompt(store, config, user.id)


def test_send_prints_one_line_when_there_is_no_checkpoint(chinwag_home, cli, ws):
    (chinwag_home / "config.toml").write_text('[agents.watched]\nkind = "echo"\ncheckpoints = true\n')
    started = cli("session", "start", "--agent", "watched", "--workspace", str(ws / "notes.txt"), "hello")
    assert started.returncode == 0, started.stderr
    lines = started.stderr.strip().splitlines()
    assert [line for line in lines if "checkpoint" in line] == [
        f"chinwag: no checkpoint: the workspace {ws / 'notes.txt'} is not a folder"]
    fine = cli("session", "start", "--agent", "watched", "--workspace", str(ws), "hello")
    assert fine.returncode == 0 and "checkpoint" not in fine.stderr


async def test_models_take_no_checkpoints(store, ws):
    session = store.create_session(agent="echo", workspace=str(ws))
    await Runner(store, Config(), agent_factory=lambda n, m: Replier()).send(session.id, "hi")
    assert all("checkpoint" not in t.metadata for t in store.list_turns(session.id))
    assert not (shadow_git.shadow_dir(ws.resolve())).exists()


# -- ACP: undo one tool call, rewind files -------------------------------------------------------------
def acp_config(tmp_path) -> Config:
    env = {"FAKE_ACP_STATE": str(tmp_path / "agent-state.json")}
    return Config(agents={"fake": {"kind": "acp", "command": [sys.executable, AGENT], "env": env, "timeout": 20}})


@pytest.fixture
async def no_agents_left():
    yield
    await acp_pool.close_all()


async def test_one_tool_call_is_undone_on_its_own(store, tmp_path, ws, no_agents_left):
    config = acp_config(tmp_path)
    session = store.create_session(agent="fake", workspace=str(ws), mode="bypass")
    reply = await Runner(store, config).send(session.id, "toolwrite notes.txt src/app.py fresh/new.txt")
    assert reply.status == "complete", reply.error
    assert (ws / "notes.txt").read_text() == "edited by call-w1\n"
    assert (ws / "fresh" / "new.txt").read_text() == "edited by call-w3\n"
    (write,) = writes_of(store, reply.id, "call-w1")
    assert write["path"] == "notes.txt" and write["before"] and write["after"]
    assert writes_of(store, reply.id, "call-w3")[0]["before"] is None  # it created the file

    dry = undo_tool_call(store, reply.id, "call-w1", dry_run=True)
    assert dry.changed == ["notes.txt"] and (ws / "notes.txt").read_text() == "edited by call-w1\n"
    undone = undo_tool_call(store, reply.id, "call-w1")
    assert undone.changed == ["notes.txt"] and (ws / "notes.txt").read_text() == "hello notes\n"
    assert (ws / "src" / "app.py").read_text() == "edited by call-w2\n"  # the other calls' writes stay
    assert undo_tool_call(store, reply.id, "call-w1").skipped == ["notes.txt"]  # once only

    (ws / "src" / "app.py").write_text("the user edited it since\n")
    assert undo_tool_call(store, reply.id, "call-w2").skipped == ["src/app.py"]  # a later change is kept
    assert (ws / "src" / "app.py").read_text() == "the user edited it since\n"
    removed = undo_tool_call(store, reply.id, "call-w3")
    assert removed.created_removed == ["fresh/new.txt"] and not (ws / "fresh").exists()
    with pytest.raises(CheckpointError, match="wrote no files through Chinwag"):
        undo_tool_call(store, reply.id, "call-nope")


async def test_rewinding_files_after_agents_that_write_through_chinwag_and_straight_to_disk(
        store, tmp_path, ws, no_agents_left):
    config = acp_config(tmp_path)
    session = store.create_session(agent="fake", workspace=str(ws), mode="bypass")
    runner = Runner(store, config)
    original = work_files(ws)
    first = await runner.send(session.id, "toolwrite notes.txt")
    after_first = work_files(ws)
    second = await runner.send(session.id, "diskwrite src/app.py made/here.txt diskdelete notes.txt")
    assert first.status == second.status == "complete", (first.error, second.error)
    assert not (ws / "notes.txt").exists() and (ws / "made" / "here.txt").read_text() == "written to disk\n"
    prompts = [t for t in store.list_turns(session.id) if t.role == "user"]
    ids = [t.metadata["checkpoint"]["id"] for t in prompts]
    assert len(set(ids)) == 2

    # rewind --files to before the second prompt: only its changes go
    dry = checkpoints.restore_before_prompt(store, config, prompts[1].id, dry_run=True)
    assert not (ws / "notes.txt").exists()
    second_back = checkpoints.restore_before_prompt(store, config, prompts[1].id)
    assert work_files(ws) == after_first
    assert (second_back.changed, second_back.created_removed, second_back.deleted_restored) == (
        ["src/app.py"], ["made/here.txt"], ["notes.txt"]) == (dry.changed, dry.created_removed, dry.deleted_restored)
    checkpoints.restore_before_prompt(store, config, prompts[0].id)
    assert work_files(ws) == original
    checkpoints.restore_checkpoint(store, config, session.id, second_back.before)  # rewind --undo
    assert not (ws / "notes.txt").exists() and (ws / "made" / "here.txt").exists()
    with pytest.raises(CheckpointError, match=f"turn {first.id} has no workspace checkpoint"):
        checkpoints.restore_before_prompt(store, config, first.id)  # an agent turn: none of its own
