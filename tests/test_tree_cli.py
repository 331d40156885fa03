"""The tree's headless contract through real `chinwag` subprocesses: edit, regenerate,
branches, checkout, rewind (and --undo), show --all-branches, fork --at, export/import of
the whole tree, and one-line errors with the contract's exit codes that change nothing.
"""

from __future__ import annotations

import json
import time

import pytest
from cli_results import ok, one_line_error

from chinwag.storage import Store


def new_session(cli, *prompts, workspace=None) -> str:
    sid = ok(cli("session", "start", "--agent", "echo", *(["--workspace", workspace] if workspace else []))).stdout.strip()
    for prompt in prompts:
        ok(cli("session", "send", sid, prompt))
    return sid


def shown(cli, sid, *args) -> dict:
    return json.loads(ok(cli("session", "show", sid, "--json", *args)).stdout)


def whole(db_path, sid) -> tuple[str, int]:
    """Everything of a session (the whole tree) and its event count: to see nothing changed."""
    with Store(db_path) as store:
        return store.export_json(sid, all_branches=True), len(store.list_events(sid))


def test_edit_makes_a_branch_and_show_says_where_each_turn_sits(cli):
    sid = new_session(cli, "first question", "second question")
    result = ok(cli("session", "edit", sid, "@1", "first, edited"))
    assert "> first, edited" in result.stdout
    doc = shown(cli, sid)
    assert [t["text"].splitlines()[0] for t in doc["turns"]] == ["first, edited", "You said:"]
    prompt, reply = doc["turns"]
    assert (prompt["parent_id"], prompt["sibling_index"], prompt["siblings"]) == (None, 2, 2)
    assert (reply["parent_id"], reply["sibling_index"], reply["siblings"]) == (prompt["id"], 1, 1)
    assert doc["session"]["head"] == reply["id"]
    every = shown(cli, sid, "--all-branches")
    assert len(every["turns"]) == 6
    assert {t["text"] for t in every["turns"] if t["role"] == "user"} == {"first question", "second question",
                                                                            "first, edited"}
    text = ok(cli("session", "show", sid, "--all-branches")).stdout
    assert "▸ you ‹1/2›" in text and "▸ you ‹2/2›" in text and "second question" in text
    assert "second question" not in ok(cli("session", "show", sid)).stdout
    # editing by id prefix, from stdin, a prompt of another branch
    old = next(t for t in every["turns"] if t["text"] == "second question")
    ok(cli("session", "edit", sid, old["id"].lower(), "-", input="second, edited"))  # ids made in one ms share long prefixes
    assert [t["text"] for t in shown(cli, sid)["turns"] if t["role"] == "user"] == ["first question", "second, edited"]


def test_regenerate_the_last_reply_or_the_reply_to_a_prompt(cli):
    sid = new_session(cli, "one", "two")
    before = shown(cli, sid)["turns"]
    ok(cli("session", "regenerate", sid))
    after = shown(cli, sid)["turns"]
    assert [t["id"] for t in after[:3]] == [t["id"] for t in before[:3]] and after[3]["id"] != before[3]["id"]
    assert after[3]["parent_id"] == before[2]["id"] and (after[3]["sibling_index"], after[3]["siblings"]) == (2, 2)
    data = json.loads(ok(cli("session", "regenerate", sid, "@1", "--json")).stdout)
    assert data["turn"]["parent_id"] == before[0]["id"] and data["turn"]["status"] == "complete"
    ok(cli("session", "regenerate", sid, before[1]["id"]))  # the reply itself: a third sibling
    assert shown(cli, sid)["turns"][1]["siblings"] == 3


def test_a_detached_edit_runs_in_a_worker(cli, db_path):
    sid = new_session(cli, "one")
    result = ok(cli("session", "edit", sid, "@1", "one, detached", "--detach", env={"CHINWAG_ECHO_DELAY": "0.01"}))
    assert result.stdout.strip() == sid
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        turns = shown(cli, sid)["turns"]
        if turns[-1]["status"] != "streaming":
            break
        time.sleep(0.05)
    assert turns[0]["text"] == "one, detached" and "> one, detached" in turns[1]["text"]


