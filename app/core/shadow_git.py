"""The shadow git repository behind workspace checkpoints (`checkpoints`): where it lives,
the git command it is driven with (`--git-dir=SHADOW --work-tree=WORKSPACE`, its own index,
no user config, bytes stored as they are), the excludes it honours, scanning a workspace into
a tree within the limits, and committing that tree. Nothing here knows about sessions.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import stat
import subprocess
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from chinwag.app.config import paths

MB = 1024 * 1024
REF = "refs/chinwag/checkpoints"  # the newest checkpoint; each has the one before as parent
LEFT_OUT = "chinwag-left-out: "  # the commit message line listing files too big or unreadable to keep
ATTRIBUTES = "* -text -filter -ident !eol !working-tree-encoding\n"  # bytes in, bytes out
GLOB = set("*?[\\")
MIN_GIT = (2, 32)
BULK = 500  # this many new files go into one pack, not one loose object each (a first checkpoint: ~2x faster)


class CheckpointError(Exception):
    """A restore or diff that cannot be done, told in one line (nothing was changed)."""


@dataclass(frozen=True)
class Limits:
    """The largest file and the most bytes a checkpoint keeps."""

    max_file_bytes: int = 10 * MB
    max_total_bytes: int = 500 * MB


def shadow_dir(workspace: Path) -> Path:
    digest = hashlib.sha256(os.fsencode(workspace)).hexdigest()[:20]
    return paths.data_dir() / "checkpoints" / f"{digest}.git"


@cache
def _global_excludes() -> str:
    """The user's own global excludes file, honoured though their global config is not read."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    try:
        found = subprocess.run(["git", "config", "--global", "--path", "--get", "core.excludesFile"], env=env,
                               capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return ""
    return found.stdout.strip() if found.returncode == 0 else ""


@cache
def _git_problem() -> str:
    """Why the git here cannot take checkpoints ("" when it can): missing, or older than 2.32
    (the first to let a command ignore the user's global config)."""
    try:
        out = subprocess.run(["git", "--version"], capture_output=True, text=True, timeout=10).stdout
    except FileNotFoundError:
        return "git is not installed (checkpoints need the git command)"
    except (OSError, subprocess.SubprocessError) as exc:
        return f"cannot run git: {exc}"
    numbers = [int(n) for n in out.split()[2].split(".")[:2] if n.isdigit()] if len(out.split()) > 2 else []
    if len(numbers) < 2 or tuple(numbers) < MIN_GIT:
        return f"checkpoints need git {MIN_GIT[0]}.{MIN_GIT[1]} or newer (found: {out.strip() or 'no version'})"
    return ""


class Git:
    """`git` on one workspace and its shadow repository."""

    def __init__(self, workspace: Path):
        self.workspace = workspace
        self.shadow = shadow_dir(workspace)
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
        self.env.update({
            "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1", "GIT_INDEX_FILE": str(self.shadow / "index"),
            "GIT_LITERAL_PATHSPECS": "1", "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C",
            "GIT_AUTHOR_NAME": "Chinwag", "GIT_AUTHOR_EMAIL": "chinwag@localhost",
            "GIT_COMMITTER_NAME": "Chinwag", "GIT_COMMITTER_EMAIL": "chinwag@localhost",
        })
        options = ["-c", "core.hooksPath=" + os.devnull, "-c", "core.fsmonitor=false", "-c", "core.quotePath=false",
                   "-c", "core.untrackedCache=true", "-c", "gc.auto=0", "-c", "core.compression=1"]
        if _global_excludes():
            options += ["-c", "core.excludesFile=" + _global_excludes()]
        self.argv = ["git", "--git-dir", str(self.shadow), "--work-tree", str(workspace), *options]

    def run(self, *args: str, input: bytes | None = None, config: tuple[str, ...] = ()) -> bytes:
        try:
            done = subprocess.run([*self.argv, *(part for c in config for part in ("-c", c)), *args], input=input, capture_output=True, env=self.env,
                                  cwd=self.workspace, timeout=600)
        except FileNotFoundError:
            raise CheckpointError("git is not installed (checkpoints need the git command)") from None
        except (OSError, subprocess.SubprocessError) as exc:
            raise CheckpointError(f"git {args[0]} failed: {exc}") from None
        if done.returncode:
            message = next((line for line in done.stderr.decode(errors="replace").splitlines() if line.strip()), "")
            raise CheckpointError(f"git {args[0]} failed: {message or f'exit code {done.returncode}'}")
        return done.stdout

    def ensure(self) -> None:
        """Create the shadow repository (once): bare, no templates, our attributes."""
        if (self.shadow / "chinwag-workspace").exists():
            return
        if _git_problem():
            raise CheckpointError(_git_problem())
        from chinwag.storage import files  # lazy: start-up

        files.ensure_private_dir(self.shadow.parent)
        subprocess.run(["git", "init", "--quiet", "--bare", "--template=", str(self.shadow)], env=self.env,
                       capture_output=True, check=False, timeout=60)
        if not (self.shadow / "HEAD").exists():
            raise CheckpointError(f"cannot create the checkpoint repository {self.shadow}")
        (self.shadow / "info").mkdir(exist_ok=True)
        (self.shadow / "info" / "attributes").write_text(ATTRIBUTES)
        (self.shadow / "chinwag-workspace").write_text(f"{self.workspace}\n")  # which folder it shadows, for people

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """One checkpoint or restore at a time per workspace (sessions may share one)."""
        self.ensure()
        fd = os.open(self.shadow / "chinwag.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)


def _pattern(relative: str) -> str:
    """An exclude pattern matching exactly `relative` (from the workspace's root)."""
    escaped = "".join("\\" + c if c in GLOB else c for c in relative)
    return "/" + (escaped[:-1] + "\\ " if escaped.endswith(" ") else escaped)


def _user_excludes(workspace: Path) -> list[str]:
    """The workspace repository's own .git/info/exclude: all of it when the workspace is the
    repository's top, else only the patterns that match at any depth."""
    for folder in (workspace, *workspace.parents):
        dot_git = folder / ".git"
        try:
            if dot_git.is_file():
                text = dot_git.read_text(errors="replace").strip()
                git_dir = (folder / text.removeprefix("gitdir:").strip()).resolve()
                common = git_dir / "commondir"
                if common.is_file():
                    git_dir = (git_dir / common.read_text().strip()).resolve()
            elif dot_git.is_dir():
                git_dir = dot_git
            else:
                continue
            lines = (git_dir / "info" / "exclude").read_text(errors="replace").splitlines()
        except OSError:
            return []
        if folder == workspace:
            return lines
        return [line for line in lines if "/" not in line.rstrip("/")]
    return []


def _own_paths(workspace: Path, extra: Iterable[Path]) -> list[str]:
    """Chinwag's own folders and databases inside the workspace (never checkpointed)."""
    own = []
    for path in {paths.data_dir(), paths.config_dir(), *extra}:
        path = Path(path).expanduser().resolve()
        if workspace in path.parents:
            relative = path.relative_to(workspace).as_posix()
            own += [_pattern(relative)] + ([_pattern(relative + s) for s in ("-wal", "-shm", "-journal")]
                                           if path.suffix == ".db" else [])
    return own


def _write_excludes(git: Git, lines: list[str]) -> None:
    path = git.shadow / "info" / "exclude"
    text = "\n".join(lines) + "\n"
    with contextlib.suppress(OSError):
        if path.read_text() == text:
            return  # unchanged: git's untracked cache stays valid
    path.write_text(text)


# -- taking one ------------------------------------------------------------------------------
class Skip(Exception):
    """No checkpoint, for this reason."""


def _scan(git: Git, limits: Limits) -> tuple[list[str], list[str], int]:
    """Every file a checkpoint would hold, checked against the limits (stopping as soon as the
    total is over): the files left out, those of them the shadow index holds, and how many
    files it does not hold yet."""
    left_out: list[str] = []
    indexed: list[str] = []
    total = new = 0
    base = os.fsencode(git.workspace) + b"/"
    readable = _readable()
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen([*git.argv, "ls-files", "-z", "-t", "--cached", "--others", "--exclude-standard"],
                                   stdout=subprocess.PIPE, stderr=errors, env=git.env, cwd=git.workspace)
        assert process.stdout is not None
        try:
            rest = b""
            while chunk := process.stdout.read(1 << 16):
                *entries, rest = (rest + chunk).split(b"\0")
                for entry in entries:  # 10,000 of them in an incremental checkpoint: kept lean
                    tag = entry[:1]
                    try:
                        info = os.lstat(base + entry[2:])
                    except FileNotFoundError:
                        continue
                    except OSError:
                        info = None
                    if info is not None and not stat.S_ISREG(info.st_mode):
                        continue
                    if info is None or info.st_size > limits.max_file_bytes or not readable(info):
                        relative = os.fsdecode(entry[2:])
                        left_out.append(relative)
                        if tag != b"?":
                            indexed.append(relative)
                        continue
                    total += info.st_size
                    new += tag == b"?"
                    if total > limits.max_total_bytes:
                        raise Skip(f"the workspace holds over {limits.max_total_bytes / MB:g} MB "
                                    "([checkpoints] max_total_mb)")
        finally:
            if process.poll() is None:
                process.kill()
            process.wait()
        if process.returncode:
            errors.seek(0)
            message = next((line for line in errors.read().decode(errors="replace").splitlines() if line), "")
            raise Skip(f"cannot list the workspace: {message or f'git exit code {process.returncode}'}")
    return left_out, indexed, new


def _readable() -> Callable[[os.stat_result], bool]:
    """Whether this process may read a file, from its mode bits (no extra system call)."""
    uid, groups = os.geteuid(), {os.getegid(), *os.getgroups()}
    if uid == 0:
        return lambda info: True

    def readable(info: os.stat_result) -> bool:
        if info.st_uid == uid:
            return bool(info.st_mode & stat.S_IRUSR)
        if info.st_gid in groups:
            return bool(info.st_mode & stat.S_IRGRP)
        return bool(info.st_mode & stat.S_IROTH)

    return readable


def snapshot(git: Git, limits: Limits, extra: Iterable[Path]) -> tuple[str, list[str]]:
    """The workspace as a tree in the shadow repository (under the lock): its sha, and the
    files left out of it."""
    base = ["/.git", *_own_paths(git.workspace, extra), *_user_excludes(git.workspace)]
    _write_excludes(git, base)
    left_out, indexed, new = _scan(git, limits)
    if left_out:
        _write_excludes(git, base + [_pattern(p) for p in left_out])
    if indexed:
        git.run("rm", "--cached", "-f", "-q", "--ignore-unmatch", "--pathspec-from-file=-", "--pathspec-file-nul",
                input=b"\0".join(os.fsencode(p) for p in indexed))
    # many new files (a first checkpoint): streamed into one pack rather than thousands of files
    git.run("add", "-A", config=("core.bigFileThreshold=1",) if new >= BULK else ())
    return git.run("write-tree").decode().strip(), sorted(left_out)


def _head(git: Git) -> tuple[str, str, list[str]]:
    """The newest checkpoint: its sha, tree and left-out files ("" when there is none)."""
    out = git.run("cat-file", "--batch", input=f"{REF}\n".encode()).decode(errors="replace")
    header, _, body = out.partition("\n")
    if header.endswith("missing"):
        return "", "", []
    return header.split()[0], tree_of(body), left_out_of(body)


def tree_of(commit_text: str) -> str:
    return next((line[5:] for line in commit_text.splitlines() if line.startswith("tree ")), "")


def left_out_of(commit_text: str) -> list[str]:
    line = next((line for line in commit_text.splitlines() if line.startswith(LEFT_OUT)), "")
    return json.loads(line[len(LEFT_OUT):]) if line else []


def commit_tree(git: Git, tree: str, left_out: list[str], label: str) -> str:
    parent, parent_tree, parent_left = _head(git)
    if parent and parent_tree == tree and parent_left == left_out:
        return parent  # nothing changed since the last one: the same checkpoint
    message = " ".join(label.split())[:200] or "checkpoint"
    if left_out:
        message += "\n\n" + LEFT_OUT + json.dumps(left_out, ensure_ascii=False)
    sha = git.run("commit-tree", tree, *(("-p", parent) if parent else ()), "-F", "-",
                  input=message.encode()).decode().strip()
    git.run("update-ref", REF, sha)
    return sha
