"""The real Textual app in a browser: textual-serve's page, static files and app service
(each browser tab runs `chinwag` in a subprocess through Textual's web driver), mounted on
the same Starlette server as the API instead of textual-serve's own aiohttp server.

The page needs the token too: open `/?token=TOKEN` once; it is kept in an HttpOnly cookie
for the page and its websocket.

The page loads nothing from the internet (it works offline and tells no third party who
opened it): textual-serve's template links its font from Google Fonts, so the template
is read with every remote `<link>` removed and the Roboto Mono files that textual-serve
ships are declared from `/static/fonts/`; a Content-Security-Policy keeps it that way.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import re
from pathlib import Path

import jinja2
import textual_serve
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocket, WebSocketDisconnect
from textual_serve.app_service import AppService
from textual_serve.download_manager import DownloadManager

log = logging.getLogger("chinwag.web")
PACKAGE = Path(textual_serve.__file__).parent
COOKIE = "chinwag_token"
REMOTE_LINK = re.compile(r"<link\b[^>]*\bhref\s*=\s*[\"']?(?:https?:)?//[^>]*>\s*", re.IGNORECASE)
LOCAL_FONTS = """<style>
      @font-face { font-family: "Roboto Mono"; font-style: normal; font-weight: 100 700;
        src: url("{{ config.static.url }}fonts/RobotoMono-VariableFont_wght.ttf") format("truetype"); }
      @font-face { font-family: "Roboto Mono"; font-style: italic; font-weight: 100 700;
        src: url("{{ config.static.url }}fonts/RobotoMono-Italic-VariableFont_wght.ttf") format("truetype"); }
    </style>
  </head>"""


def local_template(source: str) -> str:
    """textual-serve's page template without remote stylesheets, with its fonts local."""
    return REMOTE_LINK.sub("", source).replace("</head>", LOCAL_FONTS, 1)


def content_policy(ws_base: str) -> str:
    """Only this server: scripts, styles, fonts and images from here, the websocket here."""
    return ("default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
            f"font-src 'self'; img-src 'self' data:; connect-src 'self' {ws_base}; "
            "frame-ancestors 'none'; base-uri 'none'; form-action 'self'")


def _number(text: str | None, default: int, low: int, high: int) -> int:
    try:
        return max(low, min(high, int(text or default)))
    except ValueError:
        return default


def web_routes(command: str, token: str, title: str = "Chinwag") -> list:
    source = (PACKAGE / "templates" / "app_index.html").read_text(encoding="utf-8")
    templates = jinja2.Environment(loader=jinja2.DictLoader({"app_index.html": local_template(source)}),
                                   autoescape=True)
    downloads = DownloadManager()

    def allowed(given: str | None) -> bool:
        return bool(given) and hmac.compare_digest(given.encode(), token.encode())

    async def index(request: Request):
        from_query = request.query_params.get("token")
        if not (allowed(from_query) or allowed(request.cookies.get(COOKIE))):
            return JSONResponse({"error": "open /?token=TOKEN (chinwag serve --show-token prints it)"}, status_code=401)
        base = str(request.base_url).rstrip("/")
        ws_base = ("wss" if base.startswith("https") else "ws") + base[base.index(":"):]
        html = templates.get_template("app_index.html").render(
            font_size=_number(request.query_params.get("fontsize"), 16, 6, 48),
            app_websocket_url=f"{ws_base}/ws",
            config={"static": {"url": f"{base}/static/"}},
            application={"name": title},
        )
        response = HTMLResponse(html, headers={"content-security-policy": content_policy(ws_base)})
        if allowed(from_query):
            response.set_cookie(COOKIE, token, httponly=True, samesite="strict")
        return response

    async def websocket(socket: WebSocket):
        if not allowed(socket.cookies.get(COOKIE)) and not allowed(socket.query_params.get("token")):
            await socket.close(code=4401)
            return
        await socket.accept()
        service = AppService(command, write_bytes=socket.send_bytes, write_str=socket.send_text,
                             close=socket.close, download_manager=downloads)
        width = _number(socket.query_params.get("width"), 80, 20, 500)
        height = _number(socket.query_params.get("height"), 24, 10, 300)
        try:
            await service.start(width, height)
            while True:
                envelope = json.loads(await socket.receive_text())
                kind, data = envelope[0], envelope[1] if len(envelope) > 1 else None
                if kind == "stdin":
                    await service.send_bytes(str(data).encode("utf-8"))
                elif kind == "resize":
                    await service.set_terminal_size(data["width"], data["height"])
                elif kind == "ping":
                    await socket.send_text(json.dumps(["pong", data]))
                elif kind == "blur":
                    await service.blur()
                elif kind == "focus":
                    await service.focus()
        except (WebSocketDisconnect, asyncio.CancelledError):
            pass
        except Exception:
            log.exception("browser session failed")
        finally:
            await service.stop()

    return [
        Route("/", index),
        WebSocketRoute("/ws", websocket),
        Mount("/static", StaticFiles(directory=PACKAGE / "static"), name="static"),
    ]
