"""The headless CLI through real subprocesses: every `chinwag session` command, JSON
output, id prefixes, and one-line errors that change nothing.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess

import pytest
from cli_results import ok, one_line_error

from chinwag.storage import Store
from chinwag.storage.clock import SequentialIds


def start(cli, *args):
    return json.loads(ok(cli("session", "start", "--json", *args)).stdout)


def test_version_and_console_script(cli, chinwag_home):
    assert ok(cli("--version")).stdout.startswith("chinwag ")
    script = shutil.which("chinwag")
    assert script, "the chinwag console script is installed"
    result = subprocess.run([script, "--version"], capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout.startswith("chinwag ")


def test_start_streams_reply_and_prints_id_on_stderr(cli):
    result = ok(cli("session", "start", "hello world"))
    assert "> hello world" in result.stdout and "2 words" in result.stdout
    assert result.stderr.startswith("session ")
    listed = json.loads(ok(cli("session", "list", "--json")).stdout)
    assert listed[0]["id"] in result.stderr and listed[0]["active"]


def test_start_without_prompt_prints_only_the_id(cli):
    result = ok(cli("session", "start", "--title", "empty", "--kind", "lead"))
    session_id = result.stdout.strip()
    assert len(session_id) == 26
    shown = json.loads(ok(cli("session", "show", session_id, "--json")).stdout)
    assert shown["session"]["kind"] == "lead" and shown["turns"] == []


def test_prompt_from_stdin_no_stream_and_json(cli):
    session_id = ok(cli("session", "start")).stdout.strip()
    result = ok(cli("session", "send", session_id[:12], "-", input="from stdin\nsecond line"))
    assert "> from stdin" in result.stdout and "> second line" in result.stdout
    result = ok(cli("session", "send", session_id, "--no-stream", "quiet"))
    assert "> quiet" in result.stdout
    data = json.loads(ok(cli("session", "send", session_id, "--json", "as json")).stdout)
    assert data["turn"]["status"] == "complete" and data["turn"]["tokens_estimated"] is True


def test_errors_are_one_line_and_change_nothing(cli, db_path):
    session_id = ok(cli("session", "start")).stdout.strip()
    with Store(db_path) as store:
        before = store.export_json(session_id)
    assert "no session matches" in one_line_error(cli("session", "send", "ZZZ", "x"))
    assert "empty prompt" in one_line_error(cli("session", "send", session_id, "-", input="  \n"))
    assert "bad age" in one_line_error(cli("session", "prune", "--older-than", "30 days"))
    assert "unknown agent" in one_line_error(cli("session", "start", "--agent", "nope", "hi"))
    one_line_error(cli("session", "list", "--bogus"), code=2)
    one_line_error(cli("session", "frobnicate"), code=2)
    assert "not a Chinwag session export" in one_line_error(cli("session", "import", "-", input='{"a": 1}'))
    with Store(db_path) as store:
        assert store.export_json(session_id) == before
        assert store.count_sessions(filter="all") == 1


def test_ambiguous_prefix_lists_candidates(cli, db_path):
    with Store(db_path, new_id=SequentialIds("01AMBG")) as store:
        a = store.create_session(title="a")
        b = store.create_session(title="b")
    line = one_line_error(cli("session", "show", "01AMBG"))
    assert "ambiguous" in line and a.id in line and b.id in line


def test_list_filters_and_json(cli):
    a = start(cli, "--title", "alpha", "--workspace", "/w/a")
    b = start(cli, "--title", "beta", "--workspace", "/w/b")
    ok(cli("session", "archive", a["id"]))
    def ids(*args):
        return [s["id"] for s in json.loads(ok(cli("session", "list", "--json", *args)).stdout)]

    assert ids() == [b["id"]]
    assert ids("--archived") == [a["id"]]
    assert set(ids("--all")) == {a["id"], b["id"]}
    assert ids("--all", "--workspace", "/w/a") == [a["id"]]
    table = ok(cli("session", "list", "--all")).stdout
    assert "alpha" in table and "beta" in table and "arch" in table
    ok(cli("session", "restore", a["id"]))
    assert set(ids()) == {a["id"], b["id"]}


def test_show_search_switch_rename_fork(cli):
    s = start(cli, "--title", "notes")
    ok(cli("session", "send", s["id"], "the quokka is a marsupial"))
    assert "quokka" in ok(cli("session", "show", s["id"])).stdout
    hits = json.loads(ok(cli("session", "search", "quokka", "--json")).stdout)
    assert {h["role"] for h in hits} == {"user", "agent"}
    for weird in ['"', "AND", "*", "NEAR(", "a\"b"]:
        ok(cli("session", "search", weird))
    other = start(cli, "--title", "other")
    ok(cli("session", "switch", s["id"]))
    listing = ok(cli("session", "list")).stdout.splitlines()
    assert any(line.startswith("*") and s["id"] in line for line in listing)
    assert "renamed" in ok(cli("session", "rename", s["id"], "better name")).stdout
    fork_id = ok(cli("session", "fork", s["id"])).stdout.strip()
    forked = json.loads(ok(cli("session", "show", fork_id, "--json")).stdout)
    assert forked["session"]["parent_id"] == s["id"] and len(forked["turns"]) == 2
    assert other["id"]


def test_compact_delete_restore_prune(cli, db_path):
    s = start(cli)
    for i in range(3):
        ok(cli("session", "send", s["id"], f"message {i} with quite a few words in it to summarize"))
    result = ok(cli("session", "compact", s["id"], "--window", "2"))
    assert "compacted 4 turns" in result.stdout and "->" in result.stdout
    assert "nothing to compact" in one_line_error(cli("session", "compact", s["id"], "--window", "2"))
    ok(cli("session", "delete", s["id"]))
    assert json.loads(ok(cli("session", "list", "--json", "--all")).stdout) == []
    ok(cli("session", "restore", s["id"]))
    assert len(json.loads(ok(cli("session", "list", "--json")).stdout)) == 1
    ok(cli("session", "archive", s["id"]))
    with Store(db_path) as store:
        store.db.conn.execute("UPDATE sessions SET archived_at = '2020-01-01T00:00:00.000Z'")
    assert "would move 1 archived" in ok(cli("session", "prune", "--older-than", "30d", "--dry-run")).stdout
    assert len(json.loads(ok(cli("session", "list", "--json", "--all")).stdout)) == 1
    assert "moved 1 archived session(s) to the trash" in ok(cli("session", "prune", "--older-than", "30d")).stdout
    assert json.loads(ok(cli("session", "list", "--json", "--all")).stdout) == []
    assert "deleted 1 session(s) from the trash" in ok(cli("session", "prune", "--older-than", "0d")).stdout
    assert json.loads(ok(cli("session", "list", "--json", "--deleted")).stdout) == []
    t = start(cli)
    ok(cli("session", "delete", t["id"], "--force"))
    assert "no session matches" in one_line_error(cli("session", "restore", t["id"]))


def test_export_import_round_trip_and_file_mode(cli, tmp_path):
    s = start(cli, "--title", "export me")
    ok(cli("session", "send", s["id"], "use a tool please"))
    markdown = ok(cli("session", "export", s["id"])).stdout
    assert markdown.startswith("# export me") and "tool `inspect_prompt`" in markdown
    target = tmp_path / "s.json"
    ok(cli("session", "export", s["id"], "--format", "json", "-o", str(target)))
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600
    first = target.read_text()
    ok(cli("session", "delete", s["id"], "--force"))
    assert ok(cli("session", "import", str(target))).stdout.strip() == s["id"]
    assert ok(cli("session", "export", s["id"], "--format", "json")).stdout == first
    assert "already exists" in one_line_error(cli("session", "import", str(target)))


def test_doctor_and_config(cli, chinwag_home):
    result = ok(cli("doctor"))
    assert str(chinwag_home / "chinwag.db") in result.stdout
    assert "schema:   version" in result.stdout and "echo" in result.stdout
    assert ok(cli("config", "path")).stdout.strip() == str(chinwag_home / "config.toml")
    data = json.loads(ok(cli("config", "show", "--json")).stdout)
    assert data["path"] is None
    (chinwag_home / "config.toml").write_text("[defaults\n")
    line = one_line_error(cli("session", "start", "hi"))
    assert "config.toml" in line and "invalid TOML" in line
    (chinwag_home / "config.toml").unlink()
    assert ok(cli("session", "list", "--json")).stdout.strip() == "[]"


def test_control_characters_never_reach_the_terminal(cli):
    s = start(cli, "--title", "\x1b[31mred\x07")
    out = ok(cli("session", "send", s["id"], "text with \x1b[2J escape")).stdout
    assert "\x1b" not in out and "^[" in out
    assert "\x1b" not in ok(cli("session", "list")).stdout


@pytest.mark.parametrize("args", [["--json", "session", "list"], ["session", "show"]])
def test_usage_errors_exit_2(cli, args):
    assert cli(*args).returncode == 2


# -- config and command-line validation: one clear line, non-zero, nothing changed -------------------
def test_an_unknown_binding_id_in_keys_is_reported_by_doctor_and_config_show(cli, chinwag_home):
    (chinwag_home / "config.toml").write_text('[keys]\nnew_sesion = "ctrl+o"\nquit = "ctrl+x"\n')
    doctor = cli("doctor")
    assert doctor.returncode == 1 and "Traceback" not in doctor.stderr
    [line] = [line for line in doctor.stdout.splitlines() if line.startswith("keys:")]
    assert "unknown binding id 'new_sesion'" in line and "new_session" in line.split("valid:")[1]
    assert "'quit'" not in line  # a known id is not reported
    shown = cli("config", "show")
    assert "unknown binding id 'new_sesion'" in one_line_error(shown) and "config.toml" in shown.stderr
    assert "agent = " in shown.stdout  # the values are still shown
    (chinwag_home / "config.toml").write_text('[keys]\nnew_session = "ctrl+o"\n')
    assert ok(cli("config", "show")).stderr == "" and "keys:" not in ok(cli("doctor")).stdout


def test_a_db_in_a_missing_folder_is_refused_and_creates_nothing(cli, tmp_path):
    missing = tmp_path / "no" / "such" / "folder"
    for args in (("--db", str(missing / "x.db"), "session", "list"), ("session", "start", "--db", str(missing / "x.db"))):
        line = one_line_error(cli(*args))
        assert f"cannot create database {missing / 'x.db'}: the folder {missing} does not exist" in line
    assert not (tmp_path / "no").exists()
    (tmp_path / "afile").write_text("")
    assert "is not a folder" in one_line_error(cli("--db", str(tmp_path / "afile" / "x.db"), "session", "list"))


def test_the_default_home_is_created_on_first_use(tmp_path):
    from conftest import run_cli

    home = tmp_path / "not" / "yet"
    ok(run_cli("session", "start", "--title", "first", home=home))
    assert (home / "chinwag.db").exists() and stat.S_IMODE(home.stat().st_mode) == 0o700


@pytest.mark.parametrize("query", ["", "   ", "\t\n"])
def test_an_empty_search_is_refused(cli, chinwag_home, query):
    line = one_line_error(cli("session", "search", query), code=2)
    assert "empty query" in line and "session search --help" in line
    assert not (chinwag_home / "chinwag.db").exists()  # refused before anything was opened


def test_config_show_names_the_agent_kind_and_the_session_kind_apart(cli, chinwag_home):
    (chinwag_home / "config.toml").write_text('[defaults]\nkind = "lead"\nagent = "slow"\n\n'
                                              '[agents.slow]\nkind = "echo"\ndelay = 0.05\n')
    text = ok(cli("config", "show")).stdout
    assert "agent_kind = 'echo'  # [agents.slow]" in text and "[agents.NAME] kind" in text
    assert "session_kind = 'lead'  # [defaults]" in text and "\nkind = " not in text
    shown = json.loads(ok(cli("config", "show", "--json")).stdout)["effective"]
    assert shown["agent_kind"]["value"] == "echo" and shown["session_kind"]["value"] == "lead"
    assert "kind" not in shown and "defaults.kind" not in shown
    project = start(cli, "--kind", "project")
    for_session = json.loads(ok(cli("config", "show", "--json", "--session", project["id"])).stdout)["effective"]
    assert for_session["session_kind"] == {"value": "project", "origin": "session"}


def test_doctor_says_built_in_only_for_built_in_agents(cli, chinwag_home):
    (chinwag_home / "config.toml").write_text('[agents.slow]\nkind = "echo"\ndelay = 0.05\n\n'
                                              '[agents.openai]\nkind = "openai"\nmodel = "gpt-x"\n')
    rows = {line.split()[1]: line for line in ok(cli("doctor")).stdout.splitlines() if line.startswith("  ")}
    assert "built in" in rows["echo"] and "built in" in rows["anthropic"] and "built in" in rows["ollama"]
    assert "built in" not in rows["slow"] and " config " in rows["slow"]
    assert "built in" not in rows["openai"] and " config " in rows["openai"]  # a profile that overrides one
