"""Reading `config.toml`: defaults and named agent profiles, validated with clear errors.

    [defaults]
    agent = "echo"          # agent profile used when none is named
    model = ""              # model override for that agent
    kind = "general"        # kind of new sessions
    workspace = ""          # default workspace ("" = the current directory)

    [keys]                  # rebind by binding id (see README), e.g.
    new_session = "ctrl+o"

    [agents.slow-echo]
    kind = "echo"
    delay = 0.05            # seconds between streamed deltas

    [agents.local]          # any OpenAI-compatible server (Ollama, llama.cpp, vLLM, LM Studio)
    kind = "openai"
    base_url = "http://127.0.0.1:8080/v1"
    model = "qwen2.5-coder"

    [workspaces."~/src/project"]   # overrides for sessions whose workspace is in this folder
    system_prompt = "Answer briefly."

Effective values cascade: session > workspace > agent profile > [defaults] (see settings.py).
Which key may be set where, its type, range and help: `schema.py`.

Secrets never live here: a profile names the environment variable that holds its key.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from chinwag.app.config import paths, schema
from chinwag.app.config.schema import Scope, Spec

TOP_KEYS = {"defaults", "agents", "keys", "workspaces", "ui", "checkpoints"}
DEFAULT_KEYS = schema.keys(Scope.DEFAULTS)
AGENT_KEYS = schema.keys(Scope.AGENT)
CASCADE_KEYS = schema.keys(Scope.WORKSPACE)  # what a workspace (and the cascade above an agent) may set
UI_KEYS = schema.keys(Scope.UI)
CHECKPOINT_KEYS = schema.keys(Scope.CHECKPOINTS)


class ConfigError(Exception):
    """A problem in config.toml, with the file (and line where known)."""


@dataclass
class Config:
    """The settings file, parsed and checked: defaults, agent profiles, keys, workspaces, [ui] and
    [checkpoints]."""

    path: Path | None = None
    defaults: dict = field(default_factory=dict)
    agents: dict[str, dict] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)  # binding id -> keys, e.g. quit = "ctrl+x"
    workspaces: dict[str, dict] = field(default_factory=dict)  # folder -> cascade overrides
    ui: dict = field(default_factory=dict)  # [ui]: how the TUI looks (theme)
    checkpoints: dict = field(default_factory=dict)  # [checkpoints]: workspace snapshots before a turn

    def agent_profile(self, name: str) -> dict:
        return dict(self.agents.get(name, {}))


def _line_of(text: str, key: str) -> str:
    for number, line in enumerate(text.splitlines(), 1):
        if re.match(rf"\s*\[?\s*{re.escape(key)}\b", line):
            return f":{number}"
    return ""


def _check(section: dict, allowed: dict[str, Spec], where: str, path: Path, text: str) -> None:
    for key, value in section.items():
        if key not in allowed:
            raise ConfigError(
                f"{path}{_line_of(text, key)}: unknown key {key!r} in {where} "
                f"(known: {', '.join(sorted(allowed))})"
            )
        spec = allowed[key]
        if not spec.accepts(value):
            raise ConfigError(f"{path}{_line_of(text, key)}: {where}.{key} has the wrong type ({type(value).__name__})")
        problem = spec.problem(value)
        if problem:
            raise ConfigError(f"{path}{_line_of(text, key)}: {where}.{key} {problem}")


def load_config(path: Path | None = None) -> Config:
    path = path or paths.config_path()
    if not path.exists():
        return Config(path=None)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read ({exc})") from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from exc
    for key in data:
        if key not in TOP_KEYS:
            raise ConfigError(
                f"{path}{_line_of(text, key)}: unknown section {key!r} (known: {', '.join(sorted(TOP_KEYS))})"
            )
    defaults = data.get("defaults", {})
    if not isinstance(defaults, dict):
        raise ConfigError(f"{path}: [defaults] must be a table")
    _check(defaults, DEFAULT_KEYS, "[defaults]", path, text)
    agents = data.get("agents", {})
    if not isinstance(agents, dict):
        raise ConfigError(f"{path}: [agents] must be a table of profiles")
    for name, profile in agents.items():
        if not isinstance(profile, dict):
            raise ConfigError(f"{path}: agents.{name} must be a table")
        _check(profile, AGENT_KEYS, f"[agents.{name}]", path, text)
    keys = data.get("keys", {})
    if not isinstance(keys, dict) or not all(isinstance(v, str) for v in keys.values()):
        raise ConfigError(f"{path}: [keys] maps binding ids to key names, e.g. quit = \"ctrl+x\"")
    workspaces = data.get("workspaces", {})
    if not isinstance(workspaces, dict):
        raise ConfigError(f"{path}: [workspaces] must be a table of folders")
    for folder, overrides in workspaces.items():
        if not isinstance(overrides, dict):
            raise ConfigError(f"{path}: workspaces.{folder!r} must be a table")
        _check(overrides, CASCADE_KEYS, f'[workspaces."{folder}"]', path, text)
    ui = data.get("ui", {})
    if not isinstance(ui, dict):
        raise ConfigError(f"{path}: [ui] must be a table")
    _check(ui, UI_KEYS, "[ui]", path, text)
    checkpoints = data.get("checkpoints", {})
    if not isinstance(checkpoints, dict):
        raise ConfigError(f"{path}: [checkpoints] must be a table")
    _check(checkpoints, CHECKPOINT_KEYS, "[checkpoints]", path, text)
    return Config(path=path, defaults=defaults, agents=agents, keys=keys, workspaces=workspaces, ui=ui,
                  checkpoints=checkpoints)
