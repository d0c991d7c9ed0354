"""Room fan-out: uncompressed WebSockets, and every member gets every event in order."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import socketio

from rooms.identity import Role
from tests.conftest import OPEN
from tests.support import Client, RunningHub, running_app, settings, token


async def test_websocket_declines_permessage_deflate(hub: RunningHub) -> None:
    """A client offering permessage-deflate, as browsers do, gets a plain WebSocket."""
    url = hub.url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
    async with aiohttp.ClientSession() as session, session.ws_connect(url, compress=15) as ws:
        assert ws.compress == 0  # the server accepted no extension
        opened = await ws.receive_str(timeout=5)
        assert opened.startswith("0{")  # Engine.IO's open packet: the transport works


async def test_room_emits_reach_every_member_in_order(hub: RunningHub, clients: Any) -> None:
    """Messages sent back to back reach every member, each in sequence order, none lost."""
    # The sender facilitates: facilitators are never rate-limited.
    roles = [Role.FACILITATOR] + [Role.PARTICIPANT] * 4
    people = [await clients(hub.url, {"token": token(f"P{i}", r)}) for i, r in enumerate(roles)]
    for person in people:
        await person.join("open")
    texts = [f"message {k}" for k in range(30)]
    for text in texts:
        await people[0].sio.emit("chat:send", {"text": text})  # no waiting for acks
    for person in people:
        await person.wait_for(
            "chat:message", lambda _, me=person: len(me.events("chat:message")) == len(texts)
        )
    heard = [[(m["seq"], m["message"]["text"]) for m in p.events("chat:message")] for p in people]
    assert all(h == heard[0] for h in heard)
    seqs = [seq for seq, _ in heard[0]]
    assert seqs == list(range(seqs[0], seqs[0] + len(texts)))
    assert sorted(text for _, text in heard[0]) == sorted(texts)


async def test_room_emits_reach_a_long_polling_client() -> None:
    """A client that cannot upgrade to WebSocket still hears the room. Embedded store only:
    over Redis a long-polling client's disconnect stalls ~30 s, with or without this fan-out."""
    async with running_app(settings()) as hub:
        await hub.store.open_room(OPEN)
        sam = await Client(hub.url, {"token": token("Sam")}).connect()
        poller = socketio.AsyncClient(reconnection=False)
        heard: asyncio.Queue[Any] = asyncio.Queue()
        poller.on("chat:message", heard.put_nowait)
        try:
            await sam.join("open")
            await poller.connect(
                hub.url, auth={"token": token("Pat")}, transports=["polling"], wait_timeout=5
            )
            assert (await poller.call("room:join", {"room": "open"}, timeout=5))["ok"]
            assert (await sam.call("chat:send", {"text": "can you hear me?"}))["ok"]
            got = await asyncio.wait_for(heard.get(), 5)
            assert got["message"]["text"] == "can you hear me?"
        finally:
            await poller.disconnect()
            await sam.close()
