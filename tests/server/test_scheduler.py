"""Scheduled rooms open, warn and close by themselves, once, with an injected clock.

Two app instances on one real Redis are two schedulers racing through real Redis; a real
``hearth serve`` process shows a restart catching up on a meeting already under way.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from rooms.room import RoomInfo
from rooms.schedule import Series
from server.admin.room_admin import RoomAdmin
from server.app import SCHEDULER, SETTINGS, redis_store
from server.clock import SYSTEM_CLOCK
from server.jobs.scheduler import Action, Performed
from tests.conftest import flush
from tests.support import (
    ADMIN_TOKEN,
    EVENT_WAIT_S,
    RedisServer,
    RunningHub,
    SetClock,
    api,
    running_app,
    settings,
    token,
)

FAMILY = RoomInfo("family", "Family group")


def weekly(zone: str, first: str, lobby: int = 10) -> Series:
    """Tuesdays 19:00 to 20:30 local time."""
    ends = first.replace("19:00", "20:30")
    return Series("tuesdays", "family", first, ends, zone, "FREQ=WEEKLY", lobby_minutes=lobby)


async def schedule(hub: RunningHub, series: Series, room: RoomInfo = FAMILY) -> None:
    await hub.store.define_room(room)
    admin = RoomAdmin(hub.store, hub.app[SETTINGS], hub.app[SCHEDULER].clock)
    await admin.create_series(series)


def performed(*hubs: RunningHub) -> list[Performed]:
    return [p for hub in hubs for p in hub.app[SCHEDULER].performed]


async def is_open(hub: RunningHub, room_id: str = "family") -> bool:
    return any(r.room_id == room_id for r in await hub.store.open_rooms())


@contextlib.asynccontextmanager
async def one_hub(redis: str | None, clock: SetClock, **extra: Any) -> AsyncIterator[RunningHub]:
    # A long tick: these tests drive the scheduler by hand, after its start-up tick.
    app_settings = settings(redis, scheduler_tick_ms=3_600_000, **extra)
    async with running_app(app_settings, clock) as hub:
        yield hub


@pytest.fixture(params=["memory", "redis"])
async def store_url(request: pytest.FixtureRequest) -> str | None:
    if request.param == "memory":
        return None
    url: str = request.getfixturevalue("redis_server").url
    await flush(url)
    return url


@pytest.mark.parametrize(
    ("zone", "first"),
    [("America/New_York", "2026-02-24T19:00"), ("Europe/London", "2026-03-03T19:00")],
)
async def test_weekly_room_opens_at_its_local_time_every_week_across_dst(
    store_url: str | None, zone: str, first: str
) -> None:
    """Each Tuesday from late February to late November, through both DST changes: closed
    a minute before the lobby, open at the lobby (19:00 less 10 min local), closed at 20:30."""
    clock = SetClock(datetime(2026, 2, 1, tzinfo=UTC))
    async with one_hub(store_url, clock) as hub:
        await schedule(hub, weekly(zone, first))
        scheduler = hub.app[SCHEDULER]
        tuesday = datetime.fromisoformat(first).replace(tzinfo=ZoneInfo(zone))
        weeks = 0
        while tuesday.month < 12:
            lobby = tuesday - timedelta(minutes=10)
            clock.set(lobby - timedelta(minutes=1))
            await scheduler.tick()
            assert not await is_open(hub), f"opened early on {tuesday}"
            clock.set(lobby)
            await scheduler.tick()
            assert await is_open(hub), f"not open at the lobby on {tuesday}"
            clock.set(tuesday + timedelta(minutes=89))
            await scheduler.tick()
            assert await is_open(hub), f"closed early on {tuesday}"
            clock.set(tuesday + timedelta(minutes=90))
            await scheduler.tick()
            assert not await is_open(hub), f"not closed at the end on {tuesday}"
            tuesday = (tuesday.replace(tzinfo=None) + timedelta(days=7)).replace(
                tzinfo=ZoneInfo(zone)
            )
            weeks += 1
        assert weeks >= 38
        opens = [p.at for p in performed(hub) if p.action is Action.OPEN]
        assert len(opens) == weeks
        local_opens = {t.astimezone(ZoneInfo(zone)).strftime("%a %H:%M") for t in opens}
        assert local_opens == {"Tue 18:50"}
        assert len({t.astimezone(ZoneInfo(zone)).utcoffset() for t in opens}) == 2


async def test_two_schedulers_racing_open_warn_and_close_exactly_once(
    redis_server: RedisServer, clients: Any
) -> None:
    """Two app instances, each with its scheduler ticking every 20 ms, on one Redis."""
    await flush(redis_server.url)
    series = weekly("Europe/London", "2026-01-06T19:00")
    clock = SetClock(datetime(2026, 1, 6, 18, 0, tzinfo=UTC))
    fast = settings(redis_server.url, scheduler_tick_ms=20, admin_token=ADMIN_TOKEN)
    async with running_app(fast, clock) as one, running_app(fast, clock) as two:
        await schedule(one, series)
        (occ,) = series.occurrences(clock.now(), clock.now() + timedelta(days=1))
        await _race(one, two)
        assert not await is_open(one)

        clock.set(occ.opens_at)
        await _race(one, two)
        assert await is_open(two)
        made = await api(one.url, "POST", "/api/v1/rooms/family/invites", {"name": "Sam"})
        sam = await clients(two.url, {"token": made.body["token"]})
        await sam.join("family")
        counted = await api(one.url, "GET", "/api/v1/rooms/family")
        assert counted.body["participants"] == 1  # seated through the other process

        clock.set(occ.warns_at)
        await _race(one, two)
        warning = await sam.wait_for("room:closing")
        assert warning["closes_at"] == int(occ.end.timestamp() * 1000)

        clock.set(occ.end)
        await _race(one, two)
        # The room's last event: a duplicate warning would have come before it (one
        # order per room), and a closed room makes no more (warn and close find no room).
        await sam.wait_for("room:closed")
        assert len(sam.events("room:closing")) == 1
        assert len(sam.events("room:closed")) == 1
        assert not await is_open(one)
        actions = sorted(str(p.action) for p in performed(one, two))
        assert actions == ["close", "open", "warn"]
        await sam.close()  # before the servers stop, which would wait for it


async def _race(one: RunningHub, two: RunningHub) -> None:
    """Both schedulers' loops are running; also tick both at the same moment, twice."""
    for _ in range(2):
        await asyncio.gather(one.app[SCHEDULER].tick(), two.app[SCHEDULER].tick())
    await asyncio.sleep(0.1)


