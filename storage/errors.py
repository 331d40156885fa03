"""Errors raised by the storage layer. Each carries a one-line, user-readable message."""

from __future__ import annotations


class StorageError(Exception):
    """Base class: anything the user can be told in one line."""


class NotFound(StorageError):
    pass


class AmbiguousId(StorageError):
    def __init__(self, prefix: str, candidates: list[str]):
        self.candidates = candidates
        shown = ", ".join(candidates[:5]) + (" ..." if len(candidates) > 5 else "")
        super().__init__(f"id prefix {prefix!r} is ambiguous: matches {shown}")


class InvalidTransition(StorageError):
    pass


class SessionBusy(StorageError):
    pass


class DatabaseTooNew(StorageError):
    pass


class NotADatabase(StorageError):
    pass


class ReadOnlyDatabase(StorageError):
    pass


class ForeignDatabase(NotADatabase):
    """A SQLite file that is not Chinwag's: refused and left byte-for-byte unchanged."""


class DatabaseDamaged(StorageError):
    """SQLite reports corrupt pages (SQLITE_CORRUPT / SQLITE_NOTADB) in a file whose header is intact."""


class WriteDeferred(StorageError):
    """A write SQLite refused for a reason that passes (nothing was written): the caller
    may keep what it meant to write and try again later."""


class DiskFull(WriteDeferred):
    pass


class DatabaseLocked(WriteDeferred):
    """Another connection held the write lock longer than the busy timeout."""


class TurnLost(StorageError):
    """A write to a turn that is no longer streaming under this owner (settled or taken
    over elsewhere): the loser of that race stops writing to it."""
