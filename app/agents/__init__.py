"""Agent registry: builds an agent from its name (a built-in or a config profile) and the
effective settings of a session (see `chinwag.app.agents.settings` for the cascade)."""

from __future__ import annotations

import os
import shutil

from chinwag.app.agents.base import Agent, AgentError, AgentInfo
from chinwag.app.agents.discovery import builtin_profiles, ollama_models
from chinwag.app.config import schema
from chinwag.app.config.loader import CASCADE_KEYS, Config
from chinwag.app.config.schema import AgentKind

KINDS = schema.AGENT_KINDS
PROVIDER_OPTIONS = schema.provider_options()
CASCADED_OPTIONS = tuple(key for key in PROVIDER_OPTIONS if key in CASCADE_KEYS)  # a session may override these


def profile_for(name: str, config: Config, environ=None) -> dict:
    builtin = builtin_profiles(environ)
    if name in config.agents:
        profile = {**builtin.get(name, {}), **config.agent_profile(name)}
        profile.setdefault("kind", "")
        return profile
    if name in builtin:
        return dict(builtin[name])
    known = sorted(set(builtin) | set(config.agents))
    raise AgentError(f"unknown agent {name!r} (available: {', '.join(known)})")


def build_from_profile(name: str, profile: dict, *, model: str = "", environ=None) -> Agent:
    kind = profile.get("kind", "")
    if kind == AgentKind.ECHO:
        from chinwag.app.agents.echo import EchoAgent  # lazy: start-up (asyncio)

        return EchoAgent(name, model or profile.get("model", ""), delay=profile.get("delay"),
                         chunk=profile.get("chunk", 4))
    if kind in schema.PROVIDER_KINDS:
        from chinwag.app.agents.providers.agent import ProviderAgent  # lazy: start-up

        options = {key: profile[key] for key in PROVIDER_OPTIONS if profile.get(key) is not None}
        return ProviderAgent(name, kind, model or profile.get("model", ""), key_optional=bool(profile.get("local")),
                             environ=environ, **options)
    if kind == AgentKind.ACP:
        raise AgentError(f"agent {name!r} is an ACP agent: it runs inside a session")
    raise AgentError(f"agent {name!r} has kind {kind!r}, which this version does not support "
                     f"(supported: {', '.join(KINDS)})")


def build_agent(name: str, config: Config, *, model: str = "", environ=None) -> Agent:
    return build_from_profile(name, profile_for(name, config, environ), model=model, environ=environ)


def agent_for_session(session, config: Config, environ=None) -> Agent:
    """The session's agent with the cascade applied (session > workspace > agent > global)."""
    from chinwag.app.agents.settings import effective  # lazy: import cycle (settings imports this package)

    profile = {**profile_for(session.agent, config, environ)}
    if profile.get("kind") == AgentKind.ACP:
        from chinwag.app.agents.acp.agent import AcpAgent  # lazy: start-up (the ACP SDK)

        meta = session.metadata or {}
        known = meta.get("acp_session_id") if meta.get("acp_agent") == session.agent else None
        return AcpAgent(session.agent, profile, session_id=session.id, workspace=session.workspace,
                        mode=session.mode, known_session=known)
    values = effective(config, session=session, environ=environ, probe=False)
    for key in CASCADED_OPTIONS:
        if key in values:
            profile[key] = values[key].value
    return build_from_profile(session.agent, profile, model=values["model"].value if "model" in values else "",
                              environ=environ)


def _availability(kind: str, profile: dict, environ) -> tuple[bool, str]:
    if kind == AgentKind.ECHO:
        return True, "offline"
    if kind == AgentKind.ACP:
        command = profile.get("command") or []
        program = command[0] if isinstance(command, list) and command else ""
        found = bool(program) and (shutil.which(program) is not None or os.path.exists(program))
        return found, (f"ACP agent: {' '.join(command)}" if found else f"ACP agent: {program or '(no command)'} not found")
    if kind not in KINDS:
        return False, f"kind {kind!r} not supported"
    from chinwag.app.agents.providers.agent import DEFAULT_KEY_ENV, DEFAULT_URLS, is_local_url  # lazy: start-up

    url = profile.get("base_url") or DEFAULT_URLS[kind]
    env = profile.get("api_key_env") or DEFAULT_KEY_ENV[kind]
    if environ.get(env, "").strip():
        return True, f"{url} (key in {env})"
    if profile.get("local"):
        if ollama_models(environ) is None:
            return False, f"Ollama is not answering at {url.removesuffix('/v1')}"
        return True, f"{url} (local, no key needed)"
    if not profile.get("api_key_env") and is_local_url(url):
        return True, f"{url} (local, no key needed)"
    return False, f"{env} is not set"


def list_agents(config: Config, environ=None) -> list[AgentInfo]:
    environ = os.environ if environ is None else environ
    infos = []
    builtin = builtin_profiles(environ)
    for name in sorted(set(builtin) | set(config.agents)):
        profile = profile_for(name, config, environ)
        kind = profile.get("kind", "")
        ok, detail = _availability(kind, profile, environ)
        model = profile.get("model") or ("echo-1" if kind == AgentKind.ECHO else "")
        infos.append(AgentInfo(name, kind, model=model, available=ok, detail=detail,
                               builtin=name in builtin and name not in config.agents))
    return infos


__all__ = ["Agent", "AgentError", "AgentInfo", "agent_for_session", "build_agent", "list_agents", "profile_for"]
