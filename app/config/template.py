"""The commented default `config.toml` written by `chinwag config init`: every section,
provider examples and presets for the common ACP coding agents (with how to install each).
The [defaults] and [ui] sections and the list of profile keys are generated from the schema
(`schema.py`), so the template names every key and only keys the loader accepts.
Everything is commented out, so the file changes nothing until edited."""

from __future__ import annotations

from chinwag.app.config.schema import MODES, Scope, Spec, keys, toml_value

COLUMN = 30  # where a line's comment starts


def _line(spec: Spec) -> str:
    value = spec.example if spec.example is not None else spec.default
    text = f"# {spec.name} = {toml_value(value if value is not None else '')}"
    note = spec.help + (f": {' | '.join(spec.choices)}" if spec.choices else "")
    return f"{text:<{COLUMN - 2}}  # {note}"


def _section(scope: Scope, header: str) -> str:
    return "\n".join([header, *(_line(spec) for spec in keys(scope).values())]) + "\n"


def _profile_keys() -> str:
    rows = [f"#   {spec.name:<18}{spec.help}" + (f": {' | '.join(spec.choices)}" if spec.choices else "")
            for spec in keys(Scope.AGENT).values()]
    return "\n".join(["# -- agent profiles: [agents.NAME] takes these keys ------------------------------------",
                      *rows]) + "\n"


INTRO = '''\
# Chinwag configuration. Effective values: `chinwag config show [--session ID]`.
# Settings cascade: session (/set) > [workspaces."DIR"] > [agents.NAME] > [defaults].
# Keys never live here: a profile names the environment variable that holds its key.

'''

PRESETS = '''\
# -- models over HTTP ---------------------------------------------------------------------
# [agents.claude]
# kind = "anthropic"
# model = "claude-sonnet-4-5"
# api_key_env = "ANTHROPIC_API_KEY"
# context_window = 200000

# [agents.gpt]
# kind = "openai"
# model = "gpt-4.1-mini"
# api_key_env = "OPENAI_API_KEY"
# context_window = 1000000

# [agents.local]              # Ollama, llama.cpp (:8080), vLLM (:8000), LM Studio (:1234)
# kind = "openai"
# base_url = "http://127.0.0.1:11434/v1"
# model = "qwen2.5-coder:7b"
# context_window = 32768
# max_tokens = 1024
# max_tokens_param = "max_tokens"  # the field for max_tokens: max_tokens (default unless
#                             # api.openai.com) | max_completion_tokens | both

# -- coding agents over ACP (the Agent Client Protocol) -----------------------------------
# Chinwag starts the agent in the session's workspace; /mode MODES decides
# its permissions. Install the agent first; check its own docs if a command has changed.

# [agents.claude-code]        # npm install -g @zed-industries/claude-code-acp
# kind = "acp"
# command = ["claude-code-acp"]

# [agents.gemini]             # npm install -g @google/gemini-cli
# kind = "acp"
# command = ["gemini", "--experimental-acp"]

# [agents.codex]              # npm install -g @zed-industries/codex-acp
# kind = "acp"
# command = ["codex-acp"]

# [agents.goose]              # https://block.github.io/goose/ (the goose CLI)
# kind = "acp"
# command = ["goose", "acp"]

# [agents.opencode]           # npm install -g opencode-ai
# kind = "acp"
# command = ["opencode", "acp"]
# idle_timeout = 600          # seconds an idle agent process is kept
# pass_env = ["GITHUB_TOKEN"] # secrets (*_API_KEY, *_TOKEN, *_SECRET, ...) are not passed
#                             # to agents unless named here or set in env = {...}

# -- per folder ---------------------------------------------------------------------------
# [workspaces."~/src/project"]
# agent = "claude-code"
# system_prompt = "Answer briefly."

# -- keys -----------------------------------------------------------------------------------
# [keys]                      # ids: cancel_turn toggle_sidebar new_session copy_last_reply
# new_session = "ctrl+o"      #      focus_prompt focus_transcript focus_sidebar quit
'''.replace("/mode MODES", f"/mode {'|'.join(MODES)}")

DEFAULT_CONFIG = "\n".join([INTRO + _section(Scope.DEFAULTS, "[defaults]"), _section(Scope.UI, "[ui]"),
                            _section(Scope.CHECKPOINTS, "[checkpoints]"),
                            _profile_keys(), PRESETS])
