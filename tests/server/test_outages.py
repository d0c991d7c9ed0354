"""Redis out of reach: no ghost stays in a roster, and live processes do not reap each other.

Two or three real ``hearth serve`` processes on a redis-server of the test's own, which
the test stops (SIGSTOP) and resumes (SIGCONT) as a stalled or restarting Redis would.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator
from typing import Any

import pytest
from redis.asyncio import Redis

from rooms.room import RoomInfo
from server.app import CHANNEL, frame_event
from server.stores.redis import RedisStore
from tests.support import Client, RedisServer, token

QUICK_TIMEOUT = {"HEARTH_REDIS_TIMEOUT_MS": "300"}
FAST_PRESENCE = {**QUICK_TIMEOUT, "HEARTH_HEARTBEAT_MS": "300", "HEARTH_PROCESS_TTL_MS": "1000"}


@pytest.fixture
async def store(own_redis: RedisServer) -> AsyncIterator[RedisStore]:
    """The store the processes share, with 'circle' open."""
    shared = RedisStore(
        Redis.from_url(own_redis.url),
        prefix="hearth:",
        channel=f"hearth:{CHANNEL}",
        frame=frame_event,
    )
    await shared.open_room(RoomInfo("circle", "Tuesday circle"))
    yield shared
    await shared.close()


async def seated(clients: Any, url: str, name: str) -> tuple[Client, str]:
    client = await clients(url, {"token": token(name)})
    return client, (await client.join("circle"))["you"]


async def stalled(redis: RedisServer, seconds: float) -> None:
    """Redis stops answering for ``seconds`` (its connections stay open), then resumes."""
    redis.proc.send_signal(signal.SIGSTOP)
    try:
        await asyncio.sleep(seconds)
    finally:
        redis.proc.send_signal(signal.SIGCONT)


async def test_a_seat_freed_while_redis_stalls_leaves_the_roster_once_it_answers(
    own_redis: RedisServer, store: RedisStore, processes: Any, clients: Any
) -> None:
    """Ann's connection closes while Redis is stopped, long enough for her process's
    attempt to mark her seat away to fail: once Redis answers, the release is retried and
    lands; Bo, on the other process, sees her away, then leave after the grace."""
    # A grace longer than the stall: the away mark lands while it still holds.
    quick = {**QUICK_TIMEOUT, "HEARTH_AWAY_GRACE_MS": "4000"}
    a, b = processes(own_redis.url, **quick), processes(own_redis.url, **quick)
    ann, ann_id = await seated(clients, a.url, "Ann")
    bo, _ = await seated(clients, b.url, "Bo")
    own_redis.proc.send_signal(signal.SIGSTOP)
    try:
        await ann.close()
        # Two timed-out attempts (300 ms each, redis-py retries once) and then some.
        await asyncio.sleep(1.5)
    finally:
        own_redis.proc.send_signal(signal.SIGCONT)
    await bo.wait_for("participant:away", lambda d: d["participant"] == ann_id, within=8)
    left = await bo.wait_for("participant:left", lambda d: d["participant"] == ann_id, within=12)
    assert left["reason"] == "disconnected"
    assert [m.display_name for m in (await store.snapshot("circle")).members] == ["Bo"]
    assert (await bo.call("chat:send", {"text": "still here"}))["ok"]


async def test_a_redis_outage_longer_than_the_ttl_frees_only_the_dead_processes_seats(
    own_redis: RedisServer, store: RedisStore, processes: Any, clients: Any
) -> None:
    """Redis stops for longer than the process TTL, so every heartbeat has expired when
    it resumes, and process C is killed meanwhile. Nobody on the live processes A and B
    loses a seat (the watcher sees a later chat from each and no other leave), while
    C's member is still reaped."""
    # B beats less often than A: after the outage A is back first, as one process
    # always is, and B's heartbeat is still gone when A first looks at the roll.
    fast = {**FAST_PRESENCE, "HEARTH_AWAY_GRACE_MS": "1000"}
    a, c = processes(own_redis.url, **fast), processes(own_redis.url, **fast)
    b = processes(own_redis.url, **{**fast, "HEARTH_HEARTBEAT_MS": "500"})
    wes, _ = await seated(clients, a.url, "Wes")
    ann, ann_id = await seated(clients, a.url, "Ann")
    bo, bo_id = await seated(clients, b.url, "Bo")
    _, cy_id = await seated(clients, c.url, "Cy")
    await wes.wait_for("participant:joined", lambda d: d["participant"]["id"] == cy_id)
    before = len(wes.received)
    own_redis.proc.send_signal(signal.SIGSTOP)
    try:
        c.kill()
        await asyncio.sleep(6)  # 6 TTLs: every key expires, and old backoffs grow long
    finally:
        own_redis.proc.send_signal(signal.SIGCONT)
    left = await wes.wait_for("participant:left", lambda d: d["participant"] == cy_id, within=12)
    assert left["reason"] == "disconnected"  # away first, then gone after the grace
    # Commands sent during the stall run when Redis resumes, so a live process's
    # heartbeat may come back for one TTL even if the process itself then sleeps: a
    # wrong reap would come within a few TTLs of the outage, so let them pass first.
    await asyncio.sleep(3)
    for speaker, text in ((ann, "Ann after"), (bo, "Bo after")):
        ack = await speaker.call("chat:send", {"text": text})
        assert ack["ok"], ack
        await wes.wait_for("chat:message", lambda d, t=text: d["message"]["text"] == t)
    since = wes.received[before:]
    assert [d["participant"] for e, d in since if e == "participant:left"] == [cy_id]
    assert [d["participant"] for e, d in since if e == "participant:away"] == [cy_id]
    assert [e for e, _ in since if e == "participant:joined"] == []  # nobody seated again
    assert {ann_id, bo_id} <= {m.member_id for m in (await store.snapshot("circle")).members}
    names = {m.display_name for m in (await store.snapshot("circle")).members}
    assert names == {"Wes", "Ann", "Bo"}