async def test_a_restarted_scheduler_opens_a_meeting_already_under_way(
    redis_server: RedisServer,
) -> None:
    """Every process was down at the start; the first one back opens the room."""
    await flush(redis_server.url)
    series = weekly("America/New_York", "2026-01-06T19:00")
    (occ,) = series.occurrences(datetime(2026, 1, 6, tzinfo=UTC), datetime(2026, 1, 8, tzinfo=UTC))
    clock = SetClock(occ.opens_at - timedelta(hours=1))
    async with one_hub(redis_server.url, clock) as before:
        await schedule(before, series)
    clock.set(occ.start + timedelta(minutes=30))
    async with one_hub(redis_server.url, clock) as after:
        # Its start-up tick opens the room; a tick after that has nothing left to do.
        for _ in range(int(EVENT_WAIT_S / 0.02)):
            if performed(after):
                break
            await asyncio.sleep(0.02)
        assert await is_open(after)
        assert await after.app[SCHEDULER].tick() == []
        assert [p.action for p in performed(after)] == [Action.OPEN]


async def test_a_meeting_that_ended_while_everyone_was_down_is_not_opened(
    redis_server: RedisServer,
) -> None:
    await flush(redis_server.url)
    series = weekly("America/New_York", "2026-01-06T19:00")
    (occ,) = series.occurrences(datetime(2026, 1, 6, tzinfo=UTC), datetime(2026, 1, 8, tzinfo=UTC))
    clock = SetClock(occ.opens_at - timedelta(hours=1))
    async with one_hub(redis_server.url, clock) as before:
        await schedule(before, series)
    clock.set(occ.end + timedelta(minutes=1))
    async with one_hub(redis_server.url, clock) as after:
        await after.app[SCHEDULER].tick()
        assert not await is_open(after)
        assert not [p for p in performed(after) if p.action is Action.OPEN]


