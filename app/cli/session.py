"""`chinwag session ...`: the headless session commands (contract in DESIGN.md)."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from dataclasses import asdict
from pathlib import Path

from chinwag.app.agents.acp import pool as acp_pool
from chinwag.app.cli import common
from chinwag.app.cli.common import CliError
from chinwag.app.cli.main import EXIT_ERROR, EXIT_OK, EXIT_STOPPED
from chinwag.app.core.worker import hand_to_worker
from chinwag.storage import Store, files, tokens
from chinwag.storage.models import Session, Turn


def run_session_command(args) -> int:
    handler = HANDLERS[args.action]
    store = common.open_store(args)
    try:
        return handler(store, args) or EXIT_OK
    finally:
        store.close()


def _out(text: str = "") -> None:
    sys.stdout.write(common.terminal_safe(text) + "\n")


# -- turns ------------------------------------------------------------------------------
def cmd_start(store: Store, args) -> int:
    cfg = common.config()
    from chinwag.app.agents.settings import new_session_choice, parse_override

    workspace = args.workspace if args.workspace is not None else (cfg.defaults.get("workspace") or os.getcwd())
    # unknown agent: a clear error before anything is written
    choice = new_session_choice(cfg, workspace, agent=args.agent or "", model=args.model or "")
    overrides = {}
    for item in args.set:
        key, sep, raw = item.partition("=")
        if not sep:
            raise common.CliError(f"--set needs KEY=VALUE, not {item!r}")
        try:
            overrides[key.strip()] = parse_override(key, raw)
        except ValueError as exc:
            raise common.CliError(str(exc)) from None
    prompt = common.read_prompt(args.prompt)
    session = store.create_session(
        title=args.title,
        kind=args.kind or cfg.defaults.get("kind", "general"),
        workspace=workspace,
        agent=choice.agent,
        model=choice.model,
        mode=args.mode or "ask",
        config=overrides,
    )
    store.set_active_session_id(session.id)
    if not prompt:
        if args.json:
            common.print_json(asdict(session))
        else:
            _out(session.id)
        return EXIT_OK
    if not args.detach and not args.json:
        print(f"session {session.id}", file=sys.stderr)
        if choice.hint:
            print(f"hint: {choice.hint}", file=sys.stderr)
    return _run_turn(store, session, prompt, args)


def cmd_send(store: Store, args) -> int:
    session = store.get_session(args.id)
    prompt = common.read_prompt(args.prompt)
    if not prompt or not prompt.strip():
        raise CliError("empty prompt")
    return _run_turn(store, session, prompt, args)


def _run_turn(store: Store, session: Session, prompt: str, args) -> int:
    _, reply = store.begin_exchange(session.id, prompt, agent=session.agent, model=session.model)
    if args.detach:
        hand_to_worker(store, reply)
        _out(session.id)
        return EXIT_OK
    stream = not args.no_stream and not args.json
    turn = asyncio.run(_stream_reply(store, reply, stream))
    if args.json:
        common.print_json({"session_id": session.id, "turn": asdict(turn)})
    elif not stream:
        _out(turn.text)
    if turn.status == "error":
        print(f"chinwag: error: {turn.error}", file=sys.stderr)
        return EXIT_ERROR
    if turn.status == "stopped":
        print("chinwag: stopped", file=sys.stderr)
        return EXIT_STOPPED
    if turn.status == "interrupted":  # settled by another process (`session stop`, recovery) meanwhile
        print(f"chinwag: interrupted by another process; {len(turn.text):,} characters kept", file=sys.stderr)
        return EXIT_STOPPED
    return EXIT_OK


async def _stream_reply(store: Store, reply: Turn, stream: bool) -> Turn:
    from chinwag.app.core.events import CompactionFinished, LiveTurnEvent, RunnerEvent, ToolChanged
    from chinwag.app.core.runner import Runner

    printed = 0
    tty = sys.stderr.isatty()

    def on_event(event: RunnerEvent) -> None:
        nonlocal printed
        if isinstance(event, LiveTurnEvent) and stream and len(event.turn.text) > printed:
            sys.stdout.write(common.terminal_safe(event.turn.text[printed:]))
            sys.stdout.flush()
            printed = len(event.turn.text)
        match event:
            case CompactionFinished(compacted=True):
                print("\n(auto-compacted: the context passed the configured share of the model's window)",
                      file=sys.stderr)
            case ToolChanged(tool_calls=calls) if tty:
                for call in calls:
                    if call.status in ("completed", "failed"):
                        continue
                    print(f"  ⋯ {call.name} {call.args}", file=sys.stderr)

    def ask_on_terminal(session_id: str, request) -> None:
        """`ask` mode in a terminal: list the agent's options on stderr, read a number."""
        print(f"\n{request.title} ({request.kind}) needs permission:", file=sys.stderr)
        for number, (_, name, _) in enumerate(request.options, 1):
            print(f"  {number}. {name}", file=sys.stderr)

        async def read_answer() -> None:
            line = await asyncio.get_running_loop().run_in_executor(None, lambda: input("choose a number (Enter refuses): "))
            chosen = line.strip()
            valid = chosen.isdigit() and 0 < int(chosen) <= len(request.options)
            runner.answer_permission(session_id, request.options[int(chosen) - 1][0] if valid else None)

        asyncio.ensure_future(read_answer())

    runner = Runner(store, common.config(), on_event=on_event,
                    on_permission=ask_on_terminal if sys.stdin.isatty() and sys.stderr.isatty() else None)
    task = asyncio.current_task()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, lambda: runner.cancel(reply.session_id) or task.cancel())
    turn = await runner.run_reply(reply)
    await runner.drain()
    await acp_pool.close_all()
    if stream and printed:
        sys.stdout.write("\n")
        sys.stdout.flush()
    return turn


