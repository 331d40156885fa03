"""`chinwag serve`: the command-line side (options, token, warnings); the server itself
(the ASGI app, the token file) is `chinwag.app.api.serve`."""

from __future__ import annotations

import sys

import click

from chinwag.app.api.serve import create_server_app, is_loopback, load_or_create_token, token_path
from chinwag.app.cli import common
from chinwag.app.cli.base import Command, db_option
from chinwag.app.cli.exit_codes import ExitCode


@click.command("serve", cls=Command)
@db_option
@click.option("--host", help="address to bind (default 127.0.0.1; others are reachable from the network)")
@click.option("--port", type=int, default=8470, show_default=True)
@click.option("--show-token", is_flag=True, help="print the API token and exit")
@click.option("--api-only", is_flag=True, help="serve only /api, not the browser app")
def serve(*, host: str | None, port: int, show_token: bool, api_only: bool) -> int:
    """the app in a browser and a JSON API under /api"""
    token, created = load_or_create_token()
    if show_token:
        print(token)
        return ExitCode.OK
    host = host or "127.0.0.1"
    if not is_loopback(host):
        print(f"warning: serving on {host}: anyone who can reach it and has the token can read and send "
              "in every session", file=sys.stderr)
    # uvicorn (and the limits built on it) load only when serving, not for --show-token
    import uvicorn  # lazy: only `chinwag serve` loads the server

    from chinwag.app.api.limits import server_options  # lazy: only `chinwag serve` loads the API

    # a refused database stops here, in one line, before the token is shown
    app = create_server_app(common.db_path(), token, host=host, port=port, ui=not api_only)
    if created:
        print(f"API token (kept in {token_path()}, shown once): {token}", file=sys.stderr)
    shown = f"[{host}]" if ":" in host else host
    print(f"serving on http://{shown}:{port}/  (browser: /?token=…, API: /api, Ctrl+C stops)", file=sys.stderr)
    uvicorn.run(app, **server_options(host, port))
    return ExitCode.OK
