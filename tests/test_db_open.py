"""Opening a database from every entry point: a foreign SQLite file is refused unchanged,
a damaged one (intact header, corrupt pages) gives one line and `chinwag doctor` finds and
recovers it, a read-only file or home opens for browsing and refuses writes.

All of it against real files and the real `chinwag` command in subprocesses. Read-only
cases drop CAP_DAC_OVERRIDE when the suite runs as root, so permissions really apply.
"""

from __future__ import annotations

import ctypes
import hashlib
import json
import os
import socket
import sqlite3
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from chinwag.storage import DatabaseDamaged, ForeignDatabase, Store

PR_CAPBSET_DROP, CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH = 24, 1, 2


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def listing(directory: Path) -> dict[str, str]:
    return {p.name: digest(p) for p in sorted(directory.iterdir()) if p.is_file()}


def journal_mode_byte(path: Path) -> tuple[int, int]:
    """File format write/read versions in the header: (1, 1) rollback journal, (2, 2) WAL."""
    head = path.read_bytes()[:20]
    return head[18], head[19]


def _unprivileged() -> None:
    """In the child: if root, give up the capabilities that ignore file permissions."""
    if os.geteuid() != 0:
        return
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH):
        if libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def chinwag(*args: str, home: Path, env: dict | None = None, unprivileged: bool = False, timeout: float = 60):
    environment = {k: v for k, v in os.environ.items() if k not in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY")}
    environment.update({"CHINWAG_HOME": str(home), "CHINWAG_ECHO_DELAY": "0", "PYTHONUNBUFFERED": "1"})
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "chinwag.app.cli.main", *args], capture_output=True, text=True, env=environment,
        timeout=timeout, preexec_fn=_unprivileged if unprivileged else None,
    )


def one_line_error(result) -> str:
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# -- item 2: a SQLite file that is not Chinwag's ------------------------------------------------
FOREIGN = {
    "v0-other-tables": (0, ["CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)", "INSERT INTO notes (body) VALUES ('mine')"]),
    "v1-other-tables": (1, ["CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)", "INSERT INTO notes (body) VALUES ('mine')"]),
    "v2-no-tables": (2, []),
    "v1-sessions-only": (1, ["CREATE TABLE sessions (id TEXT)", "CREATE TABLE turns (id TEXT)"]),
    "v42-other-tables": (42, ["CREATE TABLE notes (body TEXT)"]),
}


def make_foreign(path: Path, version: int, statements: list[str], journal: str) -> None:
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA journal_mode = {journal}")
    for statement in statements:
        conn.execute(statement)
    conn.execute(f"PRAGMA user_version = {version}")
    conn.commit()
    conn.close()


@pytest.mark.parametrize("journal", ["delete", "wal"])
@pytest.mark.parametrize("case", sorted(FOREIGN))
def test_a_foreign_sqlite_file_is_refused_by_every_entry_point_and_left_byte_for_byte(tmp_path, case, journal):
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    path = tmp_path / "other.db"
    version, statements = FOREIGN[case]
    make_foreign(path, version, statements, journal)
    before, header = listing(tmp_path), journal_mode_byte(path)
    commands = [
        ("session", "list", "--db", str(path)),
        ("session", "start", "--agent", "echo", "--db", str(path), "hello"),
        ("doctor", "--db", str(path)),
        ("--db", str(path)),  # the TUI
        ("serve", "--db", str(path), "--port", str(free_port())),
    ]
    for command in commands:
        result = chinwag(*command, home=home, env={"CHINWAG_FORCE_TUI": "1"}, timeout=30)
        line = one_line_error(result)
        assert str(path) in line and "not Chinwag's" in line and "left untouched" in line, (command, line)
    assert listing(tmp_path) == before  # same bytes, no -wal/-shm/-journal left beside it
    assert journal_mode_byte(path) == header
    with pytest.raises(ForeignDatabase):
        Store(path)
    assert listing(tmp_path) == before


