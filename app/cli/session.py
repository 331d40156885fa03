"""`chinwag session ...`: the headless session commands (contract in DESIGN.md), each
Click command with its options beside its handler: starting, sending, browsing and changing
sessions here; stop/wait/attach in `live`, export/import in `transfer`, the tree in `tree`."""

from __future__ import annotations

import asyncio
import functools
import os
import sys
from collections.abc import Callable
from dataclasses import asdict
from typing import Any, TypeVar

import click

from chinwag.app.cli import common
from chinwag.app.cli.base import Group, db_option
from chinwag.app.cli.common import CliError
from chinwag.app.cli.exit_codes import ExitCode
from chinwag.app.cli.turns import run_turn
from chinwag.app.config.schema import KINDS, MODES, Mode
from chinwag.app.core import pricing
from chinwag.storage import Store, tokens

F = TypeVar("F", bound=Callable[..., Any])


@click.group(cls=Group)
@db_option
def session() -> None:
    """manage sessions headless (scriptable)"""


def with_store(handler: Callable[..., int]) -> Callable[..., int]:
    """Open the database (`--db`, else the default) for the handler, and close it after."""

    @functools.wraps(handler)
    def run(*args: Any, **kwargs: Any) -> int:
        store = common.open_store()
        try:
            return handler(store, *args, **kwargs)
        finally:
            store.close()

    return run


def session_id_argument(command: F) -> F:
    return click.argument("session_id", metavar="ID")(command)


def turn_options(command: F) -> F:
    for option in (
        click.option("--json", "as_json", is_flag=True, help="print the settled turn as JSON"),
        click.option("--detach", is_flag=True, help="run the turn in a background worker, print the id"),
        click.option("--no-stream", is_flag=True, help="print the reply when it is complete"),
    ):
        command = option(command)
    return command


def json_option(command: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="print JSON")(command)


# -- turns ------------------------------------------------------------------------------
@session.command("start")
@db_option
@click.option("--agent", help="agent name or config profile")
@click.option("--model", help="model for the agent")
@click.option("--kind", type=click.Choice(KINDS))
@click.option("--title")
@click.option("--workspace")
@click.option("--mode", type=click.Choice(MODES))
@click.option("--set", "settings", multiple=True, metavar="KEY=VALUE",
              help="a setting for this session only (system_prompt, temperature, max_tokens, ...)")
@turn_options
@click.argument("prompt", required=False)
@with_store
def cmd_start(store: Store, *, agent: str | None, model: str | None, kind: str | None, title: str | None,
              workspace: str | None, mode: str | None, settings: tuple[str, ...], prompt: str | None,
              no_stream: bool, detach: bool, as_json: bool) -> int:
    """start a session and, with a prompt, run its first turn

    PROMPT '-' reads the opening prompt from stdin."""
    cfg = common.config()
    from chinwag.app.agents.settings import (  # lazy: `list` need not pay
        new_session_choice,
        new_session_kind,
        parse_override,
    )

    workspace = workspace if workspace is not None else (cfg.defaults.get("workspace") or os.getcwd())
    # unknown agent: a clear error before anything is written
    choice = new_session_choice(cfg, workspace, agent=agent or "", model=model or "")
    overrides = {}
    for item in settings:
        key, sep, raw = item.partition("=")
        if not sep:
            raise common.CliError(f"--set needs KEY=VALUE, not {item!r}")
        try:
            overrides[key.strip()] = parse_override(key, raw)
        except ValueError as exc:
            raise common.CliError(str(exc)) from None
    text = common.read_prompt(prompt)
    created = store.create_session(
        title=title,
        kind=kind or new_session_kind(cfg),
        workspace=workspace,
        agent=choice.agent,
        model=choice.model,
        mode=mode or Mode.ASK.value,
        config=overrides,
    )
    store.set_active_session_id(created.id)
    if not text:
        if as_json:
            common.print_json(asdict(created))
        else:
            common.out(created.id)
        return ExitCode.OK
    if not detach and not as_json:
        print(f"session {created.id}", file=sys.stderr)
        if choice.hint:
            print(f"hint: {choice.hint}", file=sys.stderr)
    return run_turn(store, created, text, no_stream=no_stream, detach=detach, as_json=as_json)


