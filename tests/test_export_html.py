"""`chinwag session export --format html`: one self-contained page (nothing it names is
fetched from anywhere), hostile text shown literally, tool trees collapsible, code
highlighted, timestamps, the theme's colours on the rails; written through safe_write.
Rendered in headless Chromium too, as a screenshot whose pixels are checked."""

from __future__ import annotations

import base64
import shutil
from html.parser import HTMLParser

import pytest
from cli_results import ok, one_line_error

from chinwag.storage import Store
from chinwag.widgets import theme

HOSTILE = ("<script>alert('pwned')</script> [b]markup[/b] \x1b[31mred\x1b[0m bell\x07 nul\x00 "
           "&lt;entity&gt; [a link](https://evil.example/x) ![img](http://evil.example/i.png) "
           "<img src=http://evil.example/p.png> <https://evil.example/auto>")
REPLY = ("Here is code:\n\n```python\ndef add(a, b):\n    return a + b\n```\n\n" + HOSTILE +
         "\n\n[ref]: https://evil.example/ref\n")


class Page(HTMLParser):
    """Every tag with its attributes, text by enclosing tag, and the nesting of <details>."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []
        self.stack: list[str] = []
        self.details_depth = 0
        self.deepest_details = 0
        self.style = ""

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self.stack.append(tag)
        if tag == "details":
            self.details_depth += 1
            self.deepest_details = max(self.deepest_details, self.details_depth)

    def handle_endtag(self, tag):
        if tag == "details":
            self.details_depth -= 1
        while self.stack and self.stack.pop() != tag:
            pass

    def handle_data(self, data):
        if self.stack and self.stack[-1] == "style":
            self.style += data
        else:
            self.text.append(data)


def make_session(store: Store):
    session = store.create_session(agent="echo", model="echo-1", title="export <b>me</b> \x1b[2J")
    _, reply = store.begin_exchange(session.id, HOSTILE)
    store.start_tool_call(reply.id, "t1", "read_file", '{"path": "<script>x</script>"}')
    store.start_tool_call(reply.id, "t2", "grep", '{"pattern": "\x1b[1m"}', parent_id="t1")
    store.update_tool_call(reply.id, "t2", output="match </pre><script>alert(2)</script>", status="completed")
    store.update_tool_call(reply.id, "t1", output="file contents \x1b[31m", status="completed")
    store.finish_turn(reply.id, "complete", text=REPLY, thinking="I think <i>so</i>", input_tokens=12,
                      output_tokens=34, estimated=True)
    return session


def exported(cli, chinwag_home) -> tuple[str, str]:
    with Store(chinwag_home / "chinwag.db") as store:
        session = make_session(store)
    return session.id, ok(cli("session", "export", session.id, "--format", "html")).stdout


def parse(page: str) -> Page:
    parser = Page()
    parser.feed(page)
    parser.close()
    return parser


def test_the_page_names_nothing_to_fetch(cli, chinwag_home):
    _, page = exported(cli, chinwag_home)
    parsed = parse(page)
    for tag, attrs in parsed.tags:
        for name in ("src", "href", "srcset", "action", "data", "poster"):
            value = (attrs.get(name) or "").strip().lower()
            assert not value.startswith(("http:", "https:", "//", "javascript:")), (tag, name, value)
    assert not {tag for tag, _ in parsed.tags} & {"script", "img", "link", "iframe", "object", "embed", "a", "base"}
    assert "url(" not in parsed.style and "@import" not in parsed.style and "@font-face" not in parsed.style
    csp = [attrs["content"] for tag, attrs in parsed.tags if tag == "meta" and attrs.get("http-equiv")]
    assert csp and "default-src 'none'" in csp[0]  # a script could not run even if one got in


def test_hostile_text_shows_literally(cli, chinwag_home):
    _, page = exported(cli, chinwag_home)
    text = "".join(parse(page).text)
    assert "\x1b" not in page and "\x00" not in page and "\x07" not in page
    assert "<script>alert('pwned')</script>" in text  # the user's prompt, as typed (escaped in the page)
    assert "␛[31mred␛[0m" in text and "bell␇" in text and "nul␀" in text
    assert "&lt;entity&gt;" in text  # an entity is not decoded into markup
    assert "[a link](https://evil.example/x)" in text and "![img](http://evil.example/i.png)" in text
    assert "<img src=http://evil.example/p.png>" in text and "[ref]: https://evil.example/ref" in text
    assert "match </pre><script>alert(2)</script>" in text  # a tool's output
    assert "export <b>me</b> ␛[2J" in text and "I think <i>so</i>" in text


def test_tools_and_thinking_collapse_and_code_is_highlighted(cli, chinwag_home):
    _, page = exported(cli, chinwag_home)
    parsed = parse(page)
    tools = [attrs for tag, attrs in parsed.tags if tag == "details" and attrs.get("class") == "tool"]
    assert len(tools) == 2 and parsed.deepest_details == 2  # grep nested inside read_file
    assert not any("open" in attrs for tag, attrs in parsed.tags if tag == "details")
    assert any(tag == "details" and attrs.get("class") == "thinking" for tag, attrs in parsed.tags)
    classes = {attrs.get("class") for tag, attrs in parsed.tags if tag == "span"}
    assert {"k", "nf"} <= classes  # Pygments: the keyword `def`, the function name
    assert ".hl .k" in parsed.style
    times = [attrs["datetime"] for tag, attrs in parsed.tags if tag == "time"]
    assert len(times) >= 3 and all(t.endswith("Z") for t in times)
    assert "~12" in page and "~34" in page  # estimated counts marked as everywhere


def test_the_rails_take_the_themes_colours(cli, chinwag_home):
    _, page = exported(cli, chinwag_home)
    style = parse(page).style
    assert f"--user: {theme.DARK.user}" in style and f"--agent: {theme.DARK.agent}" in style
    assert f"--user: {theme.LIGHT.user}" in style  # a browser that prefers light
    assert ".turn.user { --rail: var(--user) }" in style


def test_writing_a_file_refuses_one_that_exists_without_force(cli, chinwag_home, tmp_path):
    with Store(chinwag_home / "chinwag.db") as store:
        session = make_session(store)
    target = tmp_path / "out.html"
    ok(cli("session", "export", session.id, "--format", "html", "-o", str(target)))
    assert target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    target.write_text("keep me")
    assert "exists" in one_line_error(cli("session", "export", session.id, "--format", "html", "-o", str(target)))
    assert target.read_text() == "keep me"
    ok(cli("session", "export", session.id, "--format", "html", "-o", str(target), "--force"))
    assert "read_file" in target.read_text(encoding="utf-8")


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it)")
def test_the_page_in_headless_chromium_is_offline_and_looks_right(cli, chinwag_home, tmp_path):
    from playwright.sync_api import sync_playwright
    from test_browser import FLAGS

    _, page_text = exported(cli, chinwag_home)
    path = tmp_path / "session.html"
    path.write_text(page_text, encoding="utf-8")
    requests: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        try:
            context = browser.new_context(viewport={"width": 1000, "height": 900}, color_scheme="dark")
            def seen(route) -> None:  # every request is recorded; none leaves the machine
                requests.append(route.request.url)
                route.continue_() if route.request.url.startswith("file:") else route.abort()

            context.route("**/*", seen)
            page = context.new_page()
            dialogs: list[str] = []
            page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
            page.goto(path.as_uri())
            assert requests == [path.as_uri()] and not dialogs  # nothing else fetched, no script ran
            user_rail = page.eval_on_selector(".turn.user", "e => getComputedStyle(e).borderLeftColor")
            assert user_rail == rgb(theme.DARK.user)
            output = page.locator("details.tool pre.output").first
            assert not output.is_visible()  # collapsed until clicked
            page.locator("details.tool > summary").first.click()
            assert output.is_visible()
            shot = page.screenshot(full_page=True)
            (tmp_path / "session.png").write_bytes(shot)
            # the screenshot itself: the user's rail is drawn in the theme's colour
            box = page.locator(".turn.user").bounding_box()
            pixel = page.evaluate("""async ([data, x, y]) => {
                const image = new Image(); image.src = 'data:image/png;base64,' + data; await image.decode();
                const canvas = document.createElement('canvas'); canvas.width = image.width; canvas.height = image.height;
                const g = canvas.getContext('2d'); g.drawImage(image, 0, 0);
                return Array.from(g.getImageData(x, y, 1, 1).data.slice(0, 3)); }""",
                                  [base64.b64encode(shot).decode(), int(box["x"]) + 1, int(box["y"] + box["height"] / 2)])
            assert f"rgb({pixel[0]}, {pixel[1]}, {pixel[2]})" == rgb(theme.DARK.user)
            light = browser.new_page(color_scheme="light")
            light.goto(path.as_uri())
            assert light.eval_on_selector(".turn.user", "e => getComputedStyle(e).borderLeftColor") == rgb(theme.LIGHT.user)
        finally:
            browser.close()


def rgb(hex_colour: str) -> str:
    value = hex_colour.lstrip("#")
    return f"rgb({int(value[0:2], 16)}, {int(value[2:4], 16)}, {int(value[4:6], 16)})"
