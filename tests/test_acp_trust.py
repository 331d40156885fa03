"""ACP agents under real use: an agent started through a launcher (tests/acp_wrapper.py,
like codex-acp's node script) leaves nothing running after stop, cancel-timeout, crash,
quit or a CLI command; stderr stays one line when an agent fails; "Authentication required"
says how to log in; agents and their terminals never see secrets they were not given."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import pytest

from chinwag.app.agents.acp import pool as acp_pool
from chinwag.app.agents.acp.environment import agent_environment, is_secret
from chinwag.app.config.loader import Config
from chinwag.app.core.runner import Runner

HERE = Path(__file__).parent
AGENT = str(HERE / "fake_acp_agent.py")
WRAPPER = str(HERE / "acp_wrapper.py")


def alive(pid: int) -> bool:
    """Running, by pid: no /proc entry or a zombie (exited, not yet reaped) is not running."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rfind(")") + 2] not in "ZX"


def recorded(path: Path) -> dict[str, list[int]]:
    pids: dict[str, list[int]] = {}
    for line in path.read_text().splitlines():
        role, pid = line.split()
        pids.setdefault(role, []).append(int(pid))
    return pids


def wrapped_config(tmp_path, **env) -> Config:
    env = {"FAKE_ACP_STATE": str(tmp_path / "agent-state.json"), "FAKE_ACP_PIDS": str(tmp_path / "pids"),
           "FAKE_ACP_HELPER": "1", **env}
    return Config(agents={"fake": {"kind": "acp", "command": [sys.executable, WRAPPER], "env": env, "timeout": 20}})


@pytest.fixture
def workspace(tmp_path):
    folder = tmp_path / "ws"
    folder.mkdir()
    return folder


@pytest.fixture(autouse=True)
async def no_agents_left():
    yield
    await acp_pool.close_all()


def new_session(store, workspace):
    return store.create_session(agent="fake", workspace=str(workspace), mode="bypass", title="acp trust")


async def run(store, config, session, prompt):
    return await Runner(store, config).send(session.id, prompt)


def terminal_child(turn) -> int:
    return int(turn.text.split("terminal child: ")[1].split()[0])


# -- item 12: the whole process tree ends ------------------------------------------------------------
async def test_stop_ends_the_launcher_the_agent_its_helper_and_its_terminals(store, tmp_path, workspace):
    session = new_session(store, workspace)
    turn = await run(store, wrapped_config(tmp_path), session, "bgterminal")
    assert turn.status == "complete", turn.error
    pids = recorded(tmp_path / "pids")
    everything = [*pids["wrapper"], *pids["agent"], *pids["helper"], terminal_child(turn)]
    assert all(alive(pid) for pid in everything)
    assert await acp_pool.close(session.id)  # what /stop and archive do
    assert [pid for pid in everything if alive(pid)] == []


async def test_quit_ends_every_agent_tree(store, tmp_path, workspace):
    sessions = [new_session(store, workspace) for _ in range(2)]
    for session in sessions:
        assert (await run(store, wrapped_config(tmp_path), session, "hello")).status == "complete"
    pids = recorded(tmp_path / "pids")
    assert len(pids["agent"]) == 2
    await acp_pool.close_all()  # what quitting the TUI, `chinwag serve` and the worker do
    assert [pid for pids_ in pids.values() for pid in pids_ if alive(pid)] == []


async def test_an_agent_that_ignores_cancel_is_ended_with_its_tree(store, tmp_path, workspace):
    session = new_session(store, workspace)
    runner = Runner(store, wrapped_config(tmp_path))
    task = asyncio.ensure_future(runner.send(session.id, "hang"))
    while not ((tmp_path / "pids").exists() and "helper" in (tmp_path / "pids").read_text()
               and store.running_turn(session.id) is not None and acp_pool.get(session.id) is not None
               and acp_pool.get(session.id).session_id is not None):
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.2)  # the prompt is with the agent
    runner.cancel(session.id)
    turn = await asyncio.wait_for(task, 30)
    assert turn.status == "stopped" and acp_pool.get(session.id) is None
    pids = recorded(tmp_path / "pids")
    assert [pid for pids_ in pids.values() for pid in pids_ if alive(pid)] == []


