"""The admin REST API through a real HTTP client, on the embedded store and on real Redis.

Every response checked here is also validated against the OpenAPI document it claims to
follow, so the document stays true.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import jsonschema
import pytest
from aiohttp import web

from rooms.identity import Role
from server import tokens
from server.admin.openapi import DOCUMENT
from server.media import webrtc_available
from tests.conftest import flush
from tests.server.admin_calls import NOW, TUESDAY_GROUP, call
from tests.support import (
    ADMIN_TOKEN,
    RunningHub,
    SetClock,
    api,
    running_app,
    settings,
)


@pytest.fixture(params=["memory", "redis"])
async def admin(request: pytest.FixtureRequest) -> AsyncIterator[RunningHub]:
    """A server with the admin API enabled and a clock held at Monday 5 January 2026."""
    redis = None
    if request.param == "redis":
        redis = request.getfixturevalue("redis_server").url
        await flush(redis)
    app_settings = settings(redis, admin_token=ADMIN_TOKEN, scheduler_tick_ms=60_000)
    async with running_app(app_settings, SetClock(NOW)) as running:
        yield running


async def test_every_api_route_is_in_the_openapi_document(admin: RunningHub) -> None:
    subapps = [r.get_info()["app"] for r in admin.app.router.resources() if "app" in r.get_info()]
    (api_app,) = [a for a in subapps if isinstance(a, web.Application)]
    registered = {
        (route.resource.canonical, route.method.lower())
        for route in api_app.router.routes()
        if route.resource is not None and route.method != "HEAD"
    }
    documented = {
        (path, method)
        for path, item in DOCUMENT["paths"].items()
        for method in item
        if method != "parameters"
    }
    assert registered == documented
    served = await call(admin, "GET", "/api/v1/openapi.json", token=None)
    assert served.body == DOCUMENT
    jsonschema.Draft202012Validator.check_schema({"$defs": DOCUMENT["components"]["schemas"]})


async def test_api_is_disabled_without_an_admin_token() -> None:
    async with running_app(settings()) as hub:
        response = await call(hub, "GET", "/api/v1/rooms")
    assert response.status == 503
    assert response.content_type == "application/problem+json"
    assert "HEARTH_ADMIN_TOKEN" in response.body["detail"]


async def test_a_wrong_or_missing_token_is_refused(admin: RunningHub) -> None:
    for token in (None, "not-the-admin-token"):
        response = await call(admin, "GET", "/api/v1/rooms", token=token)
        assert response.status == 401
        assert response.content_type == "application/problem+json"
        assert response.body["code"] == "unauthorized"


async def test_rooms_are_created_read_updated_listed_and_deleted(admin: RunningHub) -> None:
    created = await call(
        admin, "POST", "/api/v1/rooms", {"id": "family", "name": "Family group", "public": True}
    )
    assert created.status == 201
    assert created.body["open"] is False
    assert created.body["public"] is True
    again = await call(admin, "POST", "/api/v1/rooms", {"id": "family", "name": "Twice"})
    assert again.status == 409
    changed = await call(admin, "PUT", "/api/v1/rooms/family", {"name": "Family", "capacity": 8})
    assert changed.body["capacity"] == 8
    assert (await call(admin, "GET", "/api/v1/rooms/family")).body["name"] == "Family"
    listed = await call(admin, "GET", "/api/v1/rooms")
    assert [r["id"] for r in listed.body["rooms"]] == ["family"]
    assert (await call(admin, "DELETE", "/api/v1/rooms/family")).status == 204
    assert (await call(admin, "GET", "/api/v1/rooms/family")).status == 404
    assert (await call(admin, "GET", "/api/v1/rooms")).body == {"rooms": []}


async def test_listing_counts_the_people_in_each_open_room(admin: RunningHub, clients: Any) -> None:
    await call(admin, "POST", "/api/v1/rooms", {"id": "family", "name": "Family"})
    opened = await call(admin, "POST", "/api/v1/rooms/family/open")
    assert opened.body["open"] is True
    for name in ("Sam", "Kim"):
        made = await call(admin, "POST", "/api/v1/rooms/family/invites", {"name": name})
        person = await clients(admin.url, {"token": made.body["token"]})
        await person.join("family")
    listed = await call(admin, "GET", "/api/v1/rooms")
    assert listed.body["rooms"][0]["participants"] == 2


async def test_invites_admit_to_their_room_with_their_role_until_they_expire(
    admin: RunningHub, clients: Any
) -> None:
    for room in ("family", "other"):
        await call(admin, "POST", "/api/v1/rooms", {"id": room, "name": room.title()})
        await call(admin, "POST", f"/api/v1/rooms/{room}/open")
    made = await call(
        admin,
        "POST",
        "/api/v1/rooms/family/invites",
        {"name": "Ada", "role": "facilitator", "ttl_s": 600},
    )
    assert made.status == 201
    expires = datetime.fromisoformat(made.body["expires_at"])
    assert abs(expires.timestamp() - (time.time() + 600)) < 5
    assert made.body["token"] in made.body["url"]
    identity = tokens.verify(settings(), made.body["token"])
    assert identity.role is Role.FACILITATOR
    assert identity.rooms == frozenset({"family"})
    ada = await clients(admin.url, {"token": made.body["token"]})
    refused = await ada.call("room:join", {"room": "other"})
    assert refused["error"]["code"] == "not_invited"
    ack = await ada.join("family")
    assert ack["snapshot"]["participants"][0]["role"] == "facilitator"
    admin_role = await call(
        admin, "POST", "/api/v1/rooms/family/invites", {"name": "Eve", "role": "admin"}
    )
    assert admin_role.status == 422


async def test_closing_now_tells_everyone_and_purges_the_chat(
    admin: RunningHub, clients: Any
) -> None:
    await call(admin, "POST", "/api/v1/rooms", {"id": "family", "name": "Family"})
    await call(admin, "POST", "/api/v1/rooms/family/open")
    made = await call(admin, "POST", "/api/v1/rooms/family/invites", {"name": "Sam"})
    sam = await clients(admin.url, {"token": made.body["token"]})
    await sam.join("family")
    await sam.call("chat:send", {"text": "something private"})
    closed = await call(admin, "POST", "/api/v1/rooms/family/close")
    assert closed.body["open"] is False
    await sam.wait_for("room:closed")
    assert (await call(admin, "POST", "/api/v1/rooms/family/close")).status == 409
    await call(admin, "POST", "/api/v1/rooms/family/open")
    ack = await sam.join("family")
    assert ack["snapshot"]["chat"] == []


async def test_admins_read_a_rooms_audit_log_without_chat_text(
    admin: RunningHub, clients: Any
) -> None:
    await call(admin, "POST", "/api/v1/rooms", {"id": "family", "name": "Family"})
    await call(admin, "POST", "/api/v1/rooms/family/open")
    fay_token = await call(
        admin, "POST", "/api/v1/rooms/family/invites", {"name": "Fay", "role": "facilitator"}
    )
    sam_token = await call(admin, "POST", "/api/v1/rooms/family/invites", {"name": "Sam"})
    fay = await clients(admin.url, {"token": fay_token.body["token"]})
    sam = await clients(admin.url, {"token": sam_token.body["token"]})
    await fay.join("family")
    sam_id = (await sam.join("family"))["you"]
    sent = await sam.call("chat:send", {"text": "a private thing"})
    await fay.call("moderation:delete-message", {"message": sent["message"]["id"]})
    await fay.call("moderation:mute", {"target": sam_id, "chat": True, "reason": "cooling off"})
    log = await call(admin, "GET", "/api/v1/rooms/family/audit?limit=10")
    actions = [(e["action"], e["actor"]["name"], e["target"]["name"]) for e in log.body["entries"]]
    assert actions == [("mute", "Fay", "Sam"), ("delete_message", "Fay", "Sam")]
    assert log.body["entries"][0]["reason"] == "cooling off"
    assert "a private thing" not in str(log.body)
    assert (await call(admin, "GET", "/api/v1/rooms/family/audit?limit=1")).body["entries"][0][
        "action"
    ] == "mute"
    for bad in ("limit=0", "limit=501", "limit=x"):
        assert (await call(admin, "GET", f"/api/v1/rooms/family/audit?{bad}")).status == 422
    assert (await call(admin, "GET", "/api/v1/rooms/nowhere/audit")).status == 404
    wrong = await api(admin.url, "GET", "/api/v1/rooms/family/audit", token="not-the-token")
    assert wrong.status == 401


async def test_series_are_scheduled_skipped_moved_and_deleted(admin: RunningHub) -> None:
    await call(admin, "POST", "/api/v1/rooms", {"id": "family", "name": "Family"})
    created = await call(admin, "POST", "/api/v1/series", TUESDAY_GROUP)
    assert created.status == 201
    upcoming = created.body["upcoming"]
    assert upcoming[0] == {
        "occurrence": "2026-01-06",
        "lobby_opens": "2026-01-06T23:50:00Z",
        "starts": "2026-01-07T00:00:00Z",
        "warns": "2026-01-07T01:25:00Z",
        "ends": "2026-01-07T01:30:00Z",
    }
    assert (await call(admin, "GET", "/api/v1/rooms/family")).body["series"] == "tuesday-group"
    skipped = await call(admin, "POST", "/api/v1/series/tuesday-group/occurrences/2026-01-06/skip")
    assert skipped.body["skipped"] == ["2026-01-06"]
    assert skipped.body["upcoming"][0]["occurrence"] == "2026-01-13"
    moved = await call(
        admin,
        "POST",
        "/api/v1/series/tuesday-group/occurrences/2026-01-13/move",
        {"starts": "2026-01-14T18:00"},
    )
    assert moved.body["upcoming"][0]["starts"] == "2026-01-14T23:00:00Z"
    refused = await call(admin, "DELETE", "/api/v1/rooms/family")
    assert refused.status == 409
    assert [s["id"] for s in (await call(admin, "GET", "/api/v1/series")).body["series"]] == [
        "tuesday-group"
    ]
    assert (await call(admin, "DELETE", "/api/v1/series/tuesday-group")).status == 204
    assert (await call(admin, "GET", "/api/v1/rooms/family")).body["series"] is None
    assert (await call(admin, "GET", "/api/v1/series/tuesday-group")).status == 404


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "detail"),
    [
        ("POST", "/api/v1/series", {**TUESDAY_GROUP, "timezone": "Mars/Base"}, 422, "time zone"),
        ("POST", "/api/v1/series", {**TUESDAY_GROUP, "ends": "2026-01-06T18:00"}, 422, "after"),
        ("POST", "/api/v1/series", {**TUESDAY_GROUP, "id": "x", "room": "nowhere"}, 404, "nowhere"),
        ("POST", "/api/v1/series", {**TUESDAY_GROUP, "rule": "FREQ=YEARLY"}, 422, "FREQ"),
        ("POST", "/api/v1/series", {**TUESDAY_GROUP, "colour": "red"}, 422, "colour"),
        ("POST", "/api/v1/rooms", {"id": "Not A Slug", "name": "x"}, 422, "slug"),
        ("POST", "/api/v1/rooms", {"id": "big", "name": "x", "capacity": 0}, 422, "capacity"),
        ("POST", "/api/v1/rooms", {"id": "x", "name": "x", "public": "yes"}, 422, "public"),
        ("POST", "/api/v1/rooms", [1, 2], 422, "object"),
        ("PUT", "/api/v1/rooms/nowhere", {"name": "x"}, 404, "nowhere"),
        ("POST", "/api/v1/rooms/nowhere/invites", {"name": "Sam"}, 404, "nowhere"),
        ("POST", "/api/v1/rooms/nowhere/close", None, 404, "nowhere"),
        ("GET", "/api/v1/series/nowhere", None, 404, "nowhere"),
        (
            "POST",
            "/api/v1/series/tuesday-group/occurrences/2026-01-07/skip",
            None,
            422,
            "no occurrence",
        ),
    ],
)
async def test_invalid_input_is_a_problem_and_changes_nothing(
    admin: RunningHub, method: str, path: str, body: Any, status: int, detail: str
) -> None:
    await call(admin, "POST", "/api/v1/rooms", {"id": "family", "name": "Family"})
    await call(admin, "POST", "/api/v1/series", TUESDAY_GROUP)
    before = [
        (await call(admin, "GET", "/api/v1/rooms")).body,
        (await call(admin, "GET", "/api/v1/series")).body,
    ]
    response = await call(admin, method, path, body)
    assert response.status == status
    assert response.content_type == "application/problem+json"
    assert detail in response.body["detail"]
    after = [
        (await call(admin, "GET", "/api/v1/rooms")).body,
        (await call(admin, "GET", "/api/v1/series")).body,
    ]
    assert after == before


async def test_malformed_json_and_unknown_paths_are_problems(admin: RunningHub) -> None:
    import aiohttp

    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}", "Content-Type": "application/json"}
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{admin.url}/api/v1/rooms", data="{nope", headers=headers) as response,
    ):
        assert response.status == 400
        assert response.content_type == "application/problem+json"
        assert "JSON" in (await response.json(content_type=None))["detail"]
    missing = await api(admin.url, "GET", "/api/v1/nothing-here")
    assert missing.status == 404
    assert missing.content_type == "application/problem+json"
    wrong_method = await api(admin.url, "PATCH", "/api/v1/rooms")
    assert wrong_method.status == 405
    assert wrong_method.content_type == "application/problem+json"


async def test_public_feed_lists_public_scheduled_rooms_in_meeting_guide_format(
    admin: RunningHub,
) -> None:
    await call(
        admin,
        "POST",
        "/api/v1/rooms",
        {"id": "family", "name": "Family group", "public": True, "guidelines": "Be kind."},
    )
    await call(admin, "POST", "/api/v1/series", TUESDAY_GROUP)
    await call(admin, "POST", "/api/v1/rooms", {"id": "private", "name": "Private"})
    await call(admin, "POST", "/api/v1/series", {**TUESDAY_GROUP, "id": "p", "room": "private"})
    await call(
        admin,
        "POST",
        "/api/v1/rooms",
        {"id": "daily", "name": "Morning", "public": True, "audio": True},
    )
    await call(
        admin,
        "POST",
        "/api/v1/series",
        {
            **TUESDAY_GROUP,
            "id": "morning",
            "room": "daily",
            "starts": "2026-01-05T08:00",
            "ends": "2026-01-05T08:30",
            "timezone": "Europe/London",
            "rule": "FREQ=DAILY",
        },
    )
    feed = await call(admin, "GET", "/api/v1/meetings.json", token=None)
    assert feed.status == 200
    by_slug = {m["slug"]: m for m in feed.body}
    assert set(by_slug) == {"family", "daily"}
    assert by_slug["family"] == {
        "name": "Family group",
        "slug": "family",
        "day": 2,  # Tuesday, Sunday being 0
        "time": "19:00",
        "end_time": "20:30",
        "timezone": "America/New_York",
        "types": ["ONL"],  # no conference_url: HEARTH_PUBLIC_URL is unset
        "notes": "Be kind.",
        "next_start": "2026-01-07T00:00:00Z",  # Tuesday 19:00 in New York
        "next_end": "2026-01-07T01:30:00Z",
        "audio": False,  # text chat only
    }
    assert by_slug["daily"]["day"] == [0, 1, 2, 3, 4, 5, 6]
    assert by_slug["daily"]["time"] == "08:00"
    assert by_slug["daily"]["next_start"] == "2026-01-06T08:00:00Z"  # today's has ended
    assert by_slug["daily"]["audio"] is webrtc_available()  # voice, where the server has it


async def test_invite_links_and_the_feed_use_the_public_url() -> None:
    public = settings(admin_token=ADMIN_TOKEN, public_url="https://hearth.example.org")
    async with running_app(public, SetClock(NOW)) as hub:
        await call(hub, "POST", "/api/v1/rooms", {"id": "family", "name": "F", "public": True})
        await call(hub, "POST", "/api/v1/series", TUESDAY_GROUP)
        made = await call(hub, "POST", "/api/v1/rooms/family/invites", {"name": "Sam"})
        feed = await call(hub, "GET", "/api/v1/meetings.json", token=None)
    assert made.body["url"] == f"https://hearth.example.org/?room=family#token={made.body['token']}"
    assert feed.body[0]["conference_url"] == "https://hearth.example.org/?room=family"
