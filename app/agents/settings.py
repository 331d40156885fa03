"""The settings cascade: the effective value of each setting and where it came from.

    session (its row and its `config` JSON)  >  workspace ([workspaces."FOLDER"], the
    longest folder containing the session's workspace)  >  agent profile ([agents.NAME] or
    a built-in)  >  global ([defaults])  >  built-in defaults

The agent itself is chosen the same way, and when nothing names one, by discovery
(a provider key in the environment, Ollama answering, else `echo`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from chinwag.app.agents import profile_for
from chinwag.app.agents.discovery import ECHO_HINT, discover_default, ollama_models
from chinwag.app.config import schema
from chinwag.app.config.loader import CASCADE_KEYS, Config
from chinwag.app.config.schema import Scope

BUILTIN = {key: spec.default for key, spec in CASCADE_KEYS.items() if spec.default is not None}
AGENT_ONLY = tuple(key for key in schema.keys(Scope.AGENT) if key not in CASCADE_KEYS)
SESSION_KEYS = schema.session_keys()
# settings of their own section, outside the cascade: shown by `config show` as "defaults.kind", "ui.theme"
SECTION_ONLY = {f"defaults.{k}": s for k, s in schema.keys(Scope.DEFAULTS).items() if k not in CASCADE_KEYS} | {
    f"ui.{k}": s for k, s in schema.keys(Scope.UI).items()} | {
    f"checkpoints.{k}": s for k, s in schema.keys(Scope.CHECKPOINTS).items()}


@dataclass(frozen=True)
class Setting:
    """A session setting's effective value and where it came from (session, workspace, profile, default)."""

    value: object
    origin: str


def _folder(path: str) -> Path:
    return Path(os.path.expanduser(path)).resolve()


def workspace_overrides(config: Config, workspace: str) -> tuple[str, dict]:
    """The [workspaces."FOLDER"] table that applies to `workspace` (longest match), if any."""
    if not workspace or not config.workspaces:
        return "", {}
    target = _folder(workspace)
    matches = [(len(str(_folder(f))), f) for f in config.workspaces
               if target == _folder(f) or _folder(f) in target.parents]
    if not matches:
        return "", {}
    folder = max(matches)[1]
    return folder, config.workspaces[folder]


def effective(config: Config, *, session=None, workspace: str = "", environ=None, probe: bool = True) -> dict[str, Setting]:
    where = f" ({config.path})" if config.path else ""
    out: dict[str, Setting] = {key: Setting(value, "built-in") for key, value in BUILTIN.items()}
    for key in CASCADE_KEYS:
        if key in config.defaults:
            out[key] = Setting(config.defaults[key], f"[defaults]{where}")
    ws_key, ws = workspace_overrides(config, workspace or (session.workspace if session else ""))
    ws_origin = f'[workspaces."{ws_key}"]{where}'

    if session is not None and session.agent:
        out["agent"] = Setting(session.agent, "session")
    elif "agent" in ws:
        out["agent"] = Setting(ws["agent"], ws_origin)
    elif "agent" not in config.defaults:
        choice = discover_default(environ, probe=probe)
        out["agent"] = Setting(choice.agent, f"discovered: {choice.reason}")
        if choice.model:
            out["model"] = Setting(choice.model, f"discovered: {choice.reason}")
    agent = str(out["agent"].value)

    profile = profile_for(agent, config, environ)
    agent_origin = f"[agents.{agent}]{where}" if agent in config.agents else f"built-in agent {agent!r}"
    for key, value in profile.items():
        if key in CASCADE_KEYS or key in AGENT_ONLY:
            out[key] = Setting(value, agent_origin)
    for key, value in ws.items():
        if key != "agent":
            out[key] = Setting(value, ws_origin)
    if session is not None:
        if session.model:
            out["model"] = Setting(session.model, "session")
        for key, value in (session.config or {}).items():
            if key in SESSION_KEYS:
                out[key] = Setting(value, "session")
    return out


@dataclass(frozen=True)
class NewSession:
    """The agent and model a new session starts with."""

    agent: str
    model: str
    hint: str = ""  # how to connect a real model, when discovery fell back to echo


def new_session_choice(config: Config, workspace: str, *, agent: str = "", model: str = "", environ=None) -> NewSession:
    """Agent and model for a new session: those asked for, else the cascade's."""
    hint = ""
    if agent:
        profile = profile_for(agent, config, environ)  # unknown agent: a clear error, nothing written
        values = effective(config, workspace=workspace, environ=environ, probe=False)
        if not model and values.get("agent", Setting("", "")).value == agent and "model" in values:
            model = str(values["model"].value)
    else:
        values = effective(config, workspace=workspace, environ=environ)
        agent = str(values["agent"].value)
        profile = profile_for(agent, config, environ)
        model = model or str(values["model"].value if "model" in values else "")
        if agent == "echo" and values["agent"].origin.startswith("discovered"):
            hint = ECHO_HINT
    model = model or profile.get("model", "")
    if not model and profile.get("local"):
        model = (ollama_models(environ) or [""])[0]
    return NewSession(agent, model, hint)


def new_session_kind(config: Config) -> str:
    """The kind of a new session: [defaults] kind, else the built-in one."""
    return str(config.defaults.get("kind") or schema.keys(Scope.DEFAULTS)["kind"].default)


def session_key(key: str) -> str:
    """`key` if it can be set per session; else ValueError naming the ones that can."""
    key = key.strip()
    if key not in SESSION_KEYS:
        raise ValueError(f"unknown setting {key!r} (settable per session: {', '.join(SESSION_KEYS)})")
    return key


def parse_override(key: str, raw: str):
    """A per-session override from text (`/set temperature 0.2`, `--set temperature=0.2`),
    typed and checked; raises ValueError with a one-line message."""
    return schema.keys(Scope.SESSION)[session_key(key)].parse(raw)


def section_settings(config: Config) -> dict[str, Setting]:
    """The [defaults] settings outside the cascade (kind, workspace of new sessions), [ui]'s and [checkpoints]',
    as `config show` lists them: configured, else built-in where there is a built-in value."""
    where = f" ({config.path})" if config.path else ""
    out: dict[str, Setting] = {}
    for dotted, spec in SECTION_ONLY.items():
        section, _, key = dotted.partition(".")
        table = {"defaults": config.defaults, "ui": config.ui, "checkpoints": config.checkpoints}[section]
        if key in table:
            out[dotted] = Setting(table[key], f"[{section}]{where}")
        elif spec.default is not None:
            out[dotted] = Setting(spec.default, "built-in")
    return out


def shown(key: str, value: object) -> object:
    """A value as `config show` prints it (an agent's `env` values are never printed)."""
    spec = schema.keys(Scope.AGENT).get(key) if key in AGENT_ONLY else None
    return spec.shown(value) if spec else value
