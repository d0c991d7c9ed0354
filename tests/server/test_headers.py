"""Response headers against a real ``hearth serve``: no version banner on any response,
and HSTS exactly when the page was served over HTTPS (directly or at a trusted proxy)."""

from __future__ import annotations

from typing import Any

import aiohttp

from server.web import HSTS
from tests.support import raw_http

PATHS = [
    "/",  # the room page
    "/admin",
    "/meetings",  # the public list of meetings
    "/static/style.css",  # a static file
    "/static/missing.css",  # a static 404
    "/no-such-page",  # a 404
    "/healthz",
    "/api/v1/rooms",  # the admin API's 503 (no admin token set)
    "/socket.io/?EIO=4&transport=polling",  # the Engine.IO endpoint
    "/socket.io/?EIO=99&transport=polling",  # an Engine.IO error
]


async def headers_of(url: str, path: str, **headers: str) -> Any:
    async with aiohttp.ClientSession() as session, session.get(url + path, headers=headers) as r:
        return r.status, r.headers


async def test_no_response_names_the_server_software_or_its_version(processes: Any) -> None:
    server = processes(None)
    for path in PATHS:
        _, headers = await headers_of(server.url, path)
        assert headers.get("Server") == "Hearth", (path, headers.get("Server"))
    # A request aiohttp cannot parse is answered by aiohttp itself, outside the app.
    answer = await raw_http(server.url, b"GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n")
    assert answer.startswith(b"HTTP/1."), answer
    assert b"aiohttp" not in answer
    assert b"Python" not in answer
    assert b"\r\nServer: Hearth\r\n" in answer


async def test_hsts_only_when_a_trusted_proxy_says_the_client_used_https(processes: Any) -> None:
    trusting = processes(None, HEARTH_TRUST_PROXY="1")
    wary = processes(None)
    for path in PATHS:
        _, headers = await headers_of(trusting.url, path, **{"X-Forwarded-Proto": "https"})
        assert headers.get("Strict-Transport-Security") == HSTS, path
        _, headers = await headers_of(trusting.url, path)
        assert "Strict-Transport-Security" not in headers, path
        # A client cannot claim HTTPS to a server that does not trust a proxy...
        _, headers = await headers_of(wary.url, path, **{"X-Forwarded-Proto": "https"})
        assert "Strict-Transport-Security" not in headers, path
    # ...nor by adding its own value before the proxy's (the proxy's comes last).
    _, headers = await headers_of(trusting.url, "/", **{"X-Forwarded-Proto": "https, http"})
    assert "Strict-Transport-Security" not in headers
