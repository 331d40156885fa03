"""Plain file helpers for every file Chinwag creates: private files (0600) and folders
(0700), and `safe_write`, the one way to write a user-named or Chinwag-owned file.

`safe_write` refuses an existing target unless forced, never writes onto an open
database or its -wal/-shm/-journal (whatever path, symlink or hard link leads there),
and writes a temp file in the target's folder that replaces the target only when
complete, so a failed write leaves the old file as it was. No Textual, no network.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import IO

from chinwag.storage.errors import StorageError

PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700
DB_SIDECARS = ("", "-wal", "-shm", "-journal")

_MODES = {
    "w": os.O_WRONLY | os.O_CREAT | os.O_TRUNC,
    "a": os.O_WRONLY | os.O_CREAT | os.O_APPEND,
    "x": os.O_WRONLY | os.O_CREAT | os.O_EXCL,
}
_protected: dict[Path, int] = {}  # databases open in this process -> how many connections


class TargetExists(StorageError):
    """The target file exists and the caller did not ask to replace it."""

    def __init__(self, path: Path):
        self.path = path
        super().__init__(f"{path} exists (left untouched); --force replaces it")


class ProtectedTarget(StorageError):
    """The target is (or leads to) an open database or one of its journal files."""


def ensure_private_dir(path: str | os.PathLike) -> Path:
    """Create a folder and any missing parents, each 0700 (an existing one is left as is)."""
    path = Path(path)
    missing = []
    for folder in (path, *path.parents):
        if folder.exists():
            break
        missing.append(folder)
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=PRIVATE_DIR)
        except FileExistsError:
            pass
        else:
            os.chmod(folder, PRIVATE_DIR)  # mkdir's mode is masked by the umask
    if not path.is_dir():
        path.mkdir()  # raises the clear OSError (a file is in the way)
    return path


def tighten_dir(path: str | os.PathLike) -> int | None:
    """Take group and other permissions off an existing folder (0755 -> 0700); returns the
    old mode. The owner's bits are kept: a folder the user made read-only stays read-only."""
    try:
        mode = os.stat(path).st_mode & 0o777
    except OSError:
        return None
    if not mode & 0o077:
        return None
    try:
        os.chmod(path, mode & ~0o077)
    except OSError:  # not ours to change (another owner): leave it
        return None
    return mode


def open_private(path: str | os.PathLike, mode: str = "w", *, encoding: str | None = "utf-8") -> IO:
    """Open a file that is 0600 whatever the umask, also when it existed with looser bits.

    `mode` is "w" (truncate), "a" (append) or "x" (must not exist), plus "b" for binary.
    """
    kind, binary = mode.replace("b", ""), "b" in mode
    fd = os.open(path, _MODES[kind], PRIVATE_FILE)
    try:
        os.fchmod(fd, PRIVATE_FILE)
        return os.fdopen(fd, kind + ("b" if binary else ""), encoding=None if binary else encoding)
    except BaseException:
        os.close(fd)
        raise


def touch_private(path: str | os.PathLike) -> bool:
    """Create an empty 0600 file (folders 0700) unless it exists; True if it was created."""
    path = Path(path)
    ensure_private_dir(path.parent)
    try:
        open_private(path, "xb").close()
    except FileExistsError:
        return False
    return True


def protect(path: str | os.PathLike) -> None:
    """Register an open database: `safe_write` refuses it and its journal files."""
    key = Path(os.path.abspath(path))
    _protected[key] = _protected.get(key, 0) + 1


def unprotect(path: str | os.PathLike) -> None:
    key = Path(os.path.abspath(path))
    count = _protected.get(key, 0) - 1
    if count > 0:
        _protected[key] = count
    else:
        _protected.pop(key, None)


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return info.st_dev, info.st_ino


def check_not_protected(target: str | os.PathLike, extra: tuple[str | os.PathLike, ...] = ()) -> None:
    """Raise ProtectedTarget if `target` is an open database (or its -wal/-shm/-journal),
    by resolved path or by device and inode (a hard link)."""
    target = Path(target)
    resolved, identity = target.resolve(), _identity(target)
    for database in (*_protected, *(Path(p) for p in extra)):
        for suffix in DB_SIDECARS:
            guarded = Path(str(database) + suffix)
            if guarded.resolve() == resolved or (identity is not None and _identity(guarded) == identity):
                raise ProtectedTarget(f"refusing to write {target}: it is the database {database}"
                                      f"{' ' + suffix.lstrip('-') + ' file' if suffix else ''}; nothing written")


def safe_write(path: str | os.PathLike, data: str | bytes, *, force: bool = False,
               protected: tuple[str | os.PathLike, ...] = ()) -> Path:
    """Write `data` to `path` (0600) atomically; see the module docstring for the refusals.

    A symlink at `path` is replaced by the new file, never followed.
    """
    target = Path(path)
    check_not_protected(target, protected)
    if target.is_dir():
        raise StorageError(f"{target} is a folder; give a file name")
    exists = os.path.lexists(target)
    if exists and not force:
        raise TargetExists(target)
    folder = target.parent
    if not folder.is_dir():
        raise StorageError(f"cannot write {target}: folder {folder} does not exist")
    payload = data.encode("utf-8") if isinstance(data, str) else data
    fd, temp = tempfile.mkstemp(dir=folder, prefix=f".{target.name}.", suffix=".tmp")  # mkstemp: 0600
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        if exists:
            os.replace(temp, target)
        else:
            _link_new(temp, target)
    except BaseException:
        try:
            os.unlink(temp)
        except FileNotFoundError:
            pass
        raise
    return target


def _link_new(temp: str, target: Path) -> None:
    """Put the finished temp file at a target that must not exist (no clobbering a file
    created meanwhile); falls back to rename where hard links are not supported."""
    try:
        os.link(temp, target)
    except FileExistsError:
        raise TargetExists(target) from None
    except OSError:
        os.replace(temp, target)
        return
    os.unlink(temp)
