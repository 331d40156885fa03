"""Peer benchmark: the same synthetic conversation (100 / 1,000 / 10,000 turns of Markdown
with code blocks) opened headless in Chinwag and in two peer Python chat TUIs, Elia
(`elia-chat` 1.10.0) and oterm (`oterm` 0.26.1): time from process start to the first idle
screen that shows the conversation's last message, and peak RSS.

    python benchmarks/peers.py [--runs 3] [--sizes 100,1000,10000] [--peers elia,oterm]
                               [--timeout 120] [--cache ~/.cache/chinwag-peers]
                               [--chinwag-python PATH]

This script owns: installing each peer into its own venv under the cache dir (reused when
already there; a peer whose install fails is skipped with a one-line reason) and Chinwag
into one too (this working tree, `pip install .` as the README says, refreshed each run), writing each
app's database directly in that app's own schema, the headless driver, and the `## Peers`
section of benchmarks/RESULTS.md.

How each app is pointed at the conversation (every run gets a temp HOME and XDG_* dirs, so
no real user data is read or written, and a clean environment without API keys):

- Chinwag: `chinwag.storage.Store` writes one session into `<tmp>/chinwag.db` (one
  `add_turn` per turn, roles user/agent); the driver opens it with
  `ChinwagApp(db_path=..., session_id=<id>)`, as `chinwag --session <id>` does (class loaded by
  `cli_misc.load_tui_app`, as the command loads it).
- Elia: Elia reads `$XDG_DATA_HOME/elia/elia.sqlite` (path fixed at import by
  `elia_chat.database.database`); we create its SQLModel tables (`chat`, `message`,
  `system_prompt`, the DDL SQLModel emits) and one chat whose first message is the system
  prompt (Elia treats `messages[0]` as the system prompt), then the turns (roles
  user/assistant; the last is the assistant's, else Elia would call the model on open).
  Elia has no way to open a chat at start: it starts on its home screen, whose history list
  has this chat (the newest, and only one) first, so the driver focuses that list and
  presses Enter, as a user would; that opening is inside the timed span.
- oterm: `OTERM_DATA_DIR` points at `<tmp>/oterm`; we write `store.db` with the schema of
  `oterm.store.store.Store` and `PRAGMA user_version` = the installed version (so no
  upgrade step runs), plus `config.json` with `"splash-screen": false` (oterm's own setting;
  the splash is an animation, not loading). oterm opens every saved chat as a tab at start
  and the first tab loads its messages. `OLLAMA_HOST` is a closed local port and the
  PyPI update check (`is_up_to_date`) is replaced by a stub, so nothing leaves the machine.

A bare Textual app (one `Static`, Chinwag's venv) is timed the same way first: the floor
that interpreter start, Textual's import and its first frame set on this machine, so a
reader can tell a slow machine from a slow app.

Apps run one after another, Chinwag and the floor first: minutes of a peer at full load
leave this kind of machine (2 shared cores) slower for a while afterwards, and that should
not land on the next app's figures.

Timing: the parent reads `time.monotonic()` (Linux CLOCK_MONOTONIC, shared by all
processes) just before spawning the child and passes it in; the child, a fresh interpreter
of the app's own venv, imports the app, runs `app.run_test(size=(120, 40))`, and waits
(`pilot.wait_for_scheduled_animations()`, which waits for idle) until the text rendered on
screen contains a marker word that ends the last message. The child also notes the moment
of every frame it produces (Textual's `App._display`, where a terminal would be sent the
update). It reports the final frame before that idle screen (the figure in the table: the
screen is complete and stays so), the moment Pilot confirmed idle (a column of its own: it
adds Pilot's own sleeping, at least 2 x 20 ms of `wait_for_idle`), and `ru_maxrss`. So each
figure includes interpreter start, imports, reading the database and rendering, the same way
for all three apps; teardown is not timed. (Elia's opening key press goes through Pilot, so
its final frame includes one more Pilot wait.) A run past `--timeout` is killed (its peak RSS so far is read from /proc) and
reported as a timeout; larger sizes of that app are then not run.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
from results import machine_line, write_section  # noqa: E402

SIZE = (120, 40)
SEED = 7
BASE_TIME = datetime(2026, 11, 1, 9, 0, 0)
REFERENCE = ("Reference figures from the issue, measured before on this kind of machine: peers took "
             "1.4 s (Elia) and 7.3 s (oterm) at N = 100 and 7.1 s / 40 s at N = 1,000, and used "
             "113 MiB / 877 MiB; Chinwag's target is < 0.5 s at every N and < 100 MiB.")


@dataclass(frozen=True)
class Peer:
    name: str
    requirement: str
    module: str


PEERS = {
    "elia": Peer("elia", "elia-chat==1.10.0", "elia_chat.app"),
    "oterm": Peer("oterm", "oterm==0.26.1", "oterm.app.oterm"),
}

# Runs in the app's own interpreter: argv = kind, t0 (monotonic), marker, [db, session id].
DRIVER = r"""
import asyncio, json, os, resource, sys, time

