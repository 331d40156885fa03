"""`chinwag session wait ID` with real processes: a slow echo turn run by a detached worker
(`session send --detach`); the exit status says how the turn settled (complete 0, error 4,
interrupted 5, stopped 130), nothing running returns at once, an unknown id is exit 3."""

from __future__ import annotations

import json
import os
import signal

from cli_results import ok, one_line_error
from test_cli_processes import new_session, popen, reply_of, wait_until

from chinwag.app.cli.exit_codes import ExitCode, for_turn
from chinwag.storage.enums import FINAL_STATUSES

SLOW = {"CHINWAG_ECHO_DELAY": "0.02"}
LONG = "wait for this slow reply please " * 12


def detached(cli, db_path, prompt=LONG, env=SLOW, session_id=None) -> str:
    session_id = session_id or new_session(cli)
    ok(cli("session", "send", "--detach", session_id, prompt, env=env))
    return session_id


def test_wait_blocks_until_the_detached_turn_completes(cli, chinwag_home, db_path):
    session_id = detached(cli, db_path)
    assert reply_of(db_path, session_id).status == "streaming"  # still running when the wait begins
    result = ok(cli("session", "wait", session_id))
    reply = reply_of(db_path, session_id)
    assert reply.status == "complete" and reply.text.count("wait for this") == 12
    assert result.stdout.strip() == f"turn {reply.id} complete"


def test_a_stopped_turn_exits_130(cli, chinwag_home, db_path):
    session_id = detached(cli, db_path)
    waiter = popen(chinwag_home, "session", "wait", session_id)
    wait_until(lambda: len(reply_of(db_path, session_id).text) > 5)
    ok(cli("session", "stop", session_id))
    out, err = waiter.communicate(timeout=30)
    assert waiter.returncode == ExitCode.STOPPED == 130, err
    assert out.strip().endswith("stopped") and "Traceback" not in err


def test_a_turn_whose_worker_died_exits_interrupted(cli, chinwag_home, db_path):
    session_id = detached(cli, db_path, env={"CHINWAG_ECHO_DELAY": "0.2"})
    waiter = popen(chinwag_home, "session", "wait", session_id)
    worker = wait_until(lambda: (r := reply_of(db_path, session_id)) and r.owner_pid and r.owner_pid != os.getpid()
                        and len(r.text) > 0 and r.owner_pid)
    os.kill(worker, signal.SIGKILL)
    out, err = waiter.communicate(timeout=30)
    assert waiter.returncode == ExitCode.INTERRUPTED == 5, (out, err)
    assert "interrupted" in out and reply_of(db_path, session_id).status == "interrupted"


def test_a_turn_that_failed_exits_4_and_says_why(cli, chinwag_home, db_path):
    # an OpenAI-compatible server that is not there: the turn settles as an error
    (chinwag_home / "config.toml").write_text('[agents.gone]\nkind = "openai"\nbase_url = "http://127.0.0.1:9/v1"\n'
                                              'model = "m"\nmax_retries = 0\n')
    session_id = ok(cli("session", "start", "--agent", "gone")).stdout.strip()
    detached(cli, db_path, "hello", env={}, session_id=session_id)
    result = cli("session", "wait", session_id)
    assert result.returncode == ExitCode.TURN_ERROR == 4, result.stderr
    assert result.stdout.startswith("turn ") and " error: " in result.stdout


def test_nothing_running_returns_at_once_with_the_last_replys_status(cli, db_path):
    session_id = new_session(cli)
    assert ok(cli("session", "wait", session_id)).stdout.strip() == f"session {session_id} has no replies yet"
    ok(cli("session", "send", session_id, "quick"))
    reply = reply_of(db_path, session_id)
    shown = json.loads(ok(cli("session", "wait", session_id[:12], "--json")).stdout)
    assert shown == {"session_id": session_id, "turn_id": reply.id, "status": "complete", "error": None}


def test_an_unknown_session_is_one_line_and_exit_3(cli):
    line = one_line_error(cli("session", "wait", "ZZZZZZ"), code=ExitCode.NOT_FOUND)
    assert "no session matches" in line


def test_every_final_status_has_its_own_exit_status():
    codes = {status: for_turn(status) for status in FINAL_STATUSES}
    assert codes["complete"] == 0 and len(set(codes.values())) == len(codes)
    assert all(code != ExitCode.ERROR and code != ExitCode.USAGE for status, code in codes.items())
