"""The ``schedule.missed`` webhook to a real HTTP receiver, with the scheduler's ticks
driven by hand on a set clock: a scheduled meeting that ended with no facilitator ever
seated from its lobby opening on (or that no process opened at all) is sent once, with
its scheduled start and end and the room's id only for a public room; a meeting a
facilitator came to is not sent; two schedulers on one Redis send it once.

Absence is proven by a later webhook (a room the test opens afterwards through the admin
API) and every webhook claimed by then having been delivered: the queue is first in,
first out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from rooms.identity import Role
from rooms.room import RoomInfo
from rooms.schedule import Occurrence, Series
from server.admin.room_admin import RoomAdmin
from server.app import SCHEDULER, SETTINGS
from tests.conftest import flush
from tests.server.webhook_calls import FACILITATOR, all_delivered, counts, hooked
from tests.server.webhook_receiver import Receiver
from tests.support import ADMIN_TOKEN, RedisServer, RunningHub, SetClock, api, running_app, token

NAMES = (FACILITATOR, "Sam Quillfeather")
PRIVATE = RoomInfo("family", "Family group")
PUBLIC = RoomInfo("family", "Family group", public=True)
LATER = RoomInfo("later", "A later room")
SERIES = Series(
    "tuesdays", "family", "2026-01-06T19:00", "2026-01-06T20:30", "UTC", "", lobby_minutes=10
)


def _app(receiver: Receiver, redis: str | None = None) -> Any:
    # A long tick: the test drives the scheduler by hand, after its start-up tick.
    return hooked(
        receiver.url, redis_url=redis, scheduler_tick_ms=3_600_000, admin_token=ADMIN_TOKEN
    )


async def _scheduled(hub: RunningHub, room: RoomInfo, clock: SetClock) -> Occurrence:
    await hub.store.define_room(room)
    await hub.store.define_room(LATER)
    await RoomAdmin(hub.store, hub.app[SETTINGS], clock).create_series(SERIES)
    (occurrence,) = SERIES.occurrences(clock.now(), clock.now() + timedelta(days=1))
    return occurrence


async def _then_a_later_webhook(hub: RunningHub, receiver: Receiver, before: Any) -> None:
    """Open another room and wait until its ``room.opened`` and everything before it
    has been delivered."""
    assert (await api(hub.url, "POST", f"/api/v1/rooms/{LATER.room_id}/open")).status == 200
    await receiver.wait_for("room.opened", lambda d: d["room"] == LATER.room_id)
    await all_delivered(hub.url, receiver, before)


@pytest.mark.parametrize("room", [PUBLIC, PRIVATE], ids=["public", "private"])
async def test_a_meeting_nobody_facilitated_is_sent_once_at_its_end(
    receiver: Receiver, clients: Any, room: RoomInfo
) -> None:
    clock = SetClock(datetime(2026, 1, 6, 18, 0, tzinfo=UTC))
    async with running_app(_app(receiver), clock) as hub:
        before = await counts(hub.url)
        occ = await _scheduled(hub, room, clock)
        scheduler = hub.app[SCHEDULER]
        clock.set(occ.opens_at)
        await scheduler.tick()
        sam = await clients(hub.url, {"token": token(NAMES[1])})
        await sam.join(room.room_id)  # people came; no facilitator did
        clock.set(occ.end - timedelta(minutes=1))
        await scheduler.tick()
        assert receiver.of("schedule.missed") == []  # not before the end
        clock.set(occ.end)
        await scheduler.tick()
        missed = await receiver.wait_for("schedule.missed")
        clock.advance(timedelta(minutes=5))
        await scheduler.tick()  # a later tick sends nothing again
        await _then_a_later_webhook(hub, receiver, before)

    assert len(receiver.of("schedule.missed")) == 1
    assert missed["room"] == (room.room_id if room.public else None)
    start, end = int(occ.start.timestamp() * 1000), int(occ.end.timestamp() * 1000)
    assert missed["data"] == {"scheduled_start": start, "scheduled_end": end}
    assert NAMES[1] not in missed["raw"]
    if not room.public:
        assert room.room_id not in missed["raw"]


async def test_a_facilitator_who_came_and_went_in_the_lobby_means_not_missed(
    receiver: Receiver, clients: Any
) -> None:
    clock = SetClock(datetime(2026, 1, 6, 18, 0, tzinfo=UTC))
    async with running_app(_app(receiver), clock) as hub:
        before = await counts(hub.url)
        occ = await _scheduled(hub, PUBLIC, clock)
        clock.set(occ.opens_at)
        await hub.app[SCHEDULER].tick()
        fay = await clients(hub.url, {"token": token(NAMES[0], Role.FACILITATOR)})
        await fay.join(PUBLIC.room_id)
        clock.advance(timedelta(minutes=2))
        assert (await fay.call("room:leave"))["ok"]
        clock.set(occ.end)
        await hub.app[SCHEDULER].tick()
        await receiver.wait_for("room.closed")
        await _then_a_later_webhook(hub, receiver, before)
    assert receiver.of("schedule.missed") == []


async def test_a_facilitator_who_left_before_the_lobby_opened_does_not_count(
    receiver: Receiver, clients: Any
) -> None:
    """The room was open already (an admin opened it early): a facilitator who was there
    before the meeting's lobby opening did not hold the meeting."""
    clock = SetClock(datetime(2026, 1, 6, 17, 0, tzinfo=UTC))
    async with running_app(_app(receiver), clock) as hub:
        occ = await _scheduled(hub, PUBLIC, clock)
        await hub.store.open_room(PUBLIC)
        fay = await clients(hub.url, {"token": token(NAMES[0], Role.FACILITATOR)})
        await fay.join(PUBLIC.room_id)
        clock.advance(timedelta(minutes=30))
        assert (await fay.call("room:leave"))["ok"]
        clock.set(occ.opens_at)
        await hub.app[SCHEDULER].tick()
        clock.set(occ.end)
        await hub.app[SCHEDULER].tick()
        missed = await receiver.wait_for("schedule.missed")
    assert missed["room"] == PUBLIC.room_id


