"""Where Chinwag keeps its files: `CHINWAG_HOME` when set, else the platform's dirs. The
default home is the only folder Chinwag creates by itself."""

from __future__ import annotations

import os
from pathlib import Path

DB_NAME = "chinwag.db"
CONFIG_NAME = "config.toml"


def home() -> Path | None:
    value = os.environ.get("CHINWAG_HOME")
    return Path(value).expanduser() if value else None


def data_dir() -> Path:
    explicit = home()
    if explicit is not None:
        return explicit
    import platformdirs  # lazy: only without CHINWAG_HOME

    return Path(platformdirs.user_data_dir("chinwag", appauthor=False))


def config_dir() -> Path:
    explicit = home()
    if explicit is not None:
        return explicit
    import platformdirs  # lazy: only without CHINWAG_HOME

    return Path(platformdirs.user_config_dir("chinwag", appauthor=False))


def db_path(override: str | None = None) -> Path:
    """`--db`, else CHINWAG_DB, else the default home's database. Only the default home is
    created here (0700, on first use); a path the user named must be in a folder that exists."""
    if override:
        return Path(override).expanduser()
    env = os.environ.get("CHINWAG_DB")
    if env:
        return Path(env).expanduser()
    return ensure_private_dir(data_dir()) / DB_NAME


def config_path() -> Path:
    return config_dir() / CONFIG_NAME


def log_path() -> Path:
    return data_dir() / "chinwag.log"


def private_log_file() -> Path:
    """The log file, created 0600 in a 0700 directory before any logger opens it."""
    from chinwag.storage import files  # lazy: `chinwag config path` loads no storage

    path = log_path()
    files.ensure_private_dir(path.parent)
    files.open_private(path, "ab").close()
    return path


def log_handler(max_bytes: int = 1_000_000, backups: int = 3):
    """A rotating handler on the log file whose every file, the one reopened after a
    rollover included, is 0600 (the stock handler reopens with plain `open`: the umask
    decides, so 0644)."""
    from logging.handlers import RotatingFileHandler  # lazy: only the TUI and the server log to a file

    from chinwag.storage import files  # lazy: `chinwag config path` loads no storage

    class PrivateRotatingFileHandler(RotatingFileHandler):
        def _open(self):
            return files.open_private(self.baseFilename, self.mode, encoding=self.encoding)

    return PrivateRotatingFileHandler(private_log_file(), maxBytes=max_bytes, backupCount=backups)


def ensure_private_dir(path: Path) -> Path:
    """Create a directory (and parents) readable only by the user."""
    from chinwag.storage import files  # lazy: `chinwag config path` loads no storage

    return files.ensure_private_dir(path)


def private_dir(name: str) -> Path:
    """A private folder under the data directory (e.g. `acp` for agents' stderr logs)."""
    return ensure_private_dir(data_dir() / name)


def tighten_home(warn) -> None:
    """Take group and other access off Chinwag's own folders (CHINWAG_HOME, or the platform
    data and config dirs) if they have it, telling the user in one line through `warn`.
    A CHINWAG_HOME that is the user's home directory itself is left alone."""
    from chinwag.storage import files  # lazy: `chinwag config path` loads no storage

    folders = {data_dir(), config_dir()}
    for folder in sorted(folders):
        if folder.resolve() == Path.home().resolve():
            continue
        old = files.tighten_dir(folder)
        if old is not None:
            warn(f"chinwag: {folder} was {old:04o} (readable by others); made it {old & ~0o077:04o}")
