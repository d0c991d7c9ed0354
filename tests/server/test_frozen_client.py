"""A frozen client (its laptop lid shut, Wi-Fi gone without a FIN) keeps its TCP
connection open and simply stops answering. Engine.IO's ping must notice within ~15 s,
and mark the seat away (``participant:away``), so the room does not show a ghost as
present; Engine.IO's own defaults took 45 s."""

from __future__ import annotations

import json
import time
from typing import Any

import aiohttp

from rooms.identity import Role
from tests.support import ServerProcess, token

ROOM = "demo"
NOTICED_WITHIN_S = 15.0


async def _receive(ws: aiohttp.ClientWebSocketResponse, prefix: str) -> str:
    """The next Engine.IO/Socket.IO packet that starts with ``prefix``, answering pings."""
    while True:
        message = await ws.receive_str(timeout=5)
        if message == "2":
            await ws.send_str("3")
        elif message.startswith(prefix):
            return message


async def test_a_client_that_stops_answering_is_away_within_15s(
    redis_url: str, processes: Any, clients: Any
) -> None:
    server: ServerProcess = processes(redis_url, HEARTH_DEMO_ROOM=ROOM)
    fay = await clients(server.url, {"token": token("Fay", Role.FACILITATOR)})
    await fay.join(ROOM)
    async with aiohttp.ClientSession() as http:
        # The raw protocol, as any client speaks it: open, connect with auth, join.
        ws = await http.ws_connect(f"{server.url}/socket.io/?EIO=4&transport=websocket")
        try:
            opened = json.loads((await _receive(ws, "0"))[1:])
            assert opened["pingInterval"] == 4000
            assert opened["pingTimeout"] == 5000
            await ws.send_str("40" + json.dumps({"token": token("Sam")}))
            await _receive(ws, "40")
            await ws.send_str("420" + json.dumps(["room:join", {"room": ROOM}]))
            ack = json.loads((await _receive(ws, "430"))[3:])[0]
            assert ack["ok"], ack
            sam_id = ack["you"]
            await fay.wait_for("participant:joined", lambda e: e["participant"]["id"] == sam_id)
            # Frozen from here: the socket stays open, nothing is read or answered.
            frozen_at = time.monotonic()
            await fay.wait_for(
                "participant:away",
                lambda e: e["participant"] == sam_id,
                within=NOTICED_WITHIN_S + 2,
            )
            took = time.monotonic() - frozen_at
            assert took <= NOTICED_WITHIN_S, f"the frozen client stayed {took:.1f}s"
        finally:
            await ws.close()
