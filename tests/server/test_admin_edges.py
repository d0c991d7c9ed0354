"""The admin API at the edges a hostile caller reaches for: dates at the ends of time,
huge numbers, ids with a trailing newline, bytes that are not UTF-8, a forged Host header.
Each is a documented problem that changes nothing and logs no traceback."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from tests.server.admin_calls import NOW, TUESDAY_GROUP, call
from tests.support import (
    ADMIN_TOKEN,
    RunningHub,
    SetClock,
    api,
    raw_http,
    running_app,
    settings,
)

FAR_PAST = {**TUESDAY_GROUP, "starts": "0001-01-01T19:00", "ends": "0001-01-01T20:30"}
EDGES = [
    ("POST", "/api/v1/series", FAR_PAST, 422, "between 2000-01-01"),
    (
        "POST",
        "/api/v1/series",
        {**TUESDAY_GROUP, "starts": "9999-12-31T22:00", "ends": "9999-12-31T23:59"},
        422,
        "between 2000-01-01",
    ),
    (
        "POST",
        "/api/v1/series",
        {**TUESDAY_GROUP, "rule": "FREQ=DAILY;COUNT=" + "9" * 5000},
        422,
        "COUNT",
    ),
    (
        "POST",
        "/api/v1/series",
        {**TUESDAY_GROUP, "rule": "FREQ=DAILY;INTERVAL=99999"},
        422,
        "INTERVAL",
    ),
    ("POST", "/api/v1/series", {**TUESDAY_GROUP, "lobby_minutes": 10**30}, 422, "lobby"),
    ("POST", "/api/v1/series", {**TUESDAY_GROUP, "id": "weekly\n"}, 422, "slug"),
    ("POST", "/api/v1/series", {**TUESDAY_GROUP, "id": "x", "room": "family\n"}, 422, "slug"),
    ("POST", "/api/v1/rooms", {"id": "family2\n", "name": "x"}, 422, "slug"),
    ("POST", "/api/v1/rooms", {"id": "big", "name": "x", "capacity": 10**30}, 422, "capacity"),
    ("POST", "/api/v1/rooms/family/invites", {"name": "Sam", "ttl_s": 10**30}, 422, "ttl_s"),
    (
        "POST",
        "/api/v1/series/tuesday-group/occurrences/9999-12-31/skip",
        None,
        422,
        "no occurrence",
    ),
    (
        "POST",
        "/api/v1/series/tuesday-group/occurrences/0001-01-01/skip",
        None,
        422,
        "no occurrence",
    ),
    ("POST", "/api/v1/series/tuesday-group/occurrences/99999-01-01/skip", None, 422, "YYYY-MM-DD"),
    (
        "POST",
        "/api/v1/series/tuesday-group/occurrences/2026-01-13/move",
        {"starts": "0001-01-01T00:00"},
        422,
        "2026-01-13",
    ),
    (
        "POST",
        "/api/v1/series/tuesday-group/occurrences/2026-01-13/move",
        {"starts": "9999-12-31T23:59"},
        422,
        "2026-01-13",
    ),
    (
        "POST",
        "/api/v1/series/tuesday-group/occurrences/2026-01-13/move",
        {"starts": "2041-01-13T19:00"},
        422,
        "between 2000-01-01",
    ),
    (
        "PUT",
        "/api/v1/series/tuesday-group",
        {
            **{k: v for k, v in TUESDAY_GROUP.items() if k != "id"},
            "moved": [{"occurrence": "2026-01-13", "starts": "0001-01-01T00:00"}],
        },
        422,
        "moved meeting",
    ),
    ("GET", "/api/v1/rooms/family/audit?limit=%C2%B2", None, 422, "limit"),
    ("GET", "/api/v1/rooms/family/audit?limit=" + "9" * 5000, None, 422, "limit"),
]


@pytest.fixture
async def admin() -> AsyncIterator[RunningHub]:
    app_settings = settings(admin_token=ADMIN_TOKEN, scheduler_tick_ms=60_000)
    async with running_app(app_settings, SetClock(NOW)) as running:
        await call(running, "POST", "/api/v1/rooms", {"id": "family", "name": "Family"})
        await call(running, "POST", "/api/v1/series", TUESDAY_GROUP)
        yield running


async def _state(hub: RunningHub) -> list[Any]:
    return [(await api(hub.url, "GET", p)).body for p in ("/api/v1/rooms", "/api/v1/series")]


@pytest.mark.parametrize(("method", "path", "body", "status", "detail"), EDGES)
async def test_edge_input_is_a_problem_that_changes_nothing_and_logs_no_traceback(
    admin: RunningHub,
    caplog: pytest.LogCaptureFixture,
    method: str,
    path: str,
    body: Any,
    status: int,
    detail: str,
) -> None:
    before = await _state(admin)
    with caplog.at_level(logging.WARNING):
        response = await call(admin, method, path, body)
    assert (response.status, response.content_type) == (status, "application/problem+json")
    assert detail in response.body["detail"]
    assert await _state(admin) == before
    assert [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info] == []


async def _raw_request(url: str, head: bytes) -> tuple[int, dict[str, Any]]:
    """An HTTP/1.1 request written byte for byte, as an attacker's script would."""
    raw = await raw_http(url, head + b"Connection: close\r\n\r\n")
    status_line, _, rest = raw.partition(b"\r\n")
    headers, _, body = rest.partition(b"\r\n\r\n")
    assert b"application/problem+json" in headers
    return int(status_line.split()[1]), json.loads(body)


