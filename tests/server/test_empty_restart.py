"""An empty Redis restart: the rooms people are in open again, everyone is seated anew and
told that earlier chat is gone, and chat works again for everyone.

Two real ``hearth serve`` processes on a redis-server of the test's own, which the test
stops and starts again, with no data, on the same port.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from redis.asyncio import Redis

from rooms.room import RoomInfo
from server.app import CHANNEL, frame_event
from server.stores.redis import RedisStore
from tests.support import Client, RedisServer, token

FAST_PRESENCE = {
    "HEARTH_REDIS_TIMEOUT_MS": "300",
    "HEARTH_HEARTBEAT_MS": "300",
    "HEARTH_PROCESS_TTL_MS": "1000",
}
RECOVERY_S = 15.0  # the pub/sub listener's own reconnect backoff is the slow part


@pytest.fixture
async def store(own_redis: RedisServer) -> AsyncIterator[RedisStore]:
    shared = RedisStore(
        Redis.from_url(own_redis.url),
        prefix="hearth:",
        channel=f"hearth:{CHANNEL}",
        frame=frame_event,
    )
    await shared.open_room(RoomInfo("circle", "Tuesday circle", guidelines="Be kind."))
    yield shared
    await shared.close()


@pytest.fixture
def restarted() -> Iterator[list[RedisServer]]:
    """Redis servers the test started again; stopped at the end."""
    started: list[RedisServer] = []
    yield started
    for server in started:
        server.stop()


async def both_listening(url: str, processes: int) -> None:
    """Both processes' pub/sub listeners are subscribed again (a state Redis reports)."""
    redis = Redis.from_url(url)
    try:
        deadline = asyncio.get_running_loop().time() + RECOVERY_S
        while True:
            (_, count), *_ = await redis.pubsub_numsub(f"hearth:{CHANNEL}")
            if count >= processes:
                return
            assert asyncio.get_running_loop().time() < deadline, "listeners did not return"
            await asyncio.sleep(0.1)
    finally:
        await redis.aclose()


def chats(client: Client, text: str) -> list[Any]:
    return [m for m in client.events("chat:message") if m["message"]["text"] == text]


async def test_an_empty_redis_restart_reopens_the_room_and_reseats_everyone(
    own_redis: RedisServer,
    store: RedisStore,
    restarted: list[RedisServer],
    processes: Any,
    clients: Any,
) -> None:
    a, b = processes(own_redis.url, **FAST_PRESENCE), processes(own_redis.url, **FAST_PRESENCE)
    people: dict[str, Client] = {}
    seats: dict[str, str] = {}
    for name, process in (("Ann", a), ("Bo", b), ("Cy", a), ("Di", b)):
        people[name] = await clients(process.url, {"token": token(name)})
        seats[name] = (await people[name].join("circle"))["you"]
    sent = await people["Ann"].call("chat:send", {"text": "before the restart"})
    assert sent["ok"], sent
    for client in people.values():
        await client.wait_for(
            "chat:message", lambda m: m["message"]["text"] == "before the restart"
        )

    own_redis.stop()
    restarted.append(RedisServer(port=own_redis.port))  # the same address, nothing in it

    for name, client in people.items():
        reset = await client.wait_for("room:reset", within=RECOVERY_S)
        assert reset["room"] == "circle"
        assert reset["you"] == seats[name], "the same seat id: the identity is the same"
        assert "earlier chat is gone" in reset["message"]
        snapshot = reset["snapshot"]
        assert snapshot["room"]["guidelines"] == "Be kind.", "the settings this process knew"
        assert seats[name] in [p["id"] for p in snapshot["participants"]]
        assert snapshot["chat"] == [], "the lost chat is not pretended back"
    for client in people.values():
        assert len(client.events("room:reset")) == 1
        assert not client.events("room:closed")

    await both_listening(restarted[0].url, 2)
    for client in people.values():
        now = await client.call("room:snapshot")
        assert now["ok"], now
        assert sorted(p["id"] for p in now["snapshot"]["participants"]) == sorted(seats.values())

    for name, text in (("Bo", "after the restart"), ("Cy", "and once more")):
        ack = await people[name].call("chat:send", {"text": text})
        assert ack["ok"], ack
    for client in people.values():
        # Cy's message comes after Bo's: once it is here, Bo's has had its chance to repeat.
        await client.wait_for("chat:message", lambda m: m["message"]["text"] == "and once more")
        assert len(chats(client, "after the restart")) == 1
        assert len(chats(client, "and once more")) == 1
        assert chats(client, "after the restart")[0]["seq"] > 0
