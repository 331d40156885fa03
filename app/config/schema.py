"""The one typed settings schema: every key `config.toml`, `/set` and `--set` accept, with its
type, built-in default, where it may be set, one line of help, choices and range; and the
shared enums (permission `Mode`, session `Kind`, `AgentKind`).

Everything else derives from `SETTINGS`: the loader's validation (`loader.py`), the cascade's
key sets (`agents/settings.py`), the options handed to `ProviderAgent` (`agents/__init__.py`),
the `/set` choices and parsing (`core/commands.py`, `settings.parse_override`), `chinwag config
show` and the commented template `chinwag config init` writes (`template.py`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Flag, StrEnum, auto
from functools import cache

from chinwag.storage.enums import SessionKind as Kind  # storage validates kinds, so it owns the enum


class Mode(StrEnum):
    """A session's permission mode for an agent's tool calls."""

    ASK = "ask"
    BYPASS = "bypass"
    READONLY = "readonly"


MODE_HELP = {
    Mode.ASK: "ask before a tool writes or runs",
    Mode.BYPASS: "allow every tool call",
    Mode.READONLY: "refuse anything that writes or runs",
}


class AgentKind(StrEnum):
    """What an agent profile talks to."""

    ECHO = "echo"
    OPENAI = "openai"
    ANTHROPIC = "anthropic"
    ACP = "acp"


MODES = tuple(mode.value for mode in Mode)  # plain strings: argparse choices, Literal[...], messages
KINDS = tuple(kind.value for kind in Kind)
AGENT_KINDS = tuple(kind.value for kind in AgentKind)
PROVIDER_KINDS = (AgentKind.OPENAI.value, AgentKind.ANTHROPIC.value)
MAX_TOKENS_PARAMS = ("max_tokens", "max_completion_tokens", "both")


def parse_mode(text: str) -> Mode:
    """`text` as a Mode; ValueError naming the modes."""
    try:
        return Mode(text.strip())
    except ValueError:
        raise ValueError(f"usage: /mode {'|'.join(MODES)}") from None


class Scope(Flag):
    """Where a setting may be set."""

    DEFAULTS = auto()  # [defaults]
    AGENT = auto()  # [agents.NAME]
    WORKSPACE = auto()  # [workspaces."DIR"]
    SESSION = auto()  # /set KEY VALUE, session start --set KEY=VALUE (the session's config)
    UI = auto()  # [ui]
    CHECKPOINTS = auto()  # [checkpoints]


CASCADE = Scope.DEFAULTS | Scope.AGENT | Scope.WORKSPACE | Scope.SESSION


@dataclass(frozen=True)
class Spec:
    """One setting. `type` is str, int, float (an int is accepted too), bool, list or dict."""

    name: str
    type: type
    scopes: Scope
    help: str
    default: object = None  # the built-in value; None: unset unless configured
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    below: float | None = None  # exclusive upper bound
    items: type | None = None  # the type of a list's elements
    shape: str = ""  # what a list must hold, for the message
    example: object = None  # the value the template shows (else the default)
    provider: bool = False  # passed to ProviderAgent as a keyword argument
    masked: bool = False  # values never printed (`env` may hold a token)
    off: bool = False  # a number that `false` (or "off" in /set) turns off: read as 0

    def accepts(self, value: object) -> bool:
        """The TOML value has the right type (a bool is not a number, except `false` where `off`)."""
        if self.off and value is False:
            return True
        wanted: type | tuple[type, ...] = (int, float) if self.type is float else self.type
        return isinstance(value, wanted) and (self.type is bool or not isinstance(value, bool))

    def range_text(self) -> str:
        if self.minimum is not None and self.below is not None:
            return f"from {self.minimum:g} to below {self.below:g}"
        return f"at least {self.minimum:g}" if self.minimum is not None else ""

    def problem(self, value: object) -> str:
        """What is wrong with a value of the right type, as the end of a sentence after the key; "" if nothing."""
        if self.choices and value not in self.choices:
            return f"is {value!r} (one of: {', '.join(self.choices)})"
        if isinstance(value, (int, float)) and (
                (self.minimum is not None and value < self.minimum) or (self.below is not None and value >= self.below)):
            return f"is out of range ({value!r}; {self.range_text()})"
        if self.items is not None and isinstance(value, list) and \
                not all(isinstance(item, self.items) and item for item in value):
            return f"must be {self.shape}"
        return ""

    def parse(self, raw: str) -> object:
        """A value from text (`/set`, `--set`), typed and checked; ValueError with one line."""
        raw = raw.strip()
        value: object
        if self.type is str:
            value = raw
        elif self.off and raw.lower() in ("false", "off"):
            value = 0
        elif self.type in (int, float):
            try:
                value = int(raw) if self.type is int else float(raw)
            except ValueError:
                raise ValueError(f"{self.name} needs a number, not {raw!r}") from None
        else:
            raise ValueError(f"{self.name} cannot be set from text")
        problem = self.problem(value)
        if problem:
            raise ValueError(f"{self.name} {problem}")
        return value

    def shown(self, value: object) -> object:
        """The value as `config show` prints it."""
        if self.masked and isinstance(value, dict):
            return {key: "…" for key in value}
        return value


S = Scope
SETTINGS: tuple[Spec, ...] = (
    Spec("agent", str, S.DEFAULTS | S.WORKSPACE,
         "agent for new sessions (unset: a provider key, then Ollama, then echo)",
         example="claude"),
    Spec("model", str, S.DEFAULTS | S.AGENT | S.WORKSPACE, "model for the agent", example="claude-sonnet-4-5"),
    # the /set popup lists the session keys in this order
    Spec("system_prompt", str, CASCADE, "instructions sent first", default="", example="Answer briefly.",
         provider=True),
    Spec("temperature", float, CASCADE, "sampling temperature, e.g. 0.2", minimum=0, example=0.3, provider=True),
    Spec("max_tokens", int, CASCADE, "longest reply in tokens", minimum=0, example=1024, provider=True),
    Spec("context_window", int, CASCADE, "the model's window in tokens (for the meter)", default=0, minimum=0,
         example=200000),
    Spec("auto_compact", float, CASCADE, "compact when the context passes this share, e.g. 0.8 (false or 0: never)",
         default=0.8, minimum=0, below=1, off=True),
    Spec("kind", str, S.DEFAULTS, "kind of new sessions", default=Kind.GENERAL.value, choices=KINDS),
    Spec("workspace", str, S.DEFAULTS, "workspace of new sessions (empty: the current directory)", default="",
         example="~/src/project"),
    Spec("kind", str, S.AGENT, "what the agent talks to", choices=AGENT_KINDS),
    Spec("base_url", str, S.AGENT, "openai/anthropic: the server's URL", provider=True),
    Spec("api_key_env", str, S.AGENT, "openai/anthropic: the environment variable that holds the key",
         provider=True),
    Spec("max_tokens_param", str, S.AGENT,
         "openai: the field that carries max_tokens",
         choices=MAX_TOKENS_PARAMS, provider=True),
    Spec("timeout", float, S.AGENT, "openai/anthropic: seconds to wait for an answer", minimum=0, provider=True),
    Spec("connect_timeout", float, S.AGENT, "openai/anthropic: seconds to wait for a connection", minimum=0,
         provider=True),
    Spec("max_retries", int, S.AGENT, "openai/anthropic: retries after a 429 or a 5xx", minimum=0, provider=True),
    # what a turn costs (app/core/pricing.py): own prices win, else the named provider's, else the table's
    Spec("provider", str, S.AGENT, "openai/anthropic: whose prices apply, as genai-prices names it (default: "
         "from kind and base_url)", example="openrouter"),
    Spec("price_input", float, S.AGENT, "openai/anthropic: own price, USD per million input tokens", minimum=0,
         example=0.5),
    Spec("price_output", float, S.AGENT, "openai/anthropic: own price, USD per million output tokens", minimum=0,
         example=1.5),
    Spec("price_cached", float, S.AGENT, "openai/anthropic: own price, USD per million cached input tokens "
         "(default: price_input)", minimum=0, example=0.05),
    Spec("delay", float, S.AGENT, "echo: seconds between streamed deltas", minimum=0),
    Spec("chunk", int, S.AGENT, "echo: characters per streamed delta", minimum=1),
    Spec("command", list, S.AGENT, "acp: the program and its arguments", items=str,
         shape="a list of strings (the program and its arguments)"),
    Spec("env", dict, S.AGENT, "acp: variables added to the environment the agent inherits", masked=True),
    Spec("pass_env", list, S.AGENT, "acp: secret variables passed to the agent all the same", items=str,
         shape="a list of variable names"),
    Spec("cwd", str, S.AGENT, "acp: the folder the agent starts in (default: the session's workspace)"),
    Spec("idle_timeout", float, S.AGENT, "acp: seconds an idle agent process is kept", minimum=0),
    Spec("checkpoints", bool, S.AGENT, "checkpoint the workspace before each turn (default: on for acp agents only)",
         example=False),
    Spec("theme", str, S.UI, "a Textual theme: chinwag (dark, the default), chinwag-light, nord, ...",
         example="chinwag-light"),
    Spec("timestamps", str, S.UI, "block headers show when: relative (3 h ago) or absolute (2026-12-01 14:02); "
         "T in the transcript switches", default="relative", choices=("relative", "absolute")),
    Spec("notify", str, S.UI, "tell the terminal when a turn ends or an agent asks out of sight (another session, "
         "the window unfocused); auto: OSC 9 / OSC 777 by terminal, else the bell",
         default="auto", choices=("auto", "bell", "off")),
    Spec("enabled", bool, S.CHECKPOINTS, "checkpoint a coding agent's workspace before each turn", default=True),
    Spec("max_file_mb", float, S.CHECKPOINTS, "files larger than this are left out of checkpoints", default=10,
         minimum=0),
    Spec("max_total_mb", float, S.CHECKPOINTS, "a workspace larger than this gets no checkpoint", default=500,
         minimum=0),
)


@cache
def keys(scope: Scope) -> dict[str, Spec]:
    """The settings that may be set in `scope`, by name, in table order."""
    return {spec.name: spec for spec in SETTINGS if scope in spec.scopes}


def session_keys() -> tuple[str, ...]:
    """The keys `/set` and `--set` accept."""
    return tuple(keys(Scope.SESSION))


def provider_options() -> tuple[str, ...]:
    """Profile keys handed to ProviderAgent as keyword arguments."""
    return tuple(spec.name for spec in keys(Scope.AGENT).values() if spec.provider)


def toml_value(value: object) -> str:
    """`value` written as TOML (strings, numbers, lists of strings)."""
    import json  # lazy: only `config init` writes TOML: not paid at start-up
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return json.dumps(value, ensure_ascii=False)  # a JSON string or list of strings is valid TOML