@pytest.mark.parametrize(
    "token", [b"\xff\xfe\xfd", b"test-admin-token\xc3", b"\xe2\x82", ADMIN_TOKEN.encode() + b"\xff"]
)
async def test_a_bearer_token_that_is_not_utf8_is_refused_not_a_server_error(
    admin: RunningHub, caplog: pytest.LogCaptureFixture, token: bytes
) -> None:
    head = b"GET /api/v1/rooms HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token + b"\r\n"
    with caplog.at_level(logging.WARNING):
        status, body = await _raw_request(admin.url, head)
    assert (status, body["code"]) == (401, "unauthorized")
    assert [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info] == []


async def _public_room(hub: RunningHub) -> None:
    await call(hub, "POST", "/api/v1/rooms", {"id": "open-circle", "name": "O", "public": True})
    await call(hub, "POST", "/api/v1/series", {**TUESDAY_GROUP, "id": "o", "room": "open-circle"})


async def _with_host(url: str, method: str, path: str, host: str, body: Any = None) -> Any:
    headers = {"Host": host, "Authorization": f"Bearer {ADMIN_TOKEN}"}
    async with (
        aiohttp.ClientSession() as session,
        session.request(method, f"{url}{path}", json=body, headers=headers) as response,
    ):
        return await response.json(content_type=None)


async def test_a_forged_host_header_never_reaches_a_link(admin: RunningHub) -> None:
    """Without HEARTH_PUBLIC_URL, outside dev mode: the feed has no conference_url and an
    invite's link is relative, whatever Host the request names."""
    await _public_room(admin)
    feed = await _with_host(admin.url, "GET", "/api/v1/meetings.json", "evil.example")
    assert [m["slug"] for m in feed] == ["open-circle"]
    assert "conference_url" not in feed[0]
    made = await _with_host(
        admin.url, "POST", "/api/v1/rooms/family/invites", "evil.example", {"name": "Sam"}
    )
    assert made["url"] == f"/?room=family#token={made['token']}"
    assert "evil" not in json.dumps([feed, made])


async def test_with_a_public_url_a_forged_host_is_ignored() -> None:
    public = settings(admin_token=ADMIN_TOKEN, public_url="https://hearth.example.org")
    async with running_app(public, SetClock(NOW)) as hub:
        await call(hub, "POST", "/api/v1/rooms", {"id": "family", "name": "F"})
        await _public_room(hub)
        feed = await _with_host(hub.url, "GET", "/api/v1/meetings.json", "evil.example")
        made = await _with_host(
            hub.url, "POST", "/api/v1/rooms/family/invites", "evil.example", {"name": "Sam"}
        )
    assert feed[0]["conference_url"] == "https://hearth.example.org/?room=open-circle"
    assert made["url"].startswith("https://hearth.example.org/?room=family#token=")


async def test_dev_mode_links_use_the_request_origin() -> None:
    async with running_app(settings(admin_token=ADMIN_TOKEN, dev=True), SetClock(NOW)) as hub:
        await call(hub, "POST", "/api/v1/rooms", {"id": "family", "name": "F"})
        await _public_room(hub)
        feed = await call(hub, "GET", "/api/v1/meetings.json", token=None)
        made = await call(hub, "POST", "/api/v1/rooms/family/invites", {"name": "Sam"})
    assert feed.body[0]["conference_url"] == f"{hub.url}/?room=open-circle"
    assert made.body["url"].startswith(f"{hub.url}/?room=family#token=")