KIND, T0, MARKER = sys.argv[1], float(sys.argv[2]), sys.argv[3]
MARKERS = MARKER.split("\n")  # every one of them on screen: the first idle screen is complete


def make_app():
    if KIND == "chinwag":
        from chinwag.app.cli.misc import load_tui_app  # as the `chinwag` command does
        from chinwag.app.config.loader import Config
        ChinwagApp = load_tui_app()
        return ChinwagApp(db_path=sys.argv[4], config=Config(), session_id=sys.argv[5], animate=False)
    if KIND == "elia":
        from elia_chat.app import Elia
        from elia_chat.config import LaunchConfig
        return Elia(LaunchConfig())
    if KIND == "oterm":
        from oterm.log import suppress_logging
        suppress_logging()  # as oterm's CLI does first
        import oterm.app.oterm as oterm_app

        async def up_to_date():  # the real check asks PyPI for the latest version
            return True, None, None
        oterm_app.is_up_to_date = up_to_date
        return oterm_app.app
    if KIND == "textual":  # the floor: a bare Textual app showing one line
        from textual.app import App
        from textual.widgets import Static

        class Hello(App):
            def compose(self):
                yield Static(MARKERS[0])
        return Hello()
    raise SystemExit(f"unknown app {KIND}")


async def settle(step):
    # Pilot gives up with WaitForScreenTimeout when widgets stay busy for 30 s; for us that
    # only means "not idle yet": keep waiting (the parent enforces the real timeout).
    try:
        await step
    except Exception as exc:
        if type(exc).__name__ != "WaitForScreenTimeout":
            raise


async def open_conversation(app, pilot):
    if KIND != "elia":
        return  # Chinwag opens the session it is given; oterm opens saved chats as tabs
    from elia_chat.widgets.chat_list import ChatList
    chat_list = app.screen.query_one(ChatList)
    while chat_list.option_count == 0:
        await settle(pilot.pause(0.01))
    chat_list.focus()
    await settle(pilot.press("enter"))


def screen_text(app):
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def complete(app):
    text = screen_text(app)
    return all(marker in text for marker in MARKERS)


def watch_frames(app_class):
    # The moment each frame is produced (App._display: the compositor's update, which a real
    # terminal would be sent; headless, Textual drops it). The screen is final at the last
    # frame before idle; confirming idle costs Pilot >= 40 ms of its own sleeping, not counted.
    # The first frame showing every marker is noted too (its text is read after its time is
    # taken, and only until one shows them all).
    display = app_class._display

    def timed_display(self, screen, renderable):
        if renderable is not None:
            FRAMES.append(time.monotonic())
            if not COMPLETE and complete(self):
                COMPLETE.append(FRAMES[-1])
                if os.environ.get("CHINWAG_BENCH_EXIT_AT_FIRST"):  # counting instructions (benchmarks/startup.py)
                    os._exit(0)
        return display(self, screen, renderable)
    app_class._display = timed_display


FRAMES = []
COMPLETE = []  # the time of the first frame that shows every marker


