"""Chinwag's storage layer: one SQLite file (via sqlite-utils) holding sessions, turns,
tool calls, events and full-text indexes. No Textual, no network: data in, data out.

`Store` (and with it sqlite-utils) is imported on first use, so reading a row type or an
enum (`chinwag.storage.models`) costs no database code: `chinwag --version` stays fast.
"""

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
from chinwag.storage.models import Event, SearchHit, Session, ToolCall, Turn

if TYPE_CHECKING:
    from chinwag.storage.store import Store


def __getattr__(name: str):
    if name == "Store":
        from chinwag.storage.store import Store

        return Store
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