@session.command("send")
@db_option
@session_id_argument
@turn_options
@click.argument("prompt")
@with_store
def cmd_send(store: Store, *, session_id: str, prompt: str, no_stream: bool, detach: bool, as_json: bool) -> int:
    """send a follow-up prompt to a session

    PROMPT '-' reads it from stdin."""
    found = store.get_session(session_id)
    text = common.read_prompt(prompt)
    if not text or not text.strip():
        raise CliError("empty prompt")
    return run_turn(store, found, text, no_stream=no_stream, detach=detach, as_json=as_json)


# -- browsing ---------------------------------------------------------------------------
LIMIT = click.IntRange(min=1)  # 0 or a negative limit is a usage error, not "everything" or "nothing"


@session.command("list", exclusive=[("all_", "archived"), ("all_", "deleted"), ("archived", "deleted")])
@db_option
@click.option("--all", "all_", is_flag=True, help="include archived sessions")
@click.option("--archived", is_flag=True, help="only archived sessions")
@click.option("--deleted", is_flag=True, help="only deleted sessions (the trash; `session restore ID` brings one back)")
@click.option("--workspace")
@click.option("--kind")
@click.option("--limit", type=LIMIT, default=100, show_default=True)
@json_option
@with_store
def cmd_list(store: Store, *, all_: bool, archived: bool, deleted: bool, workspace: str | None, kind: str | None,
             limit: int, as_json: bool) -> int:
    """list sessions, newest activity first"""
    scope = "all" if all_ else "archived" if archived else "deleted" if deleted else "active"
    sessions = store.list_sessions(filter=scope, workspace=workspace, kind=kind, limit=limit)
    active = store.get_active_session_id()
    usage = store.token_usage([s.id for s in sessions])
    costs = pricing.session_costs(store, [s.id for s in sessions], common.prices_config())
    if as_json:
        common.print_json([{**asdict(s), "active": s.id == active, "tokens_estimated": usage[s.id] == tokens.ESTIMATED,
                            "tokens_unreported": usage[s.id] == tokens.UNREPORTED, "cost": costs[s.id].as_json()}
                           for s in sessions])
        return ExitCode.OK
    if not sessions:
        common.out({"active": "no sessions (try --all)", "deleted": "the trash is empty"}.get(scope, "no sessions"))
        return ExitCode.OK
    now = store.clock.now()
    fit = common.fit
    trees = store.tree_counts([s.id for s in sessions])  # TURNS: the active branch's (the conversation read)
    common.out(f"  {'ID':<26}  {fit('TITLE', 32)}  {'KIND':<8}  {'STATE':<5}  {'TURNS':>5}  {'⇡ IN':>9}  {'⇣ OUT':>9}  "
               f"{'COST':>9}  ACTIVITY")
    for s in sessions:
        mark = "*" if s.id == active else " "
        state = "trash" if s.deleted else "arch" if s.archived else s.state
        common.out(
            f"{mark} {s.id:<26}  {fit(s.title, 32)}  {fit(s.kind, 8)}  {state:<5}  {trees.get(s.id, (s.turn_count,))[0]:>5}  "
            f"{tokens.count(s.input_tokens, usage[s.id]):>9}  {tokens.count(s.output_tokens, usage[s.id]):>9}  "
            f"{costs[s.id].text():>9}  {common.short_age(s.last_activity_at, now)}"
        )
    return ExitCode.OK