def cmd_stop(store: Store, args) -> int:
    session = store.get_session(args.id)
    turn = store.running_turn(session.id)
    if turn is None:
        _out(f"session {session.id} has no running turn")
        return EXIT_OK
    store.request_stop(turn.id)
    if turn.owner_pid and turn.owner_pid != os.getpid():
        try:
            os.kill(turn.owner_pid, signal.SIGTERM)
        except (ProcessLookupError, PermissionError):
            pass
    settled = _wait_settled(store, turn.id, timeout=5.0)
    if settled.status == "streaming":
        store.recover_interrupted()
        settled = store.get_turn(turn.id)
    _out(f"stopped turn {turn.id} ({settled.status}, {len(settled.text):,} characters kept)")
    return EXIT_OK


def _wait_settled(store: Store, turn_id: str, timeout: float) -> Turn:
    import time

    deadline = time.monotonic() + timeout
    turn = store.get_turn(turn_id)
    while turn.status == "streaming" and time.monotonic() < deadline:
        time.sleep(0.05)
        turn = store.get_turn(turn_id)
    return turn


def cmd_attach(store: Store, args) -> int:
    session = store.get_session(args.id)
    if not args.plain and sys.stdout.isatty() and sys.stdin.isatty():
        from chinwag.app.cli.misc import launch_tui

        return launch_tui(store.path, session_id=session.id)
    from chinwag.app.cli.follow import follow

    return follow(store, session, _out)


# -- browsing ---------------------------------------------------------------------------
def cmd_list(store: Store, args) -> int:
    scope = "all" if args.all else "archived" if args.archived else "active"
    sessions = store.list_sessions(filter=scope, workspace=args.workspace, kind=args.kind, limit=args.limit)
    active = store.get_active_session_id()
    usage = store.token_usage([s.id for s in sessions])
    if args.json:
        common.print_json([{**asdict(s), "active": s.id == active, "tokens_estimated": usage[s.id] == tokens.ESTIMATED,
                            "tokens_unreported": usage[s.id] == tokens.UNREPORTED} for s in sessions])
        return EXIT_OK
    if not sessions:
        _out("no sessions" + (" (try --all)" if scope == "active" else ""))
        return EXIT_OK
    now = store.clock.now()
    _out(f"  {'ID':<26}  {'TITLE':<32}  {'KIND':<8}  {'STATE':<5}  {'TURNS':>5}  {'⇡ IN':>9}  {'⇣ OUT':>9}  ACTIVITY")
    for s in sessions:
        title = s.title if len(s.title) <= 32 else s.title[:31] + "…"
        mark = "*" if s.id == active else " "
        state = "arch" if s.archived else s.state
        _out(
            f"{mark} {s.id:<26}  {title:<32}  {s.kind:<8}  {state:<5}  {s.turn_count:>5}  "
            f"{tokens.count(s.input_tokens, usage[s.id]):>9}  {tokens.count(s.output_tokens, usage[s.id]):>9}  "
            f"{common.short_age(s.last_activity_at, now)}"
        )
    return EXIT_OK


