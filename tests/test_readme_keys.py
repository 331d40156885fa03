"""The README's key tables say exactly what the app binds: every key in effect (read from the
live app, as /help reads it) is in the README's table for its area, and the README names no
key the app does not bind there.

Format (the "## Using it" section of README.md): one Markdown table per area, each right
after a line starting with the area's title: "Everywhere", "In the prompt", "In the
transcript", "In the sidebar" (see `AREA_TITLES`). The first column holds the keys, each in
backticks, written as `key_label` writes them (`Ctrl+J`, `Esc`, `PgUp`, `/`, `k`); anything
outside backticks there (`/`, "on the first line") is prose. Other columns are free text.
"""

from __future__ import annotations

import re
from pathlib import Path

from chinwag.app.config.loader import Config
from chinwag.app.tui.app import ChinwagApp
from chinwag.app.tui.keys import AREA_TITLES, AREAS, bindings_in_effect
from chinwag.storage import Store
from chinwag.widgets.key_names import key_label, key_name

README = Path(__file__).resolve().parent.parent / "README.md"


def readme_keys(text: str) -> dict[str, set[str]]:
    """Area -> the keys (Textual names) its table lists."""
    section = text.split("\n## Using it\n", 1)[1].split("\n## ", 1)[0]
    titles = {title: area for area, title in AREA_TITLES.items()}
    tables: dict[str, set[str]] = {}
    area = None
    in_table = False
    for line in section.splitlines():
        if line.startswith("|"):
            if area is None:
                raise AssertionError(f"a key table with no area title before it: {line}")
            in_table = True
            first = line.strip("|").split("|")[0]
            if first.strip() in ("key", "---"):
                continue
            tables.setdefault(area, set()).update(key_name(k) for k in re.findall(r"`([^`]+)`", first))
            continue
        if in_table:  # a table ends: the next one needs its own title
            area, in_table = None, False
        for title, name in titles.items():
            if line.startswith(title):
                area = name
    return tables


async def live_keys(db_path) -> dict[str, set[str]]:
    store = Store(db_path)
    try:
        app = ChinwagApp(store=store, config=Config(), animate=False)
        async with app.run_test(size=(120, 40)):
            rows = bindings_in_effect(app.chat)
    finally:
        store.close()
    keys: dict[str, set[str]] = {}
    for row in rows:
        keys.setdefault(row.area, set()).update(row.keys)
    return keys


def test_the_readme_has_a_key_table_per_area():
    assert set(readme_keys(README.read_text())) == set(AREAS)


async def test_the_readme_key_tables_match_the_bindings_in_effect(db_path):
    documented = readme_keys(README.read_text())
    bound = await live_keys(db_path)
    problems = []
    for area in AREAS:
        missing = bound.get(area, set()) - documented.get(area, set())
        extra = documented.get(area, set()) - bound.get(area, set())
        if missing:
            problems.append(f"{AREA_TITLES[area]}: bound but not in the README: "
                            f"{', '.join(sorted(key_label(k) for k in missing))}")
        if extra:
            problems.append(f"{AREA_TITLES[area]}: in the README but not bound: "
                            f"{', '.join(sorted(key_label(k) for k in extra))}")
    assert not problems, "\n".join(problems)


def test_the_parser_reads_keys_per_area_and_only_from_the_first_column():
    text = """# x

## Using it

Everywhere:

| key | what it does |
|---|---|
| `Ctrl+P` | palette; `Ctrl+X` in prose is not a key |
| `Up` / `Down` on the first line | history |

In the sidebar (`Ctrl+S`):

| key | what it does |
|---|---|
| `/`, `k` | search, up |

## Next
| `F9` | not in the section |
"""
    assert readme_keys(text) == {"global": {"ctrl+p", "up", "down"}, "sidebar": {"slash", "k"}}
