"""Chinwag's storage layer: one SQLite file (via sqlite-utils) holding sessions, turns,
tool calls, events and full-text indexes. No Textual, no network: data in, data out.

`Store` (and with it sqlite-utils) and the row types are imported on first use, so reading
an enum (`chinwag.storage.enums`) costs no database code: `chinwag --version` stays fast.
"""

import importlib
from typing import TYPE_CHECKING

from chinwag.storage.errors import (
    AmbiguousId,
    DatabaseDamaged,
    DatabaseTooNew,
    ForeignDatabase,
    InvalidTransition,
    NotADatabase,
    NotFound,
    ReadOnlyDatabase,
    SessionBusy,
    StorageError,
)

if TYPE_CHECKING:
    from chinwag.storage.models import Event, SearchHit, Session, ToolCall, Turn
    from chinwag.storage.store import Store

_LAZY = {"Store": "store", "Event": "models", "SearchHit": "models", "Session": "models", "ToolCall": "models",
         "Turn": "models"}


def __getattr__(name: str):
    if name in _LAZY:  # lazy: start-up (the config schema reads the enums without sqlite-utils)
        return getattr(importlib.import_module(f"chinwag.storage.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "AmbiguousId",
    "DatabaseDamaged",
    "DatabaseTooNew",
    "Event",
    "ForeignDatabase",
    "InvalidTransition",
    "NotADatabase",
    "NotFound",
    "ReadOnlyDatabase",
    "SearchHit",
    "Session",
    "SessionBusy",
    "Store",
    "StorageError",
    "ToolCall",
    "Turn",
]
