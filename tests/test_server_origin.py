"""Only the server's own pages may talk to `chinwag serve`, over a real uvicorn server on
127.0.0.1 and a real websocket client: a page from another origin (another port of this
machine) is refused with 403 on the browser app's websocket and on the API, even when it
has the cookie or the token; requests without `Origin` (curl, scripts) work as before."""

from __future__ import annotations

import os
import time
import urllib.error
import urllib.request

import pytest
from api_server import TOKEN, ApiServer
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from chinwag.app.api.origin import OriginGuard, own_origins
from chinwag.app.config.loader import Config

FOREIGN = "http://127.0.0.1:9"  # another page on this machine (another port)


@pytest.fixture
def web(db_path):
    with ApiServer(db_path, Config(), ui=True) as server:
        yield server


def test_the_websocket_refuses_a_page_from_another_origin_even_with_the_token(web):
    for origin in (FOREIGN, "http://evil.example", "null"):
        with pytest.raises(InvalidStatus) as refused:
            connect(f"ws://127.0.0.1:{web.port}/ws?token={TOKEN}", origin=origin, open_timeout=10)
        assert refused.value.response.status_code == 403
        with pytest.raises(InvalidStatus) as refused:  # with the cookie instead of ?token=
            connect(f"ws://127.0.0.1:{web.port}/ws", origin=origin, open_timeout=10,
                    additional_headers={"Cookie": f"chinwag_token={TOKEN}"})
        assert refused.value.response.status_code == 403


def _app_processes(db_path) -> list[str]:
    """The browser sessions' `chinwag` processes on this database, from /proc."""
    found = []
    for entry in os.listdir("/proc"):
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as handle:
                command = handle.read().replace(b"\0", b" ").decode(errors="replace")
        except (OSError, ValueError):
            continue
        if "chinwag.app.cli.main" in command and str(db_path) in command and "/bin/sh" not in command:
            found.append(entry)
    return found


def test_the_websocket_accepts_the_servers_own_origin(web, db_path):
    with connect(f"ws://127.0.0.1:{web.port}/ws?token={TOKEN}", origin=f"http://localhost:{web.port}",
                 open_timeout=10) as socket_:
        socket_.send('["ping", "x"]')
        assert '"pong"' in socket_.recv(timeout=30)
    deadline = time.monotonic() + 30  # the app it started ends with the socket
    while _app_processes(db_path) and time.monotonic() < deadline:
        time.sleep(0.1)


def test_api_requests_from_a_foreign_page_are_refused_and_change_nothing(web):
    status, body = web.call("POST", "/api/sessions", {"title": "from evil"}, headers={"Origin": FOREIGN})
    assert status == 403 and "Origin" in body["error"]
    assert web.call("GET", "/api/sessions", headers={"Origin": FOREIGN})[0] == 403
    _, listed = web.call("GET", "/api/sessions")  # no Origin (curl, scripts): works as before
    assert listed["total"] == 0
    for own in (web.url, f"http://localhost:{web.port}", f"http://[::1]:{web.port}"):
        assert web.call("GET", "/api/sessions", headers={"Origin": own})[0] == 200
    page = urllib.request.Request(f"{web.url}/?token={TOKEN}", headers={"Origin": FOREIGN})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(page, timeout=20)
    assert refused.value.code == 403


def test_own_origins_of_a_bind_address():
    assert own_origins("127.0.0.1", 8470) >= {"http://127.0.0.1:8470", "http://localhost:8470",
                                              "http://[::1]:8470"}
    assert "http://localhost:8470" not in own_origins("192.168.1.5", 8470)
    assert own_origins("192.168.1.5", 8470) >= {"http://192.168.1.5:8470"}
    wildcard = OriginGuard(None, own_origins("0.0.0.0", 8470), same_host=True)
    assert wildcard.allowed("http://10.0.0.2:8470", "10.0.0.2:8470")
    assert not wildcard.allowed("http://10.0.0.2:9999", "10.0.0.2:8470")
