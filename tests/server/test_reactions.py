"""Reactions: quiet signals to the room, numbered, never kept, frozen by a pause."""

from __future__ import annotations

from typing import Any

import pytest

from rooms.identity import Role
from tests.conftest import OPEN
from tests.support import RunningHub, running_app, seat, settings, token


async def test_a_reaction_reaches_everyone_in_sequence_and_is_not_kept(
    hub: RunningHub, clients: Any
) -> None:
    sam, sam_id = await seat(hub, clients, "Sam")
    kim, _ = await seat(hub, clients, "Kim")
    ack = await sam.call("reaction:send", {"reaction": "heart"})
    assert ack["ok"], ack
    for client in (sam, kim):
        got = await client.wait_for("reaction")
        assert got == {"room": "open", "seq": ack["seq"], "from": sam_id, "reaction": "heart"}
    snap = (await kim.call("room:snapshot"))["snapshot"]
    assert snap["seq"] == ack["seq"]
    assert "reaction" not in str(snap)


@pytest.mark.parametrize(
    "payload", [{"reaction": "angry"}, {"reaction": 1}, {}, {"reaction": "heart", "x": 1}, "heart"]
)
async def test_bad_reactions_are_refused(hub: RunningHub, clients: Any, payload: Any) -> None:
    sam, _ = await seat(hub, clients, "Sam")
    before = (await sam.call("room:snapshot"))["snapshot"]["seq"]
    ack = await sam.call("reaction:send", payload)
    assert ack["error"]["code"] == "invalid_payload"
    assert (await sam.call("room:snapshot"))["snapshot"]["seq"] == before


async def test_a_pause_freezes_reactions_but_not_the_facilitators(
    hub: RunningHub, clients: Any
) -> None:
    fay, _ = await seat(hub, clients, "Fay", Role.FACILITATOR)
    sam, _ = await seat(hub, clients, "Sam")
    assert (await fay.call("moderation:pause"))["ok"]
    refused = await sam.call("reaction:send", {"reaction": "clap"})
    assert refused["error"]["code"] == "room_paused"
    assert (await fay.call("reaction:send", {"reaction": "thanks"}))["ok"]
    assert (await fay.call("moderation:resume"))["ok"]
    assert (await sam.call("reaction:send", {"reaction": "clap"}))["ok"]


async def test_reactions_are_rate_limited(clients: Any) -> None:
    async with running_app(settings(reaction_limit=3)) as hub:
        await hub.store.open_room(OPEN)
        sam = await clients(hub.url, {"token": token("Sam")})
        await sam.join("open")
        for _ in range(3):
            assert (await sam.call("reaction:send", {"reaction": "smile"}))["ok"]
        limited = await sam.call("reaction:send", {"reaction": "smile"})
        assert limited["error"]["code"] == "rate_limited"
