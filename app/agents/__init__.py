"""Agent registry: builds an agent from its name (a built-in or a config profile)."""

from __future__ import annotations

from chinwag.app.agents.base import Agent, AgentError, AgentInfo
from chinwag.app.config import Config

BUILTIN = {"echo": {"kind": "echo"}}
KINDS = ("echo",)


def profile_for(name: str, config: Config) -> dict:
    if name in config.agents:
        profile = config.agent_profile(name)
        profile.setdefault("kind", name if name in BUILTIN else "")
        return profile
    if name in BUILTIN:
        return dict(BUILTIN[name])
    known = sorted(set(BUILTIN) | set(config.agents))
    raise AgentError(f"unknown agent {name!r} (available: {', '.join(known)})")


def build_agent(name: str, config: Config, *, model: str = "") -> Agent:
    profile = profile_for(name, config)
    kind = profile.get("kind", "")
    if kind == "echo":
        from chinwag.app.agents.echo import EchoAgent

        return EchoAgent(
            name, model or profile.get("model", ""), delay=profile.get("delay"), chunk=profile.get("chunk", 4)
        )
    raise AgentError(f"agent {name!r} has kind {kind!r}, which this version does not support (supported: {', '.join(KINDS)})")


def list_agents(config: Config) -> list[AgentInfo]:
    infos = []
    for name in sorted(set(BUILTIN) | set(config.agents)):
        try:
            profile = profile_for(name, config)
        except AgentError as exc:
            infos.append(AgentInfo(name, "?", available=False, detail=str(exc)))
            continue
        kind = profile.get("kind", "")
        ok = kind in KINDS
        infos.append(
            AgentInfo(
                name,
                kind,
                model=profile.get("model", "echo-1" if kind == "echo" else ""),
                available=ok,
                detail="offline, built in" if kind == "echo" else ("" if ok else f"kind {kind!r} not supported yet"),
            )
        )
    return infos


__all__ = ["Agent", "AgentError", "AgentInfo", "build_agent", "list_agents", "profile_for"]
