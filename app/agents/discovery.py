"""Built-in agent profiles and finding a real model when the config names none.

Order when nothing is configured: `ANTHROPIC_API_KEY` set -> `anthropic`;
`OPENAI_API_KEY` set -> `openai`; Ollama answering (`OLLAMA_HOST`, default
127.0.0.1:11434) -> `ollama` with its first model; else the offline `echo` agent, with a
one-line hint on how to connect a real model. Only the standard library is used here (a
quick probe with urllib), so start-up stays cheap; the probe's answer is cached briefly.
"""

from __future__ import annotations

import json
import os
import socket
import time
from dataclasses import dataclass

ECHO_HINT = ("offline echo agent: set ANTHROPIC_API_KEY or OPENAI_API_KEY, start Ollama, "
             "or add [agents.NAME] to config.toml (see README)")
PROBE_TIMEOUT = 0.3
CACHE_SECONDS = 30.0
_probe_cache: dict[str, tuple[float, list[str] | None]] = {}


def ollama_url(environ=None) -> str:
    """Ollama's own address, from OLLAMA_HOST as Ollama itself reads it."""
    environ = os.environ if environ is None else environ
    host = (environ.get("OLLAMA_HOST") or "127.0.0.1:11434").strip().rstrip("/")
    if "://" not in host:
        host = "http://" + host
    scheme, rest = host.split("://", 1)
    if rest.startswith("0.0.0.0"):
        rest = "127.0.0.1" + rest[len("0.0.0.0"):]
    if ":" not in rest.split("/", 1)[0]:
        rest = rest.split("/", 1)[0] + ":11434"
    return f"{scheme}://{rest}"


def ollama_models(environ=None, *, timeout: float = PROBE_TIMEOUT) -> list[str] | None:
    """The models Ollama has pulled, or None when it does not answer."""
    url = ollama_url(environ)
    cached = _probe_cache.get(url)
    if cached and time.monotonic() - cached[0] < CACHE_SECONDS:
        return cached[1]
    try:
        data = json.loads(_get(url + "/api/tags", timeout))
        models = [m.get("name") or m.get("model") for m in data.get("models", []) if isinstance(m, dict)]
        result: list[str] | None = [m for m in models if m]
    except (OSError, ValueError):
        result = None
    _probe_cache[url] = (time.monotonic(), result)
    return result


def _get(url: str, timeout: float) -> str:
    """A plain-HTTP GET over a socket: nothing listening costs one refused connect, and
    start-up never imports http.client/ssl (about 30 ms). https goes through urllib."""
    scheme, _, rest = url.partition("://")
    if scheme != "http":
        import urllib.request  # lazy: start-up (http.client, ssl: ~30 ms)

        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - user's Ollama
            return response.read().decode("utf-8")
    hostport, _, path = rest.partition("/")
    host, _, port = hostport.rpartition(":")
    host = host.strip("[]") or "127.0.0.1"
    with socket.create_connection((host, int(port or 80)), timeout=timeout) as sock:
        sock.settimeout(timeout)
        sock.sendall(f"GET /{path} HTTP/1.0\r\nHost: {hostport}\r\nAccept: application/json\r\n\r\n".encode())
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
    status = head.split(b" ", 2)[1] if head.count(b" ") >= 1 else b""
    if status != b"200":
        raise ValueError(f"HTTP {status.decode(errors='replace')}")
    return body.decode("utf-8")


def builtin_profiles(environ=None) -> dict[str, dict]:
    """`openai` and `anthropic` honour the SDKs' usual OPENAI_BASE_URL / ANTHROPIC_BASE_URL."""
    environ = os.environ if environ is None else environ
    openai = {"kind": "openai", **({"base_url": environ["OPENAI_BASE_URL"]} if environ.get("OPENAI_BASE_URL") else {})}
    anthropic = {"kind": "anthropic",
                 **({"base_url": environ["ANTHROPIC_BASE_URL"]} if environ.get("ANTHROPIC_BASE_URL") else {})}
    return {
        "echo": {"kind": "echo"},
        "openai": openai,
        "anthropic": anthropic,
        "ollama": {"kind": "openai", "base_url": ollama_url(environ) + "/v1", "api_key_env": "OLLAMA_API_KEY",
                   "local": True},
    }


@dataclass(frozen=True)
class DefaultChoice:
    """The agent and model a new session gets when nothing is configured, and why (`hint`: how to set one
    up)."""

    agent: str
    model: str = ""
    reason: str = ""
    hint: str = ""


def discover_default(environ=None, *, probe: bool = True) -> DefaultChoice:
    environ = os.environ if environ is None else environ
    if environ.get("ANTHROPIC_API_KEY", "").strip():
        return DefaultChoice("anthropic", reason="ANTHROPIC_API_KEY is set")
    if environ.get("OPENAI_API_KEY", "").strip():
        return DefaultChoice("openai", reason="OPENAI_API_KEY is set")
    if probe:
        models = ollama_models(environ)
        if models:
            return DefaultChoice("ollama", models[0], reason=f"Ollama answers at {ollama_url(environ)}")
    return DefaultChoice("echo", "echo-1", reason="no provider found", hint=ECHO_HINT)
