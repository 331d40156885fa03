"""How the command line is parsed (Click): positionals after options, `--db` on either side
of the subcommand, usage errors as one line with exit 2, and the two ways to run it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from cli_results import ok

from chinwag.storage import Store


def usage_error(result) -> str:
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr and result.stdout == ""
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    return lines[0]


def started(cli, *args) -> str:
    return json.loads(ok(cli("session", "start", "--json", *args)).stdout)["id"]


def test_compact_takes_instructions_after_an_option(cli, db_path):
    session_id = started(cli)
    for i in range(2):
        ok(cli("session", "send", session_id, f"message {i} with quite a few words in it to summarize"))
    result = ok(cli("session", "compact", session_id, "--window", "0", "keep", "the names"))
    assert "compacted 4 turns (kept 0)" in result.stdout
    with Store(db_path) as store:
        summary = store.list_turns(session_id)[-1]
    assert summary.role == "summary" and summary.metadata["instructions"] == "keep the names"
    assert "focus: keep the names" in summary.text


def test_db_before_or_after_the_subcommand(cli, tmp_path):
    first, second = tmp_path / "first.db", tmp_path / "second.db"
    before = started(cli, "--db", str(first))
    after = json.loads(ok(cli("--db", str(second), "session", "start", "--json")).stdout)["id"]

    def listed(*args):
        return [s["id"] for s in json.loads(ok(cli(*args)).stdout)]

    assert listed("--db", str(first), "session", "list", "--json") == [before]
    assert listed("session", "list", "--json", "--db", str(second)) == [after]
    assert listed("session", "--db", str(second), "list", "--json") == [after]
    # the innermost --db wins, as it did with argparse
    assert listed("--db", str(first), "session", "list", "--db", str(second), "--json") == [after]


@pytest.mark.parametrize(("args", "help_of"), [
    (["session", "start", "--mode", "sometimes"], "chinwag session start"),
    (["session", "list", "--bogus"], "chinwag session list"),
    (["session", "list", "--all", "--archived"], "chinwag session list"),
    (["session", "list", "--limit", "many"], "chinwag session list"),
    (["session", "show"], "chinwag session show"),
    (["session", "frobnicate"], "chinwag session"),
    (["session"], "chinwag session"),
    (["session", "prune"], "chinwag session prune"),
    (["--json", "session", "list"], "chinwag"),
    (["--new", "--continue"], "chinwag"),
    (["config", "show", "extra"], "chinwag config show"),
    (["doctor", "--full", "yes"], "chinwag doctor"),
    (["serve", "--port", "http"], "chinwag serve"),
])
def test_usage_errors_are_one_line_naming_the_help_to_read(cli, chinwag_home, args, help_of):
    line = usage_error(cli(*args))
    assert line.startswith("chinwag: ") and line.endswith(f"(see `{help_of} --help`)"), line
    assert not (chinwag_home / "chinwag.db").exists()  # nothing was opened, nothing written


def test_help_and_version_exit_0(cli):
    for args in (["--help"], ["-h"], ["session", "--help"], ["session", "compact", "--help"], ["serve", "--help"]):
        assert ok(cli(*args)).stdout.startswith("Usage: chinwag"), args
    assert "--window" in ok(cli("session", "compact", "--help")).stdout
    for command in ("session", "config", "serve", "doctor"):
        assert command in ok(cli("--help")).stdout


def test_top_level_help_loads_no_command_module_and_agrees_with_them():
    code = "import sys; sys.argv = ['chinwag', '--help']\nfrom chinwag.app.cli.main import main\nmain()"
    out = subprocess.run([sys.executable, "-c", code + "\nprint(' '.join(sys.modules))"], capture_output=True, text=True)
    loaded = set(out.stdout.split())
    assert "session" in out.stdout and not {"chinwag.app.cli.session", "chinwag.storage", "textual"} & loaded
    from chinwag.app.cli.main import COMMANDS, cli

    context = cli.make_context("chinwag", [])
    for name, summary in COMMANDS.items():
        assert cli.get_command(context, name).get_short_help_str(200) == summary


def test_runs_as_a_module_package(chinwag_home):
    env = {**os.environ, "CHINWAG_HOME": str(chinwag_home)}
    result = subprocess.run([sys.executable, "-m", "chinwag.app.cli", "--version"], capture_output=True, text=True,
                            env=env)
    assert result.returncode == 0 and result.stdout.startswith("chinwag "), result.stderr


def test_exit_codes_are_one_enum():
    from chinwag.app.cli.exit_codes import ExitCode

    assert [int(code) for code in ExitCode] == [0, 1, 2, 3, 4, 5, 130]


def test_shell_completion_names_commands_and_options(chinwag_home):
    def complete(words: str, index: int) -> list[str]:
        env = {**os.environ, "CHINWAG_HOME": str(chinwag_home), "_CHINWAG_COMPLETE": "bash_complete",
               "COMP_WORDS": words, "COMP_CWORD": str(index)}
        result = subprocess.run([sys.executable, "-m", "chinwag.app.cli.main"], capture_output=True, text=True, env=env)
        assert result.returncode == 0, result.stderr
        return [line.split(",", 1)[1] for line in result.stdout.splitlines()]

    assert complete("chinwag se", 1) == ["session", "serve"]
    assert complete("chinwag session co", 2) == ["compact"]
    assert complete("chinwag session list --a", 3) == ["--all", "--archived"]
