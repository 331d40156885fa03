"""The transcript and its role blocks: lazy rendering of huge sessions, streaming that
stays pinned (or shows a hint), scroll stability when older turns load, selection,
expansion, and text that renders literally at the right width.
"""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console
from textual.app import App, ComposeResult

from chinwag.storage.models import ToolCall, Turn
from chinwag.widgets.role_block import RenderOptions, StreamCache, format_tokens, render_block
from chinwag.widgets.text_safety import safe_text
from chinwag.widgets.theme import install_themes
from chinwag.widgets.transcript import Transcript

T0 = "2026-11-25T09:00:00.000Z"
T1 = "2026-11-25T09:00:08.000Z"
NOW = datetime(2026, 11, 25, 9, 5, tzinfo=UTC)
CONSOLE = Console(width=120, force_terminal=True, color_system="truecolor")


def turn(seq, role="agent", text="hello", status="complete", **kw):
    defaults = dict(agent="echo", model="echo-1", created_at=T0, started_at=T0,
                    finished_at=None if status == "streaming" else T1)
    defaults.update(kw)
    return Turn(id=f"T{seq:06d}", session_id="S", seq=seq, role=role, text=text, status=status, **defaults)


def call(cid, status="completed", parent=None, name="read_file", output="file contents"):
    return ToolCall(cid, "T000002", "S", name, parent, 0, f"path=src/{cid}.py", status, output, T0)


def lines(strips):
    return [s.text for s in strips]


def conversation(n):
    return [turn(i, "user" if i % 2 else "agent", f"message {i} " + "word " * (i % 40)) for i in range(1, n + 1)]


class TranscriptApp(App):
    def __init__(self, turns=(), calls=None, has_older=False):
        super().__init__()
        install_themes(self)
        self._turns, self._calls, self._older = list(turns), calls or {}, has_older
        self.older_requests = 0
        self.toggled: list[str] = []

    def compose(self) -> ComposeResult:
        yield Transcript(animate=False)

    def on_mount(self) -> None:
        transcript = self.query_one(Transcript)
        transcript.now = lambda: NOW  # block headers say "5 min ago" whenever the test runs
        transcript.set_turns(self._turns, self._calls, has_older=self._older)

    def on_transcript_load_older(self, message) -> None:
        self.older_requests += 1

    def on_transcript_block_toggled(self, message) -> None:
        self.toggled.append(message.turn_id)


# -- role blocks ----------------------------------------------------------------------------
def test_header_tokens_and_status_glyphs():
    assert format_tokens(turn(1, input_tokens=2311, output_tokens=246)) == "⇡ 2,311 ⇣ 246"
    assert format_tokens(turn(1, input_tokens=12, output_tokens=40, tokens_estimated=True)) == "⇡ ~12 ⇣ ~40"
    glyph_lines = {}
    for status in ("complete", "stopped", "error", "interrupted", "streaming"):
        text = lines(render_block(CONSOLE, turn(2, status=status, error="boom"), [], RenderOptions(width=80)))
        glyph_lines[status] = text[0][0]
        assert "echo · echo-1" in text[0]
    assert len(set(glyph_lines.values())) == 5
    stopped = lines(render_block(CONSOLE, turn(2, status="stopped"), [], RenderOptions(width=80)))
    assert any("stopped" in line for line in stopped[1:])
    error = lines(render_block(CONSOLE, turn(2, status="error", error="connection refused"), [], RenderOptions(width=80)))
    assert any("✗ error: connection refused" in line for line in error)
    assert "8.0s" in lines(render_block(CONSOLE, turn(2), [], RenderOptions(width=80)))[0]


def test_rail_on_every_body_line_and_nested_tool_tree():
    calls = [call("a"), call("b", parent="a", status="running"), call("c", parent="a", status="failed"), call("d")]
    text = lines(render_block(CONSOLE, turn(2, text="para one\n\npara two"), calls, RenderOptions(width=80)))
    body = text[1:-1]
    assert all(line.startswith("▎ ") for line in body)
    tree = [line[2:] for line in body if "read_file" in line]
    assert tree[0].startswith("├─ ✓") and tree[1].startswith("│  ├─ ") and tree[2].startswith("│  └─ ✗")
    assert tree[3].startswith("└─ ✓")
    assert text[-1].strip() == ""