def cmd_show(store: Store, args) -> int:
    session = store.get_session(args.id)
    if args.json:
        document = store.export_session(session.id)
        document.pop("events", None)
        common.print_json(document)
        return EXIT_OK
    sys.stdout.write(common.terminal_safe(store.export_markdown(session.id)))
    return EXIT_OK


def cmd_search(store: Store, args) -> int:
    hits = store.search(args.query, limit=args.limit)
    if args.json:
        common.print_json([asdict(h) for h in hits])
        return EXIT_OK
    if not hits:
        _out(f"no matches for {args.query!r}")
        return EXIT_OK
    for hit in hits:
        where = f"{hit.role:<5}" if hit.role else "title"
        snippet = " ".join(hit.snippet.split())
        _out(f"{hit.session_id}  {where}  {hit.session_title[:30]:<30}  {snippet}")
    return EXIT_OK


# -- changing sessions --------------------------------------------------------------------
def cmd_switch(store: Store, args) -> int:
    session = store.get_session(args.id)
    store.set_active_session_id(session.id)
    _out(f"active session: {session.id}  {session.title}")
    return EXIT_OK


def cmd_rename(store: Store, args) -> int:
    session = store.rename_session(args.id, args.title)
    _out(f"renamed {session.id}: {session.title}")
    return EXIT_OK


def cmd_fork(store: Store, args) -> int:
    fork = store.fork_session(args.id, upto_turn_id=args.at, title=args.title)
    _out(fork.id)
    return EXIT_OK


def cmd_compact(store: Store, args) -> int:
    from chinwag.app.agents import agent_for_session
    from chinwag.app.core.compaction import DEFAULT_WINDOW, compact

    session = store.get_session(args.id)
    agent = agent_for_session(session, common.config())
    window = DEFAULT_WINDOW if args.window is None else args.window
    result = asyncio.run(compact(store, agent, session.id, window=window, instructions=" ".join(args.instructions)))
    _out(
        f"compacted {result.summarized} turns (kept {result.kept}): "
        f"context {result.tokens_before:,} -> {result.tokens_after:,} tokens"
    )
    return EXIT_OK


def cmd_archive(store: Store, args) -> int:
    session = store.archive_session(args.id)
    _out(f"archived {session.id}  {session.title}")
    return EXIT_OK


def cmd_restore(store: Store, args) -> int:
    session = store.get_session(args.id, include_deleted=True)
    if session.deleted:
        session = store.undelete_session(session.id)
    session = store.restore_session(session.id)
    _out(f"restored {session.id}  {session.title}")
    return EXIT_OK


def cmd_delete(store: Store, args) -> int:
    session = store.delete_session(args.id, force=args.force)
    if args.force:
        _out(f"deleted {session.id} permanently")
    else:
        _out(f"deleted {session.id} (restore with `chinwag session restore {session.id}`; --force removes it for good)")
    return EXIT_OK


def cmd_prune(store: Store, args) -> int:
    age = common.parse_age(args.older_than)
    victims = store.prune_sessions(age, dry_run=args.dry_run)
    verb = "would delete" if args.dry_run else "deleted"
    for session in victims:
        _out(f"{verb} {session.id}  {session.title}  (archived {session.archived_at})")
    _out(f"{verb} {len(victims)} archived session(s) older than {args.older_than}")
    return EXIT_OK


def cmd_export(store: Store, args) -> int:
    text = store.export_json(args.id) if args.format == "json" else store.export_markdown(args.id)
    if not args.output or args.output == "-":
        sys.stdout.write(text if args.format == "json" else common.terminal_safe(text))
        return EXIT_OK
    target = files.safe_write(Path(args.output), text, force=args.force)
    print(f"wrote {target}", file=sys.stderr)
    return EXIT_OK


def cmd_import(store: Store, args) -> int:
    if args.file == "-":
        text = sys.stdin.read()
    else:
        try:
            text = Path(args.file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CliError(f"cannot read {args.file}: {getattr(exc, 'strerror', None) or exc}") from exc
    session = store.import_session(text, as_new=args.as_new)
    _out(session.id)
    return EXIT_OK


HANDLERS = {
    "start": cmd_start,
    "send": cmd_send,
    "attach": cmd_attach,
    "list": cmd_list,
    "show": cmd_show,
    "search": cmd_search,
    "switch": cmd_switch,
    "rename": cmd_rename,
    "fork": cmd_fork,
    "compact": cmd_compact,
    "stop": cmd_stop,
    "archive": cmd_archive,
    "restore": cmd_restore,
    "delete": cmd_delete,
    "prune": cmd_prune,
    "export": cmd_export,
    "import": cmd_import,
}
