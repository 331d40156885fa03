"""The one settings schema: every key it names is accepted where it says, shown by `config
show` with its origin, named by the template, and offered by `/set`; nothing else is."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib

import pytest

from chinwag.app.cli.config import SHOWN_AS
from chinwag.app.config import schema
from chinwag.app.config.loader import ConfigError, load_config
from chinwag.app.config.schema import SETTINGS, Mode, Scope, Spec, toml_value

FILE_SCOPES = {Scope.DEFAULTS: "[defaults]", Scope.AGENT: "[agents.probe]", Scope.WORKSPACE: "[workspaces.",
               Scope.UI: "[ui]", Scope.CHECKPOINTS: "[checkpoints]"}
SECTIONS = {Scope.UI: "ui", Scope.CHECKPOINTS: "checkpoints"}  # sections of their own, outside the cascade


def sample(spec: Spec) -> object:
    """A valid value for `spec` that differs from its built-in default."""
    if spec.name == "agent":
        return "probe"
    if spec.choices:
        return next(c for c in reversed(spec.choices) if c != spec.default)
    if spec.type is bool:
        return not spec.default
    return {str: f"{spec.name}-value", int: 7, float: 0.5, list: ["prog", "--flag"], dict: {"A_VAR": "1"}}[spec.type]


def toml(value: object) -> str:
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {toml_value(v)}" for k, v in value.items()) + " }"
    return toml_value(value)


def table(header: str, values: dict) -> str:
    return header + "\n" + "".join(f"{k} = {toml(v)}\n" for k, v in values.items()) + "\n"


def shown_name(spec: Spec) -> str:
    """The name `config show` lists a setting under: settings outside the cascade carry their section."""
    if Scope.WORKSPACE in spec.scopes or Scope.AGENT in spec.scopes:
        return spec.name
    return f"{next((n for s, n in SECTIONS.items() if s in spec.scopes), 'defaults')}.{spec.name}"


def config_for(scope: Scope, workspace: str) -> tuple[str, dict[str, Spec]]:
    """config.toml setting every key `scope` may hold (and what the cascade needs to reach it)."""
    specs = schema.keys(scope)
    values = {name: sample(spec) for name, spec in specs.items()}
    if scope is Scope.DEFAULTS:
        values["workspace"] = workspace
        return table("[defaults]", values) + table("[agents.probe]", {"kind": "echo"}), specs
    if scope is Scope.AGENT:
        return table("[defaults]", {"agent": "probe"}) + table("[agents.probe]", values), specs
    if scope is Scope.WORKSPACE:
        return table("[agents.probe]", {"kind": "echo"}) + table(f'[workspaces."{workspace}"]', values), specs
    return table("[defaults]", {"agent": "echo"}) + table(f"[{SECTIONS[scope]}]", values), specs


def show(cli, *args: str) -> tuple[dict, str]:
    as_json = cli("config", "show", "--json", *args)
    as_text = cli("config", "show", *args)
    assert as_json.returncode == 0 and as_text.returncode == 0, as_json.stderr + as_text.stderr
    return json.loads(as_json.stdout)["effective"], as_text.stdout


@pytest.mark.parametrize("scope", list(FILE_SCOPES), ids=lambda s: s.name)
def test_every_key_round_trips_through_load_effective_and_config_show(chinwag_home, cli, tmp_path, scope):
    from chinwag.app.agents.settings import effective, section_settings

    workspace = str(tmp_path)
    text, specs = config_for(scope, workspace)
    (chinwag_home / "config.toml").write_text(text)
    config = load_config()
    values = {**effective(config, workspace=workspace, probe=False), **section_settings(config)}
    effective_json, effective_text = show(cli, "--workspace", workspace)
    for name, spec in specs.items():
        setting, wanted = shown_name(spec), sample(spec) if name != "workspace" else workspace
        key = SHOWN_AS.get(setting, setting)  # the two `kind`s are shown as agent_kind and session_kind
        assert values[setting].value == wanted, key
        assert FILE_SCOPES[scope] in values[setting].origin, (key, values[setting].origin)
        shown = spec.shown(wanted)
        assert effective_json[key] == {"value": shown, "origin": values[setting].origin}, key
        assert f"{key} = {shown!r}  # {values[setting].origin}" in effective_text, key


def test_every_session_key_round_trips_through_set_effective_and_config_show(cli):
    specs = schema.keys(Scope.SESSION)
    sets = [arg for name, spec in specs.items() for arg in ("--set", f"{name}={sample(spec)}")]
    started = cli("session", "start", "--agent", "echo", "--no-stream", *sets, "hi")
    assert started.returncode == 0, started.stderr
    listed = json.loads(cli("session", "list", "--json").stdout)
    effective_json, effective_text = show(cli, "--session", listed[0]["id"])
    for name, spec in specs.items():
        assert effective_json[name] == {"value": sample(spec), "origin": "session"}, name
        assert f"{name} = {sample(spec)!r}  # session" in effective_text


def test_the_schema_covers_every_scope_and_the_round_trips_cover_the_schema():
    covered = {(spec.name, scope) for scope in (*FILE_SCOPES, Scope.SESSION) for spec in schema.keys(scope).values()}
    for spec in SETTINGS:
        places = [scope for scope in Scope if scope in spec.scopes]
        assert places, spec.name
        assert all((spec.name, scope) in covered for scope in places), spec.name


def test_an_agents_env_values_are_never_shown(chinwag_home, cli):
    (chinwag_home / "config.toml").write_text(
        '[defaults]\nagent = "probe"\n[agents.probe]\nkind = "acp"\ncommand = ["x"]\nenv = { GH_TOKEN = "gh-s3cret" }\n')
    effective_json, effective_text = show(cli)
    assert effective_json["env"]["value"] == {"GH_TOKEN": "…"}
    assert "gh-s3cret" not in effective_text + json.dumps(effective_json) and "GH_TOKEN" in effective_text


def uncommented(template: str) -> str:
    """Every commented `key = value` and `[table]` line of the template, made live."""
    lines = [line[2:] if line.startswith("# ") and ("=" in line or line.startswith("# [")) else line
             for line in template.splitlines()]
    return "\n".join(line.split("  #")[0] for line in lines) + "\n"


def test_the_template_parses_names_every_key_and_only_schema_keys(chinwag_home):
    from chinwag.app.config.template import DEFAULT_CONFIG

    path = chinwag_home / "config.toml"
    path.write_text(DEFAULT_CONFIG)
    assert load_config().agents == {} and load_config().defaults == {}  # as written it changes nothing
    live = uncommented(DEFAULT_CONFIG)
    path.write_text(live)
    load_config()  # every uncommented line passes the loader's validation
    data = tomllib.loads(live)
    named = {(Scope.DEFAULTS, key) for key in data["defaults"]} | {(Scope.UI, key) for key in data["ui"]}
    named |= {(Scope.CHECKPOINTS, key) for key in data["checkpoints"]}
    named |= {(Scope.AGENT, key) for profile in data["agents"].values() for key in profile}
    named |= {(Scope.WORKSPACE, key) for overrides in data["workspaces"].values() for key in overrides}
    assert all(key in schema.keys(scope) for scope, key in named), named
    for spec in SETTINGS:  # every key appears as `# key = ...` or in the list of profile keys
        assert f"# {spec.name} = " in DEFAULT_CONFIG or f"#   {spec.name} " in DEFAULT_CONFIG, spec.name


def test_set_offers_exactly_the_session_settable_keys_with_their_help():
    from chinwag.app.agents.settings import SESSION_KEYS, parse_override
    from chinwag.app.core.commands import ARG_CHOICES, COMMANDS

    assert [choice[0] for choice in ARG_CHOICES["setting"]] == list(schema.session_keys()) == list(SESSION_KEYS)
    assert all(help == schema.keys(Scope.SESSION)[key].help for key, help, _ in ARG_CHOICES["setting"])
    assert [choice[0] for choice in ARG_CHOICES["mode"]] == [mode.value for mode in Mode]
    assert next(c for c in COMMANDS if c.name == "mode").usage == "/mode [ask|bypass|readonly]"
    for key, spec in schema.keys(Scope.SESSION).items():
        assert parse_override(key, str(sample(spec))) == sample(spec)


@pytest.mark.parametrize("text, message", [
    ('[defaults]\nkind = "nope"\n', ":2: [defaults].kind is 'nope' (one of: project, lead, campaign, general)"),
    ('[defaults]\nauto_compact = 80\n', ":2: [defaults].auto_compact is out of range (80; from 0 to below 1)"),
    ('[agents.x]\nkind = "ecko"\n', ":2: [agents.x].kind is 'ecko' (one of: echo, openai, anthropic, acp)"),
    ('[agents.x]\nkind = "acp"\ncommand = ["prog", 1]\n', ":3: [agents.x].command must be a list of strings (the program and its arguments)"),
    ('[agents.x]\nkind = "echo"\nchunk = 0\n', ":3: [agents.x].chunk is out of range (0; at least 1)"),
    ('[workspaces."/w"]\ntemperature = -1\n', ':2: [workspaces."/w"].temperature is out of range (-1; at least 0)'),
    ('[agents.x]\nidle_timeout = "soon"\n', ":2: [agents.x].idle_timeout has the wrong type (str)"),
])
def test_a_value_the_schema_refuses_is_one_line_with_file_and_line(chinwag_home, cli, text, message):
    (chinwag_home / "config.toml").write_text(text)
    with pytest.raises(ConfigError, match="config.toml"):
        load_config()
    result = cli("config", "show")
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.strip().splitlines() == [f"chinwag: {chinwag_home / 'config.toml'}{message}"]


def test_a_new_session_takes_the_configured_kind(chinwag_home, cli):
    (chinwag_home / "config.toml").write_text('[defaults]\nkind = "lead"\n')
    assert cli("session", "start", "--agent", "echo").returncode == 0
    assert json.loads(cli("session", "list", "--json").stdout)[0]["kind"] == "lead"


def test_reading_the_schema_loads_no_database_code():
    """`chinwag --version` parses the command line, which reads the schema's enums: that
    must not import the store (sqlite-utils), or start-up pays for it."""
    code = ("import sys, chinwag.app.cli.main, chinwag.app.config.schema;"
            "print(sorted(m for m in ('chinwag.storage.store', 'sqlite_utils') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
