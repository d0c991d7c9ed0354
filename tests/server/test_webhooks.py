"""Signed webhooks to a real HTTP receiver: a room's opening (by the admin API or its
schedule), pause, resume, head counts and close arrive signed (HMAC-SHA256 over
"timestamp.body"), with counts and never a name; a receiver that is down gets them once it
is back; and with two processes on one Redis each event is sent once, by one of them."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

from rooms.identity import Role
from rooms.room import RoomInfo
from rooms.schedule import Series
from server.admin.room_admin import RoomAdmin
from server.app import SCHEDULER, SETTINGS
from tests.conftest import ON_REDIS_AND_CLUSTER
from tests.server.scrapes import scrape, value
from tests.server.webhook_calls import FACILITATOR, facilitator, hooked, settled
from tests.server.webhook_receiver import SECRET, Receiver
from tests.support import (
    ADMIN_TOKEN,
    SetClock,
    api,
    free_port,
    running_app,
    token,
)

ROOM = RoomInfo("circle", "Tuesday circle")
NAMES = (FACILITATOR, "Bo Hazelwood")


async def test_open_pause_resume_counts_and_close_arrive_signed_with_counts_only(
    receiver: Receiver, clients: Any
) -> None:
    async with running_app(hooked(receiver.url, admin_token=ADMIN_TOKEN)) as hub:
        await hub.store.define_room(ROOM)
        assert (await api(hub.url, "POST", f"/api/v1/rooms/{ROOM.room_id}/open")).status == 200
        opened = await receiver.wait_for("room.opened")
        assert (opened["room"], opened["data"]) == (ROOM.room_id, {})
        fay = await clients(hub.url, {"token": token(NAMES[0], Role.FACILITATOR)})
        await fay.join(ROOM.room_id)
        bo = await clients(hub.url, {"token": token(NAMES[1])})
        await bo.join(ROOM.room_id)
        await receiver.wait_for("participant.count", lambda d: d["data"]["seated"] == 2)
        assert (await fay.call("moderation:pause"))["ok"]
        paused = await receiver.wait_for("room.paused")
        assert (await fay.call("moderation:resume"))["ok"]
        await receiver.wait_for("room.resumed")
        await bo.close()
        await receiver.wait_for("participant.count", lambda d: d["data"]["away"] == 1)
        await hub.store.close_room(ROOM.room_id)
        await receiver.wait_for("room.closed")

    assert paused["room"] == ROOM.room_id
    assert set(paused) >= {"id", "type", "created_at", "room", "data"}
    ids = [d["id"] for d in receiver.deliveries]
    assert len(ids) == len(set(ids))
    for delivery in receiver.deliveries:
        for name in NAMES:
            assert name not in delivery["raw"]


async def test_a_receiver_that_is_down_gets_the_event_once_it_is_back(clients: Any) -> None:
    receiver = Receiver(free_port())  # nothing listens there yet
    app_settings = hooked(receiver.url, webhook_retry_ms=100, webhook_attempts=20)
    try:
        async with running_app(app_settings) as hub:
            await hub.store.open_room(ROOM)
            fay = await clients(hub.url, {"token": token(NAMES[0], Role.FACILITATOR)})
            await fay.join(ROOM.room_id)
            _, before = await scrape(hub.url)
            failed_before = value(before, "hearth_webhooks_total", outcome="failed")
            assert (await fay.call("moderation:pause"))["ok"]
            for _ in range(100):  # until an attempt has failed against the closed port
                _, samples = await scrape(hub.url)
                if value(samples, "hearth_webhooks_total", outcome="failed") > failed_before:
                    break
                await fay.call("room:snapshot")  # a round trip: the loop has moved on
            else:
                raise AssertionError("no delivery attempt failed while the receiver was down")
            assert receiver.deliveries == []
            await receiver.start()
            paused = await receiver.wait_for("room.paused", within=15)
            assert paused["room"] == ROOM.room_id
    finally:
        await receiver.stop()


@ON_REDIS_AND_CLUSTER
async def test_two_processes_send_each_event_once(receiver: Receiver, two_processes: Any) -> None:
    env = {"HEARTH_WEBHOOK_URLS": receiver.url, "HEARTH_WEBHOOK_SECRET": SECRET}
    pair = await two_processes(**env)  # Ann on A and Bo on B, seated in 'circle'
    await receiver.wait_for("participant.count", lambda d: d["data"]["seated"] == 2)
    fay = await facilitator(pair.a.url)
    try:
        assert (await fay.call("moderation:pause"))["ok"]
        assert (await fay.call("moderation:resume"))["ok"]
        await receiver.wait_for("room.resumed")
        a, b = await settled(pair, fay, receiver)
    finally:
        await fay.close()
    # Each event had one sender and was skipped by the other process.
    assert a["claimed_elsewhere"] + b["claimed_elsewhere"] == a["claimed"] + b["claimed"]
    repeats = Counter(d["id"] for d in receiver.deliveries)
    assert max(repeats.values()) == 1, repeats
    assert len(receiver.of("room.paused")) == len(receiver.of("room.resumed")) == 1


async def test_a_scheduled_opening_sends_room_opened(receiver: Receiver) -> None:
    clock = SetClock(datetime(2026, 1, 6, 18, 0, tzinfo=UTC))
    series = Series("tuesdays", "family", "2026-01-06T19:00", "2026-01-06T20:30", "UTC", "")
    app_settings = hooked(receiver.url, scheduler_tick_ms=3_600_000)
    async with running_app(app_settings, clock) as hub:
        await hub.store.define_room(RoomInfo("family", "Family group"))
        await RoomAdmin(hub.store, hub.app[SETTINGS], clock).create_series(series)
        (occurrence,) = series.occurrences(clock.now(), datetime(2026, 1, 7, tzinfo=UTC))
        clock.set(occurrence.opens_at)
        await hub.app[SCHEDULER].tick()
        opened = await receiver.wait_for("room.opened")
    assert opened["room"] == "family"
