"""The environment an ACP agent (and every terminal it opens) runs with: Chinwag's own,
minus secrets. Provider keys, tokens, passwords and the like are dropped unless the agent's
profile names them in `pass_env = [...]` or sets them in `env = {...}`, so a coding agent
never sees keys meant for other tools.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

# a secret's name has one of these words as a `_`-separated part (OPENAI_API_KEY,
# AWS_SECRET_ACCESS_KEY, GITHUB_TOKEN, DB_PASSWORD); a few well-known ones have no separator
SECRET = re.compile(r"(^|_)(APIKEY|KEY|TOKEN|SECRET|PASSWORD|PASSWD|PASSPHRASE|CREDENTIAL)S?($|_)")
SECRET_NAMES = {"PGPASSWORD", "MYSQL_PWD"}


def is_secret(name: str) -> bool:
    upper = name.upper()
    return upper in SECRET_NAMES or bool(SECRET.search(upper))


def agent_environment(profile: Mapping, environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """`environ` without secrets, plus the names in `pass_env`, plus the profile's `env`."""
    environ = os.environ if environ is None else environ
    passed = {str(name) for name in (profile.get("pass_env") or [])}
    env = {name: value for name, value in environ.items() if name in passed or not is_secret(name)}
    env.update({str(k): str(v) for k, v in (profile.get("env") or {}).items()})
    return env
