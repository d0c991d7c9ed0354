"""Audio across two `hearth serve` processes: one media host per room, found via Redis."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from redis.asyncio import Redis

from rooms.room import RoomInfo
from server.app import CHANNEL, frame_event
from server.stores.redis import RedisStore
from server.stores.redis_client import connect
from tests.conftest import ON_REDIS_AND_CLUSTER
from tests.server.media.peers import Participant, offer_through
from tests.support import RedisServer, ServerProcess, token

ROOM = RoomInfo("voices", "Voices", audio=True)
LEASE = {"HEARTH_MEDIA_LEASE_MS": "1500"}

pytestmark = pytest.mark.audio


@pytest.fixture
async def redis(shared_url: str) -> AsyncIterator[Redis]:
    """The processes' Redis (or Redis Cluster), with the room open."""
    connection = connect(shared_url)
    store = RedisStore(connection, prefix="hearth:", channel=f"hearth:{CHANNEL}", frame=frame_event)
    await store.open_room(ROOM)
    yield connection
    await store.close()


@ON_REDIS_AND_CLUSTER
async def test_a_participant_on_b_is_mixed_by_the_media_host_on_a_and_moves_when_it_dies(
    shared_url: str, redis: Redis, processes: Any, clients: Any
) -> None:
    a, b = processes(shared_url, **LEASE), processes(shared_url, **LEASE)
    peers: list[Participant] = []
    try:
        ann = await clients(a.url, {"token": token("Ann")})
        await ann.join("voices")
        peers.append(await Participant.connect(440, offer_through(ann)))  # A hosts now
        host = await redis.get("hearth:media:voices")
        bo = await clients(b.url, {"token": token("Bo")})
        await bo.join("voices")
        peers.append(await Participant.connect(660, offer_through(bo)))
        assert await redis.get("hearth:media:voices") == host  # B routed to A
        ann_ear, bo_ear = peers[0].ear, peers[1].ear
        await ann_ear.hears({660})
        await bo_ear.hears({440})

        # Mute on B reaches the mixer on A through the room's events.
        assert (await bo.call("audio:mute"))["ok"]
        await ann_ear.hears(set())
        assert (await bo.call("audio:unmute"))["ok"]
        await ann_ear.hears({660})

        # The host dies: B's participants are told, and reconnecting makes B the host.
        cy = await clients(b.url, {"token": token("Cy")})
        await cy.join("voices")
        peers.append(await Participant.connect(880, offer_through(cy)))
        await peers[2].ear.hears({440, 660})
        a.kill()
        await bo.wait_for("audio:reconnect", within=6)
        await cy.wait_for("audio:reconnect", within=6)
        for peer in peers:
            await peer.close()
        peers = [
            await Participant.connect(660, offer_through(bo)),
            await Participant.connect(880, offer_through(cy)),
        ]
        assert await redis.get("hearth:media:voices") not in {None, host}
        await peers[0].ear.hears({880})
        await peers[1].ear.hears({660})
    finally:
        for peer in peers:
            await peer.close()


async def test_a_media_host_with_none_of_the_room_s_people_follows_the_room_s_channel(
    redis_url: str, redis: Redis, processes: Any, clients: Any
) -> None:
    """A hosts the room's audio; its only member there leaves, and it goes on mixing for
    Bo and Cy on B: it keeps the room's channel for its mixer (a mute on B still takes
    effect there), and lets it go once it hosts the room no more."""
    a, b = processes(redis_url, **LEASE), processes(redis_url, **LEASE)
    peers: list[Participant] = []
    try:
        ann = await clients(a.url, {"token": token("Ann")})
        await ann.join("voices")
        peers.append(await Participant.connect(440, offer_through(ann)))  # A hosts now
        bo = await clients(b.url, {"token": token("Bo")})
        cy = await clients(b.url, {"token": token("Cy")})
        for person, tone in ((bo, 660), (cy, 880)):
            await person.join("voices")
            peers.append(await Participant.connect(tone, offer_through(person)))
        await peers[2].ear.hears({440, 660})
        assert (await ann.call("room:leave"))["ok"]
        await peers[2].ear.hears({660})
        ((_, followers),) = await redis.pubsub_shardnumsub("hearth:room:{voices}")
        assert followers == 2  # B for Bo and Cy, A for the mixer alone

        assert (await bo.call("audio:mute"))["ok"]
        await peers[2].ear.hears(set())  # the mute reached A's mixer

        for peer in peers:
            await peer.close()
        peers = []
        for _ in range(200):  # the lease round closes the emptied mixer
            ((_, followers),) = await redis.pubsub_shardnumsub("hearth:room:{voices}")
            if followers == 1:
                break
            await asyncio.sleep(0.05)
        assert followers == 1
    finally:
        for peer in peers:
            await peer.close()


@pytest.fixture
async def aof_redis() -> AsyncIterator[RedisServer]:
    """A redis-server of this test's own that keeps every write on disk, so it can go
    away and come back with the room still open."""
    server = RedisServer(aof=True)
    store = RedisStore(
        connect(server.url), prefix="hearth:", channel=f"hearth:{CHANNEL}", frame=frame_event
    )
    await store.open_room(ROOM)
    await store.close()
    yield server
    server.stop()


async def test_the_media_host_listens_again_after_redis_comes_back(
    aof_redis: RedisServer, processes: Any, clients: Any, tmp_path: Path
) -> None:
    """Redis is gone for longer than redis-py's own retries (about 4 s), then back: each
    process subscribes to its signalling channel again, so an offer through B for the
    room A hosts is answered by A's mixer. Before, the listener ended with the connection
    and every offer routed to A timed out as media_unavailable until A restarted. A's
    log says once that its leases could not be kept, not a traceback every round."""
    a = ServerProcess(aof_redis.url, LEASE, log_path=tmp_path / "a.log").start()
    b = processes(aof_redis.url, **LEASE)
    peers: list[Participant] = []
    try:
        ann = await clients(a.url, {"token": token("Ann")})
        await ann.join("voices")
        peers.append(await Participant.connect(440, offer_through(ann)))  # A hosts now
        look = connect(aof_redis.url)
        listening = sorted(await look.pubsub_channels("hearth:media:*"))
        assert len(listening) == 2  # each process's signalling channel
        await look.aclose()
        aof_redis.crash()
        await asyncio.sleep(6)
        aof_redis.restart()
        look = connect(aof_redis.url)
        try:
            for _ in range(100):
                if sorted(await look.pubsub_channels("hearth:media:*")) == listening:
                    break
                await asyncio.sleep(0.2)
            assert sorted(await look.pubsub_channels("hearth:media:*")) == listening
            # The outage outlasted A's lease, so its mixer closed: Ann offers again and A
            # hosts the room anew; Bo's offer through B is then answered by A.
            await peers.pop().close()
            peers.append(await Participant.connect(440, offer_through(ann)))
            host = await look.get("hearth:media:voices")
            bo = await clients(b.url, {"token": token("Bo")})
            assert (await bo.join("voices"))["ok"]
            peers.append(await Participant.connect(660, offer_through(bo)))
            assert await look.get("hearth:media:voices") == host  # A's mixer answered Bo
        finally:
            await look.aclose()
        await peers[0].ear.hears({660}, within=10)
    finally:
        for peer in peers:
            await peer.close()
        a.stop()
    logged = (tmp_path / "a.log").read_text()
    assert logged.count("audio leases: Redis is out of reach") == 1, logged
    assert "audio lease round failed" not in logged
