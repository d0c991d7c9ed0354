"""Serves the web client (the room page at ``/``, the admin page at ``/admin``) and the
official socket.io-client build installed by npm."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

ROOT = Path(__file__).resolve().parent.parent / "web_client"
SOCKET_IO_DIST = ROOT / "node_modules" / "socket.io-client" / "dist"

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; media-src 'self' blob:; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'"
)


async def _security_headers(request: web.Request, response: web.StreamResponse) -> None:
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")


async def _index(request: web.Request) -> web.FileResponse:
    return web.FileResponse(ROOT / "index.html")


async def _admin(request: web.Request) -> web.FileResponse:
    return web.FileResponse(ROOT / "admin.html")


def add_web_client(app: web.Application) -> None:
    app.on_response_prepare.append(_security_headers)
    app.router.add_get("/", _index)
    app.router.add_get("/admin", _admin)
    if SOCKET_IO_DIST.is_dir():
        app.router.add_static("/vendor/socket.io/", SOCKET_IO_DIST)
    app.router.add_static("/static/", ROOT / "static")
