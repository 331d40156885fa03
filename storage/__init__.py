"""Chinwag's storage layer: one SQLite file (via sqlite-utils) holding sessions, turns,
tool calls, events and full-text indexes. No Textual, no network: data in, data out.
"""

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
from chinwag.storage.store import Store

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
