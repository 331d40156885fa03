"""`guarded`: wrap an App handler so a failure becomes a one-line notification and a log
entry instead of closing the app (a storage error, a busy session, a read-only disk).
"""

from __future__ import annotations

import functools
import inspect
import logging

from chinwag.app.errors import first_line

log = logging.getLogger("chinwag.tui")


def _report(app, exc: Exception) -> None:
    log.exception("handler failed")
    try:
        app.notify(first_line(exc), severity="error", timeout=8)
    except Exception:
        pass


def guarded(method):
    if inspect.iscoroutinefunction(method):
        @functools.wraps(method)
        async def async_wrapper(self, *args, **kwargs):
            try:
                return await method(self, *args, **kwargs)
            except Exception as exc:
                _report(self, exc)
        return async_wrapper

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except Exception as exc:
            _report(self, exc)
    return wrapper
