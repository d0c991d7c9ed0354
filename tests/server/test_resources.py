"""Resources an operator curates through the admin API and the deployment's file: the
crisis lines a support request shows come from the room, else its series, else the
deployment, and a neutral line where none is configured."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from rooms.resources import Category, Resource
from tests.support import ADMIN_TOKEN, RunningHub, api, running_app, settings, token

DEPLOYMENT_LINE = Resource("National line", Category.CRISIS, phone="+44 116 123")
SERIES_LINE = {"title": "Series line", "category": "crisis", "phone": "988"}
ROOM_LINE = {"title": "Room line", "category": "crisis", "link": "https://example.org/help"}
READING = {"title": "Just for today", "category": "reading"}


@pytest.fixture
async def server() -> AsyncIterator[RunningHub]:
    configured = settings(admin_token=ADMIN_TOKEN, resources=(DEPLOYMENT_LINE,))
    async with running_app(configured) as running:
        yield running


async def crisis_titles(server: RunningHub, clients: Any) -> list[str]:
    guest = await clients(server.url, {"name": "Sam"})
    await guest.join("grove")
    ack = await guest.call("support:request", {})
    assert ack["ok"], ack
    await guest.close()
    return [r["title"] for r in ack["resources"]]


async def test_the_most_specific_crisis_lines_are_shown(server: RunningHub, clients: Any) -> None:
    room = {"name": "Grove", "allow_guests": True}
    assert (await api(server.url, "POST", "/api/v1/rooms", {"id": "grove", **room})).status == 201
    assert (await api(server.url, "POST", "/api/v1/rooms/grove/open")).status == 200
    assert await crisis_titles(server, clients) == ["National line"]

    series = {
        "id": "grove-weekly",
        "room": "grove",
        "starts": "2030-01-07T19:00",
        "ends": "2030-01-07T20:00",
        "timezone": "Europe/London",
        "resources": [SERIES_LINE],
    }
    created = await api(server.url, "POST", "/api/v1/series", series)
    assert created.status == 201, created.body
    assert created.body["resources"][0]["title"] == "Series line"
    assert await crisis_titles(server, clients) == ["Series line"]

    # A room listing only a reading keeps the series' crisis line; with its own, its own.
    changed = await api(server.url, "PUT", "/api/v1/rooms/grove", {**room, "resources": [READING]})
    assert changed.status == 200, changed.body
    assert changed.body["resources"][0]["category"] == "reading"
    assert await crisis_titles(server, clients) == ["Series line"]
    both = {**room, "resources": [READING, ROOM_LINE]}
    assert (await api(server.url, "PUT", "/api/v1/rooms/grove", both)).status == 200
    assert await crisis_titles(server, clients) == ["Room line"]


async def test_with_nothing_configured_the_neutral_line_says_to_call_local_services(
    clients: Any,
) -> None:
    async with running_app(settings(admin_token=ADMIN_TOKEN)) as server:
        room = {"id": "grove", "name": "Grove", "allow_guests": True}
        assert (await api(server.url, "POST", "/api/v1/rooms", room)).status == 201
        assert (await api(server.url, "POST", "/api/v1/rooms/grove/open")).status == 200
        guest = await clients(server.url, {"name": "Sam"})
        await guest.join("grove")
        (line,) = (await guest.call("support:request", {}))["resources"]
        assert "local emergency services" in line["description"]
        assert line["phone"] == ""
        assert line["link"] == ""


@pytest.mark.parametrize(
    "bad",
    [
        [{"title": "x", "link": "javascript:alert(1)"}],
        [{"title": "x", "category": "hotline"}],
        [{"title": "x", "phone": "<b>"}],
        "not a list",
    ],
)
async def test_a_bad_resource_list_is_refused_and_changes_nothing(
    server: RunningHub, bad: object
) -> None:
    body = {"id": "grove", "name": "Grove", "resources": bad}
    refused = await api(server.url, "POST", "/api/v1/rooms", body)
    assert refused.status == 422
    assert refused.body["code"] == "invalid_payload"
    assert (await api(server.url, "GET", "/api/v1/rooms/grove")).status == 404


async def test_the_history_setting_is_kept_and_checked(server: RunningHub) -> None:
    body = {"id": "grove", "name": "Grove", "history": "recent"}
    created = await api(server.url, "POST", "/api/v1/rooms", body)
    assert created.status == 201
    assert created.body["history"] == "recent"
    default = await api(server.url, "POST", "/api/v1/rooms", {"id": "glade", "name": "Glade"})
    assert default.body["history"] == "since_joined"
    bad = await api(server.url, "PUT", "/api/v1/rooms/grove", {"name": "Grove", "history": "all"})
    assert bad.status == 422
    assert (await api(server.url, "GET", "/api/v1/rooms/grove")).body["history"] == "recent"


async def test_resources_are_listed_before_joining_and_in_the_room(
    server: RunningHub, clients: Any
) -> None:
    room = {"id": "grove", "name": "Grove", "resources": [READING, ROOM_LINE]}
    assert (await api(server.url, "POST", "/api/v1/rooms", room)).status == 201
    assert (await api(server.url, "POST", "/api/v1/rooms/grove/open")).status == 200
    outsider = await clients(server.url, {"name": "Sam"})  # a guest; the room wants invites
    refused = await outsider.call("room:resources", {"room": "grove"})
    assert refused["error"]["code"] == "guests_not_allowed"
    invited = await clients(server.url, {"token": token("Ann")})
    before = await invited.call("room:resources", {"room": "grove"})
    assert [r["title"] for r in before["resources"]] == ["Just for today", "Room line"]
    await invited.join("grove")
    inside = await invited.call("room:resources", {"room": "grove"})
    assert inside["resources"] == before["resources"]
    missing = await invited.call("room:resources", {"room": "nowhere"})
    assert missing["error"]["code"] == "room_not_found"


async def test_a_rooms_script_from_its_definition_is_in_snapshots_and_before_joining(
    server: RunningHub, clients: Any
) -> None:
    room = {"id": "grove", "name": "Grove", "allow_guests": True, "script": "We read, then share."}
    created = await api(server.url, "POST", "/api/v1/rooms", room)
    assert created.body["script"] == "We read, then share."
    assert (await api(server.url, "POST", "/api/v1/rooms/grove/open")).status == 200
    guest = await clients(server.url, {"name": "Sam"})
    assert (await guest.call("room:info", {"room": "grove"}))["script"] == "We read, then share."
    assert (await guest.join("grove"))["snapshot"]["script"] == "We read, then share."
    too_long = {"name": "Grove", "script": "x" * 4001}
    assert (await api(server.url, "PUT", "/api/v1/rooms/grove", too_long)).status == 422
