"""Both RoomStore implementations keep the same promises."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from redis.asyncio import Redis

from moderation.ports import RoomStore
from rooms import primitives
from rooms.change import Change
from rooms.errors import RoomNotFound
from rooms.events import RoomEvent
from rooms.identity import Identity, Role
from rooms.ports import Framed, Rule
from rooms.room import RoomInfo
from rooms.state import Connection, RoomState
from server import codec
from server.app import redis_store
from server.stores.memory import MemoryStore
from server.stores.redis import RedisStore
from tests.conftest import flush
from tests.support import RedisServer, settings, silent

ROOM = RoomInfo("circle", "Circle", capacity=100)
NOW = 1_795_000_000_000


class Published:
    """What a store published, in order, as (room, seq) pairs."""

    def __init__(self) -> None:
        self.seqs: list[int] = []

    async def deliver(self, room_id: str, event: RoomEvent) -> None:
        self.seqs.append(event.seq)

    def frame(self, room_id: str, event: RoomEvent) -> Framed:
        return Framed((codec.MsgpackJson.dumps({"room": room_id, "seq": event.seq}),))


def _redis_store(url: str, published: Published) -> RedisStore:
    return RedisStore(Redis.from_url(url), prefix="t:", channel="t:events", frame=published.frame)


@pytest.fixture(params=["memory", "redis"])
async def store(request: pytest.FixtureRequest) -> AsyncIterator[tuple[RoomStore, Published]]:
    published = Published()
    made: RoomStore
    if request.param == "memory":
        made = MemoryStore(published.deliver)
    else:
        url = request.getfixturevalue("redis_server").url
        await flush(url)
        made = _redis_store(url, published)
    yield made, published
    await made.close()


def _joiner(name: str, process: str = "p1") -> Rule:
    who = Identity(f"sub-{name}", name, Role.PARTICIPANT, frozenset({"*"}))

    def rule(state: RoomState, info: RoomInfo) -> Change:
        return primitives.join(state, info, who, f"id-{name}", Connection(process, name), NOW)

    return rule


async def test_open_snapshot_apply_close(store: tuple[RoomStore, Published]) -> None:
    rooms, _ = store
    assert await rooms.open_room(ROOM) is True
    assert await rooms.open_room(ROOM) is False  # opening again keeps the live state
    assert await rooms.room_info("circle") == ROOM
    assert [r.room_id for r in await rooms.open_rooms()] == ["circle"]
    await rooms.apply("circle", _joiner("Ann"))
    assert (await rooms.snapshot("circle")).members[0].display_name == "Ann"
    await rooms.open_room(ROOM)
    assert len((await rooms.snapshot("circle")).members) == 1
    await rooms.close_room("circle")
    assert await rooms.open_rooms() == []
    with pytest.raises(RoomNotFound):
        await rooms.snapshot("circle")
    with pytest.raises(RoomNotFound):
        await rooms.apply("circle", _joiner("Bo"))
    assert await rooms.room_info("circle") == ROOM  # the definition stays


async def test_refusal_changes_nothing(store: tuple[RoomStore, Published]) -> None:
    rooms, published = store
    await rooms.open_room(ROOM)
    before = await rooms.snapshot("circle")
    with pytest.raises(Exception, match="not in this room"):
        await rooms.apply("circle", lambda s, _: primitives.post_chat(s, "nobody", "hi", NOW))
    assert await rooms.snapshot("circle") == before
    assert published.seqs == []


async def test_concurrent_changes_all_land_in_one_order(
    store: tuple[RoomStore, Published],
) -> None:
    rooms, published = store
    await rooms.open_room(ROOM)
    await asyncio.gather(*(rooms.apply("circle", _joiner(f"n{i}")) for i in range(40)))
    state = await rooms.snapshot("circle")
    assert len(state.members) == 40
    assert state.seq == 40
    if isinstance(rooms, MemoryStore):
        assert published.seqs == list(range(1, 41))


async def test_two_redis_stores_racing_never_lose_a_change(redis_url: str) -> None:
    """Two processes' stores on one Redis: every change lands once, events in seq order."""
    published = Published()
    a, b = _redis_store(redis_url, published), _redis_store(redis_url, published)
    listener = Redis.from_url(redis_url)
    pubsub = listener.pubsub()
    await pubsub.subscribe("t:events")
    await a.open_room(ROOM)
    await asyncio.gather(
        *(
            store.apply("circle", _joiner(f"n{i}", process=f"p{i % 2}"))
            for i in range(30)
            for store in ((a, b)[i % 2],)
        )
    )
    await asyncio.gather(
        *(
            (a, b)[i % 2].apply("circle", lambda s, _, i=i: primitives.raise_hand(s, f"n{i}"))
            for i in range(30)
        )
    )
    state = await b.snapshot("circle")
    assert len(state.members) == 30
    assert len(state.hands) == 30
    assert state.seq == 60
    seen: list[Any] = []
    deadline = asyncio.get_running_loop().time() + 5
    while len(seen) < 60 and asyncio.get_running_loop().time() < deadline:
        message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1)
        if message is not None:
            seen.append(codec.MsgpackJson.loads(message["data"])["seq"])
    assert seen == list(range(1, 61))
    await pubsub.aclose()
    await listener.aclose()
    await a.close()
    await b.close()


async def test_process_roll(store: tuple[RoomStore, Published]) -> None:
    rooms, _ = store
    await rooms.beat("alive", 60_000)
    await rooms.beat("gone", 1)
    await rooms.hold("gone", "circle")
    await asyncio.sleep(0.05)
    assert await silent(rooms) == ["gone"]
    assert await rooms.rooms_held_by("gone") == {"circle"}
    await rooms.forget_process("gone")
    assert await silent(rooms) == []
    assert await rooms.rooms_held_by("gone") == set()


async def test_a_dropped_hold_leaves_the_roll(store: tuple[RoomStore, Published]) -> None:
    rooms, _ = store
    await rooms.hold("here", "circle")
    await rooms.hold("here", "open")
    await rooms.drop_hold("here", "circle")
    await rooms.drop_hold("here", "never-held")
    assert await rooms.rooms_held_by("here") == {"open"}


async def test_the_app_store_answers_more_calls_at_once_than_redis_pys_default_pool(
    redis_server: RedisServer,
) -> None:
    """A join storm has hundreds of Redis calls in flight at once; redis-py refuses those
    beyond 100 connections unless told otherwise, which refused joins ``unavailable``."""
    await flush(redis_server.url)
    store = redis_store(settings(redis_server.url))
    try:
        found = await asyncio.gather(*(store.room_info(f"room-{i}") for i in range(250)))
    finally:
        await store.close()
    assert found == [None] * 250
