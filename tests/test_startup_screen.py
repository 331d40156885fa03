"""The chat screen is the app's base screen, and keys typed while Chinwag starts reach the prompt."""

from __future__ import annotations

import sys

from chinwag.app.config.loader import Config
from chinwag.app.tui.app import ChinwagApp


def test_the_chat_screen_is_the_only_screen(db_path):
    seen = {}

    async def auto_pilot(pilot):
        await pilot.pause()
        seen["stack"] = list(pilot.app.screen_stack)
        pilot.app.exit()

    app = ChinwagApp(db_path=db_path, config=Config(), animate=False)
    app.run(headless=True, auto_pilot=auto_pilot, size=(100, 30))
    assert seen["stack"] == [app.chat]  # no blank default screen composed and painted under it


def test_keys_typed_while_starting_land_in_the_prompt(db_path):
    """The auto-pilot starts before the app composes (as a fast typist does): every key counts,
    also while the last session, with its turns, is still opening."""
    from chinwag.app.demo import build_demo

    build_demo(db_path).close()
    seen = {}

    async def auto_pilot(pilot):
        for key in ("slash", "h", "i"):
            await pilot.press(key)
        await pilot.pause()
        seen["text"] = pilot.app.chat.prompt.area.text
        seen["focused"] = pilot.app.focused is pilot.app.chat.prompt.area
        pilot.app.exit()

    app = ChinwagApp(db_path=db_path, config=Config(), animate=False, continue_=True)
    app.run(headless=True, auto_pilot=auto_pilot, size=(100, 30))
    assert seen["text"] == "/hi"
    assert seen["focused"]


def test_start_up_imports_no_markdown_parser():
    """markdown-it and rich.markdown (~30 ms) load after the first paint, not with the TUI."""
    import subprocess

    code = ("import sys, chinwag.app.tui.app; "
            "print(sorted(m for m in ('markdown_it', 'rich.markdown', 'http.client') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_the_warm_up_loads_the_markdown_parser_off_the_loop():
    import subprocess

    code = ("import sys; from chinwag.app.tui import warmup; warmup.IMPORT_AFTER = warmup.PRIME_AFTER = 0; t = warmup.start(); t.join(30); "
            "from pygments.lexers.python import PythonLexer; "
            "print(t.name, 'chinwag.widgets.fast_markdown' in sys.modules, 'markdown_it' in sys.modules, "
            "'_tokens' in PythonLexer.__dict__)")  # the first code block's patterns: compiled ahead
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["chinwag-warmup", "True", "True", "True"]
