"""The commented default `config.toml` written by `chinwag config init`: every section,
provider examples and presets for the common ACP coding agents (with how to install each).
Everything is commented out, so the file changes nothing until edited."""

DEFAULT_CONFIG = '''\
# Chinwag configuration. Effective values: `chinwag config show [--session ID]`.
# Settings cascade: session (/set) > [workspaces."DIR"] > [agents.NAME] > [defaults].
# Keys never live here: a profile names the environment variable that holds its key.

[defaults]
# agent = "claude"            # with no agent named: a provider key in the environment,
#                             # then Ollama, then the offline echo agent
# kind = "general"            # project | lead | campaign | general
# temperature = 0.3
# auto_compact = 0.8          # compact when the context passes 80% of context_window

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
# Chinwag starts the agent in the session's workspace; /mode ask|bypass|readonly decides
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
'''