async def test_a_room_closed_by_an_admin_is_not_reopened_by_its_schedule(
    store_url: str | None,
) -> None:
    series = weekly("UTC", "2026-01-06T19:00")
    clock = SetClock(datetime(2026, 1, 6, 19, 5, tzinfo=UTC))
    async with one_hub(store_url, clock) as hub:
        await schedule(hub, series)
        await hub.app[SCHEDULER].tick()
        assert await is_open(hub)
        await hub.store.close_room("family")
        clock.advance(timedelta(minutes=1))
        await hub.app[SCHEDULER].tick()
        assert not await is_open(hub)


async def test_an_empty_meeting_closes_after_the_configured_minutes(
    store_url: str | None, clients: Any
) -> None:
    series = weekly("UTC", "2026-01-06T19:00")
    clock = SetClock(datetime(2026, 1, 6, 18, 55, tzinfo=UTC))
    async with one_hub(store_url, clock, close_when_empty_minutes=15) as hub:
        await schedule(hub, series)
        scheduler = hub.app[SCHEDULER]
        await scheduler.tick()
        assert await is_open(hub)
        clock.set(datetime(2026, 1, 6, 19, 14, tzinfo=UTC))
        await scheduler.tick()
        assert await is_open(hub), "empty for 14 minutes since the start: still open"
        clock.set(datetime(2026, 1, 6, 19, 15, tzinfo=UTC))
        await scheduler.tick()
        assert not await is_open(hub), "empty for 15 minutes: closed"
        closes = [p for p in performed(hub) if p.action is Action.CLOSE]
        assert len(closes) == 1
        clock.set(datetime(2026, 1, 6, 20, 30, tzinfo=UTC))
        await scheduler.tick()
        assert len([p for p in performed(hub) if p.action is Action.CLOSE]) == 1


