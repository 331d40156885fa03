"""The browser page of `chinwag serve` loads nothing from the internet: the page, and every
stylesheet and script it links, name no remote host, and the fonts are served locally."""

from __future__ import annotations

import re
import urllib.request
from urllib.parse import urljoin, urlparse

import pytest
from api_server import TOKEN, ApiServer

from chinwag.app.config.loader import Config


@pytest.fixture
def web(db_path):
    with ApiServer(db_path, Config(), ui=True) as server:
        yield server


def _remote_urls(text: str) -> list[str]:
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)  # CSS comments (licence notes) load nothing
    text = re.sub(r"\sxmlns(:\w+)?=\"[^\"]*\"", "", text)  # XML namespaces are names, not fetched
    found = re.findall(r"https?://[\w.\-\[\]:]+", text)
    return [url for url in found if urlparse(url).hostname not in ("127.0.0.1", "localhost", "::1")]


def test_the_browser_page_loads_nothing_from_the_internet(web):
    with urllib.request.urlopen(f"{web.url}/?token={TOKEN}", timeout=20) as response:
        html = response.read().decode()
        policy = response.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "font-src 'self'" in policy
    assert _remote_urls(html) == []
    assert "fonts.googleapis" not in html and "@font-face" in html
    linked = re.findall(r"(?:href|src)=\"([^\"]+)\"|url\(\"?([^\")]+)\"?\)", html)
    local = [urljoin(web.url + "/", a or b) for a, b in linked]
    assert any(url.endswith(".ttf") for url in local) and any(url.endswith(".css") for url in local)
    for url in local:
        with urllib.request.urlopen(url, timeout=20) as response:
            assert response.status == 200, url
            if url.endswith((".css", ".js")):
                assert _remote_urls(response.read().decode()) == [], url
