"""`guarded`: wrap an App handler so a failure becomes a one-line notification and a log
entry instead of closing the app (a storage error, a busy session, a read-only disk); and
`push_modal`, the one way the app opens a modal screen (safely, from anywhere).
"""

from __future__ import annotations

import functools
import inspect
import logging

from textual._context import active_message_pump  # the loop a call runs on (Textual's own record)

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


def _guarded_answer(host, callback):
    """A modal's result callback whose failure (a session gone busy or deleted meanwhile)
    is a one-line notice, not the end of the app."""
    if callback is None:
        return None
    if inspect.iscoroutinefunction(callback):
        async def answer_async(result):
            try:
                return await callback(result)
            except Exception as exc:
                _report(host, exc)
        return answer_async

    def answer(result):
        try:
            return callback(result)
        except Exception as exc:
            _report(host, exc)
    return answer


def push_modal(host, screen, callback=None, *, key: str | None = None, wanted=None) -> None:
    """Open a modal screen from anywhere: a key handler, another modal's answer, a timer, a
    runner callback. Every modal of the app goes through here, because:

    - the push runs on the app's own message loop: at once when called there (another
      modal's answer: its callback runs there too), else on the app's next turn. Pushed from
      another loop (a screen's handler, a timer, a runner callback), Textual mounts the new
      screen only after the app's next message, and a key typed at once answered a dialog
      that had not mounted yet (its on_mount then failed and took the app down);
    - a question already open (the same `key`, by default the screen's class and title) is
      not asked twice: two `d` presses before the first dialog painted open one dialog;
    - `wanted()`, when given, is asked again at push time (a permission request answered
      or a turn ended meanwhile pushes nothing);
    - the answer's callback is guarded: a failure is a one-line notice, the app keeps running.
    """
    app = host.app
    key = key or f"{type(screen).__name__}:{getattr(screen, '_title', '')}"

    def push() -> None:
        if any(getattr(open_screen, "_modal_key", None) == key for open_screen in app.screen_stack):
            return
        if wanted is not None and not wanted():
            return
        screen._modal_key = key
        app.push_screen(screen, _guarded_answer(host, callback))

    try:
        on_app_loop = active_message_pump.get() is app
    except LookupError:
        on_app_loop = False
    if on_app_loop:
        push()
    else:
        app.call_later(push)