@session.command("show")
@db_option
@session_id_argument
@click.option("--all-branches", is_flag=True, help="every turn of the tree, not only the active branch")
@json_option
@with_store
def cmd_show(store: Store, *, session_id: str, all_branches: bool, as_json: bool) -> int:
    """show a session's details and transcript (its active branch)

    With --json each turn carries parent_id, sibling_index and siblings (its place among
    the turns with the same parent, 1-based, and their count)."""
    found = store.get_session(session_id)
    if as_json:
        document = store.export_session(found.id, all_branches=all_branches)
        document.pop("events", None)
        places = store.placements(found.id, None if all_branches else [t["id"] for t in document["turns"]])
        for turn in document["turns"]:
            place = places[turn["id"]]
            turn.update(sibling_index=place.sibling_index, siblings=place.siblings)
        document["session"]["pinned"] = document["session"].get("pinned_at") is not None
        document["cost"] = pricing.session_cost(store, found.id, common.prices_config()).as_json()
        common.print_json(document)
        return ExitCode.OK
    sys.stdout.write(common.terminal_safe(store.export_markdown(found.id, all_branches=all_branches)))
    return ExitCode.OK


def _words(ctx: click.Context, param: click.Parameter, value: str) -> str:
    if not value.strip():  # refused as the line parses: nothing is opened
        raise click.BadParameter("an empty query matches nothing; give the words to look for")
    return value


@session.command("search")
@db_option
@click.argument("query", callback=_words)
@click.option("--limit", type=LIMIT, default=50, show_default=True)
@json_option
@with_store
def cmd_search(store: Store, *, query: str, limit: int, as_json: bool) -> int:
    """full-text search over every session"""
    hits = store.search(query, limit=limit)
    by_session: dict[str, list[str]] = {}
    for hit in hits:
        if hit.turn_id:
            by_session.setdefault(hit.session_id, []).append(hit.turn_id)
    on_path = {t for sid, turns in by_session.items() for t in store.on_active_path(sid, turns)}
    if as_json:  # on_active_path: false for a hit in a branch that is not the active one
        common.print_json([{**asdict(h), "on_active_path": h.turn_id is None or h.turn_id in on_path} for h in hits])
        return ExitCode.OK
    if not hits:
        common.out(f"no matches for {query!r}")
        return ExitCode.OK
    for hit in hits:
        where = f"{hit.role:<5}" if hit.role else "title"
        snippet = " ".join(hit.snippet.split())
        other = "  (other branch)" if hit.turn_id and hit.turn_id not in on_path else ""
        common.out(f"{hit.session_id}  {where}  {common.fit(hit.session_title, 30)}  {snippet}{other}")
    return ExitCode.OK


# -- changing sessions --------------------------------------------------------------------
@session.command("switch")
@db_option
@session_id_argument
@with_store
def cmd_switch(store: Store, *, session_id: str) -> int:
    """make a session the active one"""
    found = store.get_session(session_id)
    store.set_active_session_id(found.id)
    common.out(f"active session: {found.id}  {found.title}")
    return ExitCode.OK


@session.command("rename")
@db_option
@session_id_argument
@click.argument("title")
@with_store
def cmd_rename(store: Store, *, session_id: str, title: str) -> int:
    """rename a session"""
    renamed = store.rename_session(session_id, title)
    common.out(f"renamed {renamed.id}: {renamed.title}")
    return ExitCode.OK


@session.command("fork")
@db_option
@session_id_argument
@click.option("--at", metavar="TURN", help="last turn to copy: id, prefix or @N (any branch; default the head)")
@click.option("--title")
@with_store
def cmd_fork(store: Store, *, session_id: str, at: str | None, title: str | None) -> int:
    """copy a session's branch (up to a turn) into a new one"""
    from chinwag.app.cli.tree import turn_arg  # lazy: only `fork --at` reads a turn argument

    found = store.get_session(session_id)
    fork = store.fork_session(found.id, upto_turn_id=turn_arg(store, found.id, at).id if at else None, title=title)
    common.out(fork.id)
    return ExitCode.OK


