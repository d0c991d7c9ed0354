"""Audio across two `hearth serve` processes: one media host per room, found via Redis."""

from __future__ import annotations

from typing import Any

import pytest
from redis.asyncio import Redis

from rooms.room import RoomInfo
from server.app import CHANNEL, frame_event
from server.stores.redis import RedisStore
from tests.server.media.peers import Participant, offer_through
from tests.support import token

ROOM = RoomInfo("voices", "Voices", audio=True)
LEASE = {"HEARTH_MEDIA_LEASE_MS": "1500"}

pytestmark = pytest.mark.audio


async def test_a_participant_on_b_is_mixed_by_the_media_host_on_a_and_moves_when_it_dies(
    redis_url: str, processes: Any, clients: Any
) -> None:
    redis = Redis.from_url(redis_url)
    store = RedisStore(redis, prefix="hearth:", channel=f"hearth:{CHANNEL}", frame=frame_event)
    await store.open_room(ROOM)
    a, b = processes(redis_url, **LEASE), processes(redis_url, **LEASE)
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
        await store.close()
