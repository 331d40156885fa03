"""`chinwag session list`, `restore`, `delete` and `prune` around the trash and empty
sessions: columns measured in terminal cells, `--limit` validated, `--deleted`, restore
from the trash, prune emptying it, and TUI drafts left out of every listing (CLI and API).
"""

from __future__ import annotations

import json

import pytest
from api_server import ApiServer
from cli_results import ok, one_line_error
from rich.cells import cell_len

from chinwag.app.config.loader import Config
from chinwag.storage import Store

WIDE_TITLES = ["日本語のタイトルがとても長いですね本当に長い題名", "emoji 👍🏽 party 🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉",
               "cafe\u0301 e\u0301e\u0301 combining marks", "한국어 제목", "plain ascii title"]


def listed(cli, *args):
    return [s["id"] for s in json.loads(ok(cli("session", "list", "--json", *args)).stdout)]


def test_list_columns_line_up_with_wide_characters_and_combining_marks(cli, db_path):
    with Store(db_path) as store:
        for title in WIDE_TITLES:
            store.create_session(title=title)
    lines = ok(cli("session", "list")).stdout.splitlines()
    header, rows = lines[0], lines[1:]
    assert len(rows) == len(WIDE_TITLES)
    kind_at = cell_len(header[: header.index("KIND")])  # where the terminal draws the KIND column
    for row in rows:
        assert cell_len(row[: row.index("general")]) == kind_at, row
    assert any("…" in row for row in rows)  # cut by cells, with an ellipsis
    assert "cafe\u0301 e\u0301e\u0301" in lines[-3]  # combining marks kept on their letters, zero cells wide


@pytest.mark.parametrize("limit", ["0", "-1"])
def test_limit_below_one_is_a_usage_error(cli, limit):
    ok(cli("session", "start", "--title", "one"))
    for command in (["session", "list"], ["session", "search", "one"]):
        line = one_line_error(cli(*command, "--limit", limit), code=2)
        assert "--limit" in line and "x>=1" in line
    assert len(listed(cli, "--limit", "1")) == 1


def test_deleted_sessions_are_listed_in_the_trash_and_restored(cli, db_path):
    gone = ok(cli("session", "start", "--title", "gone")).stdout.strip()
    shelved = ok(cli("session", "start", "--title", "shelved")).stdout.strip()
    kept = ok(cli("session", "start", "--title", "kept")).stdout.strip()
    ok(cli("session", "archive", shelved))
    assert "session restore" in ok(cli("session", "delete", gone)).stdout
    ok(cli("session", "delete", shelved))  # archived, then deleted
    assert listed(cli) == [kept] and listed(cli, "--all") == [kept]
    assert set(listed(cli, "--deleted")) == {gone, shelved}
    table = ok(cli("session", "list", "--deleted")).stdout
    assert "trash" in table and "gone" in table and "kept" not in table
    one_line_error(cli("session", "list", "--deleted", "--archived"), code=2)
    ok(cli("session", "restore", gone[:12]))  # a prefix works in the trash too
    ok(cli("session", "restore", shelved))
    assert set(listed(cli)) == {gone, shelved, kept}  # out of the trash and the archive
    assert listed(cli, "--deleted") == []
    assert "the trash is empty" in ok(cli("session", "list", "--deleted")).stdout


def test_prune_empties_the_trash_and_never_removes_what_was_not_in_it(cli, db_path):
    binned = ok(cli("session", "start", "--title", "binned")).stdout.strip()
    shelved = ok(cli("session", "start", "--title", "shelved")).stdout.strip()
    kept = ok(cli("session", "start", "--title", "kept")).stdout.strip()
    ok(cli("session", "delete", binned))
    ok(cli("session", "archive", shelved))
    with Store(db_path) as store:
        store.db.conn.execute("UPDATE sessions SET deleted_at = '2020-01-01T00:00:00.000Z' WHERE id = ?", (binned,))
        store.db.conn.execute("UPDATE sessions SET archived_at = '2020-01-01T00:00:00.000Z' WHERE id = ?", (shelved,))
    out = ok(cli("session", "prune", "--older-than", "30d", "--dry-run")).stdout
    assert f"would delete {binned}" in out and f"would move to the trash {shelved}" in out
    assert set(listed(cli, "--deleted")) == {binned}  # a dry run changes nothing
    out = ok(cli("session", "prune", "--older-than", "30d")).stdout
    assert "deleted 1 session(s) from the trash for good, moved 1 archived session(s) to the trash" in out
    assert "no session matches" in one_line_error(cli("session", "restore", binned))  # gone for good
    assert listed(cli, "--deleted") == [shelved]  # in the trash first, restorable
    assert listed(cli) == [kept]
    ok(cli("session", "prune", "--older-than", "0d"))  # 0d: the whole trash
    assert listed(cli, "--deleted") == [] and listed(cli) == [kept]


def test_a_tui_draft_is_in_no_listing_until_it_has_a_turn(cli, db_path):
    headless = ok(cli("session", "start")).stdout.strip()  # asked for by name: listed, turns or not
    with Store(db_path) as store:
        draft = store.draft_session(workspace="/w", agent="echo")
    assert listed(cli, "--all") == [headless]
    assert json.loads(ok(cli("session", "show", draft.id, "--json")).stdout)["session"]["id"] == draft.id
    with ApiServer(db_path, Config()) as api:
        status, body = api.call("GET", "/api/sessions")
        assert status == 200 and [s["id"] for s in body["sessions"]] == [headless] and body["total"] == 1
    ok(cli("session", "send", draft.id, "now it has a turn"))
    assert set(listed(cli)) == {headless, draft.id}