async def test_a_crashed_agent_leaves_no_helper_and_no_terminal_behind(store, tmp_path, workspace):
    session = new_session(store, workspace)
    config = wrapped_config(tmp_path)
    opened = await run(store, config, session, "bgterminal")
    child = terminal_child(opened)
    crashed = await run(store, config, session, "crash")
    assert crashed.status == "error" and "exited with code 3" in crashed.error
    pids = recorded(tmp_path / "pids")
    assert [pid for pid in [*pids["wrapper"], *pids["agent"], *pids["helper"], child] if alive(pid)] == []


def test_a_cli_command_leaves_no_agent_process(chinwag_home, cli, tmp_path):
    pids = tmp_path / "pids"
    (chinwag_home / "config.toml").write_text(
        f'[agents.fake]\nkind = "acp"\ncommand = ["{sys.executable}", "{WRAPPER}"]\n'
        f'env = {{ FAKE_ACP_PIDS = "{pids}", FAKE_ACP_HELPER = "1" }}\n')
    result = cli("session", "start", "--agent", "fake", "--workspace", str(tmp_path), "bgterminal")
    assert result.returncode == 0, result.stderr
    child = int(result.stdout.split("terminal child: ")[1].split()[0])
    left = [pid for pid in [*sum(recorded(pids).values(), []), child] if alive(pid)]
    assert left == []


# -- item 13: one line on stderr --------------------------------------------------------------------
def test_a_failing_agent_behind_a_launcher_is_one_line_on_stderr(chinwag_home, cli, tmp_path):
    (chinwag_home / "config.toml").write_text(
        f'[agents.fake]\nkind = "acp"\ncommand = ["{sys.executable}", "{WRAPPER}"]\n'
        f'env = {{ FAKE_ACP_AUTH = "1", FAKE_ACP_HELPER = "1", FAKE_ACP_PIDS = "{tmp_path / "pids"}" }}\n')
    started = cli("session", "start", "--agent", "fake", "--workspace", str(tmp_path))
    assert started.returncode == 0, started.stderr
    result = cli("session", "send", started.stdout.strip(), "hello")
    assert result.returncode != 0
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert "Exception ignored" not in result.stderr and "Authentication required" in lines[0]


async def test_an_agents_coloured_stderr_reaches_the_error_as_plain_text(store, tmp_path, workspace):
    script = "import sys; sys.stderr.write('\\x1b[2m10:14\\x1b[0m \\x1b[31mERROR\\x1b[0m no login\\n'); sys.exit(2)"
    config = Config(agents={"fake": {"kind": "acp", "command": [sys.executable, "-c", script], "timeout": 20}})
    turn = await run(store, config, new_session(store, workspace), "hello")
    assert turn.status == "error" and "its stderr: …10:14 ERROR no login" in turn.error
    assert "\x1b" not in turn.error


# -- item 15: authentication required says how to log in -------------------------------------------
async def test_auth_required_lists_the_agents_methods_and_how_to_log_in(store, tmp_path, workspace):
    session = new_session(store, workspace)
    config = Config(agents={"fake": {"kind": "acp", "command": [sys.executable, AGENT],
                                     "env": {"FAKE_ACP_AUTH": "1"}, "timeout": 20}})
    turn = await run(store, config, session, "hello")
    assert turn.status == "error" and "\n" not in turn.error
    assert "needs you to log in" in turn.error
    assert "fake-login (Log in with Fake: Run `fake-agent login` in a terminal)" in turn.error
    assert "fake-key (Use an API key: Requires FAKE_AGENT_API_KEY)" in turn.error
    assert "FAKE_AGENT_API_KEY" in turn.error and "pass_env" in turn.error
    assert (store.get_session(session.id).input_tokens, turn.input_tokens) == (0, 0)  # nothing was sent


async def test_an_agent_that_is_given_its_key_gets_past_authentication(store, tmp_path, workspace, monkeypatch):
    monkeypatch.setenv("FAKE_AGENT_API_KEY", "secret-value")
    session = new_session(store, workspace)
    config = Config(agents={"fake": {"kind": "acp", "command": [sys.executable, AGENT], "env": {"FAKE_ACP_AUTH": "1"},
                                     "pass_env": ["FAKE_AGENT_API_KEY"], "timeout": 20}})
    turn = await run(store, config, session, "hello")
    assert turn.status == "complete" and turn.text == "echo #1: hello"