async def test_a_restarted_server_process_opens_a_meeting_under_way(
    redis_server: RedisServer, processes: Any
) -> None:
    """Real time, real OS process: the schedule is written while no server runs (a meeting
    that began a minute ago); ``hearth serve`` starts and opens it on its first tick."""
    await flush(redis_server.url)
    start = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=1)
    local = start.strftime("%Y-%m-%dT%H:%M")
    series = Series(
        "now", "family", local, (start + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"), "UTC"
    )
    store = redis_store(settings(redis_server.url))
    try:
        admin = RoomAdmin(store, settings(redis_server.url), SYSTEM_CLOCK)
        await admin.create_room(FAMILY)
        await admin.create_series(series)
    finally:
        await store.close()
    server = processes(
        redis_server.url, HEARTH_ADMIN_TOKEN=ADMIN_TOKEN, HEARTH_SCHEDULER_TICK_MS="100"
    )
    for _ in range(50):
        room = await api(server.url, "GET", "/api/v1/rooms/family")
        if room.body["open"]:
            break
        await asyncio.sleep(0.1)
    assert room.body["open"] is True


async def test_the_scheduler_rides_out_a_stalled_redis_and_then_opens_the_room(
    own_redis: RedisServer,
) -> None:
    """Redis stalls just as the lobby opens: ticks fail and back off, nothing is claimed
    half-way, and the room opens once Redis answers again."""
    series = weekly("UTC", "2026-01-06T19:00")
    (occ,) = series.occurrences(datetime(2026, 1, 6, tzinfo=UTC), datetime(2026, 1, 7, tzinfo=UTC))
    clock = SetClock(occ.opens_at - timedelta(minutes=5))
    quick = settings(own_redis.url, scheduler_tick_ms=50, redis_timeout_ms=200)
    async with running_app(quick, clock) as hub:
        await schedule(hub, series)
        assert own_redis.proc is not None
        own_redis.proc.send_signal(signal.SIGSTOP)
        try:
            clock.set(occ.opens_at)
            await asyncio.sleep(1.0)
        finally:
            own_redis.proc.send_signal(signal.SIGCONT)
        for _ in range(60):
            if await is_open(hub):
                break
            await asyncio.sleep(0.1)
        assert await is_open(hub)
        assert [p.action for p in performed(hub)] == [Action.OPEN]


async def test_an_open_scheduled_room_tells_its_end_in_the_snapshot(
    store_url: str | None, clients: Any
) -> None:
    """The scheduler records the occurrence's end when it opens the room: every snapshot's
    room carries ``ends_at`` (ms), so pages can show the time left; an unscheduled room's
    is null."""
    series = weekly("Europe/London", "2026-03-03T19:00")
    (occ,) = series.occurrences(datetime(2026, 3, 3, tzinfo=UTC), datetime(2026, 3, 4, tzinfo=UTC))
    clock = SetClock(occ.opens_at - timedelta(minutes=1))
    async with one_hub(store_url, clock) as hub:
        await schedule(hub, series, RoomInfo("family", "Family group", allow_guests=True))
        await hub.store.open_room(RoomInfo("drop-in", "Drop-in", allow_guests=True))
        clock.set(occ.opens_at)
        await hub.app[SCHEDULER].tick()
        sam = await clients(hub.url, {"name": "Sam"})
        family = (await sam.join("family"))["snapshot"]["room"]
        assert family["ends_at"] == int(occ.end.timestamp() * 1000)
        await sam.call("room:leave")
        assert (await sam.join("drop-in"))["snapshot"]["room"]["ends_at"] is None


async def test_a_series_stored_from_year_one_still_opens_and_closes_on_time(
    store_url: str | None,
) -> None:
    """Stored before the horizon, it is neither refused on load nor walked from year 1."""
    clock = SetClock(datetime(2026, 1, 6, 18, 55, tzinfo=UTC))
    async with one_hub(store_url, clock) as hub:
        await hub.store.define_room(FAMILY)
        first, end = "0001-01-01T19:00", "0001-01-01T20:30"
        daily = Series("tuesdays", "family", first, end, "UTC", "FREQ=DAILY", lobby_minutes=10)
        await hub.store.save_series(daily)
        await hub.store.define_room(RoomInfo("family", "Family group", series_id="tuesdays"))
        scheduler = hub.app[SCHEDULER]
        loop = asyncio.get_running_loop()
        began = loop.time()
        opened = await scheduler.tick()
        assert loop.time() - began < 0.5
        assert [(p.action, p.occurrence) for p in opened] == [(Action.OPEN, "2026-01-06")]
        clock.set(datetime(2026, 1, 6, 20, 30, tzinfo=UTC))
        closed = await scheduler.tick()
        assert [(p.action, p.occurrence) for p in closed] == [(Action.CLOSE, "2026-01-06")]
        assert not await is_open(hub)


async def test_a_scheduled_room_not_open_yet_says_when_it_opens_to_whom_it_admits(
    store_url: str | None, clients: Any
) -> None:
    """An early invite link: ``room:info`` and ``room:join`` are refused ``room_not_open``
    with the next meeting's lobby time; someone the room does not admit learns nothing
    (``room_not_found``, as for a room that does not exist)."""
    clock = SetClock(datetime(2026, 2, 1, tzinfo=UTC))
    async with one_hub(store_url, clock) as hub:
        await schedule(hub, weekly("Europe/London", "2026-03-03T19:00"))
        lobby = datetime(2026, 3, 3, 18, 50, tzinfo=UTC)  # London is on UTC in March
        invited = await clients(hub.url, {"token": token("Ann", rooms=("family",))})
        for event in ("room:info", "room:join"):
            ack = await invited.call(event, {"room": "family"})
            assert ack["error"]["code"] == "room_not_open", ack
            assert ack["error"]["opens_at"] == int(lobby.timestamp() * 1000)
        stranger = await clients(hub.url, {"token": token("Bo", rooms=("other",))})
        ack = await stranger.call("room:info", {"room": "family"})
        assert ack["error"] == {"code": "room_not_found", "message": "room 'family' is not open"}
        nowhere = await invited.call("room:info", {"room": "nowhere"})
        assert nowhere["error"]["code"] == "room_not_found"
