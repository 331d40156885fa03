"""`chinwag session edit|regenerate|branches|checkout|rewind`: the conversation as a tree,
headless (the contract in DESIGN.md). These join the `session` group (registered at the
end of `session.py`); `show --all-branches` and `fork --at` stay beside their siblings there.

A TURN is a turn id, a unique prefix of one, or `@N`, the Nth prompt of the active path
(1-based; `@-1` the last). A TURN that is not an id, a prefix or `@N`, or that names the
wrong kind of turn, is a usage error (exit 2); one that names no turn is not found (exit 1).
"""

from __future__ import annotations

import sys
from dataclasses import asdict

import click

from chinwag.app.cli import common
from chinwag.app.cli.base import db_option
from chinwag.app.cli.common import CliError
from chinwag.app.cli.exit_codes import ExitCode
from chinwag.app.cli.session import json_option, session, session_id_argument, turn_options, with_store
from chinwag.app.cli.turns import run_reply, run_turn
from chinwag.storage import Store
from chinwag.storage.enums import TurnRole
from chinwag.storage.models import Session, Turn
from chinwag.storage.tree import BadTurnSpec

_KINDS = {TurnRole.USER: "a prompt", TurnRole.AGENT: "a reply", TurnRole.SYSTEM: "a system note",
          TurnRole.SUMMARY: "a summary"}


def _usage(message: str) -> click.UsageError:
    return click.UsageError(message, click.get_current_context(silent=True))


def turn_arg(store: Store, session_id: str, spec: str, *, roles: tuple[str, ...] = (), what: str = "") -> Turn:
    """The turn TURN names, checked to be of one of `roles` (`what` names them for the error)."""
    try:
        turn = store.resolve_turn(session_id, spec)
    except BadTurnSpec as exc:
        raise _usage(str(exc)) from None
    if roles and turn.role not in roles:
        raise _usage(f"turn {turn.id} is {_KINDS.get(turn.role, turn.role)}, not {what} (@N names the Nth prompt)")
    return turn


def _short(text: str, width: int) -> str:
    line = " ".join(text.split())
    return line if len(line) <= width else line[: width - 1] + "…"


def _stderr(line: str) -> None:
    print(common.terminal_safe(line), file=sys.stderr)


# -- new branches ---------------------------------------------------------------------------
@session.command("edit")
@db_option
@session_id_argument
@click.argument("turn")
@click.argument("text")
@turn_options
@with_store
def cmd_edit(store: Store, *, session_id: str, turn: str, text: str, no_stream: bool, detach: bool,
             as_json: bool) -> int:
    """send a new version of a prompt, as a branch beside it

    TURN is a prompt's id (or a prefix), or @N: the Nth prompt of the active branch
    (@-1 the last). The original and everything after it stay as they were. TEXT '-'
    reads it from stdin."""
    found = store.get_session(session_id)
    prompt = turn_arg(store, found.id, turn, roles=(TurnRole.USER,), what="a prompt")
    new_text = common.read_prompt(text)
    if not new_text or not new_text.strip():
        raise CliError("empty prompt")
    return run_turn(store, found, new_text, no_stream=no_stream, detach=detach, as_json=as_json,
                    parent=prompt.parent_id)


@session.command("regenerate")
@db_option
@session_id_argument
@click.argument("turn", required=False)
@turn_options
@with_store
def cmd_regenerate(store: Store, *, session_id: str, turn: str | None, no_stream: bool, detach: bool,
                   as_json: bool) -> int:
    """run a reply again, as a branch beside it

    TURN: the reply (id or prefix), or a prompt (@N: the Nth) to answer again; default
    the last reply of the active branch. The old reply stays."""
    found = store.get_session(session_id)
    if turn is None:
        replies = [t for t in store.list_turns(found.id) if t.role == TurnRole.AGENT]
        if not replies:
            raise CliError(f"session {found.id} has no reply to regenerate")
        target = replies[-1]
    else:
        target = turn_arg(store, found.id, turn, roles=(TurnRole.AGENT, TurnRole.USER), what="a reply or a prompt")
    parent = target.id if target.role == TurnRole.USER else target.parent_id
    if parent is None:
        raise CliError(f"reply {target.id} follows no prompt; nothing to regenerate it from")
    reply = store.begin_reply(found.id, agent=found.agent, model=found.model, parent=parent)
    return run_reply(store, found, reply, no_stream=no_stream, detach=detach, as_json=as_json)