@session.command("compact")
@db_option
@session_id_argument
@click.option("--window", type=int, default=None, help="recent turns to keep (default 4)")
@click.option("--undo", is_flag=True, help="take the last compaction back (its turns are sent again)")
@click.argument("instructions", nargs=-1)
@with_store
def cmd_compact(store: Store, *, session_id: str, window: int | None, undo: bool, instructions: tuple[str, ...]) -> int:
    """summarize older turns to reclaim context (--undo takes the last compaction back)

    INSTRUCTIONS (the remaining words) say what the summary should focus on."""
    # here: only `compact` pays for compaction
    from chinwag.app.agents import agent_for_session  # lazy: compaction loads on first use
    from chinwag.app.core.compaction import DEFAULT_WINDOW, compact  # lazy: compaction loads on first use

    found = store.get_session(session_id)
    if undo:
        from chinwag.app.cli.pins import undo_compaction  # lazy: with compaction

        return undo_compaction(store, found.id, window=window, instructions=instructions)
    agent = agent_for_session(found, common.config())
    keep = DEFAULT_WINDOW if window is None else window
    result = asyncio.run(compact(store, agent, found.id, window=keep, instructions=" ".join(instructions)))
    common.out(
        f"compacted {result.summarized} turns (kept {result.kept}): "
        f"context {result.tokens_before:,} -> {result.tokens_after:,} tokens"
    )
    return ExitCode.OK


@session.command("archive")
@db_option
@session_id_argument
@with_store
def cmd_archive(store: Store, *, session_id: str) -> int:
    """archive a session"""
    archived = store.archive_session(session_id)
    common.out(f"archived {archived.id}  {archived.title}")
    return ExitCode.OK


@session.command("restore")
@db_option
@session_id_argument
@with_store
def cmd_restore(store: Store, *, session_id: str) -> int:
    """bring a session back from the trash or the archive"""
    found = store.restore_session(session_id)
    common.out(f"restored {found.id}  {found.title}")
    return ExitCode.OK


@session.command("delete")
@db_option
@session_id_argument
@click.option("--force", is_flag=True, help="remove it for good (no restore)")
@with_store
def cmd_delete(store: Store, *, session_id: str, force: bool) -> int:
    """move a session to the trash (--force removes it for good)"""
    deleted = store.delete_session(session_id, force=force)
    if force:
        common.out(f"deleted {deleted.id} permanently")
    else:
        common.out(f"moved {deleted.id} to the trash (`chinwag session restore {deleted.id}` brings it back; "
                   "`session prune` empties the trash)")
    return ExitCode.OK


@session.command("prune")
@db_option
@click.option("--older-than", required=True, metavar="AGE", help="e.g. 30d, 12h, 2w (0d: the whole trash)")
@click.option("--dry-run", is_flag=True, help="list what would change, change nothing")
@with_store
def cmd_prune(store: Store, *, older_than: str, dry_run: bool) -> int:
    """empty the trash of sessions deleted more than AGE ago; archived ones older than AGE go to the trash"""
    age = common.parse_age(older_than)
    pruned = store.prune_sessions(age, dry_run=dry_run)
    delete, move = ("would delete", "would move") if dry_run else ("deleted", "moved")
    for victim in pruned.removed:
        common.out(f"{delete} {victim.id}  {victim.title}  (in the trash since {victim.deleted_at})")
    for victim in pruned.trashed:
        common.out(f"{move} to the trash {victim.id}  {victim.title}  (archived {victim.archived_at})")
    common.out(f"{delete} {len(pruned.removed)} session(s) from the trash for good, {move} "
               f"{len(pruned.trashed)} archived session(s) to the trash (older than {older_than})")
    return ExitCode.OK


from chinwag.app.cli import live as _live  # noqa: E402, F401  (registers stop, wait, attach)
from chinwag.app.cli import pins as _pins  # noqa: E402, F401  (registers pin)
from chinwag.app.cli import transfer as _transfer  # noqa: E402, F401  (registers export, import)
from chinwag.app.cli import tree as _tree  # noqa: E402, F401  (registers edit, regenerate, branches, checkout, rewind)
