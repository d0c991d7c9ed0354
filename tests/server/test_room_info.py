"""``room:info``: a room's name and guidelines, read before joining, by those it admits."""

from __future__ import annotations

from typing import Any

from tests.support import RunningHub, token


async def test_room_info_shows_guidelines_without_taking_a_seat(
    hub: RunningHub, clients: Any
) -> None:
    kim = await clients(hub.url, {"token": token("Kim")})
    await kim.join("open")
    guest = await clients(hub.url, {"name": "Ada"})
    ack = await guest.call("room:info", {"room": "open"})
    assert ack == {
        "ok": True,
        "room": {
            "id": "open",
            "name": "Open door",
            "capacity": 50,
            "allow_guests": True,
            "guidelines": "",
            "audio": False,
            "history": "since_joined",
        },
        "script": "",
    }
    snap = (await kim.call("room:snapshot"))["snapshot"]
    assert [p["name"] for p in snap["participants"]] == ["Kim"]
    joined = [e["participant"]["name"] for e in kim.events("participant:joined")]
    assert "Ada" not in joined


async def test_room_info_is_refused_where_joining_would_be(hub: RunningHub, clients: Any) -> None:
    guest = await clients(hub.url, {"name": "Ada"})
    refused = await guest.call("room:info", {"room": "circle"})
    assert refused["error"]["code"] == "guests_not_allowed"
    elsewhere = await clients(hub.url, {"token": token("Lee", rooms=("open",))})
    refused = await elsewhere.call("room:info", {"room": "circle"})
    assert refused["error"]["code"] == "not_invited"
    missing = await elsewhere.call("room:info", {"room": "nowhere"})
    assert missing["error"]["code"] == "room_not_found"
    assert (await elsewhere.call("room:info", {}))["error"]["code"] == "invalid_payload"