def test_an_empty_file_and_chinwags_own_database_still_open(tmp_path):
    empty = tmp_path / "empty.db"
    empty.touch()
    with Store(empty) as store:
        store.create_session(title="first")
    with Store(empty) as store:
        assert [s.title for s in store.list_sessions()] == ["first"]


# -- item 8: damaged databases -----------------------------------------------------------------
def build_database(path: Path, sessions: int = 60) -> list[str]:
    ids = []
    with Store(path) as store:
        for i in range(sessions):
            session = store.create_session(title=f"session {i} " + "t" * 100)
            _, reply = store.begin_exchange(session.id, f"question {i} " + "q" * 500, agent="echo", model="")
            store.append_stream(reply.id, f"answer {i} " + "a" * 800)
            store.finish_turn(reply.id, "complete")
            ids.append(session.id)
        store.db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return ids


def corrupt_leaf_pages(path: Path, tables: tuple[str, ...], pick=lambda pages: pages) -> list[int]:
    """Overwrite leaf pages of these tables with garbage; page 1 (header, schema) stays intact."""
    conn = sqlite3.connect(path)
    marks = ",".join("?" for _ in tables)
    pages = [row[0] for row in conn.execute(
        f"SELECT pageno FROM dbstat WHERE name IN ({marks}) AND pagetype = 'leaf' ORDER BY pageno", tables)]
    size = conn.execute("PRAGMA page_size").fetchone()[0]
    conn.close()
    chosen = pick(pages)
    assert chosen and 1 not in chosen
    garbage = bytes((i * 37 + 11) % 256 for i in range(size))
    with open(path, "r+b") as handle:
        for number in chosen:
            handle.seek((number - 1) * size)
            handle.write(garbage)
    assert path.read_bytes()[:16] == b"SQLite format 3\x00"
    return chosen


@pytest.fixture
def damaged(chinwag_home) -> tuple[Path, list[str]]:
    path = chinwag_home / "chinwag.db"
    ids = build_database(path)
    corrupt_leaf_pages(path, ("sessions", "turns"))
    return path, ids


def test_damaged_database_gives_one_line_for_list_show_send_export_search(damaged, chinwag_home, tmp_path):
    path, ids = damaged
    before = digest(path)
    expected = f"chinwag: the database {path} is damaged: run `chinwag doctor`"
    for command in (
        ("session", "list"),
        ("session", "show", ids[5]),
        ("session", "send", ids[5], "hello"),
        ("session", "export", ids[5], "-o", str(tmp_path / "out.md")),
        ("session", "search", "answer"),
    ):
        assert one_line_error(chinwag(*command, home=chinwag_home)) == expected, command
    assert digest(path) == before


