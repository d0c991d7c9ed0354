"""Hearth on a real Redis Cluster: each room's keys and traffic stay on the shard that
holds the room's slot, and two ``hearth serve`` processes still behave as one server.
(The two-process, moderation and resume tests run on a cluster too, through
``ON_REDIS_AND_CLUSTER``.)"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import redis as sync_redis

from rooms.room import RoomInfo
from server.stores.redis import RedisStore
from tests.support import RedisClusterServers, token

WITHIN_S = 10.0

pytestmark = pytest.mark.parametrize("shared_url", ["cluster"], indirect=True)


def _rooms_on_two_masters(cluster: RedisClusterServers) -> tuple[str, str]:
    """Two room ids whose slots are served by different masters."""
    by_master: dict[int, str] = {}
    for i in range(100):
        room_id = f"room-{i}"
        by_master.setdefault(cluster.master_of(f"hearth:room:{{{room_id}}}:live"), room_id)
        if len(by_master) == 2:
            first, second = by_master.values()
            return first, second
    raise AssertionError("every room landed on one master")


def _followers(cluster: RedisClusterServers, room_id: str) -> dict[int, int]:
    """How many connections follow the room's shard channel, on each master."""
    channel = f"hearth:room:{{{room_id}}}"
    counts: dict[int, int] = {}
    for port in cluster.masters():
        with sync_redis.Redis(port=port) as client:
            ((_, count),) = client.pubsub_shardnumsub(channel)
            counts[port] = int(count)
    return counts


async def test_each_room_s_traffic_stays_on_the_shard_that_holds_it(
    redis_cluster: RedisClusterServers,
    shared_url: str,
    shared_store: RedisStore,
    processes: Any,
    clients: Any,
) -> None:
    """Rooms on two masters, people of each on two processes: each room's chat reaches
    its own people only, and each process follows a room's channel on the master that
    holds the room (and no other) exactly while it has people of the room."""
    one, two = _rooms_on_two_masters(redis_cluster)
    for room_id in (one, two):
        await shared_store.open_room(RoomInfo(room_id, room_id))
    a, b = processes(shared_url), processes(shared_url)
    ann = await clients(a.url, {"token": token("Ann")})
    bo = await clients(b.url, {"token": token("Bo")})
    cy = await clients(b.url, {"token": token("Cy")})
    await ann.join(one)
    await bo.join(one)
    await cy.join(two)

    sent = await ann.call("chat:send", {"text": "to one"})
    assert (await bo.wait_for("chat:message"))["message"] == sent["message"]
    other = await cy.call("chat:send", {"text": "to two"})
    assert (await cy.wait_for("chat:message"))["message"] == other["message"]
    # Bo got room one's chat and then his own: none of room two's came between.
    last = await bo.call("chat:send", {"text": "again"})
    await ann.wait_for("chat:message", lambda d: d["seq"] == last["message"]["id"])
    assert [m["message"]["text"] for m in bo.events("chat:message")] == ["to one", "again"]
    assert [m["message"]["text"] for m in cy.events("chat:message")] == ["to two"]

    home_one = redis_cluster.master_of(f"hearth:room:{{{one}}}:live")
    home_two = redis_cluster.master_of(f"hearth:room:{{{two}}}:live")
    assert _followers(redis_cluster, one) == {
        port: 2 if port == home_one else 0 for port in redis_cluster.masters()
    }
    assert _followers(redis_cluster, two) == {
        port: 1 if port == home_two else 0 for port in redis_cluster.masters()
    }

    assert (await cy.call("room:leave"))["ok"]
    # Process B stops following room two once nobody of it is left there.
    deadline = asyncio.get_running_loop().time() + WITHIN_S
    while _followers(redis_cluster, two)[home_two] != 0:
        assert asyncio.get_running_loop().time() < deadline, "B still follows room two"
        await asyncio.sleep(0.02)
    assert _followers(redis_cluster, one)[home_one] == 2