def test_branches_and_checkout(cli):
    sid = new_session(cli, "one", "two")
    ok(cli("session", "edit", sid, "@1", "one again"))
    branches = json.loads(ok(cli("session", "branches", sid, "--json")).stdout)
    assert [(b["turns"], b["last_prompt"], b["active"]) for b in branches] == [(2, "one again", True),
                                                                               (4, "two", False)]
    table = ok(cli("session", "branches", sid)).stdout.splitlines()
    assert table[0].split() == ["TIP", "TURNS", "WHEN", "LAST", "PROMPT"] and table[1].startswith("* ")
    old_first = shown(cli, sid, "--all-branches")["turns"][0]["id"]
    result = ok(cli("session", "checkout", sid, old_first))
    assert result.stdout.startswith(f"head: {branches[1]['tip']}") and "4 turns" in result.stdout
    assert [t["text"] for t in shown(cli, sid)["turns"] if t["role"] == "user"] == ["one", "two"]
    # the next prompt continues the branch checked out
    ok(cli("session", "send", sid, "three"))
    assert [t["text"] for t in shown(cli, sid)["turns"] if t["role"] == "user"] == ["one", "two", "three"]


def test_rewind_the_conversation_prints_the_prompt_and_undo_brings_the_head_back(cli, db_path):
    sid = new_session(cli, "one", "two")
    head = shown(cli, sid)["session"]["head"]
    dry = ok(cli("session", "rewind", sid, "@2", "--conversation", "--dry-run"))
    assert "would move the head" in dry.stderr and shown(cli, sid)["session"]["head"] == head
    result = ok(cli("session", "rewind", sid, "@2", "--conversation"))
    assert result.stdout == "two\n" and "move the head" in result.stderr
    doc = shown(cli, sid)
    assert [t["text"] for t in doc["turns"] if t["role"] == "user"] == ["one"]
    assert len(shown(cli, sid, "--all-branches")["turns"]) == 4  # nothing deleted
    listing = ok(cli("session", "branches", sid)).stdout
    assert "rewound: the head is at" in listing
    ok(cli("session", "send", sid, "two, differently"))  # branches at the rewound point
    assert [t["text"] for t in shown(cli, sid)["turns"] if t["role"] == "user"] == ["one", "two, differently"]
    undone = ok(cli("session", "rewind", sid, "--undo"))
    assert "undone" in undone.stderr and shown(cli, sid)["session"]["head"] == head
    error = one_line_error(cli("session", "rewind", sid, "--undo"))
    assert "no rewind to undo" in error
    with Store(db_path) as store:
        kinds = [e.data.get("undo") is not None for e in store.list_events(sid) if e.type == "rewind"]
    assert kinds == [False, True]


def test_rewind_files_without_a_checkpoint(cli, db_path, tmp_path):
    sid = new_session(cli, "one", workspace=str(tmp_path))
    before = whole(db_path, sid)
    error = one_line_error(cli("session", "rewind", sid, "@1", "--files"))
    assert "no checkpoint exists for prompt" in error
    assert whole(db_path, sid) == before
    both = ok(cli("session", "rewind", sid, "@1"))  # --both, the default: the conversation part is done
    assert both.stdout == "one\n" and "files were not restored: no checkpoint exists" in both.stderr
    assert shown(cli, sid)["turns"] == [] and shown(cli, sid)["session"]["head"] is None
    ok(cli("session", "rewind", sid, "--undo"))
    assert len(shown(cli, sid)["turns"]) == 2


def test_fork_at_a_turn_of_another_branch(cli):
    sid = new_session(cli, "one", "two")
    ok(cli("session", "edit", sid, "@1", "one again"))
    old_reply = [t for t in shown(cli, sid, "--all-branches")["turns"] if t["role"] == "agent"][1]
    fork = ok(cli("session", "fork", sid, "--at", old_reply["id"])).stdout.strip()
    assert [t["text"] for t in shown(cli, fork)["turns"] if t["role"] == "user"] == ["one", "two"]
    fork2 = ok(cli("session", "fork", sid, "--at", "@1")).stdout.strip()
    assert [t["text"] for t in shown(cli, fork2)["turns"]] == ["one again"]


def test_export_import_round_trips_the_whole_tree(cli, tmp_path):
    sid = new_session(cli, "one", "two")
    ok(cli("session", "edit", sid, "@2", "two again"))
    target = tmp_path / "tree.json"
    ok(cli("session", "export", sid, "--format", "json", "--all-branches", "-o", str(target)))
    exported = json.loads(target.read_text())
    assert exported["version"] == 3 and len(exported["turns"]) == 6
    copy = ok(cli("session", "import", str(target), "--as-new")).stdout.strip()
    assert len(json.loads(ok(cli("session", "branches", copy, "--json")).stdout)) == 2
    assert [t["text"] for t in shown(cli, copy)["turns"] if t["role"] == "user"] == ["one", "two again"]
    md = ok(cli("session", "export", copy, "--all-branches")).stdout
    assert md.count("▸ you") == 3
    assert "two again" in ok(cli("session", "export", copy)).stdout and \
        "\ntwo\n" not in ok(cli("session", "export", copy)).stdout


