"""Slow clients cannot hold `chinwag serve`: over real sockets to a real uvicorn server, a
connection that never finishes its request head is closed (also after a keep-alive pause),
a stalled body gets 408, and the real `chinwag serve` command runs with these limits."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

from api_server import TOKEN, ApiServer, free_port

from chinwag.app.api import limits
from chinwag.app.config.loader import Config


def _closed_by_server(sock: socket.socket, bound: float = 30) -> bool:
    """True when the server closes the connection (EOF or reset) before `bound` seconds."""
    sock.settimeout(bound)
    try:
        while sock.recv(4096):
            pass
    except (ConnectionResetError, BrokenPipeError):
        return True
    except TimeoutError:
        return False
    return True


def test_slow_header_connections_are_closed(db_path, monkeypatch):
    monkeypatch.setattr(limits, "HEADER_TIMEOUT", 1.0)
    with ApiServer(db_path, Config()) as server:
        slow = []
        for number in range(30):
            sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
            if number % 3:
                sock.sendall(b"GET /api/sessions HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # the head never ends
            slow.append(sock)  # every third sends nothing at all
        kept = socket.create_connection(("127.0.0.1", server.port), timeout=10)
        kept.sendall(f"GET /api/sessions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\n\r\n".encode())
        assert kept.recv(4096).startswith(b"HTTP/1.1 200")
        kept.sendall(b"GET /api/sessions HTTP/1.1\r\nHost: x\r\n")  # after a keep-alive pause, half a head
        try:
            assert all(_closed_by_server(sock) for sock in slow)
            assert _closed_by_server(kept)
        finally:
            for sock in slow + [kept]:
                sock.close()
        assert server.call("GET", "/api/sessions")[0] == 200  # the server still serves


def test_a_stalled_request_body_gets_408(db_path, monkeypatch):
    from chinwag.app.api import app as api_app

    monkeypatch.setattr(api_app, "BODY_TIMEOUT", 1.0)
    with ApiServer(db_path, Config()) as server:
        with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
            sock.sendall(f"POST /api/sessions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\n"
                         "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"title\"".encode())
            assert sock.recv(4096).startswith(b"HTTP/1.1 408")
        assert server.call("GET", "/api/sessions")[1]["total"] == 0


def test_chinwag_serve_runs_with_the_limits_and_closes_a_slow_header(chinwag_home):
    """The real command: a connection that never finishes its head is closed by the
    header deadline (10 s), long before the 30 s bound."""
    assert limits.HEADER_TIMEOUT < 30
    port = free_port()
    env = {**os.environ, "CHINWAG_HOME": str(chinwag_home)}
    server = subprocess.Popen([sys.executable, "-m", "chinwag.app.cli.main", "serve", "--api-only", "--port", str(port)],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                sock = socket.create_connection(("127.0.0.1", port), timeout=5)
                break
            except ConnectionRefusedError:
                assert server.poll() is None and time.monotonic() < deadline, "chinwag serve did not start"
                time.sleep(0.1)
        with sock:
            sock.sendall(b"GET /api/sessions HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            assert _closed_by_server(sock)
    finally:
        server.send_signal(signal.SIGINT)
        server.communicate(timeout=20)
