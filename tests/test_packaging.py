"""Packaging: every sub-package is installed under `chinwag.`, storage stays free of
Textual, and `chinwag --version` imports neither Textual nor sqlite-utils.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_package_folder_is_listed_in_pyproject():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    listed = set(config["tool"]["setuptools"]["packages"])
    for top in ("app", "widgets", "storage"):
        for init in (ROOT / top).rglob("__init__.py"):
            relative = init.parent.relative_to(ROOT).parts
            assert "chinwag." + ".".join(relative) in listed, f"{init.parent} missing from pyproject packages"


def modules_after(code: str) -> set[str]:
    out = subprocess.run([sys.executable, "-c", code + "\nimport sys; print(' '.join(sys.modules))"],
                         capture_output=True, text=True, check=True)
    return set(out.stdout.split())


def test_storage_does_not_import_textual_or_network_libraries():
    loaded = modules_after("import chinwag.storage; import chinwag.storage.store")
    assert not {m for m in loaded if m.split(".")[0] in ("textual", "httpx", "openai", "anthropic", "pydantic_ai")}


def test_version_is_light():
    code = "import sys; sys.argv = ['chinwag', '--version']\nfrom chinwag.app.cli.main import main\ntry:\n    main()\nexcept SystemExit:\n    pass"
    loaded = modules_after(code)
    assert "textual" not in loaded and "sqlite_utils" not in loaded


def test_widgets_never_touch_the_database():
    for path in (ROOT / "widgets").glob("*.py"):
        text = path.read_text()
        assert "import sqlite3" not in text and "sqlite_utils" not in text, path
        assert "chinwag.storage.store" not in text and "chinwag.app.core.runner" not in text, path


def test_the_api_models_load_only_when_serving():
    """pydantic and the API's models cost start-up time: only `chinwag serve` pays it."""
    code = ("import sys; sys.argv = ['chinwag', '--version']\nfrom chinwag.app.cli.main import main\n"
            "import chinwag.app.api.serve\ntry:\n    main()\nexcept SystemExit:\n    pass")
    loaded = modules_after(code)
    assert not {m for m in loaded if m.split(".")[0] == "pydantic" or m.startswith("chinwag.app.api.models")}
    assert "chinwag.app.api.models" in modules_after("import chinwag.app.api.app")
