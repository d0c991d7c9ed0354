"""Seats outlive connections, across two ``hearth serve`` OS processes on one real Redis.

A participant's transport drops without a Socket.IO disconnect (the raw WebSocket is
closed, as when the network goes): the room sees them away, not gone; their hand place
and mute stay; they come back through the *other* process within the grace and take the
same seat (``participant:back``). One who does not come back leaves with reason
``disconnected`` once the grace has passed.
"""

from __future__ import annotations

import json
from typing import Any

import aiohttp

from rooms.identity import Role
from tests.support import Client, ServerProcess, token

ROOM = "demo"


async def _receive(ws: aiohttp.ClientWebSocketResponse, prefix: str) -> str:
    """The next Engine.IO/Socket.IO packet that starts with ``prefix``, answering pings."""
    while True:
        message = await ws.receive_str(timeout=5)
        if message == "2":
            await ws.send_str("3")
        elif message.startswith(prefix):
            return message


async def _raw_join(ws: aiohttp.ClientWebSocketResponse, name: str) -> str:
    """Connect and join over the raw protocol, raise a hand: the seat's id."""
    await _receive(ws, "0")
    await ws.send_str("40" + json.dumps({"token": token(name)}))
    await _receive(ws, "40")
    await ws.send_str("420" + json.dumps(["room:join", {"room": ROOM}]))
    ack = json.loads((await _receive(ws, "430"))[3:])[0]
    assert ack["ok"], ack
    await ws.send_str("421" + json.dumps(["hand:raise", {}]))
    raised = json.loads((await _receive(ws, "431"))[3:])[0]
    assert raised["ok"], raised
    return str(ack["you"])


def _entry(snapshot: dict[str, Any], member_id: str) -> dict[str, Any]:
    (found,) = [p for p in snapshot["participants"] if p["id"] == member_id]
    return found  # type: ignore[no-any-return]


async def test_a_dropped_transport_is_away_and_comes_back_through_the_other_process(
    redis_url: str, processes: Any, clients: Any
) -> None:
    a: ServerProcess = processes(redis_url, HEARTH_DEMO_ROOM=ROOM)
    b: ServerProcess = processes(redis_url, HEARTH_DEMO_ROOM=ROOM)
    fay: Client = await clients(a.url, {"token": token("Fay", Role.FACILITATOR)})
    await fay.join(ROOM)
    ann: Client = await clients(b.url, {"token": token("Ann")})
    ann_id = (await ann.join(ROOM))["you"]
    async with aiohttp.ClientSession() as http:
        ws = await http.ws_connect(f"{b.url}/socket.io/?EIO=4&transport=websocket")
        sam_id = await _raw_join(ws, "Sam")
        assert (await ann.call("hand:raise"))["ok"]
        muted = await fay.call("moderation:mute", {"target": sam_id, "chat": True})
        assert muted["ok"], muted
        await fay.wait_for("hand:queue", lambda e: e["hands"] == [sam_id, ann_id])
        # The network goes: the socket closes with no Socket.IO disconnect packet.
        await ws.close()
    away = await fay.wait_for("participant:away", lambda e: e["participant"] == sam_id)
    assert away["until"] > 0
    await ann.wait_for("participant:away", lambda e: e["seq"] == away["seq"])
    snapshot = (await fay.call("room:snapshot"))["snapshot"]
    assert snapshot["hands"] == [sam_id, ann_id]  # the hand place is kept
    assert _entry(snapshot, sam_id)["away"] is True
    # Sam reconnects through the other process, A, within the grace.
    sam: Client = await clients(a.url, {"token": token("Sam")})
    ack = await sam.join(ROOM)
    assert ack["you"] == sam_id
    back = await fay.wait_for("participant:back", lambda e: e["participant"] == sam_id)
    assert back["seq"] == away["seq"] + 1  # nothing in between: no leave, no join
    mine = _entry(ack["snapshot"], sam_id)
    assert (mine["away"], mine["chat_muted"], mine["hand"]) == (False, True, True)
    assert ack["snapshot"]["hands"] == [sam_id, ann_id]
    refused = await sam.call("chat:send", {"text": "I am back"})
    assert refused["error"]["code"] == "chat_muted"
    # A later event every client must see after the back: no leave or join came first.
    said = await ann.call("chat:send", {"text": "welcome back"})
    assert said["ok"], said
    for client in (fay, ann):
        await client.wait_for("chat:message", lambda e: e["seq"] == said["message"]["id"])
        assert client.events("participant:left") == []
        assert sam_id not in [
            e["participant"]["id"]
            for e in client.events("participant:joined")
            if e["seq"] > away["seq"]
        ]
    assert [e["message"]["text"] for e in fay.events("chat:message")] == ["welcome back"]


async def test_a_participant_who_does_not_come_back_leaves_after_the_grace(
    redis_url: str, processes: Any, clients: Any
) -> None:
    a: ServerProcess = processes(redis_url, HEARTH_DEMO_ROOM=ROOM, HEARTH_AWAY_GRACE_MS="1500")
    b: ServerProcess = processes(redis_url, HEARTH_DEMO_ROOM=ROOM, HEARTH_AWAY_GRACE_MS="1500")
    fay: Client = await clients(a.url, {"token": token("Fay", Role.FACILITATOR)})
    await fay.join(ROOM)
    async with aiohttp.ClientSession() as http:
        ws = await http.ws_connect(f"{b.url}/socket.io/?EIO=4&transport=websocket")
        sam_id = await _raw_join(ws, "Sam")
        await ws.close()
    away = await fay.wait_for("participant:away", lambda e: e["participant"] == sam_id)
    left = await fay.wait_for("participant:left", lambda e: e["participant"] == sam_id, within=10)
    assert left["reason"] == "disconnected"
    assert left["seq"] > away["seq"]
    assert left["participant"] == sam_id
    # Gone for good: the hand went with the seat, and a snapshot no longer lists him.
    await fay.wait_for("hand:queue", lambda e: e["hands"] == [] and e["seq"] > away["seq"])
    snapshot = (await fay.call("room:snapshot"))["snapshot"]
    assert [p["name"] for p in snapshot["participants"]] == ["Fay"]
