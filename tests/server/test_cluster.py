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


@pytest.mark.parametrize("shared_url", ["cluster"], indirect=True)
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
    for client in (ann, bo):
        await client.wait_for("chat:message", lambda d: d["seq"] == last["message"]["id"])
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


def _replicated(cluster: RedisClusterServers, master: int) -> bool:
    """Whether every replica of ``master`` has everything it wrote."""
    with sync_redis.Redis(port=master) as client:
        info = client.info("replication")
    offset = info["master_repl_offset"]
    replicas = [v for k, v in info.items() if k.startswith("slave") and isinstance(v, dict)]
    return bool(replicas) and all(r["offset"] >= offset for r in replicas)


async def _until(check: Any, what: str, within: float = 30.0) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not check():
        assert asyncio.get_running_loop().time() < deadline, f"not within {within}s: {what}"
        await asyncio.sleep(0.05)


@pytest.mark.parametrize("shared_url", ["own cluster"], indirect=True)
async def test_a_room_carries_on_when_the_master_holding_it_fails(
    own_cluster: RedisClusterServers,
    shared_url: str,
    shared_store: RedisStore,
    processes: Any,
    clients: Any,
) -> None:
    """3 masters with a replica each. The master holding the room's slot is killed once
    its replica has every acked chat: the replica takes over, the processes find it (a
    chat sent meanwhile is sent again with its op id until acked), their subscriptions
    move to it and catch up, and everyone has every acked chat exactly once, in order."""
    url_node = own_cluster.ports[0]
    room_id = next(
        f"room-{i}"
        for i in range(100)
        if own_cluster.master_of(f"hearth:room:{{room-{i}}}:live") != url_node
    )
    home = own_cluster.master_of(f"hearth:room:{{{room_id}}}:live")
    await shared_store.open_room(RoomInfo(room_id, room_id))
    a, b = processes(shared_url), processes(shared_url)
    ann = await clients(a.url, {"token": token("Ann")})
    bo = await clients(b.url, {"token": token("Bo")})
    await ann.join(room_id)
    await bo.join(room_id)
    before = [await ann.call("chat:send", {"text": f"before {i}"}) for i in range(5)]
    assert all(ack["ok"] for ack in before)
    await bo.wait_for("chat:message", lambda d: d["message"]["text"] == "before 4")
    await _until(lambda: _replicated(own_cluster, home), "the replica has every write")

    own_cluster.crash(home)
    await _until(lambda: home not in own_cluster.masters(), "a replica took over")

    after = [await _acked(ann, f"after {i}", f"after-the-failover-{i}") for i in range(5)]
    last = after[-1]["message"]["id"]
    texts = [f"before {i}" for i in range(5)] + [f"after {i}" for i in range(5)]
    for client in (ann, bo):
        await client.wait_for("chat:message", lambda d: d["seq"] == last, within=30)
        seen = [m["message"]["text"] for m in client.events("chat:message")]
        assert seen == texts
    snapshot = (await bo.call("room:snapshot"))["snapshot"]
    assert [m["text"] for m in snapshot["chat"]] == texts


async def _acked(client: Any, text: str, op: str) -> dict[str, Any]:
    """Send a chat until it is acked, again with its op id after ``unavailable`` or
    ``unconfirmed`` (while a slot moves or a master fails over)."""
    deadline = asyncio.get_running_loop().time() + 30
    while True:
        ack: dict[str, Any] = await client.call("chat:send", {"text": text, "op": op})
        if ack["ok"]:
            return ack
        assert ack["error"]["code"] in {"unavailable", "unconfirmed"}, ack
        assert asyncio.get_running_loop().time() < deadline, ack
        await asyncio.sleep(0.1)


@pytest.mark.parametrize("shared_url", ["cluster"], indirect=True)
async def test_a_room_whose_slot_moves_to_another_master_carries_on(
    redis_cluster: RedisClusterServers,
    shared_url: str,
    shared_store: RedisStore,
    processes: Any,
    clients: Any,
) -> None:
    """The room's slot is migrated to another master with its people in it: Redis ends
    their processes' shard subscriptions there, they subscribe on the new master and
    catch up, and every acked chat reaches everyone once, in order."""
    room_id, _ = _rooms_on_two_masters(redis_cluster)
    key = f"hearth:room:{{{room_id}}}:live"
    home = redis_cluster.master_of(key)
    await shared_store.open_room(RoomInfo(room_id, room_id))
    a, b = processes(shared_url), processes(shared_url)
    ann = await clients(a.url, {"token": token("Ann")})
    bo = await clients(b.url, {"token": token("Bo")})
    await ann.join(room_id)
    await bo.join(room_id)
    for i in range(3):
        await _acked(ann, f"before {i}", f"before-the-move-{i}")
    await bo.wait_for("chat:message", lambda d: d["message"]["text"] == "before 2")

    new_home = next(port for port in redis_cluster.masters() if port != home)
    redis_cluster.move_slot(key, new_home)

    acks = [await _acked(ann, f"after {i}", f"after-the-move-{i}") for i in range(3)]
    last = acks[-1]["message"]["id"]
    texts = [f"before {i}" for i in range(3)] + [f"after {i}" for i in range(3)]
    for client in (ann, bo):
        await client.wait_for("chat:message", lambda d: d["seq"] == last, within=30)
        assert [m["message"]["text"] for m in client.events("chat:message")] == texts
    assert _followers(redis_cluster, room_id)[new_home] == 2
