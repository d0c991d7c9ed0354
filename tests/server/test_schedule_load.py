"""The worst schedules keep a server responsive: with a series stored from year 1 and the
densest series the API allows, health checks and chat answer promptly while the scheduler
ticks and anonymous callers hammer the public feed."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp

from rooms.room import RoomInfo
from rooms.schedule import Series
from server.stores.redis import RedisStore
from tests.support import ADMIN_TOKEN, api, token

PROMPT_S = 0.5  # generous: an idle loopback round trip takes a few milliseconds
WORST_ALLOWED = 12  # public rooms on FREQ=DAILY from the horizon's first day
FEED_CALLERS = 8


async def _timed(act: Any) -> float:
    began = time.perf_counter()
    await act()
    return time.perf_counter() - began


async def test_health_and_chat_stay_prompt_during_ticks_and_feed_requests(
    redis_url: str, shared_store: RedisStore, processes: Any, clients: Any
) -> None:
    # Stored before the horizon existed, straight into the store as an old release left it.
    await shared_store.save_series(
        Series("ancient", "ancient", "0001-01-01T19:00", "0001-01-01T20:00", "UTC", "FREQ=DAILY")
    )
    await shared_store.define_room(RoomInfo("ancient", "Ancient", public=True, series_id="ancient"))
    server = processes(
        redis_url,
        HEARTH_ADMIN_TOKEN=ADMIN_TOKEN,
        HEARTH_SCHEDULER_TICK_MS="50",
        HEARTH_CHAT_LIMIT="100",
    )
    for n in range(WORST_ALLOWED):
        room = {"id": f"daily-{n}", "name": f"Daily {n}", "public": True}
        assert (await api(server.url, "POST", "/api/v1/rooms", room)).status == 201
        series = {
            "id": f"daily-{n}",
            "room": f"daily-{n}",
            "starts": "2000-01-01T00:00",
            "ends": "2000-01-01T23:00",
            "timezone": "Pacific/Kiritimati",
            "rule": "FREQ=DAILY",
        }
        created = await api(server.url, "POST", "/api/v1/series", series)
        assert created.status == 201, created.body
    sam = await clients(server.url, {"token": token("Sam")})
    await sam.join("circle")

    async with aiohttp.ClientSession() as session:

        async def feed() -> list[Any]:
            async with session.get(f"{server.url}/api/v1/meetings.json") as response:
                assert response.status == 200
                return await response.json()  # type: ignore[no-any-return]

        async def healthz() -> None:
            async with session.get(f"{server.url}/healthz") as response:
                assert response.status == 200

        async def chat() -> None:
            ack = await sam.call("chat:send", {"text": "still here"})
            assert ack["ok"], ack

        listed = await feed()
        assert {"ancient", *(f"daily-{n}" for n in range(WORST_ALLOWED))} <= {
            m["slug"] for m in listed
        }
        waits: list[float] = []
        for _ in range(4):  # each round spans several 50 ms scheduler ticks
            callers = [asyncio.create_task(feed()) for _ in range(FEED_CALLERS)]
            for _ in range(3):
                waits.append(await _timed(healthz))
                waits.append(await _timed(chat))
            feeds = await asyncio.gather(*callers)
            assert all(len(found) == len(listed) for found in feeds)
    assert max(waits) < PROMPT_S, sorted(waits)[-5:]
