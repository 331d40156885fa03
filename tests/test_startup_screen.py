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
            "print(t.name, 'chinwag.widgets.fast_markdown' in sys.modules and 'chinwag.app.core.runner' in sys.modules, "
            "'markdown_it' in sys.modules, "
            "'_tokens' in PythonLexer.__dict__)")  # the first code block's patterns: compiled ahead
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["chinwag-warmup", "True", "True", "True"]


# Features that load with their first use, not with the app (app/lazy.py): the first paint
# of an empty session and of the demo's sessions imports none of them.
NOT_AT_START_UP = ("chinwag.app.core.find", "chinwag.widgets.find_bar", "chinwag.widgets.find_marks",
                   "chinwag.app.core.outline", "chinwag.widgets.outline_screen", "chinwag.app.core.branching",
                   "chinwag.app.core.notify", "chinwag.widgets.info_screen", "chinwag.app.core.runner",
                   "chinwag.app.core.events")
NOT_FOR_A_NEW_SESSION = ("chinwag.app.core.pricing", "chinwag.app.core.cost_book", "chinwag.storage.stats")


def test_the_first_paint_loads_no_feature_it_does_not_show(tmp_path):
    import subprocess

    from chinwag.app.demo import build_demo

    build_demo(tmp_path / "demo.db").close()
    code = f"""
import asyncio, sys
from chinwag.app.config.loader import Config
from chinwag.app.tui import warmup
from chinwag.app.tui.app import ChinwagApp

warmup.IMPORT_AFTER = 60  # what the warm-up loads later is not the first paint's

async def main(db):
    app = ChinwagApp(db_path=db, config=Config(), animate=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.2)
        print(sorted(m for m in {NOT_AT_START_UP!r} if m in sys.modules),
              sorted(m for m in {NOT_FOR_A_NEW_SESSION!r} if m in sys.modules))

for db in sys.argv[1:]:
    asyncio.run(main(db))
"""
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "empty.db"), str(tmp_path / "demo.db")],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    empty, demo = out.stdout.split("\n")[:2]
    assert empty == "[] []"  # a new session: no prices either
    assert demo.startswith("[] ")  # the demo's priced turns load the prices


def test_a_lazy_module_imports_at_its_first_use_and_only_once():
    import subprocess

    code = """
import sys, threading
from chinwag.app.lazy import LazyModule
outline = LazyModule("chinwag.app.core.outline")
before = "chinwag.app.core.outline" in sys.modules
print(before, repr(outline))
seen = []
threads = [threading.Thread(target=lambda: seen.append(outline.OutlineCache)) for _ in range(8)]
for t in threads: t.start()
for t in threads: t.join()
import chinwag.app.core.outline as real
print(len(set(seen)), seen[0] is real.OutlineCache, repr(outline))
try:
    outline.no_such_name
except AttributeError as exc:
    print("AttributeError", "no_such_name" in str(exc))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True).stdout
    assert out.splitlines() == [
        "False <lazy module 'chinwag.app.core.outline' (not loaded yet)>",
        "1 True <lazy module 'chinwag.app.core.outline' (loaded)>",
        "AttributeError True",
    ]