def test_user_block_and_thinking_collapsed_then_expanded():
    user = lines(render_block(CONSOLE, turn(1, "user", "**not markdown**"), [], RenderOptions(width=60)))
    assert user[0].startswith("▸ you") and "**not markdown**" in user[1]
    agent = turn(2, thinking="deep thoughts")
    collapsed = lines(render_block(CONSOLE, agent, [call("a")], RenderOptions(width=60)))
    expanded = lines(render_block(CONSOLE, agent, [call("a")], RenderOptions(width=60, expanded=True)))
    assert any("▸ thinking (13 chars)" in line for line in collapsed)
    assert not any("deep thoughts" in line for line in collapsed)
    assert any("deep thoughts" in line for line in expanded)
    assert any("file contents" in line for line in expanded) and not any("file contents" in line for line in collapsed)


def test_markup_ansi_and_control_characters_render_literally():
    nasty = "[bold]red[/] \x1b[31mansi\x1b[0m \x07bell\x00 [link=x]y[/link]"
    for role in ("user", "agent"):
        text = "\n".join(lines(render_block(CONSOLE, turn(1, role, nasty), [], RenderOptions(width=100))))
        assert "[bold]red[/]" in text and "␛[31mansi" in text and "␇bell␀" in text
        assert "\x1b" not in text and "\x07" not in text


def test_wide_text_keeps_every_line_at_width():
    text = "你好世界 " * 30 + "🙂🎉 emoji " * 20 + "\nשלום עולם right to left"
    for width in (40, 61, 100):
        for role in ("user", "agent"):
            strips = render_block(CONSOLE, turn(1, role, text), [call("a", name="工具")], RenderOptions(width=width))
            assert all(s.cell_length == width for s in strips)


def test_fast_markdown_matches_rich_markdown():
    from rich.markdown import Markdown

    from chinwag.widgets.fast_markdown import FastMarkdown, _python_lexer

    text = "# Title\n\n~~old~~ **bold** `code`\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n```python\ndef f():\n    return 1\n```\n"
    ours, rich = FastMarkdown(text, code_theme="monokai", hyperlinks=False), Markdown(text, code_theme="monokai", hyperlinks=False)
    assert vars(ours).keys() == vars(rich).keys()  # a new Rich attribute would be missing here
    assert [t.type for t in ours.parsed] == [t.type for t in rich.parsed]
    assert CONSOLE.render_lines(ours) == CONSOLE.render_lines(rich)  # text and styles, code colours included
    assert _python_lexer.cache_info().currsize == 1  # the python block went through the fast lexer
    assert FastMarkdown("b").parsed[1].content == "b"  # the shared parser keeps no state between texts


def test_fast_python_lexer_gives_pygments_tokens():
    from pathlib import Path

    from pygments.lexers.python import PythonLexer

    from chinwag.widgets.fast_markdown import PYTHON_NAMES, fast_python_lexer_class

    assert PYTHON_NAMES == set(PythonLexer.aliases)
    fast, stock = fast_python_lexer_class()(), PythonLexer()
    root = Path(__file__).resolve().parent.parent
    sources = sorted(root.glob("app/**/*.py")) + sorted(root.glob("tests/*.py"))
    assert len(sources) > 30
    extra = "ünïcode_名前 = f'{ünïcode_名前!r:>{width}}' + rb'\\x' + 0x_1F + 1_000.5j  # ok\n"
    for text in [path.read_text() for path in sources] + [extra]:
        assert list(fast.get_tokens(text)) == list(stock.get_tokens(text))


@settings(max_examples=100, deadline=None)
@given(st.text())
def test_safe_text_output_has_no_control_characters(text):
    out = safe_text(text)
    assert all(c == "\n" or (ord(c) >= 32 and not 0x7F <= ord(c) < 0xA0) for c in out)
    assert not any(0xD800 <= ord(c) <= 0xDFFF for c in out)
    render_block(CONSOLE, turn(1, "agent", text), [], RenderOptions(width=50))


def test_streaming_render_reuses_settled_paragraphs():
    cache = StreamCache()
    growing = ""
    for i in range(30):
        growing += f"paragraph {i} with some words.\n\n"
        render_block(CONSOLE, turn(2, text=growing, status="streaming"), [], RenderOptions(width=80), cache)
    assert cache.settled_end == len(growing)
    streamed = lines(render_block(CONSOLE, turn(2, text=growing + "tail", status="streaming"), [], RenderOptions(width=80), cache))
    whole = lines(render_block(CONSOLE, turn(2, text=growing + "tail", status="complete"), [], RenderOptions(width=80)))
    assert streamed[1:] == whole[1:-1] + [whole[-1]] or len(streamed) == len(whole)


