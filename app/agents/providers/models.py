"""The bridge to pydantic-ai-slim: clients, message conversion, stream events, usage.

Only `provider.py` imports this module, and only when a request is made: importing it
pulls in pydantic-ai and the OpenAI / Anthropic SDKs (about a second of start-up).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from pydantic_ai.direct import model_request_stream
from pydantic_ai.messages import (
    ModelMessagesTypeAdapter,
    ModelRequest,
    ModelResponse,
    PartDeltaEvent,
    PartStartEvent,
    SystemPromptPart,
    TextPart,
    TextPartDelta,
    ThinkingPart,
    ThinkingPartDelta,
    UserPromptPart,
)

from chinwag.app.agents.base import Message, TextDelta, ThinkingDelta, Usage, estimate_messages, estimate_tokens

TITLE_MAX_TOKENS = 40


def load_client_libraries(kind: str) -> None:
    """Import what `_client` and `_model` import for `kind` (blocking, import only)."""
    if kind == "openai":
        import openai  # noqa: F401  # lazy: start-up
        from pydantic_ai.models.openai import OpenAIChatModel  # noqa: F401  # lazy: start-up
        from pydantic_ai.providers.openai import OpenAIProvider  # noqa: F401  # lazy: start-up
    else:
        import anthropic  # noqa: F401  # lazy: start-up
        from pydantic_ai.models.anthropic import AnthropicModel  # noqa: F401  # lazy: start-up
        from pydantic_ai.providers.anthropic import AnthropicProvider  # noqa: F401  # lazy: start-up


def _client(agent):
    if agent.kind == "openai":
        import openai  # lazy: start-up

        return openai.AsyncOpenAI(
            api_key=agent.api_key(), base_url=agent.base_url, max_retries=0,
            timeout=openai.Timeout(agent.timeout, connect=agent.connect_timeout),
        )
    import anthropic  # lazy: start-up

    return anthropic.AsyncAnthropic(
        api_key=agent.api_key(), base_url=agent.base_url, max_retries=0,
        timeout=anthropic.Timeout(agent.timeout, connect=agent.connect_timeout),
    )


def _model(agent, client):
    if agent.kind == "openai":
        from pydantic_ai.models.openai import OpenAIChatModel  # lazy: start-up
        from pydantic_ai.profiles.openai import OpenAIModelProfile  # lazy: start-up
        from pydantic_ai.providers.openai import OpenAIProvider  # lazy: start-up

        # which field carries the max_tokens setting ("both": this one, plus max_tokens in settings_for)
        profile = OpenAIModelProfile(openai_chat_supports_max_completion_tokens=agent.max_tokens_param != "max_tokens")
        return OpenAIChatModel(agent.model, provider=OpenAIProvider(openai_client=client), profile=profile)
    from pydantic_ai.models.anthropic import AnthropicModel  # lazy: start-up
    from pydantic_ai.providers.anthropic import AnthropicProvider  # lazy: start-up

    return AnthropicModel(agent.model, provider=AnthropicProvider(anthropic_client=client))


@contextlib.asynccontextmanager
async def open_stream(agent, history: list, settings: dict):
    """A streamed request on a fresh client, closed (with its sockets) on the way out."""
    client = _client(agent)
    try:
        async with model_request_stream(_model(agent, client), history, model_settings=settings or None) as response:
            yield response
    finally:
        with contextlib.suppress(Exception):
            await client.close()


def _replayed(record: str, kind: str) -> ModelResponse | None:
    try:
        messages = ModelMessagesTypeAdapter.validate_json(record)
    except Exception:  # an old or foreign record: fall back to the text
        return None
    if len(messages) == 1 and isinstance(messages[0], ModelResponse) and messages[0].provider_name == kind:
        return messages[0]
    return None


def to_model_messages(messages: list[Message], system_prompt: str, kind: str) -> list:
    """Our context messages as pydantic-ai messages; consecutive request parts are merged."""
    result: list = []
    pending: list = [SystemPromptPart(system_prompt)] if system_prompt else []
    for message in messages:
        if message.role == "assistant":
            if pending:
                result.append(ModelRequest(parts=pending))
                pending = []
            replay = _replayed(message.record, kind) if message.record else None
            result.append(replay or ModelResponse(parts=[TextPart(message.text or "(no reply)")]))
        elif message.role == "system":
            pending.append(SystemPromptPart(message.text))
        else:
            pending.append(UserPromptPart(message.text))
    if pending:
        result.append(ModelRequest(parts=pending))
    return result


def settings_for(agent, purpose: str) -> dict:
    settings: dict = {}
    if agent.temperature is not None:
        settings["temperature"] = float(agent.temperature)
    if agent.max_tokens:
        settings["max_tokens"] = int(agent.max_tokens)
    if purpose == "title":
        settings["max_tokens"] = TITLE_MAX_TOKENS
    if agent.kind == "openai" and agent.max_tokens_param == "both" and "max_tokens" in settings:
        settings["extra_body"] = {"max_tokens": settings["max_tokens"]}
    return settings


async def deltas(response) -> AsyncIterator:
    """Text and thinking deltas from pydantic-ai's stream events (other parts are ignored)."""
    async for event in response:
        if isinstance(event, PartStartEvent):
            part = event.part
            if isinstance(part, TextPart) and part.content:
                yield TextDelta(part.content)
            elif isinstance(part, ThinkingPart) and part.content:
                yield ThinkingDelta(part.content)
        elif isinstance(event, PartDeltaEvent):
            delta = event.delta
            if isinstance(delta, TextPartDelta) and delta.content_delta:
                yield TextDelta(delta.content_delta)
            elif isinstance(delta, ThinkingPartDelta) and delta.content_delta:
                yield ThinkingDelta(delta.content_delta)


def has_content(reply: ModelResponse) -> bool:
    return any(isinstance(p, (TextPart, ThinkingPart)) and p.content for p in reply.parts)


def reply_text(reply: ModelResponse) -> str:
    return "".join(p.content for p in reply.parts if isinstance(p, TextPart))


def dump_reply(reply: ModelResponse) -> str:
    return ModelMessagesTypeAdapter.dump_json([reply]).decode()


def stop_reason(reply: ModelResponse) -> str:
    return str(reply.finish_reason or "end_turn")


def finished(reply: ModelResponse) -> bool:
    """Did the server say the reply was over? (a stream cut short never does)"""
    return bool((reply.provider_details or {}).get("finish_reason"))


def usage_event(usage, messages: list[Message], reply: ModelResponse) -> Usage:
    """Reported usage when the server gave any; otherwise an estimate, marked as such."""
    if usage is not None and (usage.input_tokens or usage.output_tokens):
        details = getattr(usage, "details", None) or {}
        return Usage(
            int(usage.input_tokens or 0), int(usage.output_tokens or 0), estimated=False,
            cached_tokens=int(getattr(usage, "cache_read_tokens", 0) or 0),
            reasoning_tokens=int(details.get("reasoning_tokens", 0) or 0),
        )
    return Usage(estimate_messages(messages), estimate_tokens(reply_text(reply)), estimated=True)


async def list_models(agent) -> list[str]:
    client = _client(agent)
    try:
        page = await client.models.list()
        return sorted(model.id for model in page.data)
    finally:
        with contextlib.suppress(Exception):
            await client.close()
