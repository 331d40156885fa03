"""The real `chinwag` TUI in a pseudo-terminal, for tests that need a whole process: its
own pid, its exit status, what it prints after it leaves the screen, other processes
acting on it. Keys are written as a terminal sends them; the output is drained in a
thread (a full pty would block the app) and kept for the assertions."""

from __future__ import annotations

import fcntl
import os
import pty
import struct
import subprocess
import sys
import termios
import threading
import time
from pathlib import Path

CTRL_C, CTRL_Q, ENTER, ESC = "\x03", "\x11", "\r", "\x1b"


class TuiProcess:
    def __init__(self, home: Path, *args: str, env: dict | None = None, size: tuple[int, int] = (120, 40)):
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", size[1], size[0], 0, 0))
        environment = dict(os.environ, CHINWAG_HOME=str(home), TERM="xterm-256color", PYTHONUNBUFFERED="1",
                           CHINWAG_ECHO_DELAY="0")
        environment.pop("TEXTUAL_DRIVER", None)
        environment.update(env or {})
        self.process = subprocess.Popen([sys.executable, "-m", "chinwag.app.cli.main", *args], stdin=slave,
                                        stdout=slave, stderr=slave, env=environment, start_new_session=True,
                                        close_fds=True)
        os.close(slave)
        self._master = master
        self._chunks: list[bytes] = []
        self._reader = threading.Thread(target=self._drain, daemon=True)
        self._reader.start()

    @property
    def pid(self) -> int:
        return self.process.pid

    def _drain(self) -> None:
        while True:
            try:
                data = os.read(self._master, 65536)
            except OSError:  # the app closed its end
                return
            if not data:
                return
            self._chunks.append(data)

    @property
    def output(self) -> str:
        return b"".join(self._chunks).decode("utf-8", "replace")

    def send(self, text: str) -> None:
        os.write(self._master, text.encode())

    def type(self, text: str, *, enter: bool = True) -> None:
        """Type `text` a few keys at a time (a terminal delivers typing in small reads)."""
        for start in range(0, len(text), 16):
            self.send(text[start:start + 16])
            time.sleep(0.005)
        if enter:
            time.sleep(0.05)
            self.send(ENTER)

    def wait(self, timeout: float = 30) -> int:
        code = self.process.wait(timeout=timeout)
        self._reader.join(timeout=5)
        return code

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self._reader.join(timeout=5)
        try:
            os.close(self._master)
        except OSError:
            pass


def wait_until(condition, timeout: float = 30.0, step: float = 0.05):
    """Poll `condition` until it is truthy (a bound on waiting, not a timing assertion)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(step)
    raise AssertionError("timed out waiting for a condition")
