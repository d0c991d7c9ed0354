"""Both stores keep room and series definitions and grant each claim once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from moderation.ports import RoomStore
from rooms.events import RoomEvent
from rooms.ports import Framed
from rooms.resources import Category, Resource
from rooms.room import RoomInfo
from rooms.schedule import Move, Series
from server.stores.memory import MemoryStore
from server.stores.redis import RedisStore
from tests.conftest import flush
from tests.support import RedisServer

SERIES = Series(
    "tuesdays",
    "family",
    "2026-01-06T19:00",
    "2026-01-06T20:30",
    "America/New_York",
    "FREQ=WEEKLY;BYDAY=TU",
    lobby_minutes=10,
    skipped=frozenset({"2026-01-13"}),
    moved=(Move("2026-01-20", "2026-01-21T18:00"),),
)


async def _ignore(room_id: str, event: RoomEvent) -> None:
    pass


def _redis(url: str) -> RedisStore:
    return RedisStore(
        Redis.from_url(url), prefix="t:", channel="t:events", frame=lambda *_: Framed(())
    )


@pytest.fixture(params=["memory", "redis"])
async def store(request: pytest.FixtureRequest) -> AsyncIterator[RoomStore]:
    made: RoomStore
    if request.param == "memory":
        made = MemoryStore(_ignore)
    else:
        url = request.getfixturevalue("redis_server").url
        await flush(url)
        made = _redis(url)
    yield made
    await made.close()


async def test_defined_rooms_are_listed_open_or_not(store: RoomStore) -> None:
    await store.define_room(RoomInfo("family", "Family", public=True))
    await store.open_room(RoomInfo("demo", "Demo"))
    assert [r.room_id for r in await store.rooms()] == ["demo", "family"]
    assert [r.room_id for r in await store.open_rooms()] == ["demo"]
    assert (await store.room_info("family")) == RoomInfo("family", "Family", public=True)
    assert await store.delete_room("family") is True
    assert await store.delete_room("family") is False
    assert [r.room_id for r in await store.rooms()] == ["demo"]


async def test_an_open_room_takes_new_settings_and_keeps_them_when_forgotten(
    store: RoomStore,
) -> None:
    await store.define_room(RoomInfo("family", "Family"))
    await store.open_room(RoomInfo("family", "Family"))
    await store.define_room(RoomInfo("family", "Family group", capacity=5))
    assert (await store.room_info("family")) == RoomInfo("family", "Family group", capacity=5)
    await store.delete_room("family")
    assert (await store.room_info("family")) is not None  # still open: its people need it
    await store.snapshot("family")


async def test_series_round_trip_with_skips_and_moves(store: RoomStore) -> None:
    await store.save_series(SERIES)
    assert await store.series("tuesdays") == SERIES
    assert await store.all_series() == [SERIES]
    assert await store.delete_series("tuesdays") is True
    assert await store.series("tuesdays") is None
    assert await store.delete_series("tuesdays") is False


async def test_a_claim_is_granted_once_until_it_expires(store: RoomStore) -> None:
    granted = await asyncio.gather(*(store.claim("occ:open", 200) for _ in range(20)))
    assert granted.count(True) == 1
    assert await store.claim("occ:close", 200) is True
    await asyncio.sleep(0.3)
    assert await store.claim("occ:open", 200) is True


async def test_a_released_claim_can_be_won_again(store: RoomStore) -> None:
    """What the scheduler does when its action failed after it won the claim."""
    assert await store.claim("occ:open", 60_000) is True
    assert await store.claim("occ:open", 60_000) is False
    await store.release("occ:open")
    assert await store.claim("occ:open", 60_000) is True


async def test_two_redis_stores_race_for_one_claim(redis_server: RedisServer) -> None:
    url = redis_server.url
    await flush(url)
    one, two = _redis(url), _redis(url)
    try:
        granted = await asyncio.gather(
            *(s.claim("occ:open", 10_000) for _ in range(10) for s in (one, two))
        )
        assert granted.count(True) == 1
    finally:
        await one.close()
        await two.close()


async def test_empty_since_remembers_the_first_empty_sighting(store: RoomStore) -> None:
    assert await store.empty_since("family", 1000, empty=True) == 1000
    assert await store.empty_since("family", 5000, empty=True) == 1000
    assert await store.empty_since("family", 6000, empty=False) is None
    assert await store.empty_since("family", 7000, empty=True) == 7000


async def test_the_deployments_resources_are_kept_replaced_and_forgotten(store: RoomStore) -> None:
    assert await store.deployment_resources() is None  # none set: the configured list counts
    lines = (
        Resource("Night line", Category.CRISIS, phone="+1 555 0100", language="en"),
        Resource("Just for today", Category.READING, link="https://example.org/jft"),
    )
    await store.save_deployment_resources(lines)
    assert await store.deployment_resources() == lines
    await store.save_deployment_resources(())
    assert await store.deployment_resources() == ()  # an empty list set is still set
    await store.save_deployment_resources(None)
    assert await store.deployment_resources() is None