async def test_damaged_database_in_the_tui_exits_with_one_line(damaged):
    from chinwag.app.config.loader import Config
    from chinwag.app.tui.app import ChinwagApp

    path, _ = damaged
    app = ChinwagApp(db_path=path, config=Config(), animate=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
    assert app.return_code == 1
    assert app.startup_error == f"the database {path} is damaged: run `chinwag doctor`"


def test_doctor_finds_damage_with_quick_check_and_full_integrity_check(damaged, chinwag_home):
    path, _ = damaged
    before = digest(path)
    for extra, name in (((), "quick_check"), (("--full",), "integrity_check")):
        result = chinwag("doctor", *extra, home=chinwag_home)
        assert result.returncode == 1, result.stdout + result.stderr
        assert "Traceback" not in result.stderr
        assert f"integrity: DAMAGED ({name}" in result.stdout
        assert "--recover" in result.stdout
    assert digest(path) == before


def test_doctor_on_a_sound_database_says_ok(chinwag_home):
    build_database(chinwag_home / "chinwag.db", sessions=3)
    for extra, name in (((), "quick_check"), (("--full",), "integrity_check")):
        result = chinwag("doctor", *extra, home=chinwag_home)
        assert result.returncode == 0, result.stdout + result.stderr
        assert f"integrity: ok ({name})" in result.stdout


def test_doctor_exits_1_on_an_invalid_config(chinwag_home):
    (chinwag_home / "config.toml").write_text("[defaults]\nagent = 5\n")
    result = chinwag("doctor", home=chinwag_home)
    assert result.returncode == 1
    assert "config:   ERROR" in result.stdout and "Traceback" not in result.stderr


def _damage_one_turns_page(chinwag_home) -> tuple[Path, list[str]]:
    path = chinwag_home / "chinwag.db"
    ids = build_database(path)
    corrupt_leaf_pages(path, ("turns",), pick=lambda pages: pages[3:4])
    return path, ids


def _check_recovered(out: Path, ids: list[str]) -> None:
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    with Store(out) as store:
        assert sorted(s.id for s in store.list_sessions(filter="all", limit=1000)) == sorted(ids)
        turns = sum(len(store.list_turns(sid)) for sid in ids)
        assert 100 <= turns < 120  # one page of turns is lost, the rest is kept
        assert store.search("answer", limit=200)  # the full-text index works in the new file
        store.create_session(title="writable")  # and it is a normal, writable Chinwag database


def test_doctor_recover_copies_what_is_readable_into_a_new_file(chinwag_home, tmp_path):
    path, ids = _damage_one_turns_page(chinwag_home)
    before = listing(chinwag_home)
    out = tmp_path / "recovered.db"
    result = chinwag("doctor", "--recover", str(out), home=chinwag_home)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"recovered {path} into {out}" in result.stdout
    if "sqlite3 .recover did not" in result.stdout or "not installed" in result.stdout:
        assert "copied what is readable with Python's sqlite3 instead" in result.stdout
    assert listing(chinwag_home) == before  # the damaged file is only read
    _check_recovered(out, ids)
    kept = digest(out)
    refused = chinwag("doctor", "--recover", str(out), home=chinwag_home)
    assert one_line_error(refused) == f"chinwag: {out} exists; --force replaces it"
    assert digest(out) == kept
    replaced = chinwag("doctor", "--recover", str(out), "--force", home=chinwag_home)
    assert replaced.returncode == 0, replaced.stderr
    assert listing(chinwag_home) == before


def test_doctor_recover_refuses_the_damaged_file_itself_and_a_missing_directory(chinwag_home, tmp_path):
    path, _ = _damage_one_turns_page(chinwag_home)
    before = listing(chinwag_home)
    itself = chinwag("doctor", "--recover", str(path), "--force", home=chinwag_home)
    assert one_line_error(itself) == f"chinwag: {path} is the damaged database itself: recover into a new file"
    missing = tmp_path / "no" / "such" / "dir" / "out.db"
    nowhere = chinwag("doctor", "--recover", str(missing), home=chinwag_home)
    assert one_line_error(nowhere) == f"chinwag: cannot write {missing}: no directory {missing.parent}"
    assert listing(chinwag_home) == before


def test_doctor_recover_without_the_sqlite3_command_copies_rows_with_python(chinwag_home, tmp_path):
    path, ids = _damage_one_turns_page(chinwag_home)
    out = tmp_path / "recovered.db"
    empty_bin = tmp_path / "bin"
    empty_bin.mkdir()
    result = chinwag("doctor", "--recover", str(out), home=chinwag_home, env={"PATH": str(empty_bin)})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "the sqlite3 command is not installed; copied what is readable with Python's sqlite3 instead" in result.stdout
    assert "row-by-row copy" in result.stdout and "skipped:  1 damaged region" in result.stdout
    _check_recovered(out, ids)


def test_damage_is_reported_by_the_store_itself(damaged):
    path, ids = damaged
    with Store(path) as store:
        with pytest.raises(DatabaseDamaged, match="is damaged: run `chinwag doctor`"):
            store.list_sessions()


# -- item 10: read-only database or home -------------------------------------------------------
READ_ONLY = {"file-and-home": (0o444, 0o555), "home-only": (0o600, 0o555), "file-only": (0o444, 0o700)}


@pytest.fixture
def read_only_home(tmp_path, request):
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    ids = build_database(home / "chinwag.db", sessions=2)
    file_mode, home_mode = READ_ONLY[request.param]
    os.chmod(home / "chinwag.db", file_mode)
    os.chmod(home, home_mode)
    yield home, ids
    os.chmod(home, 0o700)
    os.chmod(home / "chinwag.db", 0o600)


@pytest.mark.parametrize("read_only_home", sorted(READ_ONLY), indirect=True)
def test_read_only_database_or_home_opens_for_browsing_and_refuses_writes(read_only_home):
    home, ids = read_only_home
    before = listing(home)
    listed = chinwag("session", "list", "--json", home=home, unprivileged=True)
    assert listed.returncode == 0, listed.stderr
    assert sorted(s["id"] for s in json.loads(listed.stdout)) == sorted(ids)
    shown = chinwag("session", "show", ids[0], home=home, unprivileged=True)
    assert shown.returncode == 0 and "answer 0" in shown.stdout, shown.stderr
    doctor = chinwag("doctor", home=home, unprivileged=True)
    assert "read-only: browsing only" in doctor.stdout and "integrity: ok" in doctor.stdout
    for command in (("session", "rename", ids[0], "new"), ("session", "send", ids[0], "hi"),
                    ("session", "switch", ids[1]), ("session", "start", "--agent", "echo", "hi")):
        line = one_line_error(chinwag(*command, home=home, unprivileged=True))
        assert "read-only" in line, (command, line)
    assert listing(home) == before  # nothing written, no -wal/-shm left behind


TUI_SCRIPT = textwrap.dedent("""
    import asyncio, json, sys
    from chinwag.app.config.loader import Config
    from chinwag.app.tui.app import ChinwagApp

    async def main(path):
        app = ChinwagApp(db_path=path, config=Config(), animate=False)
        out = {}
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            out["readonly"] = app.store.readonly
            out["hint"] = app.chat.status.hint
            out["session"] = app.chat.session.id if app.chat.session else None
            out["turns"] = len(app.store.list_turns(app.chat.session.id)) if app.chat.session else 0
            for text in ("can I write?", "/rename renamed"):
                app.chat.prompt.text = text
                app.chat.prompt.focus_input()
                await pilot.press("enter")
                await pilot.pause(0.1)
            await pilot.press("ctrl+n")
            await pilot.pause(0.1)
            out["notes"] = [str(n.message) for n in app._notifications]
            out["titles"] = [s.title for s in app.store.list_sessions(filter="all")]
            out["turns_after"] = len(app.store.list_turns(app.chat.session.id)) if app.chat.session else 0
        print(json.dumps(out))

    asyncio.run(main(sys.argv[1]))
""")


def run_tui_script(home: Path) -> dict:
    env = dict(os.environ, CHINWAG_HOME=str(home), CHINWAG_ECHO_DELAY="0")
    result = subprocess.run([sys.executable, "-c", TUI_SCRIPT, str(home / "chinwag.db")], capture_output=True,
                            text=True, env=env, timeout=120, preexec_fn=_unprivileged)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("read_only_home", ["file-and-home"], indirect=True)
def test_read_only_database_in_the_tui_shows_a_banner_and_refuses_writes(read_only_home):
    home, ids = read_only_home
    before = listing(home)
    out = run_tui_script(home)
    assert out["readonly"] is True
    assert out["hint"] == "read-only: browsing only"
    assert out["session"] in ids and out["turns"] == 2 == out["turns_after"]
    assert any("read-only: browsing only: nothing was sent" == note for note in out["notes"]), out["notes"]
    refusals = [note for note in out["notes"] if "is open read-only; nothing was changed" in note]
    assert len(refusals) == 2, out["notes"]  # /rename and ctrl+n (new session), one line each
    assert "renamed" not in out["titles"] and len(out["titles"]) == 2
    assert listing(home) == before


def test_read_only_database_without_sessions_opens_in_the_tui(tmp_path):
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    Store(home / "chinwag.db").close()
    os.chmod(home / "chinwag.db", 0o444)
    os.chmod(home, 0o555)
    try:
        out = run_tui_script(home)
    finally:
        os.chmod(home, 0o700)
    assert out["readonly"] is True and out["session"] is None and out["titles"] == []
    assert out["hint"] == "read-only: browsing only"