async def main():
    app = make_app()
    from textual.app import App
    watch_frames(App)
    async with app.run_test(size=(%d, %d)) as pilot:
        await settle(pilot.pause())
        await open_conversation(app, pilot)
        while True:
            await settle(pilot.wait_for_scheduled_animations())
            if complete(app):
                break
            await asyncio.sleep(0.01)
        idle = time.monotonic() - T0
        final_frame = FRAMES[-1] - T0 if FRAMES else idle
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        # Textual captures print() while the app runs: write to the real stdout.
        first_complete = COMPLETE[0] - T0 if COMPLETE else final_frame
        report = {"seconds": final_frame, "idle_seconds": idle, "frames": len(FRAMES), "rss_mib": rss,
                  "first_complete_seconds": first_complete,
                  "frame_times": [round(f - T0, 4) for f in FRAMES]}
        os.write(1, (json.dumps(report) + "\n").encode())
        os._exit(0)  # teardown is not part of the measurement

asyncio.run(main())
""" % SIZE  # noqa: UP031  (the driver is Python source full of braces: % leaves them alone)


# -- the conversation ---------------------------------------------------------------------
def marker(n: int) -> str:
    return f"ZZEND{n}ZZ"


def conversation(n: int, seed: int = SEED) -> list[tuple[str, str]]:
    """`n` turns (role "user" or "assistant", Markdown text), alternating so that the last
    is the assistant's; the last ends with the marker word the driver looks for."""
    from chinwag.app.demo import WORDS, synthetic_text

    rng = random.Random(seed)
    turns = []
    for seq in range(1, n + 1):
        if (n - seq) % 2:
            turns.append(("user", f"Question {seq}: how does the {rng.choice(WORDS)} interact "
                                  f"with the {rng.choice(WORDS)}?"))
        else:
            turns.append(("assistant", synthetic_text(rng, seq)))
    role, text = turns[-1]
    turns[-1] = (role, f"{text}\n\nEnd of the conversation: {marker(n)}")
    return turns


# -- databases, one per app, each in that app's own schema ----------------------------------
def chinwag_db(root: Path, turns: list[tuple[str, str]]) -> tuple[Path, str]:
    from chinwag.storage import Store

    path = root / "chinwag.db"
    with Store(path) as store:
        session = store.create_session(title=f"synthetic {len(turns):,} turns", kind="project", agent="echo")
        for role, text in turns:
            store.add_turn(session.id, "agent" if role == "assistant" else "user", text,
                           agent="echo", model="echo-1")
    return path, session.id


ELIA_SCHEMA = """
CREATE TABLE system_prompt (id INTEGER NOT NULL, title VARCHAR NOT NULL, prompt VARCHAR NOT NULL,
    created_at DATETIME DEFAULT CURRENT_TIMESTAMP, PRIMARY KEY (id));
CREATE TABLE chat (id INTEGER NOT NULL, model VARCHAR NOT NULL, title VARCHAR,
    started_at DATETIME DEFAULT CURRENT_TIMESTAMP, archived BOOLEAN NOT NULL, PRIMARY KEY (id));
CREATE TABLE message (id INTEGER NOT NULL, chat_id INTEGER, role VARCHAR NOT NULL, content VARCHAR NOT NULL,
    timestamp DATETIME DEFAULT CURRENT_TIMESTAMP, meta JSON, parent_id INTEGER, model VARCHAR,
    PRIMARY KEY (id), FOREIGN KEY(chat_id) REFERENCES chat (id), FOREIGN KEY(parent_id) REFERENCES message (id));
"""
ELIA_MODEL = "elia-gpt-4o"  # Elia's default model id
ELIA_SYSTEM = "You are a helpful assistant named Elia."  # Elia's default system prompt


def stamp(seconds: int) -> str:
    return (BASE_TIME + timedelta(seconds=seconds)).strftime("%Y-%m-%d %H:%M:%S.%f")  # SQLAlchemy's format


def elia_db(home: Path, turns: list[tuple[str, str]]) -> None:
    path = home / "data" / "elia" / "elia.sqlite"  # $XDG_DATA_HOME/elia/elia.sqlite
    path.parent.mkdir(parents=True, exist_ok=True)
    messages = [("system", ELIA_SYSTEM), *turns]
    with sqlite3.connect(path) as conn:
        conn.executescript(ELIA_SCHEMA)
        conn.execute("INSERT INTO chat (id, model, title, started_at, archived) VALUES (1, ?, ?, ?, 0)",
                     (ELIA_MODEL, f"synthetic {len(turns):,} turns", stamp(0)))
        conn.executemany(
            "INSERT INTO message (chat_id, role, content, timestamp, meta, parent_id, model) "
            "VALUES (1, ?, ?, ?, '{}', NULL, ?)",
            [(role, text, stamp(i), ELIA_MODEL) for i, (role, text) in enumerate(messages)])
    conn.close()


