"""Opening the TUI from the command line: `chinwag [--continue | --session ID | --new]`
and `chinwag session attach` in a terminal. (Named for history: tests and benchmarks load
the App through `load_tui_app` here, as the command does.)"""

from __future__ import annotations

import os
import sys

from chinwag.app.cli import common
from chinwag.app.cli.exit_codes import ExitCode


def run_tui(*, session_id: str | None = None, continue_: bool = False, new: bool = False) -> int:
    path = common.db_path()
    if session_id:
        store = common.open_store()
        try:
            session_id = store.get_session(session_id).id
        finally:
            store.close()
        return launch_tui(path, session_id=session_id)
    return launch_tui(path, continue_=continue_, new=new)


def load_tui_app():
    """The TUI's App class, imported with garbage collection held until its first paint."""
    from chinwag.app.tui import gc_policy  # lazy: only `chinwag` (the TUI) pays for Textual

    gc_policy.hold()
    from chinwag.app.tui.app import ChinwagApp  # lazy: only `chinwag` (the TUI) pays for Textual

    return ChinwagApp


def launch_tui(db_path, *, session_id: str | None = None, continue_: bool = False, new: bool = False) -> int:
    in_browser = os.environ.get("TEXTUAL_DRIVER", "").endswith("WebDriver")  # chinwag serve
    if (not sys.stdin.isatty() or not sys.stdout.isatty()) and not in_browser:
        if not os.environ.get("CHINWAG_FORCE_TUI"):
            raise common.CliError("the TUI needs a terminal; use `chinwag session ...` for scripts")
    from chinwag.storage import Store  # lazy: commands that need no database load none

    # Open (and classify) the database before Textual takes the screen, so a refusal is one line.
    store = Store(db_path)
    try:
        app = load_tui_app()(db_path=db_path, store=store, session_id=session_id, continue_=continue_, new=new)
        app.run()
    finally:
        store.close()
    if app.startup_error:
        raise common.CliError(app.startup_error)
    return app.return_code or ExitCode.OK