# -- looking at and moving between branches ----------------------------------------------------
@session.command("branches")
@db_option
@session_id_argument
@json_option
@with_store
def cmd_branches(store: Store, *, session_id: str, as_json: bool) -> int:
    """list a session's branches: one row per tip, newest first (* the active one)"""
    found = store.get_session(session_id)
    branches = store.branches(found.id)
    if as_json:
        common.print_json([asdict(b) for b in branches])
        return ExitCode.OK
    if not branches:
        common.out(f"session {found.id} has no turns")
        return ExitCode.OK
    now = store.clock.now()
    common.out(f"  {'TIP':<26}  {'TURNS':>5}  {'WHEN':<9}  LAST PROMPT")
    for b in branches:
        common.out(f"{'*' if b.active else ' '} {b.tip:<26}  {b.turns:>5}  "
                   f"{common.short_age(b.created_at, now):<9}  {_short(b.last_prompt, 60)}")
    if not any(b.active for b in branches):  # rewound: the next prompt starts a branch at the head
        where = f"at {found.head}, inside a branch" if found.head else "before the first prompt"
        common.out(f"(rewound: the head is {where}; the next prompt branches there)")
    return ExitCode.OK


@session.command("checkout")
@db_option
@session_id_argument
@click.argument("turn")
@with_store
def cmd_checkout(store: Store, *, session_id: str, turn: str) -> int:
    """make the branch holding TURN the active one (its newest tip)"""
    found = store.get_session(session_id)
    target = turn_arg(store, found.id, turn)
    tip = store.checkout(found.id, target.id)
    common.out(f"head: {tip}  ({len(store.turn_ids_to(found.id, tip))} turns on the active branch)")
    return ExitCode.OK


@session.command("rewind", exclusive=[("files", "conversation", "both"), ("undo", "turn")])
@db_option
@session_id_argument
@click.argument("turn", required=False)
@click.option("--files", is_flag=True, help="only restore the workspace's files")
@click.option("--conversation", is_flag=True, help="only move the conversation back")
@click.option("--both", is_flag=True, help="both (the default)")
@click.option("--undo", is_flag=True, help="undo the last rewind (files and head)")
@click.option("--dry-run", is_flag=True, help="say what would change, change nothing")
@click.option("--force", is_flag=True, help="restore files even when they cannot be checkpointed first")
@with_store
def cmd_rewind(store: Store, *, session_id: str, turn: str | None, files: bool, conversation: bool, both: bool,
               undo: bool, dry_run: bool, force: bool) -> int:
    """go back to just before a prompt was sent

    TURN is a prompt (id, prefix or @N). The conversation goes back to before it (the next
    prompt branches there; nothing is deleted) and its text is printed, to edit and send
    again; --files restores the workspace as it was before it ran. --undo takes the last
    rewind back."""
    from chinwag.app.core import rewind as rewinding  # lazy: only `rewind` pays for it

    found = store.get_session(session_id)
    if undo:
        if files or conversation or both:
            raise _usage("--undo takes back the whole last rewind: it takes no --files, --conversation or --both")
        done = rewinding.undo(store, found, dry_run=dry_run, force=force)
    else:
        if turn is None:
            raise _usage("missing TURN: the prompt to rewind to before (or --undo)")
        prompt = turn_arg(store, found.id, turn, roles=(TurnRole.USER,), what="a prompt")
        done = rewinding.rewind(store, found, prompt, conversation=not files, files=not conversation,
                                dry_run=dry_run, force=force)
    _report(store, found, done)
    return ExitCode.OK


def _report(store: Store, session: Session, done) -> None:
    """What a rewind did (stderr: what changed; stdout: the prompt's text)."""
    would = "would " if done.dry_run else ""
    if done.old_head != done.new_head:
        turns = len(store.turn_ids_to(session.id, done.new_head))
        _stderr(f"{would}move the head from {done.old_head or '(none)'} to {done.new_head or '(before the first prompt)'}"
                f" ({turns} turns on the active branch)")
    if done.files is not None:
        f = done.files
        _stderr(f"{'would restore' if done.dry_run else 'restored'} files: {len(f.changed)} changed back, "
                f"{len(f.created_removed)} created later removed, {len(f.deleted_restored)} deleted brought back")
        for path in [*f.changed, *f.created_removed, *f.deleted_restored]:
            _stderr(f"  {path}")
    if done.files_note:
        _stderr(done.files_note)
    if done.prompt is not None and done.old_head != done.new_head:
        common.out(done.prompt.text)
    elif done.prompt is None and not done.dry_run:
        _stderr("undone: the last rewind")
