"""`chinwag serve`'s server: the TUI in a browser and the JSON API under `/api`, one ASGI
app (Starlette) on uvicorn, bound to 127.0.0.1 unless `--host` says otherwise. The
command's options live in `chinwag.app.cli.serve`.

The bearer token is generated on first run and kept 0600 in CHINWAG_HOME (`serve-token`);
it is printed when created and by `--show-token`, never logged.
"""

from __future__ import annotations

import contextlib
import ipaddress
import secrets
import shlex
import sys
from pathlib import Path

from chinwag.app.config import paths

TOKEN_FILE = "serve-token"


def token_path() -> Path:
    return paths.data_dir() / TOKEN_FILE


def load_or_create_token() -> tuple[str, bool]:
    path = token_path()
    if path.exists():
        token = path.read_text(encoding="utf-8").strip()
        if token:
            return token, False
    from chinwag.storage import files  # lazy: at server start

    paths.ensure_private_dir(path.parent)
    token = secrets.token_urlsafe(32)
    files.safe_write(path, token + "\n", force=True)  # only an empty token file is replaced
    return token, True


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def create_server_app(db_path: Path, token: str, *, host: str, port: int, config=None, ui: bool = True):
    """The whole server as one ASGI app; `host` and `port` are where it is bound, which
    makes its own origin(s), the only pages allowed to talk to it."""
    from starlette.applications import Starlette  # lazy: at server start
    from starlette.middleware import Middleware  # lazy: at server start
    from starlette.routing import Mount  # lazy: at server start

    from chinwag.app.api.app import create_api  # lazy: at server start
    from chinwag.app.api.origin import WILDCARD_HOSTS, OriginGuard, own_origins  # lazy: at server start
    from chinwag.app.config.loader import load_config  # lazy: at server start
    from chinwag.storage import Store  # lazy: at server start

    config = config if config is not None else load_config()
    store = Store(db_path)
    api = create_api(store, config, token)
    routes = [Mount("/api", app=api)]
    if ui:
        from chinwag.app.api.web_ui import web_routes  # lazy: at server start

        command = " ".join(shlex.quote(part) for part in [sys.executable, "-m", "chinwag.app.cli.main", "--db", str(db_path)])
        routes += web_routes(command, token)
    @contextlib.asynccontextmanager
    async def lifespan(app):
        yield
        from chinwag.app.agents.acp import pool as acp_pool  # lazy: at server start

        await api.state.api.stop_turns()  # running turns end as stopped, their text kept
        await acp_pool.close_all()
        store.close()

    async def json_error(request, exc):
        from starlette.responses import JSONResponse  # lazy: at server start

        status = getattr(exc, "status_code", 404)
        return JSONResponse({"error": "no such route" if status == 404 else "method not allowed"}, status_code=status)

    guard = Middleware(OriginGuard, origins=own_origins(host, port), same_host=host in WILDCARD_HOSTS)
    app = Starlette(routes=routes, lifespan=lifespan, middleware=[guard],
                    exception_handlers={404: json_error, 405: json_error})
    app.state.store = store
    return app
