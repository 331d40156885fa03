"""Chinwag's slash commands an ACP client is offered (`mapping.OFFERED`), answered here
rather than sent to the model: `/compact [--window N] [instructions]`, `/model [NAME]`,
`/status`. Each answers with one text (an error too: it is the answer to read). Any other
`/name` is a prompt like any other (it may be the underlying agent's own command).
"""

from __future__ import annotations

from chinwag.app.acp_agent.mapping import OFFERED
from chinwag.app.agents import agent_for_session
from chinwag.app.core.commands import ParsedCommand, parse_slash
from chinwag.app.core.compaction import DEFAULT_WINDOW, compact
from chinwag.app.errors import first_line
from chinwag.storage import tokens
from chinwag.storage.models import Session


async def run(agent, session: Session, text: str) -> str | None:
    """The answer to a Chinwag command, or None when `text` is not one."""
    parsed = parse_slash(text)
    if parsed is None or parsed.name not in OFFERED:
        return None
    handler = {"compact": _compact, "model": _model, "status": _status}[parsed.name]
    try:
        return await handler(agent, session, parsed)
    except Exception as exc:  # a refusal (nothing to compact, a busy session) is the answer
        return f"/{parsed.name}: {first_line(exc)}"


async def _compact(agent, session: Session, parsed: ParsedCommand) -> str:
    raw = parsed.options.get("window", DEFAULT_WINDOW)
    try:
        window = int(raw)
    except (TypeError, ValueError):
        raise ValueError(f"--window needs a number, not {raw!r}") from None
    model = await agent.offload(agent_for_session, session, agent.config)
    result = await compact(agent.store, model, session.id, window=window, instructions=parsed.rest,
                           offload=agent.offload)
    return (f"compacted {result.summarized} turns (kept {result.kept}): "
            f"context {result.tokens_before:,} → {result.tokens_after:,} tokens")


async def _model(agent, session: Session, parsed: ParsedCommand) -> str:
    name = parsed.rest.strip()
    if not name:
        return f"model: {session.model or '(agent default)'}"
    await agent.offload(agent.store.update_session, session.id, model=name)
    return f"model set to {name} for the next turns"


async def _status(agent, session: Session, parsed: ParsedCommand) -> str:
    def read() -> str:
        store = agent.store
        s = store.get_session(session.id)
        running = store.running_turn(s.id)
        rows = [
            ("session", s.id), ("title", s.title), ("workspace", s.workspace or "-"), ("agent", s.agent),
            ("model", s.model or "(agent default)"), ("mode", s.mode), ("state", "busy" if running else s.state),
            ("turns", f"{s.turn_count:,}"),
            ("tokens", tokens.pair(s.input_tokens, s.output_tokens, store.token_usage([s.id])[s.id])),
            ("context", f"{tokens.count(store.context_size(s.id), tokens.ESTIMATED)} tokens (estimated)"),
            ("database", str(store.path)),
        ]
        return "\n".join(f"- **{key}**: {value}" for key, value in rows)

    return await agent.offload(read)