LIVE_REPLY = """- a list that opens the reply
- and its second item

It accepts three shapes:

1. a **local path**
2. a GitHub reference

```python
def parse(text):

    return text.split("#")
```

> a quoted line

# A heading

The end, with `code`."""


async def test_a_live_streamed_reply_renders_as_the_same_reply_reloaded():
    """One rendering path: the block that streamed here and the same turn read back have
    the same lines (it used to show two blank rail lines live where the reload had one)."""
    done = turn(2, text=LIVE_REPLY, input_tokens=10, output_tokens=20)
    calls = {"T000002": [call("a")]}
    live_app = TranscriptApp([turn(1, "user", "question")])
    async with live_app.run_test(size=(100, 60)) as pilot:
        transcript = live_app.query_one(Transcript)
        position, sizes = 0, [1, 5, 2, 17, 3, 9, 30, 1]
        for n in range(1000):  # odd-sized pieces, as a stream delivers them
            position = min(len(LIVE_REPLY), position + sizes[n % len(sizes)])
            transcript.update_turn(turn(2, text=LIVE_REPLY[:position], status="streaming"), [])
            await pilot.pause() if n % 7 == 0 else None
            if position == len(LIVE_REPLY):
                break
        transcript.update_turn(done, calls["T000002"])
        await pilot.pause()
        live_strips = transcript._strips(1)
        live = lines(live_strips)
    reload_app = TranscriptApp([turn(1, "user", "question"), done], calls)
    async with reload_app.run_test(size=(100, 60)) as pilot:
        await pilot.pause()
        reloaded = lines(reload_app.query_one(Transcript)._strips(1))
    assert live == reloaded

    def blank(strip):  # only the rail: no text, no code-block background
        return all(not seg.text.strip() and not (seg.style and seg.style.bgcolor) for seg in list(strip)[1:])

    blank_rails = [n for n, strip in enumerate(live_strips[:-1]) if blank(strip)]
    assert blank_rails and all(b + 1 not in blank_rails for b in blank_rails)  # never two blank rail lines in a row
    assert live[1].strip() != "▎"  # a list that opens the reply starts on the first body line


# -- the widget -----------------------------------------------------------------------------------
async def test_ten_thousand_turns_render_only_what_is_visible():
    app = TranscriptApp(conversation(10_000))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        transcript = app.query_one(Transcript)
        assert transcript.render_count < 60
        assert transcript.last_reply_text().startswith("message 10000")
        assert transcript.scroll_offset.y == transcript.max_scroll_y > 0


async def test_scrolling_to_the_top_asks_for_older_turns_and_prepend_keeps_position():
    app = TranscriptApp(conversation(40)[20:], has_older=True)
    async with app.run_test(size=(100, 30)) as pilot:
        transcript = app.query_one(Transcript)
        transcript.focus()
        transcript.scroll_to(y=0, animate=False, immediate=True)
        await pilot.pause()
        assert app.older_requests == 1
        anchor_line = transcript.render_line(0).text
        transcript.prepend_turns(conversation(40)[:20], {}, has_older=False)
        await pilot.pause()
        assert transcript.render_line(0).text == anchor_line
        assert len(transcript.turn_ids) == 40


async def test_streaming_stays_pinned_then_shows_hint_when_scrolled_up():
    app = TranscriptApp(conversation(30))
    async with app.run_test(size=(100, 30)) as pilot:
        transcript = app.query_one(Transcript)
        live = turn(31, text="", status="streaming")
        for i in range(40):
            live = turn(31, text=live.text + f"line {i}\n\n", status="streaming")
            transcript.update_turn(live, [])
        await pilot.pause()
        assert transcript.scroll_offset.y == transcript.max_scroll_y
        assert "line 39" in "".join(transcript.render_line(y).text for y in range(30))
        transcript.scroll_to(y=5, animate=False, immediate=True)
        await pilot.pause()
        transcript.update_turn(turn(31, text=live.text + "more\n", status="streaming"), [])
        await pilot.pause()
        assert transcript.scroll_offset.y == 5
        assert "new output ↓" in transcript.render_line(transcript.scrollable_content_region.height - 1).text
        transcript.action_bottom()
        await pilot.pause()
        assert transcript.scroll_offset.y == transcript.max_scroll_y


class TranscriptOverPanel(TranscriptApp):
    """The transcript over a panel that grows and shrinks (the notice line, the find bar, a
    prompt of several lines): the transcript's height changes, its width does not."""

    def compose(self) -> ComposeResult:
        from textual.widgets import Static

        yield Transcript(animate=False)
        yield Static("panel", id="panel")

    CSS = "Transcript { height: 1fr; } #panel { height: 1; }"


