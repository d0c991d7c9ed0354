"""Faults: Redis stalling, a server process stalling. Nothing dies, nothing is half-done."""

from __future__ import annotations

import signal
from typing import Any

from redis.asyncio import Redis

from rooms.room import RoomInfo
from server.app import CHANNEL, frame_event
from server.stores.redis import RedisStore
from tests.conftest import Pair
from tests.support import RedisServer, token

FAST_PRESENCE = {"HEARTH_HEARTBEAT_MS": "300", "HEARTH_PROCESS_TTL_MS": "1000"}


async def test_a_stalled_redis_gets_a_coded_ack_and_the_server_recovers(
    own_redis: RedisServer, processes: Any, clients: Any
) -> None:
    store = RedisStore(
        Redis.from_url(own_redis.url),
        prefix="hearth:",
        channel=f"hearth:{CHANNEL}",
        frame=frame_event,
    )
    await store.open_room(RoomInfo("circle", "Tuesday circle"))
    server = processes(own_redis.url, HEARTH_REDIS_TIMEOUT_MS="300")
    sam = await clients(server.url, {"token": token("Sam")})
    await sam.join("circle")
    assert (await sam.call("chat:send", {"text": "before"}))["ok"]
    own_redis.proc.send_signal(signal.SIGSTOP)
    try:
        ack = await sam.call("chat:send", {"text": "during"})
    finally:
        own_redis.proc.send_signal(signal.SIGCONT)
    assert ack["ok"] is False
    assert ack["error"]["code"] == "unavailable"
    assert sam.sio.connected
    after = await sam.call("chat:send", {"text": "after"})
    assert after["ok"], after
    texts = [m.text for m in (await store.snapshot("circle")).chat]
    assert "before" in texts
    assert "after" in texts
    assert server.proc is not None
    assert server.proc.poll() is None
    await store.close()


async def test_a_stalled_process_takes_back_the_seats_marked_away(
    two_processes: Any, clients: Any
) -> None:
    """B stalls past its TTL: A marks B's seats away; when B wakes it finds its people
    still connected and takes their seats back (``participant:back``)."""
    pair: Pair = await two_processes(**FAST_PRESENCE)
    assert pair.b.proc is not None
    pair.b.proc.send_signal(signal.SIGSTOP)
    try:
        away = await pair.ann.wait_for("participant:away", within=8)
    finally:
        pair.b.proc.send_signal(signal.SIGCONT)
    assert away["participant"] == pair.bo_id
    back = await pair.ann.wait_for(
        "participant:back",
        lambda d: d["participant"] == pair.bo_id and d["seq"] > away["seq"],
    )
    # Bo's own page saw himself away and back, in sequence.
    await pair.bo.wait_for("participant:back", lambda d: d["seq"] == back["seq"])
    assert pair.ann.events("participant:left") == []
    assert pair.bo.sio.connected
    assert (await pair.bo.call("chat:send", {"text": "still here"}))["ok"]
    snap = (await pair.ann.call("room:snapshot"))["snapshot"]
    assert {p["name"] for p in snap["participants"]} == {"Ann", "Bo"}
