"""Real models over HTTP: the `openai` kind (any OpenAI-compatible server: OpenAI, Ollama,
llama.cpp, vLLM, LM Studio, OpenRouter) and the `anthropic` kind.

pydantic-ai-slim is the provider layer (streaming, usage, errors), used only through
`stream()` and `list_models()` here and imported lazily on the first request, so start-up
never pays for it. Our own events stay the record; the provider's own JSON of each reply
is passed up as a `Record` so a turn can be replayed to the same provider exactly.

Rate limits and overloads are retried (bounded, honouring Retry-After) only before any
output arrived; every other failure becomes a one-line `Failed` message that names what to
do (see `provider_errors`). Cancellation is task cancellation: leaving the stream's
context closes the HTTP response at once. Keys come from the environment only.
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
from collections.abc import AsyncIterator
from urllib.parse import urlparse

from chinwag.app.agents.base import (
    AgentError,
    AgentEvent,
    Done,
    Failed,
    Message,
    Record,
    TextDelta,
)
from chinwag.app.config.schema import MAX_TOKENS_PARAMS

DEFAULT_URLS = {"openai": "https://api.openai.com/v1", "anthropic": "https://api.anthropic.com"}
DEFAULT_KEY_ENV = {"openai": "OPENAI_API_KEY", "anthropic": "ANTHROPIC_API_KEY"}
DEFAULT_MODELS = {"openai": "gpt-4.1-mini", "anthropic": "claude-sonnet-4-5"}


def default_max_tokens_param(url: str) -> str:
    """OpenAI's own API wants `max_completion_tokens`; compatible servers (llama.cpp, LiteLLM's
    openai route, vLLM, Ollama) honour only the older `max_tokens` and ignore the other."""
    host = (urlparse(url).hostname or "").lower()
    return "max_completion_tokens" if host == "api.openai.com" else "max_tokens"


def is_local_url(url: str) -> bool:
    """Loopback or private-network servers (Ollama, llama.cpp, LM Studio) need no key."""
    host = urlparse(url).hostname or ""
    if host == "localhost" or host.endswith(".local"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_private


class ProviderAgent:
    """One configured model endpoint. Cheap to build; nothing is imported until used."""

    def __init__(
        self,
        name: str,
        kind: str,
        model: str = "",
        *,
        base_url: str = "",
        api_key_env: str = "",
        system_prompt: str = "",
        temperature: float | None = None,
        max_tokens: int | None = None,
        max_tokens_param: str = "",
        timeout: float = 60.0,
        connect_timeout: float = 10.0,
        max_retries: int = 3,
        retry_cap: float = 30.0,
        key_optional: bool = False,
        environ: dict | None = None,
    ):
        if kind not in DEFAULT_URLS:
            raise AgentError(f"agent {name!r}: unknown provider kind {kind!r} (openai, anthropic)")
        self.name = name
        self.kind = kind
        self.model = model or DEFAULT_MODELS[kind]
        self.base_url = (base_url or DEFAULT_URLS[kind]).rstrip("/")
        self.key_env = api_key_env or DEFAULT_KEY_ENV[kind]
        self.key_optional = key_optional or (not api_key_env and is_local_url(self.base_url))
        self.system_prompt = system_prompt
        self.temperature = temperature
        self.max_tokens = max_tokens
        if max_tokens_param and max_tokens_param not in MAX_TOKENS_PARAMS:
            raise AgentError(f"agent {name!r}: max_tokens_param is {max_tokens_param!r} "
                             f"(one of: {', '.join(MAX_TOKENS_PARAMS)})")
        self.max_tokens_param = max_tokens_param or default_max_tokens_param(self.base_url)
        self.timeout = float(timeout)
        self.connect_timeout = float(connect_timeout)
        self.max_retries = max(0, int(max_retries))
        self.retry_cap = float(retry_cap)
        self._environ = os.environ if environ is None else environ

    # -- configuration ------------------------------------------------------------------
    def api_key(self) -> str:
        """The key from the environment; local servers get a placeholder when none is set."""
        key = self._environ.get(self.key_env, "").strip()
        if key:
            return key
        if self.key_optional:
            return "not-needed"
        raise AgentError(
            f"{self.key_env} is not set: export {self.key_env}=... for agent {self.name!r} "
            f"({self.base_url}), or set api_key_env in [agents.{self.name}] of config.toml"
        )

    # -- streaming ----------------------------------------------------------------------
    def prepare(self) -> None:
        """Import the client libraries (pydantic-ai, openai or anthropic: seconds on a cold
        start) so a caller can do it off its event loop before the first `stream`."""
        from chinwag.app.agents.providers import errors, models  # noqa: F401  # lazy: start-up

        models.load_client_libraries(self.kind)

    async def stream(self, messages: list[Message], *, purpose: str = "chat") -> AsyncIterator[AgentEvent]:
        from chinwag.app.agents.providers import errors as provider_errors  # lazy: start-up
        from chinwag.app.agents.providers import models as provider_models  # lazy: start-up

        key = self.api_key()
        history = provider_models.to_model_messages(messages, self.system_prompt if purpose == "chat" else "",
                                                    self.kind)
        settings = provider_models.settings_for(self, purpose)
        attempt = 0
        while True:
            produced = False
            text_chars = 0
            try:
                async with provider_models.open_stream(self, history, settings) as response:
                    async for event in provider_models.deltas(response):
                        produced = True
                        if isinstance(event, TextDelta):
                            text_chars += len(event.text)
                        yield event
                    reply = response.get()
                    usage = response.usage
                if text_chars == 0 and not provider_models.has_content(reply):
                    yield Failed(provider_errors.empty_reply(self))
                    return
                if not provider_models.finished(reply):
                    yield Failed(provider_errors.cut_off(self))
                    return
                yield Record(self.kind, provider_models.dump_reply(reply))
                yield provider_models.usage_event(usage, messages, reply)
                yield Done(provider_models.stop_reason(reply))
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - every provider failure becomes a message
                wait = provider_errors.retry_delay(exc, attempt, self.retry_cap)
                if wait is not None and not produced and attempt < self.max_retries:
                    attempt += 1
                    await asyncio.sleep(wait)
                    continue
                sent = produced or provider_errors.reached_server(exc)
                message = await provider_errors.describe(exc, self, key=key, attempts=attempt + 1, produced=produced)
                yield Failed(message, sent=sent)
                return

    async def list_models(self) -> list[str]:
        """Model ids the server offers (`/v1/models`, or Ollama's tags); [] if it has no list."""
        from chinwag.app.agents.providers import models as provider_models  # lazy: start-up

        return await provider_models.list_models(self)
