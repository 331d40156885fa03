"""Terminal notifications, decided with no Textual in it: which terminal this is and how it
shows a notification (`detect`), whether an event deserves one (`decide`: the `[ui] notify`
setting, the window's focus, whether the session is on screen), what it says (`message`,
plain and short, control characters stripped) and the bytes to write (`sequence`). The TUI's
glue (`app/tui/notify.py`) only feeds it events and writes what it returns.

How terminals show one (checked 2026; "ignored" means the sequence is swallowed silently):
- OSC 9 `ESC ] 9 ; text BEL` — iTerm2 (its "Growl" sequence), WezTerm, kitty (which also
  has OSC 99), Ghostty, Windows Terminal; the text must not start with a digit (ConEmu's
  `9;N` sub-commands), ours starts with "Chinwag".
- OSC 777 `ESC ] 777 ; notify ; title ; body BEL` — rxvt-unicode (its notify extension),
  foot, VTE terminals built with the notification patch (GNOME Terminal on Fedora/Ubuntu).
  `;` separates its fields, so none is left inside ours.
- Anything else gets the bell, which most terminals can turn into a notification or an urgent
  window hint; so does "bell".
- tmux swallows OSCs it does not know; it forwards `ESC P tmux ; <ESC doubled> ESC \\` to the
  outer terminal only with `allow-passthrough` on (off by default since tmux 3.3), so the OSC
  is wrapped only then and the outer terminal is told by `#{client_termname}`; otherwise the
  bell, which tmux passes on (`bell-action`). GNU screen: the bell.
- In a browser (`chinwag serve`: textual-serve's xterm.js) neither OSC is implemented and the
  page does not listen to xterm.js's bell: nothing is written.
"""

from __future__ import annotations

import os
import subprocess
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

Method = Literal["none", "osc9", "osc777", "bell"]
Setting = Literal["auto", "bell", "off"]
SETTINGS: tuple[str, ...] = ("auto", "bell", "off")
EventKind = Literal["complete", "error", "stopped", "permission"]
TEXT_LIMIT = 120  # characters of the whole notice: a notification is a glance, not a transcript
APP = "Chinwag"
ESC, BEL = "\x1b", "\x07"

WHAT: dict[str, str] = {
    "complete": "reply ready",
    "error": "turn failed",
    "stopped": "turn stopped",
    "permission": "permission asked",
}


@dataclass(frozen=True)
class Terminal:
    """How this terminal shows a notification, and whether tmux is in the way."""

    method: Method  # what the terminal (the outer one, under tmux) understands: osc9, osc777 or bell
    tmux: bool = False
    passthrough: bool = False  # tmux forwards wrapped sequences (allow-passthrough on/all)


TmuxProbe = Callable[[Mapping[str, str]], tuple[bool, str]]


def tmux_probe(env: Mapping[str, str]) -> tuple[bool, str]:
    """Ask the tmux server (once, at the first notice): whether this pane lets passthrough out, and
    the outer terminal's TERM. (False, "") when tmux cannot tell."""
    target = ["-t", env["TMUX_PANE"]] if env.get("TMUX_PANE") else []
    try:
        done = subprocess.run(["tmux", "display-message", "-p", *target, "#{allow-passthrough}|#{client_termname}"],
                              capture_output=True, text=True, timeout=2, check=False, env={**os.environ, **env})
    except (OSError, subprocess.SubprocessError):
        return False, ""
    allow, _, outer = done.stdout.strip().partition("|")
    # a format prints the option as a number: 0 off, 1 on, 2 all (tmux 3.3a)
    return done.returncode == 0 and allow in ("1", "2", "on", "all"), outer.strip()


def method_for(env: Mapping[str, str], term: str = "") -> Method:
    """The notification a terminal understands, from its environment (`term`: its TERM when the
    environment's own is tmux's)."""
    term = (term or env.get("TERM", "")).lower()
    program = env.get("TERM_PROGRAM", "")
    if program in ("iTerm.app", "WezTerm", "ghostty") or env.get("LC_TERMINAL") == "iTerm2":
        return "osc9"
    if env.get("KITTY_WINDOW_ID") or env.get("WEZTERM_PANE") or env.get("WT_SESSION"):
        return "osc9"
    if term in ("xterm-kitty", "xterm-ghostty", "wezterm"):
        return "osc9"
    if term.startswith(("foot", "rxvt")) or env.get("VTE_VERSION"):
        return "osc777"
    return "bell"


def detect(env: Mapping[str, str] | None = None, probe: TmuxProbe = tmux_probe) -> Terminal:
    env = os.environ if env is None else env
    if env.get("TMUX"):
        passthrough, outer = probe(env)
        return Terminal(method_for(env, outer), tmux=True, passthrough=passthrough)
    if env.get("STY") or env.get("TERM", "").startswith("screen"):
        return Terminal("bell")
    return Terminal(method_for(env))


def due(setting: str, kind: str, *, on_screen: bool, focused: bool, web: bool = False) -> bool:
    """Whether `kind` (a settled turn's status, or "permission") deserves a notice: not for a
    session in front of the user (on screen in a focused window), not for a turn that ended
    otherwise (interrupted), not under `off`, not in a browser."""
    return setting != "off" and kind in WHAT and not (on_screen and focused) and not web


def decide(setting: str, kind: str, *, on_screen: bool, focused: bool, terminal: Terminal,
           web: bool = False) -> Method:
    """How to notify of `kind`: "none" when it is not `due`; the bell under `bell` or where
    nothing better gets out (an unknown terminal, tmux without passthrough); else the terminal's
    own notification."""
    if not due(setting, kind, on_screen=on_screen, focused=focused, web=web):
        return "none"
    if setting == "bell" or terminal.method == "bell" or (terminal.tmux and not terminal.passthrough):
        return "bell"
    return terminal.method


def clean(text: str, limit: int = TEXT_LIMIT) -> str:
    """`text` as one plain line: control and format characters (C0, C1, DEL, bidi overrides)
    become spaces, runs of spaces one, `;` (OSC 777's field separator) a comma; cut with "…"."""
    out = []
    for char in text:
        if char == ";":
            out.append(",")
        elif unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp", "Cs"):
            out.append(" ")
        else:
            out.append(char)
    line = " ".join("".join(out).split())
    return line if len(line) <= limit else line[:limit - 1].rstrip() + "…"


def message(kind: str, title: str) -> tuple[str, str]:
    """(heading, body) of the notice: ("Chinwag", "reply ready — <title>")."""
    what = WHAT.get(kind, kind)
    title = clean(title)
    body = clean(f"{what} — {title}" if title else what)
    return APP, body


def sequence(method: Method, heading: str, body: str, terminal: Terminal) -> str:
    """The bytes to write for `method` (wrapped for tmux when it goes through it); "" for none."""
    heading, body = clean(heading), clean(body)
    if method == "osc9":
        raw = f"{ESC}]9;{heading}: {body}{BEL}"
    elif method == "osc777":
        raw = f"{ESC}]777;notify;{heading};{body}{BEL}"
    elif method == "bell":
        return BEL
    else:
        return ""
    if terminal.tmux:
        return f"{ESC}Ptmux;{raw.replace(ESC, ESC + ESC)}{ESC}\\"
    return raw


def notice_for(setting: str, kind: str, title: str, *, on_screen: bool, focused: bool, terminal: Terminal,
               web: bool = False) -> str:
    """What to write for one event: "" for nothing."""
    method = decide(setting, kind, on_screen=on_screen, focused=focused, terminal=terminal, web=web)
    return sequence(method, *message(kind, title), terminal)