@pytest.mark.parametrize(("args", "code", "message"), [
    (["edit", "{sid}", "@x", "text"], 2, "bad turn '@x'"),
    (["edit", "{sid}", "@0", "text"], 2, "bad turn '@0'"),
    (["edit", "{sid}", "@9", "text"], 1, "no prompt @9 on the active branch"),
    (["edit", "{sid}", "@-9", "text"], 1, "no prompt @-9"),
    (["edit", "{sid}", "ZZZZZZ", "text"], 1, "no turn 'ZZZZZZ'"),
    (["edit", "{sid}", "{reply}", "text"], 2, "is a reply, not a prompt"),
    (["edit", "{sid}", "@1", " "], 1, "empty prompt"),
    (["edit", "NOSUCHSESSION", "@1", "text"], 1, "no session matches"),
    (["regenerate", "NOSUCHSESSION"], 1, "no session matches"),
    (["regenerate", "{sid}", "@x"], 2, "bad turn"),
    (["checkout", "{sid}", "@x"], 2, "bad turn"),
    (["checkout", "{sid}", "ZZZZZZ"], 1, "no turn"),
    (["rewind", "{sid}"], 2, "missing TURN"),
    (["rewind", "{sid}", "{reply}"], 2, "not a prompt"),
    (["rewind", "{sid}", "@1", "--files", "--conversation"], 2, "cannot be used together"),
    (["rewind", "{sid}", "@1", "--undo"], 2, "cannot be used together"),
    (["rewind", "{sid}", "--undo", "--files"], 2, "takes no --files"),
    (["rewind", "{sid}", "@5"], 1, "no prompt @5"),
    (["fork", "{sid}", "--at", "@x"], 2, "bad turn"),
    (["branches", "NOSUCHSESSION"], 1, "no session matches"),
])
def test_bad_input_is_one_line_with_the_contracts_code_and_changes_nothing(cli, db_path, args, code, message):
    sid = new_session(cli, "one")
    reply = shown(cli, sid)["turns"][1]["id"]
    before = whole(db_path, sid)
    error = one_line_error(cli("session", *[a.format(sid=sid, reply=reply) for a in args]), code)
    assert message in error
    assert whole(db_path, sid) == before


def test_a_session_with_no_turns(cli):
    sid = new_session(cli)
    assert ok(cli("session", "branches", sid)).stdout.strip() == f"session {sid} has no turns"
    assert "has no reply to regenerate" in one_line_error(cli("session", "regenerate", sid))
    assert "no prompt @1" in one_line_error(cli("session", "rewind", sid, "@1"))


def test_rewind_files_restores_the_workspace_from_the_prompts_checkpoint_and_undo_brings_it_back(
        cli, chinwag_home, tmp_path):
    """A real checkpoint, taken by the runner before the prompt ran (a profile with checkpoints on)."""
    (chinwag_home / "config.toml").write_text('[agents.echo]\nkind = "echo"\ncheckpoints = true\n')
    workspace = tmp_path / "ws"
    workspace.mkdir()
    (workspace / "notes.txt").write_text("before\n")
    sid = new_session(cli, "one", workspace=str(workspace))
    prompt = shown(cli, sid)["turns"][0]
    assert prompt["metadata"]["checkpoint"]["id"], prompt["metadata"]
    (workspace / "notes.txt").write_text("after the reply\n")
    (workspace / "made.txt").write_text("made later\n")
    dry = ok(cli("session", "rewind", sid, "@1", "--files", "--dry-run"))
    assert "would restore files: 1 changed back, 1 created later removed" in dry.stderr
    assert (workspace / "made.txt").exists()
    done = ok(cli("session", "rewind", sid, "@1", "--files"))
    assert "restored files: 1 changed back, 1 created later removed" in done.stderr
    assert (workspace / "notes.txt").read_text() == "before\n" and not (workspace / "made.txt").exists()
    assert len(shown(cli, sid)["turns"]) == 2  # --files alone leaves the conversation where it was
    ok(cli("session", "rewind", sid, "--undo"))
    assert (workspace / "notes.txt").read_text() == "after the reply\n"
    assert (workspace / "made.txt").read_text() == "made later\n"
