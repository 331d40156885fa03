"""Shared fixtures: a private CHINWAG_HOME per test, a store on a temp database with a
fixed clock and sequential ids, and a helper to run the real `chinwag` command.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from chinwag.storage import Store
from chinwag.storage.clock import FixedClock, SequentialIds
from tests.tui_helpers import app_factory

sys.path.insert(0, str(Path(__file__).parent))  # test helpers such as fake_llm

FIXED_NOW = datetime(2026, 11, 25, 9, 30, 0, tzinfo=UTC)


NO_OLLAMA = "127.0.0.1:9"  # nothing listens on the discard port: discovery finds no Ollama


@pytest.fixture(autouse=True)
def no_real_providers(monkeypatch):
    """No test may reach a real provider, whatever the developer's environment holds."""
    for name in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "OPENAI_BASE_URL", "ANTHROPIC_BASE_URL", "OLLAMA_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OLLAMA_HOST", NO_OLLAMA)
    from chinwag.app.agents import discovery

    discovery._probe_cache.clear()


@pytest.fixture(autouse=True)
def keys_at_machine_speed(monkeypatch):
    """Pilot presses keys at machine speed, which the typing guard would read as typing (a
    bound key then goes to the prompt): the suite runs with its interval off, and the tests
    of the guard (tests/test_typing_guard.py) set one of their own."""
    from chinwag.widgets import typing_guard  # no Textual: storage-only test files stay light

    monkeypatch.setattr(typing_guard, "BURST_SECONDS", 0.0)


@pytest.fixture
def ws(tmp_path, chinwag_home) -> Path:
    """A small workspace: notes.txt and src/app.py (the checkpoint and rewind tests)."""
    folder = tmp_path / "ws"
    folder.mkdir()
    (folder / "notes.txt").write_text("hello notes\n")
    (folder / "src").mkdir()
    (folder / "src" / "app.py").write_text("print('old')\n")
    return folder


@pytest.fixture
def user_git(tmp_path, monkeypatch) -> Path:
    """A HOME of the test's own whose global git config names a user and has hooks that
    leave a mark if they ever run (the path it yields) and a global excludes file: the
    shadow checkpoint repositories must ignore all of it. Test files on checkpoints use it
    for every test (`pytestmark = pytest.mark.usefixtures("user_git")`)."""
    from chinwag.app.core import shadow_git  # lazy: storage-only test files never load the checkpoint code

    home = tmp_path / "user-home"
    hooks = home / "hooks"
    hooks.mkdir(parents=True)
    for hook in ("pre-commit", "post-commit", "post-checkout", "post-index-change", "reference-transaction"):
        (hooks / hook).write_text(f"#!/bin/sh\necho {hook} >> {tmp_path / 'hooks-ran'}\n")
        (hooks / hook).chmod(0o755)
    (home / "global-ignore").write_text("*.globalignored\n")
    (home / ".gitconfig").write_text(
        f"[user]\n\tname = Test\n\temail = test@example.com\n[core]\n\thooksPath = {hooks}\n"
        f"\texcludesFile = {home / 'global-ignore'}\n\tautocrlf = true\n[init]\n\tdefaultBranch = main\n")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    shadow_git._global_excludes.cache_clear()
    yield tmp_path / "hooks-ran"
    shadow_git._global_excludes.cache_clear()


@pytest.fixture
def chinwag_home(tmp_path, monkeypatch) -> Path:
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    monkeypatch.setenv("CHINWAG_HOME", str(home))
    monkeypatch.setenv("CHINWAG_ECHO_DELAY", "0")
    for name in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "OPENAI_BASE_URL", "CHINWAG_DB"):
        monkeypatch.delenv(name, raising=False)
    return home


@pytest.fixture
def db_path(chinwag_home) -> Path:
    return chinwag_home / "chinwag.db"


@pytest.fixture
def store(db_path):
    """A store with a wall clock and real ULIDs."""
    s = Store(db_path)
    yield s
    s.close()


@pytest.fixture
def fixed_store(db_path):
    """A store with a fixed clock (advancing 1 s per call) and sequential ids."""
    s = Store(db_path, clock=FixedClock(FIXED_NOW, step_ms=1000), new_id=SequentialIds())
    yield s
    s.close()


def run_cli(*args: str, home: Path, input: str | None = None, env: dict | None = None, timeout: float = 60):
    """Run the installed `chinwag` entry point in a subprocess."""
    environment = {k: v for k, v in os.environ.items() if k not in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY")}
    environment.update({"CHINWAG_HOME": str(home), "CHINWAG_ECHO_DELAY": "0", "PYTHONUNBUFFERED": "1"})
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "chinwag.app.cli.main", *args],
        input=input, capture_output=True, text=True, env=environment, timeout=timeout,
    )


@pytest.fixture
def cli(chinwag_home):
    """`cli("session", "list")` -> CompletedProcess, against this test's CHINWAG_HOME."""

    def _run(*args, **kwargs):
        return run_cli(*args, home=chinwag_home, **kwargs)

    return _run


@pytest.fixture
def make_app(db_path):
    """`make_app(config=FAST, **options) -> (app, store)`: apps over the test database
    (tests/tui_helpers.py); a test file whose flows want another default overrides it."""
    with app_factory(db_path) as make:
        yield make
