"""Nothing lost, nothing leaked: secrets never reach disk, private file modes, broken
provider text, a full disk, a read-only database, a 5 MB paste, the TUI and two CLI
writers on one database, and export/import round trips for arbitrary text.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys

import pytest
from fake_llm import FakeLLM, Reply
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chinwag.app.agents.base import Done, TextDelta, ToolCallEnd, ToolCallStart
from chinwag.app.config.loader import Config
from chinwag.app.core.runner import Runner
from chinwag.app.tui.app import ChinwagApp
from chinwag.storage import StorageError, Store
from tests.tui_helpers import wait_for

OPENAI_MARKER = "sk-MARKER-openai-7f3a9c"
ANTHROPIC_MARKER = "sk-ant-MARKER-anthropic-51d2"


class Scripted:
    def __init__(self, events):
        self.name, self.model, self.events = "scripted", "s", events

    async def stream(self, messages, *, purpose="chat"):
        for event in self.events:
            yield event


def files_under(root):
    for directory, _, names in os.walk(root):
        for name in names:
            yield os.path.join(directory, name)


async def test_secrets_never_reach_any_file(chinwag_home, cli, monkeypatch, db_path):
    with FakeLLM() as fake:
        await _secrets_never_reach_any_file(chinwag_home, cli, monkeypatch, db_path, fake)
        # the key was really used (discovery picked the keyed provider), and only sent over HTTP
        assert any(ANTHROPIC_MARKER in (r.headers.get("x-api-key", "") + r.headers.get("authorization", ""))
                   for r in fake.chat_requests())


async def _secrets_never_reach_any_file(chinwag_home, cli, monkeypatch, db_path, fake):
    fake.script(Reply(chunks=["a reply that ", "names no secret"]))
    env = {"OPENAI_API_KEY": OPENAI_MARKER, "ANTHROPIC_API_KEY": ANTHROPIC_MARKER,
           "ANTHROPIC_BASE_URL": fake.url, "OPENAI_BASE_URL": fake.url + "/v1"}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    session_id = cli("session", "start", "--detach", "use a tool please", env=env).stdout.strip()
    assert cli("session", "send", session_id, "second", env=env).returncode in (0, 1)
    cli("session", "export", session_id, "--format", "json", "-o", str(chinwag_home / "out.json"), env=env)
    cli("session", "export", session_id, "-o", str(chinwag_home / "out.md"), env=env)
    cli("doctor", env=env)
    store = Store(db_path)
    app = ChinwagApp(store=store, config=Config(), animate=False, session_id=session_id)
    async with app.run_test(size=(100, 30)) as pilot:
        app.chat.prompt.text = "from the TUI"
        app.chat.prompt.focus_input()
        await pilot.press("enter")
        await wait_for(pilot, lambda: not app.runner.running_sessions() and store.running_turn(session_id) is None)
    store.close()
    found = [path for path in files_under(chinwag_home)
             if OPENAI_MARKER.encode() in open(path, "rb").read() or ANTHROPIC_MARKER.encode() in open(path, "rb").read()]
    assert found == []
    assert os.path.exists(chinwag_home / "chinwag.log")


def test_database_and_logs_are_private(tmp_path):
    home = tmp_path / "fresh" / "home"
    env = dict(os.environ, CHINWAG_HOME=str(home), CHINWAG_ECHO_DELAY="0")
    out = subprocess.run([sys.executable, "-m", "chinwag.app.cli.main", "session", "start", "--detach", "hi"],
                         env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    session_id = out.stdout.strip()
    subprocess.run([sys.executable, "-m", "chinwag.app.cli.main", "session", "attach", "--plain", session_id],
                   env=env, capture_output=True, text=True, timeout=30)
    assert stat.S_IMODE(os.stat(home).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(home / "chinwag.db").st_mode) == 0o600
    assert stat.S_IMODE(os.stat(home / "chinwag.log").st_mode) == 0o600


async def test_broken_unicode_from_a_provider_is_kept_safely(store):
    session = store.create_session()
    agent = Scripted([TextDelta("ok \ud800 lone \udfff surrogates \U0001F600"), ToolCallStart("c", "t\ud801", "a\udc00"),
                      ToolCallEnd("c", "completed", "out\ud800"), Done()])
    turn = await Runner(store, Config(), agent_factory=lambda n, m: agent).send(session.id, "prompt \ud83d")
    assert turn.status == "complete"
    assert turn.text == "ok \ufffd lone \ufffd surrogates \U0001F600"
    assert store.list_turns(session.id)[0].text == "prompt \ufffd"
    assert store.list_tool_calls([turn.id])[0].output == "out\ufffd"


def test_full_disk_gives_a_clear_error_and_changes_nothing(db_path):
    store = Store(db_path)
    session = store.create_session(title="kept")
    store.db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    pages = store.db.conn.execute("PRAGMA page_count").fetchone()[0]
    store.db.conn.execute(f"PRAGMA max_page_count = {pages + 2}")
    with pytest.raises(StorageError, match="full"):
        store.begin_exchange(session.id, "x" * 200_000, agent="echo", model="")
    store.db.conn.execute("PRAGMA max_page_count = 1073741823")
    assert store.list_turns(session.id) == []
    assert store.get_session(session.id).state == "ready"
    store.close()


async def test_read_only_database_opens_for_browsing(db_path):
    with Store(db_path) as setup:
        session = setup.create_session(title="browse me")
        _, reply = setup.begin_exchange(session.id, "question", agent="echo", model="")
        setup.append_stream(reply.id, "an answer")
        setup.finish_turn(reply.id, "complete")
    store = Store(db_path, readonly=True)
    app = ChinwagApp(store=store, config=Config(), animate=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert app.chat.session.id == session.id
        assert app.chat.transcript.last_reply_text() == "an answer"
        assert any("read-only" in n.message for n in app._notifications)
        app.chat.prompt.text = "can I write?"
        app.chat.prompt.focus_input()
        await pilot.press("enter")
        await pilot.pause(0.2)
        assert app.is_running
    store.close()
    with Store(db_path) as check:
        assert len(check.list_turns(session.id)) == 2


async def test_five_megabyte_paste_is_sent_and_kept(chinwag_home, db_path):
    from textual import events

    big = ("pasted log line 0123456789 [bold]x[/] \x1b[0m\n" * 130_000)[: 5 * 1024 * 1024]
    store = Store(db_path)
    app = ChinwagApp(store=store, config=Config(agents={"echo": {"kind": "echo", "delay": 0}}), animate=False)
    async with app.run_test(size=(100, 30)) as pilot:
        app.chat.prompt.focus_input()
        app.post_message(events.Paste(big))
        await pilot.pause()
        await pilot.press("enter")
        sid = app.chat.session.id
        await wait_for(pilot, lambda: [t.status for t in store.list_turns(sid)] == ["complete", "complete"], timeout=60)
        await pilot.pause()
        assert store.list_turns(sid)[0].text == big
        screen = "".join(app.chat.transcript.render_line(y).text for y in range(28))
        assert "more characters" in screen
    store.close()


async def test_tui_and_two_cli_processes_write_at_once(chinwag_home, db_path):
    store = Store(db_path)
    others = [store.create_session(title=f"cli {i}").id for i in range(2)]
    own = store.create_session(title="tui").id
    app = ChinwagApp(store=store, config=Config(agents={"echo": {"kind": "echo", "delay": 0.002}}), animate=False,
                     session_id=own)
    env = dict(os.environ, CHINWAG_HOME=str(chinwag_home), CHINWAG_ECHO_DELAY="0.002")
    async with app.run_test(size=(100, 30)) as pilot:
        mine = app.chat.session.id
        processes = [subprocess.Popen([sys.executable, "-m", "chinwag.app.cli.main", "session", "send", sid,
                                       f"writer {i} " * 60], env=env, stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, text=True) for i, sid in enumerate(others)]
        for round_ in range(3):
            app.chat.prompt.text = f"tui message {round_} " * 30
            app.chat.prompt.focus_input()
            await pilot.press("enter")
            await wait_for(pilot, lambda r=round_: len([t for t in store.list_turns(mine)
                                                         if t.role == "agent" and t.status == "complete"]) == r + 1)
        while any(p.poll() is None for p in processes):
            await pilot.pause(0.1)
        errors = [n.message for n in app._notifications if n.severity == "error"]
    for process in processes:
        _, err = process.communicate()
        assert process.returncode == 0 and "locked" not in err, err
    assert errors == []
    for sid in others:
        assert [t.status for t in store.list_turns(sid)] == ["complete", "complete"]
    store.close()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=st.lists(st.text(max_size=300), min_size=1, max_size=6), title=st.text(max_size=40))
def test_export_import_round_trip_any_text(tmp_path_factory, texts, title):
    path = tmp_path_factory.mktemp("rt") / "x.db"
    with Store(path) as store:
        session = store.create_session(title=title.strip() or None)
        for index, text in enumerate(texts):
            store.add_turn(session.id, "user" if index % 2 == 0 else "agent", text)
        document = store.export_json(session.id)
        store.delete_session(session.id, force=True)
        store.import_session(document)
        assert store.export_json(session.id) == document