OTERM_SCHEMA = """
CREATE TABLE IF NOT EXISTS "chat" ("id" INTEGER, "name" TEXT, "model" TEXT NOT NULL, "system" TEXT,
    "provider" TEXT DEFAULT "ollama", "parameters" TEXT DEFAULT "{}", "tools" TEXT DEFAULT "[]",
    "thinking" BOOLEAN DEFAULT 0, PRIMARY KEY("id" AUTOINCREMENT));
CREATE TABLE IF NOT EXISTS "message" ("id" INTEGER, "chat_id" INTEGER NOT NULL, "author" TEXT NOT NULL,
    "text" TEXT NOT NULL, "images" TEXT DEFAULT "[]", PRIMARY KEY("id" AUTOINCREMENT),
    FOREIGN KEY("chat_id") REFERENCES "chat"("id") ON DELETE CASCADE);
"""
OTERM_VERSION = (0, 26, 1)


def oterm_db(home: Path, turns: list[tuple[str, str]]) -> None:
    data = home / "oterm"  # $OTERM_DATA_DIR
    data.mkdir(parents=True, exist_ok=True)
    (data / "config.json").write_text(json.dumps({"theme": "textual-dark", "splash-screen": False}))
    major, minor, patch = OTERM_VERSION
    with sqlite3.connect(data / "store.db") as conn:
        conn.executescript(OTERM_SCHEMA)
        conn.execute(f"PRAGMA user_version = {(major << 16) + (minor << 8) + patch}")
        conn.execute("INSERT INTO chat (id, name, model, system, provider, parameters, tools, thinking) "
                     "VALUES (1, ?, 'llama3.2', NULL, 'ollama', '{}', '[]', 0)",
                     (f"synthetic {len(turns):,} turns",))
        conn.executemany("INSERT INTO message (chat_id, author, text, images) VALUES (1, ?, ?, '[]')", turns)
    conn.close()


# -- peers' venvs -------------------------------------------------------------------------
def ensure_peer(peer: Peer, cache: Path) -> Path | None:
    """The peer venv's python, installing it first if needed; None (and a reason) on failure."""
    venv = cache / peer.name
    python = venv / "bin" / "python"
    done = venv / ".chinwag-peers-installed"
    if done.exists() and done.read_text().strip() == peer.requirement:
        return python
    print(f"installing {peer.requirement} into {venv} …", flush=True)
    steps = [[sys.executable, "-m", "venv", str(venv)],
             [str(python), "-m", "pip", "install", "--quiet", peer.requirement],
             [str(python), "-c", f"import {peer.module}"]]
    for step in steps[0 if not python.exists() else 1:]:
        try:
            out = subprocess.run(step, capture_output=True, text=True, timeout=1800,
                                 env=dict(os.environ, PIP_DISABLE_PIP_VERSION_CHECK="1"))
        except (OSError, subprocess.TimeoutExpired) as exc:
            print(f"skipping {peer.name}: {exc}")
            return None
        if out.returncode != 0:
            lines = [ln for ln in (out.stderr + out.stdout).splitlines() if ln.strip() and "WARNING" not in ln]
            print(f"skipping {peer.name}: install failed ({lines[-1].strip() if lines else 'no output'})")
            return None
    done.write_text(peer.requirement)
    return python


def ensure_chinwag(cache: Path) -> Path:
    """A venv with this working tree installed as the README installs it (`pip install .`, not
    editable: an editable install adds an import hook to every interpreter start), reinstalled
    on every run so it is the code being measured."""
    venv = cache / "chinwag"
    python = venv / "bin" / "python"
    env = dict(os.environ, PIP_DISABLE_PIP_VERSION_CHECK="1")
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    print(f"installing this working tree into {venv} …", flush=True)
    for extra in ([], ["--no-deps", "--force-reinstall"]):  # dependencies once; our code every time
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", *extra, str(ROOT)], check=True, env=env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return python


