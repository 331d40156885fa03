"""The real `chinwag` in a real terminal: a detached tmux session (its own server socket, so
nothing touches the user's tmux), driven with send-keys and read with capture-pane."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

TMUX = shutil.which("tmux")


class TmuxApp:
    def __init__(self, home: Path, *, width: int = 100, height: int = 30, args: tuple[str, ...] = ()):
        self.socket = f"chinwag-test-{uuid.uuid4().hex[:10]}"
        self.name = "app"
        env = {"CHINWAG_HOME": str(home), "CHINWAG_ECHO_DELAY": "0", "OLLAMA_HOST": "127.0.0.1:9"}
        command = " ".join([*(f"{k}={v}" for k, v in env.items()), sys.executable, "-m", "chinwag.app.cli.main",
                            *args])
        self._tmux("new-session", "-d", "-s", self.name, "-x", str(width), "-y", str(height), f"env {command}")

    def _tmux(self, *args: str) -> str:
        environment = {k: v for k, v in os.environ.items() if k != "TMUX"}
        result = subprocess.run([TMUX or "tmux", "-L", self.socket, *args], capture_output=True, text=True,
                                env=environment, timeout=30)
        return result.stdout

    def keys(self, *keys: str) -> None:
        """`tmux send-keys` names: "C-j", "Enter", or literal text."""
        for key in keys:
            self._tmux("send-keys", "-t", self.name, key)
            time.sleep(0.05)  # one key at a time, as typed

    def screen(self) -> str:
        return self._tmux("capture-pane", "-p", "-t", self.name)

    def alive(self) -> bool:
        return self.name in self._tmux("list-sessions", "-F", "#{session_name}")

    def wait_for(self, condition, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError(f"condition not met in time; the screen:\n{self.screen()}")
            time.sleep(0.1)

    def close(self) -> None:
        self._tmux("kill-server")