async def test_a_meeting_no_process_opened_is_missed_once(receiver: Receiver) -> None:
    """Every process was down from before the lobby to after the end: the first tick
    after the end finds the occurrence never opened."""
    clock = SetClock(datetime(2026, 1, 6, 18, 0, tzinfo=UTC))
    async with running_app(_app(receiver), clock) as hub:
        before = await counts(hub.url)
        occ = await _scheduled(hub, PUBLIC, clock)
        clock.set(occ.end + timedelta(hours=2))
        await hub.app[SCHEDULER].tick()
        await receiver.wait_for("schedule.missed")
        await hub.app[SCHEDULER].tick()
        await _then_a_later_webhook(hub, receiver, before)
    assert len(receiver.of("schedule.missed")) == 1
    assert receiver.of("room.opened")[0]["room"] == LATER.room_id  # 'family' never opened


async def test_two_schedulers_on_one_redis_send_it_once(
    receiver: Receiver, redis_server: RedisServer
) -> None:
    await flush(redis_server.url)
    clock = SetClock(datetime(2026, 1, 6, 18, 0, tzinfo=UTC))
    app_settings = _app(receiver, redis_server.url)
    async with running_app(app_settings, clock) as one, running_app(app_settings, clock) as two:
        before = await counts(one.url)  # the counters are this Python process's: both apps
        occ = await _scheduled(one, PUBLIC, clock)
        clock.set(occ.opens_at)
        await one.app[SCHEDULER].tick()
        await two.app[SCHEDULER].tick()
        clock.set(occ.end)
        await two.app[SCHEDULER].tick()
        await one.app[SCHEDULER].tick()
        await receiver.wait_for("schedule.missed")
        await _then_a_later_webhook(one, receiver, before)
    assert len(receiver.of("schedule.missed")) == 1