# -- item 20: secrets stay out of agents and their terminals ----------------------------------------
SECRETS = {"OPENAI_API_KEY": "sk-1", "ANTHROPIC_API_KEY": "sk-2", "GITHUB_TOKEN": "gh-3",
           "AWS_SECRET_ACCESS_KEY": "aws-4", "DB_PASSWORD": "pw-5", "PGPASSWORD": "pw-6"}


def seen_names(turn, label: str) -> set[str]:
    return set(json.loads(turn.text.split(f"{label}: ")[1].split("]")[0] + "]"))


async def test_agents_and_their_terminals_get_no_secrets_unless_named(store, tmp_path, workspace, monkeypatch):
    for name, value in {**SECRETS, "PLAIN_SETTING": "kept"}.items():
        monkeypatch.setenv(name, value)
    session = new_session(store, workspace)
    config = Config(agents={"fake": {"kind": "acp", "command": [sys.executable, AGENT], "timeout": 20,
                                     "pass_env": ["GITHUB_TOKEN"], "env": {"MY_SERVICE_TOKEN": "given"}}})
    turn = await run(store, config, session, "env termenv")
    assert turn.status == "complete", turn.error
    for label in ("env", "termenv"):
        names = seen_names(turn, label)
        assert names & set(SECRETS) == {"GITHUB_TOKEN"}, label
        assert {"PLAIN_SETTING", "PATH", "MY_SERVICE_TOKEN"} <= names, label


def test_which_names_are_secrets():
    assert all(is_secret(name) for name in [*SECRETS, "HF_TOKEN", "GEMINI_API_KEY", "AWS_ACCESS_KEY_ID",
                                             "GOOGLE_APPLICATION_CREDENTIALS", "MY_APIKEY", "MYSQL_PWD"])
    assert not any(is_secret(name) for name in ["PATH", "HOME", "SSH_AUTH_SOCK", "KEYBOARD_LAYOUT", "TERM",
                                                 "PYTHON_KEYRING_BACKEND", "LANG", "CHINWAG_HOME"])
    env = agent_environment({"pass_env": ["OPENAI_API_KEY"], "env": {"X_TOKEN": "1"}},
                            {"OPENAI_API_KEY": "a", "ANTHROPIC_API_KEY": "b", "PATH": "/bin"})
    assert env == {"OPENAI_API_KEY": "a", "PATH": "/bin", "X_TOKEN": "1"}


def test_pass_env_from_config_toml_reaches_the_agent(chinwag_home, cli, tmp_path):
    (chinwag_home / "config.toml").write_text(
        f'[agents.fake]\nkind = "acp"\ncommand = ["{sys.executable}", "{AGENT}"]\npass_env = ["GITHUB_TOKEN"]\n')
    result = cli("session", "start", "--agent", "fake", "--workspace", str(tmp_path), "env",
                 env={"OPENAI_API_KEY": "sk-x", "GITHUB_TOKEN": "gh-y"})
    assert result.returncode == 0, result.stderr
    names = set(json.loads(result.stdout.split("env: ")[1].split("]")[0] + "]"))
    assert "GITHUB_TOKEN" in names and "OPENAI_API_KEY" not in names


def test_a_wrong_pass_env_is_one_line(chinwag_home, cli):
    (chinwag_home / "config.toml").write_text('[agents.fake]\nkind = "acp"\ncommand = ["x"]\npass_env = [1]\n')
    result = cli("config", "show")
    assert result.returncode != 0 and len(result.stderr.strip().splitlines()) == 1
    assert "pass_env must be a list of variable names" in result.stderr


def test_the_login_hint_covers_terminal_and_env_var_methods():
    from acp.schema import AuthEnvVar, EnvVarAuthMethod, TerminalAuthMethod

    from chinwag.app.agents.acp.agent import login_hint

    hint = login_hint("codex", ["codex-acp"], Exception("Authentication required"), [
        TerminalAuthMethod(type="terminal", id="tty", name="Sign in", args=["--login"], env={"MODE": "tty"}),
        EnvVarAuthMethod(type="env_var", id="key", name="API key", vars=[AuthEnvVar(name="CODEX_API_KEY")]),
    ])
    assert "tty (Sign in)" in hint and "key (API key)" in hint
    assert "run `MODE=tty codex-acp --login` in a terminal" in hint
    assert "export CODEX_API_KEY=... and name it in pass_env in [agents.codex]" in hint
    assert "own login command" not in hint and "\n" not in hint
