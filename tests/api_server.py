"""Test helper: `chinwag serve`'s ASGI app run by uvicorn in a thread on 127.0.0.1, and a
tiny HTTP client (urllib) for JSON calls and Server-Sent Events."""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.error
import urllib.request

import uvicorn

from chinwag.app.api.limits import server_options
from chinwag.app.api.serve import create_server_app

TOKEN = "test-token-0123456789"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class ApiServer:
    def __init__(self, db_path, config, *, ui: bool = False, token: str = TOKEN):
        self.port = free_port()
        self.token = token
        self.app = create_server_app(db_path, token, host="127.0.0.1", port=self.port, config=config, ui=ui)
        self.server = uvicorn.Server(uvicorn.Config(self.app, **server_options("127.0.0.1", self.port, lifespan="on")))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> ApiServer:
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the API server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(10)

    def call(self, method: str, path: str, body=None, *, token: str | None = "default", raw: bytes | None = None,
             headers: dict | None = None):
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        request = urllib.request.Request(self.url + path, data=data, method=method)
        if token == "default":
            token = self.token
        if token is not None:
            request.add_header("Authorization", f"Bearer {token}")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        for key, value in (headers or {}).items():
            request.add_header(key, value)
        try:
            with urllib.request.urlopen(request, timeout=20) as response:
                text = response.read().decode()
                return response.status, (json.loads(text) if text else None)
        except urllib.error.HTTPError as exc:
            text = exc.read().decode()
            try:
                return exc.code, json.loads(text)
            except ValueError:
                return exc.code, text

    def events(self, session_id: str, *, until: str = "turn_end", last_event_id: str | None = None,
               timeout: float = 20, on_open=None) -> list[tuple[str, str, dict]]:
        """Read SSE events (id, event, data) until an event named `until` arrives."""
        request = urllib.request.Request(f"{self.url}/api/sessions/{session_id}/events")
        request.add_header("Authorization", f"Bearer {self.token}")
        if last_event_id is not None:
            request.add_header("Last-Event-ID", last_event_id)
        got: list[tuple[str, str, dict]] = []
        with urllib.request.urlopen(request, timeout=timeout) as response:
            if on_open:
                on_open()
            fields: dict[str, str] = {}
            for raw_line in response:
                line = raw_line.decode().rstrip("\n")
                if line.startswith(":"):
                    continue
                if line:
                    key, _, value = line.partition(": ")
                    fields[key] = value
                    continue
                if "event" in fields:
                    got.append((fields.get("id", ""), fields["event"], json.loads(fields.get("data", "{}"))))
                    if fields["event"] == until:
                        return got
                fields = {}
        return got
