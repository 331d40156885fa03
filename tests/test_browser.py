"""End to end in headless Chromium: `chinwag serve` shows the real app in a browser page;
typing a prompt there streams the echo agent's reply (seen on the page and stored).

Needs Debian's chromium (`.ci/run` installs it when it can); without it the test is skipped
with the reason."""

from __future__ import annotations

import shutil
import time

import pytest
from api_server import TOKEN, ApiServer

from chinwag.app.config.loader import Config
from chinwag.storage import Store

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
         # no WebGL: xterm.js falls back to its DOM renderer, so the screen is readable page text
         "--disable-3d-apis", "--disable-webgl"]

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it)")


def page_text(page) -> str:
    return page.evaluate("() => document.body.innerText")


def test_the_app_in_a_browser_streams_a_reply(db_path, chinwag_home):
    from playwright.sync_api import sync_playwright

    store = Store(db_path)
    session = store.create_session(title="browser session", agent="echo")
    store.set_active_session_id(session.id)
    store.close()
    with ApiServer(db_path, Config(), ui=True) as server, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 800})
            assert page.goto(f"{server.url}/").status == 401  # no token, no app
            page.goto(f"{server.url}/?token={TOKEN}")
            page.wait_for_function("() => document.body.innerText.includes('browser session')", timeout=30_000)
            page.mouse.click(700, 760)  # the prompt, at the bottom of the 1200x800 page
            page.keyboard.type("hello from chromium")
            page.keyboard.press("Enter")
            page.wait_for_function("() => document.body.innerText.includes('That is 3 words')", timeout=30_000)
            shown = page_text(page)
            assert "hello from chromium" in shown and "echo · echo-1" in shown
        finally:
            browser.close()
    deadline = time.monotonic() + 10
    store = Store(db_path)
    try:
        while time.monotonic() < deadline:
            turns = store.list_turns(session.id)
            if len(turns) == 2 and turns[-1].status == "complete":
                break
            time.sleep(0.1)
        assert [t.text for t in store.list_turns(session.id)][0] == "hello from chromium"
    finally:
        store.close()
