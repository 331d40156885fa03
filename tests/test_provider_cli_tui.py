"""Providers end to end: the `chinwag` command in a subprocess and the TUI under Pilot,
against the fake OpenAI/Anthropic server on 127.0.0.1; and the provider layer stays lazy."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from fake_llm import FakeLLM, Reply
from test_app_flows import submit, wait_for

from chinwag.app.config.loader import Config
from chinwag.app.tui.app import ChinwagApp
from chinwag.storage import Store

KEY = "sk-cli-marker-987654321"


@pytest.fixture
def fake():
    with FakeLLM() as server:
        yield server


def write_config(home, fake, kind="openai", extra=""):
    url = fake.url + "/v1" if kind == "openai" else fake.url
    (home / "config.toml").write_text(
        f'[agents.fake]\nkind = "{kind}"\nbase_url = "{url}"\nmodel = "fake-small"\n'
        f'api_key_env = "FAKE_KEY"\ntimeout = 3\nmax_retries = 1\n{extra}'
    )


@pytest.mark.parametrize("kind", ["openai", "anthropic"])
def test_cli_session_start_against_the_server(chinwag_home, cli, fake, kind):
    write_config(chinwag_home, fake, kind)
    fake.script(Reply(chunks=["Hello ", "from the CLI."], usage=(40, 6)), Reply(chunks=["CLI Greeting"]))
    result = cli("session", "start", "--agent", "fake", "say hello", env={"FAKE_KEY": KEY})
    assert result.returncode == 0, result.stderr
    assert "Hello from the CLI." in result.stdout
    session_id = result.stderr.split()[1]
    shown = json.loads(cli("session", "show", session_id, "--json").stdout)
    agent_turn = shown["turns"][-1]
    assert (agent_turn["input_tokens"], agent_turn["output_tokens"], agent_turn["tokens_estimated"]) == (40, 6, False)
    assert shown["session"]["title"] == "CLI Greeting"  # generated before the command returned


def test_cli_error_is_one_line_names_the_variable_and_hides_the_key(chinwag_home, cli, fake):
    write_config(chinwag_home, fake)
    fake.script(Reply(status=401, error={"error": {"message": f"bad key {KEY}"}}))
    result = cli("session", "start", "--agent", "fake", "hi", env={"FAKE_KEY": KEY})
    assert result.returncode != 0
    error_lines = [line for line in result.stderr.splitlines() if "error" in line]
    assert len(error_lines) == 1 and "FAKE_KEY" in error_lines[0] and KEY not in result.stderr + result.stdout


def test_cli_missing_key_and_config_show(chinwag_home, cli, fake):
    write_config(chinwag_home, fake, extra='\n[defaults]\nagent = "fake"\ntemperature = 0.4\n')
    result = cli("session", "start", "hi")
    assert result.returncode != 0 and "FAKE_KEY is not set" in result.stderr
    shown = json.loads(cli("config", "show", "--json").stdout)["effective"]
    assert shown["agent"] == {"value": "fake", "origin": f"[defaults] ({chinwag_home / 'config.toml'})"}
    assert shown["temperature"]["value"] == 0.4 and shown["base_url"]["value"] == fake.url + "/v1"
    text = cli("config", "show").stdout
    assert "model = 'fake-small'  # [agents.fake]" in text


def test_cli_unknown_config_key_names_file_and_line(chinwag_home, cli, fake):
    write_config(chinwag_home, fake, extra="colour = 1\n")
    result = cli("config", "show")
    assert result.returncode != 0 and "config.toml:8: unknown key 'colour'" in result.stderr


async def test_tui_streams_a_provider_reply_with_reported_tokens(db_path, fake, monkeypatch):
    monkeypatch.setenv("FAKE_KEY", KEY)
    url = fake.url + "/v1"
    config = Config(agents={"fake": {"kind": "openai", "base_url": url, "model": "fake-small",
                                     "api_key_env": "FAKE_KEY", "timeout": 3}})
    store = Store(db_path)
    session = store.create_session(agent="fake", model="fake-small", title="pilot")
    fake.script(Reply(chunks=["Streamed ", "through ", "the TUI."], usage=(2311, 246), delay=0.01),
                Reply(status=401, error={"error": {"message": "nope"}}))
    app = ChinwagApp(store=store, config=config, animate=False, session_id=session.id)
    try:
        async with app.run_test(size=(120, 36)) as pilot:
            await submit(pilot, app, "hi")
            await wait_for(pilot, lambda: app.chat.transcript.last_reply_text() == "Streamed through the TUI."
                           and not app.runner.running_sessions())
            await pilot.pause(0.2)
            screen = "\n".join(strip.text for strip in app.screen._compositor.render_strips())
            assert "fake · fake-small · ⇡ 2,311 ⇣ 246" in screen and "~" not in screen.split("⇡ 2,311")[0][-3:]
            await wait_for(pilot, lambda: app.chat._model_lists.get("fake") == ["fake-coder", "fake-large", "fake-small"])
            await submit(pilot, app, "again")
            await wait_for(pilot, lambda: store.get_session(session.id).state == "error")
            await pilot.pause(0.2)
            screen = "\n".join(strip.text for strip in app.screen._compositor.render_strips())
            assert "refused the API key" in screen and "FAKE_KEY" in screen
            assert app.is_running  # the app stays up
    finally:
        store.close()


def test_provider_sdks_are_imported_lazily():
    code = (
        "import sys, chinwag.app.cli.main, chinwag.app.tui.app, chinwag.app.core.runner, chinwag.storage, "
        "chinwag.app.agents, chinwag.app.agents.settings;"
        "heavy = [m for m in ('pydantic_ai', 'openai', 'anthropic', 'httpx2', 'acp') if m in sys.modules];"
        "print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_cli_per_session_settings(chinwag_home, cli, fake):
    write_config(chinwag_home, fake)
    bad = cli("session", "start", "--agent", "fake", "--set", "colour=red", "hi", env={"FAKE_KEY": KEY})
    assert bad.returncode != 0 and "unknown setting 'colour'" in bad.stderr
    assert cli("session", "list", "--json").stdout.strip() == "[]"  # nothing was written
    fake.script(Reply(chunks=["ok"]))
    good = cli("session", "start", "--agent", "fake", "--title", "t", "--set", "temperature=0.7",
               "--set", "system_prompt=Answer in French.", "hi", env={"FAKE_KEY": KEY})
    assert good.returncode == 0, good.stderr
    body = fake.chat_requests()[-1].body
    assert body["temperature"] == 0.7 and body["messages"][0] == {"role": "system", "content": "Answer in French."}


async def test_tui_switches_agent_and_sets_overrides_mid_session(db_path, fake, monkeypatch):
    monkeypatch.setenv("FAKE_KEY", KEY)
    config = Config(agents={"fake": {"kind": "anthropic", "base_url": fake.url, "model": "fake-large",
                                     "api_key_env": "FAKE_KEY"},
                            "echo": {"kind": "echo", "delay": 0}})
    store = Store(db_path)
    session = store.create_session(agent="echo", title="switching")
    app = ChinwagApp(store=store, config=config, animate=False, session_id=session.id)
    try:
        async with app.run_test(size=(120, 36)) as pilot:
            await submit(pilot, app, "first, to echo")
            await wait_for(pilot, lambda: not app.runner.running_sessions() and len(store.list_turns(session.id)) == 2)
            assert fake.chat_requests() == []
            await submit(pilot, app, "/agent fake")
            await submit(pilot, app, "/set temperature 0.25")
            await submit(pilot, app, "/set temperature hot")
            assert store.get_session(session.id).config == {"temperature": 0.25}  # the bad value changed nothing
            await submit(pilot, app, "second, to the model")
            await wait_for(pilot, lambda: not app.runner.running_sessions() and len(store.list_turns(session.id)) == 4)
            body = fake.chat_requests()[-1].body
            assert body["model"] == "fake-large" and body["temperature"] == 0.25
            texts = [c["text"] for m in body["messages"] for c in m["content"]]
            assert texts[0] == "first, to echo" and texts[-1] == "second, to the model"
            changes = [e.data for e in store.list_events(session.id) if e.type == "session_change"]
            assert {"agent": "fake", "model": "fake-large"} in changes and {"config": {"temperature": 0.25}} in changes
            await submit(pilot, app, "/set nonsense")  # an unknown key resets nothing
            assert store.get_session(session.id).config == {"temperature": 0.25}
            await submit(pilot, app, "/set temperature")  # no value: shows it, changes nothing
            assert store.get_session(session.id).config == {"temperature": 0.25}
            await submit(pilot, app, "/set temperature --reset")  # back to the configured one
            assert store.get_session(session.id).config == {}
    finally:
        store.close()


def test_config_init_writes_presets_that_parse(chinwag_home, cli):
    from chinwag.app.config.loader import load_config

    result = cli("config", "init")
    assert result.returncode == 0, result.stderr
    path = chinwag_home / "config.toml"
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert load_config().agents == {}  # all commented out: changes nothing
    again = cli("config", "init")
    assert again.returncode != 0 and "exists" in again.stderr
    # every preset, uncommented, is a valid profile
    lines = [line[2:] if line.startswith("# ") and ("=" in line or line.startswith("# [")) else line
             for line in path.read_text().splitlines()]
    path.write_text("\n".join(line.split("  #")[0] for line in lines) + "\n")
    config = load_config()
    assert {"claude", "gpt", "local", "claude-code", "gemini", "codex", "goose", "opencode"} <= set(config.agents)
    assert config.agents["gemini"]["command"] == ["gemini", "--experimental-acp"]


CLI_ERRORS = {
    "404": (Reply(status=404, error={"error": {"message": "model not found", "code": "model_not_found"}}),
            "unknown model 'fake-small'"),
    "429": (Reply(status=429, headers={"retry-after": "0"}, error={"error": {"message": "slow down"}}),
            "rate limited"),
    "stall": (Reply(hang=5), "did not answer within 3 s"),
    "malformed": (Reply(chunks=["partial ", "text"], malformed=True), "malformed"),
    "cut": (Reply(chunks=["partial ", "text"], cut=True), "ended before the reply was finished"),
    "empty": (Reply(empty=True, usage=None), "empty reply"),
    "context": (Reply(status=400, error={"error": {"message": "maximum context length exceeded",
                                                   "code": "context_length_exceeded"}}), "/compact"),
}


@pytest.mark.parametrize("case", sorted(CLI_ERRORS))
def test_cli_reports_each_provider_error_in_one_line_and_keeps_the_turn(chinwag_home, cli, fake, case):
    write_config(chinwag_home, fake)
    reply, needle = CLI_ERRORS[case]
    fake.script(reply)
    result = cli("session", "start", "--agent", "fake", "--title", "t", "hi", env={"FAKE_KEY": KEY})
    assert result.returncode != 0
    errors = [line for line in result.stderr.splitlines() if line.startswith("chinwag: ")]
    assert len(errors) == 1 and needle in errors[0] and KEY not in result.stderr
    session_id = result.stderr.split()[1]
    turn = json.loads(cli("session", "show", session_id, "--json").stdout)["turns"][-1]
    assert turn["status"] == "error" and needle in turn["error"]
    if case in ("malformed", "cut"):
        assert turn["text"].startswith("partial ") and "partial " in result.stdout
