"""Chat history for latecomers against a real server, on the embedded store and on Redis:
the room's setting decides, and no rejoin can reach back before its first seat."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from rooms.room import History
from tests.conftest import CIRCLE
from tests.support import RunningHub, token


async def test_a_latecomer_sees_chat_since_joining_and_cannot_replay_earlier(
    hub: RunningHub, clients: Any
) -> None:
    sam = await clients(hub.url, {"token": token("Sam")})
    await sam.join("circle")
    assert (await sam.call("chat:send", {"text": "before Ann"}))["ok"]
    ann = await clients(hub.url, {"token": token("Ann")})
    joined = await ann.join("circle")
    assert joined["snapshot"]["chat"] == []
    assert (await sam.call("chat:send", {"text": "after Ann"}))["ok"]
    # Asking for every event from the start gets a snapshot instead, with only her share.
    again = await ann.call("room:join", {"room": "circle", "since": 0})
    assert "missed" not in again
    assert [m["text"] for m in again["snapshot"]["chat"]] == ["after Ann"]
    snapshot = (await ann.call("room:snapshot"))["snapshot"]
    assert [m["text"] for m in snapshot["chat"]] == ["after Ann"]


async def test_with_recent_history_a_latecomer_sees_the_recent_chat(
    hub: RunningHub, clients: Any
) -> None:
    await hub.store.close_room("circle")
    await hub.store.open_room(replace(CIRCLE, history=History.RECENT))
    sam = await clients(hub.url, {"token": token("Sam")})
    await sam.join("circle")
    assert (await sam.call("chat:send", {"text": "before Ann"}))["ok"]
    ann = await clients(hub.url, {"token": token("Ann")})
    joined = await ann.join("circle")
    assert [m["text"] for m in joined["snapshot"]["chat"]] == ["before Ann"]
