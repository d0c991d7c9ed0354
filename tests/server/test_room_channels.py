"""Each room's events travel on its own channel, followed only by the processes that have
people of the room: two ``hearth serve`` processes on one Redis.

A process subscribes to a room's channel when the first of its connections joins the room
and unsubscribes when the last leaves, disconnects, is removed, or the room closes; one
with nobody of a room receives none of its messages; and a newcomer whose join races a
storm of chats gets every event after its join exactly once, in order (the catch-up from
the room's log as the subscription starts)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from redis.asyncio import Redis

from rooms import primitives
from rooms.identity import Role
from rooms.room import RoomInfo
from server.stores.redis import RedisStore
from tests.server.scrapes import scrape, value
from tests.support import Client, token

CIRCLE = "hearth:room:{circle}"
OTHER = "hearth:room:{other}"
WITHIN_S = 10.0


async def _subscribers(redis: Redis, channel: str) -> int:
    ((_, count),) = await redis.pubsub_shardnumsub(channel)
    return int(count)


async def _until(check: Callable[[], Awaitable[bool]], what: str) -> None:
    """Until ``check`` holds (something that must happen soon), or fail."""
    deadline = asyncio.get_running_loop().time() + WITHIN_S
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"not within {WITHIN_S}s: {what}")
        await asyncio.sleep(0.02)


async def _subscribed(redis: Redis, channel: str, count: int) -> None:
    async def holds() -> bool:
        return await _subscribers(redis, channel) == count

    await _until(holds, f"{count} subscribers of {channel}")


async def _room_messages(url: str) -> float:
    """How many messages of room channels the process has received and decoded."""
    _, samples = await scrape(url)
    return value(samples, "hearth_pubsub_messages_total", channel="room")


def _seqs(client: Client, after: int) -> list[int]:
    seen = [d["seq"] for _, d in client.received if isinstance(d, dict) and "seq" in d]
    return [s for s in seen if s > after]


async def test_a_process_with_nobody_of_a_room_receives_none_of_its_messages(
    redis_url: str, shared_store: RedisStore, processes: Any, clients: Any
) -> None:
    await shared_store.open_room(RoomInfo("other", "Other room"))
    env = {"HEARTH_CHAT_LIMIT": "1000"}
    a, b = processes(redis_url, **env), processes(redis_url, **env)
    ann = await clients(a.url, {"token": token("Ann")})
    bo = await clients(b.url, {"token": token("Bo")})
    await ann.join("circle")
    await bo.join("other")
    redis = Redis.from_url(redis_url)
    try:
        await _subscribed(redis, CIRCLE, 1)  # A only
        await _subscribed(redis, OTHER, 1)  # B only
        before = await _room_messages(b.url)
        for i in range(20):
            assert (await ann.call("chat:send", {"text": f"for the circle {i}"}))["ok"]
        # Published after every one of Ann's chats: had B heard them, it would have
        # heard them first.
        ack = await bo.call("chat:send", {"text": "for the other room"})
        assert ack["ok"], ack
        await bo.wait_for("chat:message", lambda d: d["seq"] == ack["message"]["id"])
        # Bo's chat and its commit's state delta: nothing of the circle.
        assert await _room_messages(b.url) == before + 2
        assert await _subscribers(redis, CIRCLE) == 1
    finally:
        await redis.aclose()
    texts = {d["message"]["text"] for d in bo.events("chat:message")}
    assert texts == {"for the other room"}


async def test_a_process_follows_a_room_exactly_while_its_people_are_there(
    redis_url: str, shared_store: RedisStore, processes: Any, clients: Any
) -> None:
    """Subscribed on a join; unsubscribed as the last one here leaves, disconnects, is
    removed, or the room closes."""
    a, b = processes(redis_url), processes(redis_url)
    fay = await clients(a.url, {"token": token("Fay", Role.FACILITATOR)})
    await fay.join("circle")
    redis = Redis.from_url(redis_url)
    try:
        await _subscribed(redis, CIRCLE, 1)

        async def bo_joins() -> tuple[Client, str]:
            bo = await clients(b.url, {"token": token("Bo")})
            you = (await bo.join("circle"))["you"]
            await _subscribed(redis, CIRCLE, 2)
            return bo, you

        bo, _ = await bo_joins()
        assert (await bo.call("room:leave"))["ok"]
        await _subscribed(redis, CIRCLE, 1)

        assert (await bo.join("circle"))["ok"]
        await _subscribed(redis, CIRCLE, 2)
        await bo.close()  # a disconnect: the seat is kept away, the broadcast is left
        await _subscribed(redis, CIRCLE, 1)

        bo, bo_id = await bo_joins()
        assert (await fay.call("moderation:remove", {"target": bo_id}))["ok"]
        await bo.wait_for("moderation:removed")
        await _subscribed(redis, CIRCLE, 1)

        bo, _ = await bo_joins()
        await shared_store.close_room("circle")
        await bo.wait_for("room:closed")
        await _subscribed(redis, CIRCLE, 0)
    finally:
        await redis.aclose()


async def _storm(store: RedisStore, sid: str, calm: asyncio.Event) -> None:
    """Chats by the seated connection ``sid``, committed straight through the store one
    after another a few ms apart, until ``calm`` (and at least 10)."""
    sent = 0
    while not calm.is_set() or sent < 10:
        text = f"storm {sent}"
        await store.apply("circle", lambda s, _, text=text: primitives.post_chat(s, sid, text, 0))
        sent += 1
        # A few ms apart: still many commits inside a subscription's window, yet room
        # for the newcomer's join to win its commit (back to back, it could lose every
        # race for a minute on a loaded machine).
        await asyncio.sleep(0.003)


async def _join_through_busy(client: Any) -> int:
    """Join, asking again while the store answers ``busy`` (the join kept losing its
    commit to the storm's: nothing changed, and clients ask again); the join's seq."""
    for _ in range(50):
        ack = await client.call("room:join", {"room": "circle"})
        if ack["ok"]:
            return int(ack["seq"])
        assert ack["error"]["code"] == "busy", ack
    raise AssertionError("the join was busy fifty times")


async def test_a_join_racing_a_storm_of_chats_gets_each_event_once_in_order(
    redis_url: str, shared_store: RedisStore, processes: Any, clients: Any
) -> None:
    """Each newcomer is the first of its process in the room, joining while chats are
    committed back to back: after its join's seq it gets every event exactly once, in
    order, those committed before its process's subscription was confirmed read from the
    room's log, and those that then also arrive live dropped."""
    a, b = processes(redis_url), processes(redis_url)
    ann = await clients(a.url, {"token": token("Ann")})
    await ann.join("circle")
    (seated,) = (await shared_store.snapshot("circle")).members
    redis = Redis.from_url(redis_url)
    try:
        for attempt in range(6):
            calm = asyncio.Event()
            storm = asyncio.create_task(_storm(shared_store, seated.connection.sid, calm))
            try:
                await ann.wait_for("chat:message")  # the storm is under way
                newcomer = await clients(b.url, {"token": token(f"Cy {attempt}")})
                joined = await _join_through_busy(newcomer)
            finally:
                calm.set()
                await storm
            last = await ann.call("chat:send", {"text": "the last word"})
            assert last["ok"], last
            end = last["message"]["id"]
            await newcomer.wait_for("chat:message", lambda d, end=end: d["seq"] == end)
            assert _seqs(newcomer, joined) == list(range(joined + 1, end + 1))
            assert (await newcomer.call("room:leave"))["ok"]
            await _subscribed(redis, CIRCLE, 1)  # B follows the room no more
    finally:
        await redis.aclose()


async def _control_messages(url: str) -> float:
    """How many messages of the control channel and its own the process has decoded."""
    _, samples = await scrape(url)
    return value(samples, "hearth_pubsub_messages_total", channel="control")


async def test_an_event_for_one_connection_reaches_only_the_process_holding_it(
    redis_url: str, shared_store: RedisStore, processes: Any, clients: Any
) -> None:
    """Fay on A removes Bo on B, then Al on A: the notice and the disconnect for Bo go on
    B's own channel (the seat records say where Bo is), so A decodes only Al's two,
    which were published after Bo's."""
    a, b = processes(redis_url), processes(redis_url)
    fay = await clients(a.url, {"token": token("Fay", Role.FACILITATOR)})
    al = await clients(a.url, {"token": token("Al")})
    bo = await clients(b.url, {"token": token("Bo")})
    await fay.join("circle")
    al_id = (await al.join("circle"))["you"]
    bo_id = (await bo.join("circle"))["you"]
    redis = Redis.from_url(redis_url)
    try:
        assert len(await redis.pubsub_channels("hearth:process:*")) == 2
    finally:
        await redis.aclose()
    before = await _control_messages(a.url)
    assert (await fay.call("moderation:remove", {"target": bo_id}))["ok"]
    await bo.wait_for("moderation:removed")
    assert (await fay.call("moderation:remove", {"target": al_id}))["ok"]
    await al.wait_for("moderation:removed")
    assert await _control_messages(a.url) == before + 2
