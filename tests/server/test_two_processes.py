"""Two `hearth serve` OS processes on one real Redis behave as one server."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from redis.asyncio import Redis

from rooms.room import RoomInfo
from server.app import CHANNEL, _frame
from server.stores.redis import RedisStore
from tests.support import token

ROOM = RoomInfo("circle", "Tuesday circle")


async def _open_room(redis_url: str) -> RedisStore:
    store = RedisStore(
        Redis.from_url(redis_url), prefix="hearth:", channel=f"hearth:{CHANNEL}", frame=_frame
    )
    await store.open_room(ROOM)
    return store


async def test_roster_chat_and_hands_are_shared(
    redis_url: str, processes: Any, clients: Any
) -> None:
    store = await _open_room(redis_url)
    a, b = processes(redis_url), processes(redis_url)
    ann = await clients(a.url, {"token": token("Ann")})
    bo = await clients(b.url, {"token": token("Bo")})
    ann_id = (await ann.join("circle"))["you"]
    ack = await bo.join("circle")
    bo_id = ack["you"]
    assert {p["name"] for p in ack["snapshot"]["participants"]} == {"Ann", "Bo"}
    joined = await ann.wait_for("participant:joined", lambda d: d["participant"]["id"] == bo_id)
    assert joined["participant"]["name"] == "Bo"

    sent = await bo.call("chat:send", {"text": "hello from B"})
    got = await ann.wait_for("chat:message")
    assert got["message"] == sent["message"]
    assert (await ann.call("chat:send", {"text": "hello from A"}))["ok"]
    await bo.wait_for("chat:message", lambda d: d["message"]["text"] == "hello from A")

    # Hands raised at both processes at once land in one order that everyone sees.
    cy = await clients(a.url, {"token": token("Cy")})
    cy_id = (await cy.join("circle"))["you"]
    await asyncio.gather(bo.call("hand:raise"), cy.call("hand:raise"), ann.call("hand:raise"))
    final = (await store.snapshot("circle")).hands
    assert sorted(final) == sorted([ann_id, bo_id, cy_id])
    for client in (ann, bo, cy):
        await client.wait_for("hand:queue", lambda d: tuple(d["hands"]) == final)
        snap = (await client.call("room:snapshot"))["snapshot"]
        assert tuple(snap["hands"]) == final
    await store.close()


async def test_sequence_numbers_arrive_in_order_on_both_processes(
    redis_url: str, processes: Any, clients: Any
) -> None:
    store = await _open_room(redis_url)
    a, b = processes(redis_url), processes(redis_url)
    ann = await clients(a.url, {"token": token("Ann")})
    bo = await clients(b.url, {"token": token("Bo")})
    await ann.join("circle")
    start = (await bo.join("circle"))["snapshot"]["seq"]
    burst = 20
    await asyncio.gather(
        *(
            c.call("chat:send", {"text": f"{c.auth['token'][-4:]} {i}"})
            for i in range(burst)
            for c in (ann, bo)
        )
    )
    last = start + 2 * burst
    for client in (ann, bo):
        await client.wait_for("chat:message", lambda d, last=last: d["seq"] == last)
        seqs = [d["seq"] for d in client.events("chat:message")]
        assert seqs == list(range(start + 1, last + 1))
    await store.close()


async def test_a_killed_process_leaves_every_roster_within_10_seconds(
    redis_url: str, processes: Any, clients: Any
) -> None:
    store = await _open_room(redis_url)
    a, b = processes(redis_url), processes(redis_url)
    ann = await clients(a.url, {"token": token("Ann")})
    bo = await clients(b.url, {"token": token("Bo")})
    await ann.join("circle")
    bo_id = (await bo.join("circle"))["you"]
    await bo.call("hand:raise")
    b.kill()
    killed_at = time.monotonic()
    left = await ann.wait_for("participant:left", within=12)
    assert time.monotonic() - killed_at < 10
    assert left["participant"] == bo_id
    assert left["reason"] == "connection_lost"
    await ann.wait_for("hand:queue", lambda d: d["hands"] == [])
    snap = (await ann.call("room:snapshot"))["snapshot"]
    assert [p["name"] for p in snap["participants"]] == ["Ann"]
    assert await store.silent_processes() == []
    await store.close()


async def test_a_stopped_process_releases_its_seats_at_once(
    redis_url: str, processes: Any, clients: Any
) -> None:
    store = await _open_room(redis_url)
    a, b = processes(redis_url), processes(redis_url)
    ann = await clients(a.url, {"token": token("Ann")})
    bo = await clients(b.url, {"token": token("Bo")})
    await ann.join("circle")
    await bo.join("circle")
    assert b.proc is not None
    stopped_at = time.monotonic()
    b.proc.terminate()  # SIGTERM: a deploy or a scale-down
    left = await ann.wait_for("participant:left", within=5)
    assert time.monotonic() - stopped_at < 2
    assert left["reason"] in {"disconnected", "connection_lost"}
    for _ in range(100):
        if not bo.sio.connected:
            break
        await asyncio.sleep(0.05)
    assert not bo.sio.connected  # told at once, so it can reconnect elsewhere
    await store.close()