def versions(python: Path, *dists: str) -> str:
    """`dist version` for each distribution, as installed for that interpreter."""
    code = ("import importlib.metadata as m, sys; "
            "print(', '.join(f'{d} {m.version(d)}' for d in sys.argv[1:]))")
    out = subprocess.run([str(python), "-c", code, *dists], capture_output=True, text=True)
    return out.stdout.strip() or "?"


# -- running one app once -----------------------------------------------------------------
def child_env(home: Path) -> dict:
    keep = {k: os.environ[k] for k in ("PATH", "LANG", "LC_ALL", "TERM") if k in os.environ}
    return dict(
        keep, HOME=str(home), XDG_DATA_HOME=str(home / "data"), XDG_CONFIG_HOME=str(home / "config"),
        XDG_CACHE_HOME=str(home / "cache"), XDG_STATE_HOME=str(home / "state"), CHINWAG_HOME=str(home / "chinwag"),
        OTERM_DATA_DIR=str(home / "oterm"), OLLAMA_HOST="127.0.0.1:9", TEXTUAL_ANIMATIONS="none",
    )


def peak_rss_mib(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def run_once(python: Path, args: list[str], home: Path, timeout: float) -> dict:
    """{"seconds", "rss_mib"}, or {"timeout": True, "rss_mib"}, or {"error": reason}."""
    t0 = time.monotonic()
    proc = subprocess.Popen([str(python), "-c", DRIVER, args[0], repr(t0), *args[1:]], cwd=home,
                            env=child_env(home), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        rss = peak_rss_mib(proc.pid)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        return {"timeout": True, "rss_mib": rss}
    lines = out.strip().splitlines()
    if proc.returncode != 0 or not lines:
        tail = [ln for ln in err.strip().splitlines() if ln.strip()]
        return {"error": tail[-1] if tail else f"exit code {proc.returncode}"}
    return json.loads(lines[-1])


def measure(python: Path, args: list[str], home: Path, runs: int, timeout: float) -> dict:
    """Median of `runs` runs; stops at the first timeout or error."""
    samples = []
    for _ in range(runs):
        result = run_once(python, args, home, timeout)
        if "seconds" not in result:
            return result
        samples.append(result)
    return {"seconds": statistics.median(s["seconds"] for s in samples),
            "idle_seconds": statistics.median(s["idle_seconds"] for s in samples),
            "runs": [round(s["seconds"], 3) for s in samples],
            "rss_mib": statistics.median(s["rss_mib"] for s in samples)}


# -- report ---------------------------------------------------------------------------------
def describe(result: dict, timeout: float) -> tuple[str, str, str]:
    """(final frame, idle confirmed, peak RSS) as table cells."""
    if "seconds" in result:
        return f"{result['seconds']:.2f} s", f"{result['idle_seconds']:.2f} s", f"{result['rss_mib']:.0f}"
    rss = f"≥ {result['rss_mib']:.0f}" if result.get("rss_mib") else "–"
    if result.get("timeout"):
        return f"> {timeout:.0f} s (timeout)", "–", rss
    return f"failed: {result.get('error', '?')[:60]}", "–", "–"


def ratio(result: dict, base: dict | None, timeout: float) -> str:
    if not base or "seconds" not in base:
        return "–"
    if "seconds" in result:
        return f"{result['seconds'] / base['seconds']:.1f}x time · {result['rss_mib'] / base['rss_mib']:.1f}x RSS"
    if result.get("timeout"):
        return f"> {timeout / base['seconds']:.0f}x time"
    return "–"


def table(rows: list[tuple[int, str, dict]], timeout: float) -> list[str]:
    base = {n: r for n, app, r in rows if app == "chinwag"}
    lines = ["| N | app | first idle screen: final frame (median) | idle confirmed by Pilot | peak RSS (MiB) "
             "| ratio vs Chinwag |",
             "|---:|---|---:|---:|---:|---|"]
    for n, app, result in rows:
        seconds, idle, rss = describe(result, timeout)
        rel = "1.0x" if app == "chinwag" and "seconds" in result else ratio(result, base.get(n), timeout)
        lines.append(f"| {n:,} | {app} | {seconds} | {idle} | {rss} | {rel} |")
    return lines


# -- main -----------------------------------------------------------------------------------
def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sizes", default="100,1000,10000")
    parser.add_argument("--peers", default="elia,oterm")
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "chinwag-peers")
    parser.add_argument("--chinwag-python", type=Path,
                        help="run Chinwag with this interpreter instead of a fresh `pip install .` under --cache")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    started = time.monotonic()
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    unknown = [p for p in args.peers.split(",") if p.strip() and p.strip() not in PEERS]
    if unknown:
        raise SystemExit(f"unknown peer(s): {', '.join(unknown)} (known: {', '.join(PEERS)})")
    chinwag = args.chinwag_python or ensure_chinwag(args.cache.expanduser())
    apps: dict[str, Path] = {"chinwag": chinwag}
    installed = [f"Chinwag: {versions(chinwag, 'chinwag', 'textual')}"]
    skipped = []
    for name in [p.strip() for p in args.peers.split(",") if p.strip()]:
        python = ensure_peer(PEERS[name], args.cache.expanduser())
        if python:
            apps[name] = python
            dist = PEERS[name].requirement.split("==")[0]
            installed.append(f"{name}: {versions(python, dist, 'textual')}")
        else:
            skipped.append(name)
    rows: list[tuple[int, str, dict]] = []
    gave_up: dict[str, int] = {}
    with tempfile.TemporaryDirectory(prefix="chinwag-peers-") as tmp:
        floor_home = Path(tmp) / "textual"
        (floor_home / "chinwag").mkdir(parents=True)
        floor = measure(chinwag, ["textual", "hello"], floor_home, args.runs, args.timeout)
        print(f"bare Textual app   final frame {describe(floor, args.timeout)[0]:>22}", flush=True)
        # App by app, Chinwag first: a peer's minutes-long runs leave this kind of machine slower
        # for a while, which would otherwise land on whichever app runs next.
        conversations = {n: conversation(n) for n in sizes}
        for app, python in apps.items():
            for n in sizes:
                turns = conversations[n]
                home = Path(tmp) / f"{app}-{n}"
                (home / "chinwag").mkdir(parents=True)
                if app in gave_up:
                    rows.append((n, app, {"error": f"not run: timed out at N = {gave_up[app]:,}"}))
                    continue
                if app == "chinwag":
                    db, sid = chinwag_db(home, turns)
                    argv = ["chinwag", marker(n), str(db), sid]
                else:
                    {"elia": elia_db, "oterm": oterm_db}[app](home, turns)
                    argv = [app, marker(n)]
                result = measure(python, argv, home, args.runs, args.timeout)
                if result.get("timeout"):
                    gave_up[app] = n
                rows.append((n, app, result))
                seconds, idle, rss = describe(result, args.timeout)
                runs = " ".join(f"{x:.3f}" for x in result.get("runs", []))
                print(f"N = {n:>6,}  {app:<8} final frame {seconds:>22}  idle confirmed {idle:>8}  peak RSS {rss:>6} MiB"
                      f"  runs: {runs}", flush=True)
    rows.sort(key=lambda row: (row[0], list(apps).index(row[1])))  # the table reads by N
    lines = table(rows, args.timeout)
    print("\n" + "\n".join(lines))
    total = time.monotonic() - started
    print(f"\ntotal {total:.0f} s")
    body = [
        machine_line(), "",
        f"Each app opens the same seeded synthetic conversation (N turns of Markdown with code blocks) "
        f"from its own freshly written database, headless at {SIZE[0]}x{SIZE[1]}; time is from spawning "
        f"a fresh process (interpreter start and imports included) to the final frame of the first idle "
        f"screen showing the last message (when Pilot confirmed idle: its own column); median of {args.runs} runs ({'; '.join(installed)}). "
        f"Re-run with `python benchmarks/peers.py`; its docstring says how each app is pointed at "
        f"the conversation.", "",
        *table(rows, args.timeout), "",
        f"The floor on this machine: a bare Textual app (Chinwag's Textual, one `Static`) reaches its "
        f"final frame in {describe(floor, args.timeout)[0]} by the same driver. {REFERENCE}",
    ]
    if skipped:
        body += ["", f"Skipped (install failed): {', '.join(skipped)}."]
    write_section("Peers", "\n".join(body))


if __name__ == "__main__":
    main()