async def test_a_pinned_transcript_keeps_its_last_line_in_view_when_only_its_height_changes():
    app = TranscriptOverPanel(conversation(30) + [turn(31, text="the very last line")])
    async with app.run_test(size=(100, 30)) as pilot:
        transcript, panel = app.query_one(Transcript), app.query_one("#panel")
        await pilot.pause()
        assert transcript.scroll_offset.y == transcript.max_scroll_y
        for height in (8, 3, 12, 1):  # the panel grows (the transcript shrinks), then shrinks
            panel.styles.height = height
            await pilot.pause()
            await pilot.pause()
            assert transcript.scrollable_content_region.height == 30 - height
            assert transcript.scroll_offset.y == transcript.max_scroll_y, height
            shown = [transcript.render_line(y).text for y in range(transcript.scrollable_content_region.height)]
            assert any("the very last line" in line for line in shown), height
        # scrolled up, the view stays where the reader put it
        transcript.scroll_to(y=5, animate=False, immediate=True)
        await pilot.pause()
        panel.styles.height = 8
        await pilot.pause()
        await pilot.pause()
        assert transcript.scroll_offset.y == 5


async def test_selection_toggle_and_copy_text():
    calls = {"T000002": [call("a")]}
    app = TranscriptApp([turn(1, "user", "question"), turn(2, text="answer")], calls)
    async with app.run_test(size=(100, 30)) as pilot:
        transcript = app.query_one(Transcript)
        transcript.focus()
        await pilot.press("up")
        assert transcript.selected_turn_id == "T000002" and transcript.selected_text() == "answer"
        before = transcript.total_height
        await pilot.press("enter")
        assert app.toggled == ["T000002"] and transcript.total_height > before
        await pilot.press("up")
        assert transcript.selected_text() == "question"
        assert transcript.last_reply_text() == "answer"


def test_transcript_snapshot_every_block_state(snap_compare):
    calls = {"T000002": [call("a"), call("b", parent="a", status="running"), call("c", parent="a", status="failed")]}
    turns = [
        turn(1, "user", "where is the run target parsed? [bold]literal[/]"),
        turn(2, text="It is parsed in `cli/target.py`:\n\n```python\ndef parse(text):\n    return text.split('#')\n```",
             input_tokens=2311, output_tokens=246, thinking="search first"),
        turn(3, "user", "now the writer side"),
        turn(4, text="The writer mirrors it, but", status="stopped", input_tokens=12, output_tokens=4, tokens_estimated=True),
        turn(5, "user", "try again"),
        turn(6, text="Half a repl", status="interrupted"),
        turn(7, "user", "and once more"),
        turn(8, text="", status="error", error="connection refused: http://127.0.0.1:11434"),
        turn(9, "summary", "Summary of 4 earlier messages:\n- the parser\n- the writer",
             metadata={"summarized": 4, "tokens_before": 2625, "tokens_after": 180}),
        turn(10, "user", "an old compacted question", compacted=True),
    ]
    assert snap_compare(TranscriptApp(turns, calls), terminal_size=(100, 60))


def test_transcript_snapshot_narrow(snap_compare):
    turns = [turn(1, "user", "a narrow terminal " * 5), turn(2, text="- one\n- two\n\n" + "wrapped words " * 12)]
    assert snap_compare(TranscriptApp(turns, {"T000002": [call("a")]}), terminal_size=(60, 24))


async def test_enter_on_a_block_with_tool_calls_brings_their_output_into_view():
    long_text = "\n\n".join(f"paragraph {n} of a long answer" for n in range(30))
    outputs = [call(c, output="\n".join(f"{c} output line {n}" for n in range(8))) for c in "ab"]
    turns = [turn(1, "user", "question"), turn(2, text=long_text), turn(3, "user", "and then"),
             turn(4, text="short")]
    app = TranscriptApp(turns, {"T000002": outputs})
    async with app.run_test(size=(100, 24)) as pilot:
        transcript = app.query_one(Transcript)
        transcript.focus()
        for _ in range(3):
            await pilot.press("up")  # the long reply: its start shows, its tool calls are far below
        assert transcript.selected_turn_id == "T000002"
        await pilot.pause()

        def visible():
            return "\n".join(transcript.render_line(y).text for y in range(transcript.scrollable_content_region.height))

        assert "a output line 0" not in visible() and "read_file" not in visible()
        await pilot.press("enter")
        await pilot.pause()
        shown = visible()
        assert "read_file" in shown and "a output line 0" in shown and "b output line 7" in shown
