"""Serves the web client (the room page at ``/``, the public list of meetings at
``/meetings``, the admin page at ``/admin``) and the
official socket.io-client build installed by npm, and sets the security headers of every
response the app makes."""

from __future__ import annotations

from functools import partial
from pathlib import Path

from aiohttp import web, web_response

ROOT = Path(__file__).resolve().parent.parent / "web_client"
SOCKET_IO_DIST = ROOT / "node_modules" / "socket.io-client" / "dist"

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; media-src 'self' blob:; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'"
)


HSTS = "max-age=31536000; includeSubDomains"
# aiohttp's default names the Python and aiohttp versions, a map to known flaws. Set on the
# module, because the responses aiohttp makes itself (a request that fails to parse) never
# pass through the app's on_response_prepare.
SERVER = "Hearth"


def served_over_https(request: web.Request, trust_proxy: bool) -> bool:
    """TLS here, or at a trusted reverse proxy that says so in X-Forwarded-Proto."""
    if request.secure:
        return True
    if not trust_proxy:
        return False
    # The proxy appends its own value last; earlier ones may be the client's.
    hops = ",".join(request.headers.getall("X-Forwarded-Proto", [])).split(",")
    return hops[-1].strip().lower() == "https"


async def _security_headers(
    trust_proxy: bool, request: web.Request, response: web.StreamResponse
) -> None:
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    if served_over_https(request, trust_proxy):
        response.headers.setdefault("Strict-Transport-Security", HSTS)


async def _index(request: web.Request) -> web.FileResponse:
    return web.FileResponse(ROOT / "index.html")


async def _meetings(request: web.Request) -> web.FileResponse:
    return web.FileResponse(ROOT / "meetings.html")


async def _admin(request: web.Request) -> web.FileResponse:
    return web.FileResponse(ROOT / "admin.html")


def add_web_client(app: web.Application, trust_proxy: bool = False) -> None:
    web_response.SERVER_SOFTWARE = SERVER  # type: ignore[attr-defined]
    app.on_response_prepare.append(partial(_security_headers, trust_proxy))
    app.router.add_get("/", _index)
    app.router.add_get("/admin", _admin)
    app.router.add_get("/meetings", _meetings)
    if SOCKET_IO_DIST.is_dir():
        app.router.add_static("/vendor/socket.io/", SOCKET_IO_DIST)
    app.router.add_static("/static/", ROOT / "static")
