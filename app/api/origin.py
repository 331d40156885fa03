"""Which browser pages may talk to `chinwag serve`: the server's own origin(s) only.

A browser attaches the cookie (and a page can append `?token=`) to requests it makes on
behalf of any page, so a page served from another port of this machine could otherwise
drive the browser app's websocket or the API. Every HTTP request and websocket handshake
that carries an `Origin` header must name one of the server's own origins; others get 403
before any route runs. Requests without `Origin` (curl, scripts) are not browser requests
made for a foreign page and pass to the token check as before.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Iterable

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
WILDCARD_HOSTS = ("0.0.0.0", "::", "")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def own_origins(host: str, port: int) -> frozenset[str]:
    """`http://HOST:PORT` (and https) for the bound address; every loopback spelling when
    bound to loopback. A wildcard bind has no single name: see `OriginGuard`."""
    names = set(LOOPBACK_NAMES) if _is_loopback(host) else set()
    if host not in WILDCARD_HOSTS:
        names.add(f"[{host}]" if ":" in host and not host.startswith("[") else host)
    origins = {f"{scheme}://{name}:{port}" for scheme in ("http", "https") for name in names}
    if port in (80, 443):  # a browser leaves the scheme's default port out
        origins |= {f"{'http' if port == 80 else 'https'}://{name}" for name in names}
    return frozenset(origin.lower() for origin in origins)


class OriginGuard:
    """ASGI middleware: refuse (403) HTTP requests and websocket handshakes whose `Origin`
    is not one of `origins`. Bound to a wildcard address, the origin must match the
    request's own `Host` (same-origin) instead, since the server has no single name."""

    def __init__(self, app, origins: Iterable[str], *, same_host: bool = False):
        self.app = app
        self.origins = frozenset(origin.lower() for origin in origins)
        self.same_host = same_host

    def allowed(self, origin: str, host: str) -> bool:
        origin = origin.lower().rstrip("/")
        if origin in self.origins:
            return True
        return self.same_host and bool(host) and origin in (f"http://{host}".lower(), f"https://{host}".lower())

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = {key: value for key, value in scope.get("headers", ()) if key in (b"origin", b"host")}
        origin = headers.get(b"origin")
        if origin is None or self.allowed(origin.decode("latin-1"), headers.get(b"host", b"").decode("latin-1")):
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})  # before accept: the server answers 403
            return
        body = json.dumps({"error": "requests from another site's page are refused (Origin not allowed)"}).encode()
        await send({"type": "http.response.start", "status": 403,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})
