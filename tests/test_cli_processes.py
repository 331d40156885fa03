"""Real processes on one database: SIGKILL mid-stream, stop from another process,
detached workers, attach, a busy session, and two writers at once.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC

import pytest

from chinwag.storage import Store

SLOW = {"CHINWAG_ECHO_DELAY": "0.02"}
LONG = "stream this slowly please " * 30


def popen(home, *args, env=None):
    environment = dict(os.environ, CHINWAG_HOME=str(home), CHINWAG_ECHO_DELAY="0", PYTHONUNBUFFERED="1")
    environment.update(env or {})
    return subprocess.Popen([sys.executable, "-m", "chinwag.app.cli.main", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=environment)


def wait_until(condition, timeout=10.0, step=0.02):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(step)
    raise AssertionError("timed out")


def reply_of(db_path, session_id):
    with Store(db_path, recover=False) as store:
        turns = [t for t in store.list_turns(session_id) if t.role == "agent"]
        return turns[-1] if turns else None


def new_session(cli):
    result = cli("session", "start")
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


@pytest.mark.parametrize("min_chars", [1, 60, 200])
def test_sigkill_mid_stream_leaves_interrupted_turn_and_intact_db(cli, chinwag_home, db_path, min_chars):
    session_id = new_session(cli)
    process = popen(chinwag_home, "session", "send", session_id, LONG, env=SLOW)
    try:
        wait_until(lambda: (r := reply_of(db_path, session_id)) and len(r.text) >= min_chars)
    finally:
        process.kill()
        process.wait()
    shown = json.loads(cli("session", "show", session_id, "--json").stdout)
    user, agent = shown["turns"]
    assert user["text"] == LONG
    assert agent["status"] == "interrupted" and len(agent["text"]) >= min_chars
    with Store(db_path) as store:
        assert store.db.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert store.get_session(session_id).state == "ready"


def test_stop_from_another_process(cli, chinwag_home, db_path):
    session_id = new_session(cli)
    process = popen(chinwag_home, "session", "send", session_id, LONG, env=SLOW)
    wait_until(lambda: (r := reply_of(db_path, session_id)) and len(r.text) > 10)
    result = cli("session", "stop", session_id)
    assert result.returncode == 0 and "stopped turn" in result.stdout
    process.wait(timeout=10)
    assert process.returncode == 130
    reply = reply_of(db_path, session_id)
    assert reply.status == "stopped" and 10 < len(reply.text) < len(LONG)


def test_detach_returns_at_once_and_worker_finishes(cli, db_path):
    started = time.monotonic()
    result = cli("session", "start", "--detach", "detached hello", env={"CHINWAG_ECHO_DELAY": "0.01"})
    assert result.returncode == 0 and time.monotonic() - started < 5
    session_id = result.stdout.strip()
    reply = wait_until(lambda: (r := reply_of(db_path, session_id)) and r.status != "streaming" and r)
    assert reply.status == "complete" and "> detached hello" in reply.text


def test_stop_and_attach_a_detached_worker(cli, chinwag_home, db_path):
    session_id = new_session(cli)
    assert cli("session", "send", "--detach", session_id, LONG, env=SLOW).returncode == 0
    wait_until(lambda: (r := reply_of(db_path, session_id)) and len(r.text) > 5)
    assert cli("session", "stop", session_id).returncode == 0
    assert reply_of(db_path, session_id).status == "stopped"
    assert cli("session", "send", "--detach", session_id, "follow me", env={"CHINWAG_ECHO_DELAY": "0.01"}).returncode == 0
    follow = cli("session", "attach", session_id, "--plain")
    assert follow.returncode == 0
    assert "> follow me" in follow.stdout
    assert reply_of(db_path, session_id).status == "complete"


def test_busy_session_refuses_a_second_sender(cli, chinwag_home, db_path):
    session_id = new_session(cli)
    process = popen(chinwag_home, "session", "send", session_id, LONG, env=SLOW)
    try:
        wait_until(lambda: reply_of(db_path, session_id) is not None)
        result = cli("session", "send", session_id, "me too")
        assert result.returncode == 1 and "busy" in result.stderr and "Traceback" not in result.stderr
        with Store(db_path, recover=False) as store:
            assert len(store.list_turns(session_id)) == 2
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=10)


def test_two_processes_write_different_sessions_at_once(cli, chinwag_home, db_path):
    first, second = new_session(cli), new_session(cli)
    env = {"CHINWAG_ECHO_DELAY": "0.002"}
    processes = [popen(chinwag_home, "session", "send", sid, f"writer {sid} " * 40, env=env) for sid in (first, second)]
    outputs = [p.communicate(timeout=60) for p in processes]
    for process, (_out, err) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, err
        assert "locked" not in err
    for sid in (first, second):
        assert reply_of(db_path, sid).status == "complete"


def test_a_sender_whose_turn_was_settled_elsewhere_stops_and_settles_nothing(cli, chinwag_home, db_path):
    from datetime import datetime, timedelta

    from chinwag.storage.clock import FixedClock

    session_id = new_session(cli)
    process = popen(chinwag_home, "session", "send", session_id, LONG, env=SLOW)
    try:
        wait_until(lambda: (r := reply_of(db_path, session_id)) and len(r.text) > 10)
        os.kill(process.pid, signal.SIGSTOP)  # the owner hangs: its heartbeat goes stale
        later = FixedClock(datetime.now(UTC) + timedelta(minutes=5))
        with Store(db_path, clock=later, recover=False) as other:  # what `session stop` does once it gives up
            assert [t.status for t in other.recover_interrupted()] == ["interrupted"]
        kept = reply_of(db_path, session_id).text
    finally:
        os.kill(process.pid, signal.SIGCONT)
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 130 and "interrupted by another process" in stderr
    assert "Traceback" not in stderr
    reply = reply_of(db_path, session_id)
    assert reply.status == "interrupted" and reply.text == kept and len(kept) < len(LONG)
    with Store(db_path, recover=False) as store:
        ends = store.db.query("SELECT type FROM events WHERE turn_id = ? AND type = 'generation_end'", (reply.id,))
    assert len(ends) == 1
