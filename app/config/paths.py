"""Where Chinwag keeps its files: `CHINWAG_HOME` when set, else the platform's dirs."""

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
    import platformdirs

    return Path(platformdirs.user_data_dir("chinwag", appauthor=False))


def config_dir() -> Path:
    explicit = home()
    if explicit is not None:
        return explicit
    import platformdirs

    return Path(platformdirs.user_config_dir("chinwag", appauthor=False))


def db_path(override: str | None = None) -> Path:
    if override:
        return Path(override).expanduser()
    env = os.environ.get("CHINWAG_DB")
    if env:
        return Path(env).expanduser()
    return data_dir() / DB_NAME


def config_path() -> Path:
    return config_dir() / CONFIG_NAME


def log_path() -> Path:
    return data_dir() / "chinwag.log"


def private_log_file() -> Path:
    """The log file, created 0600 in a 0700 directory before any logger opens it."""
    path = log_path()
    ensure_private_dir(path.parent)
    fd = os.open(path, os.O_CREAT | os.O_APPEND | os.O_WRONLY, 0o600)
    os.close(fd)
    return path


def ensure_private_dir(path: Path) -> Path:
    """Create a directory (and parents) readable only by the user."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def private_dir(name: str) -> Path:
    """A private folder under the data directory (e.g. `acp` for agents' stderr logs)."""
    return ensure_private_dir(data_dir() / name)
