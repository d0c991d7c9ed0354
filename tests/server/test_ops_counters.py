"""The counters an operator alerts on move when their thing happens: a commit conflict
between two processes' stores, a scheduled opening, a lost and remade pub/sub
subscription, a Redis that does not answer the readiness probe."""

from __future__ import annotations

import asyncio
import os
import signal
from datetime import UTC, datetime

from prometheus_client import CollectorRegistry
from redis.asyncio import Redis

from rooms import lifecycle
from rooms.change import Change
from rooms.ports import Framed
from rooms.room import RoomInfo
from rooms.schedule import Series
from rooms.state import RoomState
from server.admin.room_admin import RoomAdmin
from server.app import SCHEDULER, SETTINGS
from server.ops import metrics
from server.stores.redis import RedisStore
from tests.conftest import flush
from tests.server.scrapes import probe, scrape, value
from tests.support import RedisServer, SetClock, running_app, settings

ROOM = RoomInfo("circle", "Circle")
NOW = 1_795_000_000_000


def _counters() -> CollectorRegistry:
    idle = metrics.Reading(None, 0, 0, {}, 0, 0, False)
    return metrics.registry(lambda: idle)


def _warn(state: RoomState, info: RoomInfo) -> Change:
    return lifecycle.warn_closing(state, NOW)


async def test_a_stale_commit_counts_a_conflict(redis_server: RedisServer) -> None:
    await flush(redis_server.url)

    def one() -> RedisStore:
        return RedisStore(
            Redis.from_url(redis_server.url),
            prefix="c:",
            channel="c:ev",
            frame=lambda *_: Framed(()),
        )

    ours, theirs = one(), one()
    registry = _counters()
    name, labels = "hearth_commit_conflicts_total", {"store": "redis"}
    try:
        await ours.open_room(ROOM)
        await ours.apply(ROOM.room_id, _warn)  # ours remembers the room
        before = registry.get_sample_value(name, labels) or 0
        await theirs.apply(ROOM.room_id, _warn)  # another process moves it on
        await ours.apply(ROOM.room_id, _warn)  # a commit on the stale copy: one conflict
        assert registry.get_sample_value(name, labels) == before + 1
    finally:
        await ours.close()
        await theirs.close()


async def test_a_scheduled_opening_counts_a_scheduler_action() -> None:
    clock = SetClock(datetime(2026, 1, 6, 18, 0, tzinfo=UTC))
    series = Series("tuesdays", "family", "2026-01-06T19:00", "2026-01-06T20:30", "UTC", "")
    async with running_app(settings(scheduler_tick_ms=3_600_000), clock) as hub:
        await hub.store.define_room(RoomInfo("family", "Family group"))
        await RoomAdmin(hub.store, hub.app[SETTINGS], clock).create_series(series)
        _, before = await scrape(hub.url)
        (occurrence,) = series.occurrences(clock.now(), datetime(2026, 1, 7, tzinfo=UTC))
        clock.set(occurrence.opens_at)
        await hub.app[SCHEDULER].tick()
        _, after = await scrape(hub.url)
    opened = "hearth_scheduler_actions_total"
    assert value(after, opened, action="open") == value(before, opened, action="open") + 1
    assert value(after, opened, action="close") == value(before, opened, action="close")


async def test_redis_going_away_counts_errors_and_the_remade_subscription(
    own_redis: RedisServer,
) -> None:
    async with running_app(settings(own_redis.url, redis_timeout_ms=300)) as hub:
        _, before = await scrape(hub.url)
        os.kill(own_redis.proc.pid, signal.SIGSTOP)
        try:
            assert (await probe(hub.url, "/readyz"))[0] == 503
        finally:
            os.kill(own_redis.proc.pid, signal.SIGCONT)
        own_redis.crash()
        own_redis.restart()
        for _ in range(100):
            _, after = await scrape(hub.url)
            if value(after, "hearth_redis_reconnects_total") > value(
                before, "hearth_redis_reconnects_total"
            ):
                break
            await asyncio.sleep(0.1)
        else:
            raise AssertionError("the lost subscription was not counted")
    errors = "hearth_redis_errors_total"
    assert value(after, errors, part="probe") > value(before, errors, part="probe")
    assert value(after, errors, part="pubsub") > value(before, errors, part="pubsub")
