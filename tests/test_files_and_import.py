"""Files Chinwag writes and what it accepts: exports never destroy a file (the database
least of all), imports check every record first, JSON output cannot drive a terminal,
titles are capped, and every file and folder Chinwag creates is private.
"""

from __future__ import annotations

import json
import logging
import os
import resource
import signal
import sqlite3
import stat
import subprocess
import sys

import pytest
from cli_results import ok, one_line_error
from conftest import run_cli

from chinwag.app.config.loader import Config
from chinwag.storage import StorageError, Store

MAX_TITLE = 200  # the cap on a title, in characters

BAD_CHARS = "\x85\x9b\u202e\u2066\u200f\u061c\x7f"


def mode(path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


@pytest.fixture
def session_id(cli):
    sid = ok(cli("session", "start", "--title", "keep me")).stdout.strip()
    ok(cli("session", "send", sid, "use a tool please"))
    return sid


def db_intact(db_path, session_id):
    conn = sqlite3.connect(db_path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return conn.execute("SELECT title FROM sessions WHERE id = ?", (session_id,)).fetchone()[0]
    finally:
        conn.close()


# -- item 1: export never destroys a file --------------------------------------------------
def test_export_refuses_an_existing_file_unless_forced(cli, session_id, tmp_path):
    target = tmp_path / "notes.md"
    target.write_text("my own notes\n")
    line = one_line_error(cli("session", "export", session_id, "-o", str(target)))
    assert "exists" in line and "--force" in line
    assert target.read_text() == "my own notes\n"
    ok(cli("session", "export", session_id, "-o", str(target), "--force"))
    assert target.read_text().startswith("# keep me") and mode(target) == 0o600
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


@pytest.mark.parametrize("how", ["db", "wal", "shm", "journal", "symlink", "symlink-wal", "hardlink", "dotdot"])
def test_export_never_writes_onto_the_open_database(cli, session_id, chinwag_home, tmp_path, how):
    db = chinwag_home / "chinwag.db"
    targets = {"db": db, "wal": f"{db}-wal", "shm": f"{db}-shm", "journal": f"{db}-journal",
               "dotdot": chinwag_home / "sub" / ".." / "chinwag.db"}
    if how.startswith("symlink"):
        link = tmp_path / "innocent.md"
        link.symlink_to(f"{db}-wal" if how == "symlink-wal" else db)
        targets[how] = link
    if how == "hardlink":
        os.link(db, tmp_path / "hard.md")
        targets[how] = tmp_path / "hard.md"
    (chinwag_home / "sub").mkdir()
    size = db.stat().st_size
    line = one_line_error(cli("session", "export", session_id, "-o", str(targets[how]), "--force"))
    assert "database" in line and "nothing written" in line
    assert db.stat().st_size == size and db_intact(db, session_id) == "keep me"


def test_a_failed_export_leaves_the_old_file_intact(cli, chinwag_home, tmp_path):
    """The write fails part-way (file size limit, like a full disk): the old file survives."""
    sid = ok(cli("session", "start", "--title", "big")).stdout.strip()
    with Store(chinwag_home / "chinwag.db") as store:
        store.add_turn(sid, "user", "x" * 3_000_000)
    (tmp_path / "out").mkdir()
    target = tmp_path / "out" / "export.md"
    target.write_text("the previous export\n")
    limit = 1_000_000  # below the export's size, above what reading the database needs

    def small_files():
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # write() fails with EFBIG instead

    env = {**os.environ, "CHINWAG_HOME": str(chinwag_home)}
    result = subprocess.run([sys.executable, "-m", "chinwag.app.cli.main", "session", "export", sid,
                             "-o", str(target), "--force"], capture_output=True, text=True, env=env,
                            preexec_fn=small_files, timeout=60)
    assert one_line_error(result).startswith("chinwag: File too large")
    assert target.read_text() == "the previous export\n"
    assert [p.name for p in target.parent.iterdir()] == ["export.md"]  # no temp file left behind


async def test_tui_export_refuses_an_existing_file_and_says_how_to_force(db_path, tmp_path, monkeypatch):
    from chinwag.app.tui.app import ChinwagApp

    monkeypatch.chdir(tmp_path)
    store = Store(db_path)
    app = ChinwagApp(store=store, config=Config(), animate=False)
    notes: list[str] = []
    try:
        async with app.run_test(size=(120, 36)) as pilot:
            app.notify = lambda message, **kwargs: notes.append(message)
            default = tmp_path / f"chinwag-{app.chat.session.id[:10].lower()}.md"
            default.write_text("keep me\n")
            app.chat.run_slash("/export md")
            await pilot.pause()
            assert default.read_text() == "keep me\n"
            assert "exists" in notes[-1] and "--force" in notes[-1]
            app.chat.run_slash(f"/export md {default} --force")
            await pilot.pause()
            assert default.read_text().startswith("# ") and mode(default) == 0o600
            app.chat.run_slash(f"/export json {db_path} --force")
            await pilot.pause()
            assert "database" in notes[-1] and db_path.read_bytes().startswith(b"SQLite format 3")
    finally:
        store.close()


# -- item 6: import checks every record first; --as-new copies -----------------------------
def exported(store: Store) -> dict:
    session = store.create_session(title="to import")
    _, turn = store.begin_exchange(session.id, "hello", agent="echo", model="")
    store.append_stream(turn.id, "hi", "")
    store.start_tool_call(turn.id, "c1", "read_file", "a.txt")
    store.finish_turn(turn.id, "complete")
    document = store.export_session(session.id)
    store.delete_session(session.id, force=True)
    return document


def _mutations():
    def dup_id(d):
        d["turns"][1]["id"] = d["turns"][0]["id"]

    def dup_seq(d):
        d["turns"][1]["seq"] = d["turns"][0]["seq"]

    def role(d):
        d["turns"][1]["role"] = "robot"

    def status(d):
        d["turns"][1]["status"] = "done"

    def kind(d):
        d["session"]["kind"] = "party"

    def missing(d):
        del d["turns"][1]["text"]

    def wrong_type(d):
        d["turns"][0]["seq"] = "1"

    def bool_for_int(d):
        d["session"]["turn_count"] = True

    def event_type(d):
        d["events"][0]["type"] = "explosion"

    def event_not_object(d):
        d["events"][0] = "nope"

    def turns_not_list(d):
        d["turns"] = {"a": 1}

    def foreign_turn(d):
        d["turns"][0]["session_id"] = "01SOMEONEELSE"

    def orphan_call(d):
        d["tool_calls"].append({"id": "c9", "turn_id": "NOPE", "session_id": d["session"]["id"], "name": "x",
                                "parent_id": None, "seq": 0, "args": "", "status": "completed", "output": "",
                                "started_at": "2026-01-01T00:00:00.000Z", "finished_at": None})

    return {f.__name__: f for f in (dup_id, dup_seq, role, status, kind, missing, wrong_type, bool_for_int,
                                    event_type, event_not_object, turns_not_list, foreign_turn, orphan_call)}


MUTATIONS = _mutations()
EXPECTED = {"dup_id": "turns[1]", "dup_seq": "turns[1]", "role": "turns[1]", "status": "turns[1]",
            "kind": "session", "missing": "turns[1]", "wrong_type": "turns[0]", "bool_for_int": "session",
            "event_type": "events[0]", "event_not_object": "events[0]", "turns_not_list": "'turns'",
            "foreign_turn": "turns[0]", "orphan_call": "tool_calls["}


@pytest.mark.parametrize("name", list(MUTATIONS))
def test_import_names_the_first_bad_record_and_imports_nothing(store, name):
    document = exported(store)
    MUTATIONS[name](document)
    keep = store.create_session(title="already here")
    with pytest.raises(StorageError) as caught:
        store.import_session(json.dumps(document))
    message = str(caught.value)
    assert EXPECTED[name] in message and "nothing imported" in message and "\n" not in message
    assert [s.id for s in store.list_sessions(filter="all")] == [keep.id]
    assert store.db.query_one("SELECT COUNT(*) AS n FROM turns WHERE session_id != ?", (keep.id,))["n"] == 0


def test_cli_import_of_an_unknown_role_is_one_line_and_show_still_works(cli, session_id, tmp_path):
    document = json.loads(ok(cli("session", "export", session_id, "--format", "json")).stdout)
    ok(cli("session", "delete", session_id, "--force"))
    document["turns"][1]["role"] = "robot"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(document))
    line = one_line_error(cli("session", "import", str(bad)))
    assert "turns[1]" in line and "robot" in line
    assert json.loads(ok(cli("session", "list", "--all", "--json")).stdout) == []


def test_import_as_new_copies_a_session_that_exists(cli, session_id, tmp_path):
    target = tmp_path / "s.json"
    ok(cli("session", "export", session_id, "--format", "json", "-o", str(target)))
    assert "--as-new" in one_line_error(cli("session", "import", str(target)))
    copy_id = ok(cli("session", "import", str(target), "--as-new")).stdout.strip()
    assert copy_id and copy_id != session_id
    original = json.loads(target.read_text())
    copy = json.loads(ok(cli("session", "show", copy_id, "--json")).stdout)
    assert copy["session"]["title"] == "keep me"
    assert [t["text"] for t in copy["turns"]] == [t["text"] for t in original["turns"]]
    assert not {t["id"] for t in copy["turns"]} & {t["id"] for t in original["turns"]}
    assert {t["session_id"] for t in copy["turns"]} == {copy_id}
    assert len(copy["tool_calls"]) == len(original["tool_calls"]) > 0
    assert {c["turn_id"] for c in copy["tool_calls"]} <= {t["id"] for t in copy["turns"]}
    assert ok(cli("session", "show", copy_id)).stdout.startswith("# keep me")
    shown = json.loads(ok(cli("session", "show", session_id, "--json")).stdout)
    assert [t["id"] for t in shown["turns"]] == [t["id"] for t in original["turns"]]  # the original is untouched


# -- item 9: JSON output cannot drive a terminal; titles are capped ------------------------
def test_json_output_escapes_c1_controls_and_bidi_overrides(cli, tmp_path):
    title = f"evil{BAD_CHARS}title"
    sid = ok(cli("session", "start", "--title", title)).stdout.strip()
    ok(cli("session", "send", sid, f"prompt {BAD_CHARS} findme"))
    outputs = {
        "show": cli("session", "show", sid, "--json"),
        "list": cli("session", "list", "--json"),
        "search": cli("session", "search", "findme", "--json"),
        "export": cli("session", "export", sid, "--format", "json"),
    }
    for name, result in outputs.items():
        ok(result)
        raw = result.stdout
        assert not set(raw) & set(BAD_CHARS), name
        assert "\\u009b" in raw and "\\u202e" in raw, name
        stored = " ".join(title.split())  # a title is one line: U+0085 (NEL) folds like a newline
        assert stored in json.dumps(json.loads(raw), ensure_ascii=False), name  # loads back to the same text
    target = tmp_path / "e.json"
    ok(cli("session", "export", sid, "--format", "json", "-o", str(target)))
    assert not set(target.read_text()) & set(BAD_CHARS)
    ok(cli("session", "delete", sid, "--force"))
    ok(cli("session", "import", str(target)))
    assert ok(cli("session", "export", sid, "--format", "json")).stdout == target.read_text()


def test_titles_are_capped_on_every_way_in(cli, store, db_path):
    long = "word " * 300
    sid = ok(cli("session", "start", "--title", long)).stdout.strip()
    listed = json.loads(ok(cli("session", "list", "--json")).stdout)
    assert len(listed[0]["title"]) == MAX_TITLE and listed[0]["title"].endswith("…")
    ok(cli("session", "rename", sid, "x" * 5000))
    assert store.get_session(sid).title == "x" * (MAX_TITLE - 1) + "…"
    assert len(store.create_session(title="a\nb " * 400).title) == MAX_TITLE
    assert "\n" not in store.create_session(title="two\nlines").title
    assert len(store.fork_session(sid, title="f" * 999).title) == MAX_TITLE
    auto = store.create_session()
    store.rename_session(auto.id, "m" * 999, source="model")  # a model-written title
    assert len(store.get_session(auto.id).title) == MAX_TITLE
    document = store.export_session(sid)
    document["session"]["title"] = "i" * 999
    store.delete_session(sid, force=True)
    assert len(store.import_session(json.dumps(document)).title) == MAX_TITLE


def test_api_titles_are_capped(db_path):
    from api_server import ApiServer

    with ApiServer(db_path, Config()) as api:
        status, created = api.call("POST", "/api/sessions", {"title": "t" * 450})
        assert status == 201 and len(created["session"]["title"]) == MAX_TITLE
        status, patched = api.call("PATCH", f"/api/sessions/{created['session']['id']}", {"title": "p" * 450})
        assert status == 200 and len(patched["session"]["title"]) == MAX_TITLE


# -- item 19: every file 0600, every folder 0700, also after rotation ----------------------
@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_log_file_stays_private_after_rotation(chinwag_home, db_path, umask_022):
    from chinwag.app.tui.app import ChinwagApp

    logger = logging.getLogger("chinwag")
    saved = logger.handlers[:]
    logger.handlers.clear()
    store = Store(db_path)
    try:
        ChinwagApp(store=store, config=Config(), animate=False)._setup_logging()
        handler = logger.handlers[0]
        logger.info("before the rollover")
        handler.doRollover()
        logger.info("after the rollover")
        handler.flush()
        log = chinwag_home / "chinwag.log"
        assert "after the rollover" in log.read_text()
        assert mode(log) == 0o600 and mode(chinwag_home / "chinwag.log.1") == 0o600
    finally:
        for handler in logger.handlers:
            handler.close()
        logger.handlers[:] = saved
        store.close()


def test_a_loose_home_is_tightened_with_one_notice(chinwag_home):
    os.chmod(chinwag_home, 0o755)
    result = run_cli("session", "list", home=chinwag_home)
    assert result.returncode == 0
    notices = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(notices) == 1 and "0755" in notices[0] and "0700" in notices[0]
    assert mode(chinwag_home) == 0o700
    assert ok(run_cli("session", "list", home=chinwag_home)).stderr == ""


def test_everything_chinwag_creates_is_private(tmp_path, umask_022):
    home = tmp_path / "new" / "home"
    sid = ok(run_cli("session", "start", "hello", home=home)).stdout
    assert sid
    ok(run_cli("config", "init", home=home))
    ok(run_cli("serve", "--show-token", home=home))
    ok(run_cli("session", "export", "--format", "json", "-o", str(home / "out.json"),
               json.loads(ok(run_cli("session", "list", "--json", home=home)).stdout)[0]["id"], home=home))
    created = [home, *home.rglob("*")]
    assert {p.name for p in created} >= {"home", "chinwag.db", "config.toml", "serve-token", "out.json"}
    for path in created:
        assert mode(path) == (0o700 if path.is_dir() else 0o600), path
    assert mode(tmp_path / "new") == 0o700


def test_private_helpers_tighten_what_they_reopen(tmp_path, umask_022):
    from chinwag.storage import files

    loose = tmp_path / "agent.stderr.log"
    loose.write_text("old")
    os.chmod(loose, 0o644)
    with files.open_private(loose, "wb") as handle:
        handle.write(b"new")
    assert mode(loose) == 0o600 and loose.read_bytes() == b"new"
    folder = files.ensure_private_dir(tmp_path / "a" / "b")
    assert mode(folder) == 0o700 and mode(tmp_path / "a") == 0o700


async def test_an_agent_cannot_write_onto_the_open_database(store, chinwag_home):
    from acp import RequestError

    from chinwag.app.agents.acp.client import ChinwagClient

    client = ChinwagClient(str(chinwag_home), mode=lambda: "bypass")
    with pytest.raises(RequestError, match="database"):
        await client.write_text_file("oops", str(store.path), "s1")
    assert store.path.read_bytes().startswith(b"SQLite format 3") and store.count_sessions(filter="all") == 0
    await client.write_text_file("fine", str(chinwag_home / "notes.txt"), "s1")
    assert (chinwag_home / "notes.txt").read_text() == "fine"


async def test_tui_export_notices_show_a_markup_looking_path_literally(db_path, tmp_path, monkeypatch):
    """The /export notices carry a path the user typed: through ChinwagApp.notify (the one
    plain-text helper) it shows as written, never as markup."""
    from chinwag.app.tui.app import ChinwagApp

    monkeypatch.chdir(tmp_path)
    store = Store(db_path)
    app = ChinwagApp(store=store, config=Config(), animate=False)
    try:
        async with app.run_test(size=(120, 36)) as pilot:
            name = "[bold]x[link=y]z[.md"
            (tmp_path / name).write_text("keep me\n")
            app.chat.run_slash(f"/export md {tmp_path / name}")
            await pilot.pause()
            assert (tmp_path / name).read_text() == "keep me\n"
            shown = " ".join(app.chat.notices.texts)
            assert f"{tmp_path / name} exists (left untouched)" in shown
            app.chat.run_slash(f"/export md {tmp_path / name} --force")
            await pilot.pause()
            assert f"exported to {tmp_path / name}" in " ".join(app.chat.notices.texts)
            assert app.is_running
    finally:
        store.close()
