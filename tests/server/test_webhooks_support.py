"""The ``support.requested`` webhook to a real HTTP receiver: a request for support made
where no moderator is present is sent once (the room's id only for a public room; never a
name, an id of a person or any text), a request a facilitator received is not sent, and
with two ``hearth serve`` processes on one Redis each request is sent once.

Absence is proven by a later webhook (a pause the test makes afterwards) and every
webhook claimed by then having been delivered: the queue is first in, first out."""

from __future__ import annotations

from typing import Any

import pytest

from rooms.identity import Role
from rooms.room import RoomInfo
from tests.server.webhook_calls import (
    FACILITATOR,
    all_delivered,
    counts,
    facilitator,
    hooked,
    settled,
)
from tests.server.webhook_receiver import SECRET, Receiver
from tests.support import running_app, token

PUBLIC = RoomInfo("open-door", "Open door", public=True)
PRIVATE = RoomInfo("family", "Family group")
NAMES = (FACILITATOR, "Sam Quillfeather")


async def _paused_by_a_facilitator(
    url: str, room: str, receiver: Receiver, clients: Any, before: tuple[float, float]
) -> None:
    fay = await clients(url, {"token": token(NAMES[0], Role.FACILITATOR)})
    await fay.join(room)
    assert (await fay.call("moderation:pause"))["ok"]
    await receiver.wait_for("room.paused", lambda d: d["room"] == room)
    await all_delivered(url, receiver, before)


@pytest.mark.parametrize("room", [PUBLIC, PRIVATE], ids=["public", "private"])
async def test_a_request_nobody_is_present_to_receive_is_sent_once(
    receiver: Receiver, clients: Any, room: RoomInfo
) -> None:
    async with running_app(hooked(receiver.url)) as hub:
        before = await counts(hub.url)
        await hub.store.open_room(room)
        sam = await clients(hub.url, {"token": token(NAMES[1])})
        sam_id = (await sam.join(room.room_id))["you"]
        asked = await sam.call("support:request", {"op": "sam-asks-for-help-1"})
        assert (asked["ok"], asked["reached"]) == (True, 0), asked
        again = await sam.call("support:request", {"op": "sam-asks-for-help-1"})  # a retried send
        assert again["ok"]
        sent = await receiver.wait_for("support.requested")
        await _paused_by_a_facilitator(hub.url, room.room_id, receiver, clients, before)

    assert len(receiver.of("support.requested")) == 1
    assert sent["room"] == (room.room_id if room.public else None)
    assert sent["data"] == {}
    assert set(sent) == {"id", "type", "created_at", "room", "data", "raw"}
    for delivery in receiver.deliveries:
        assert sam_id not in delivery["raw"]
        for name in NAMES:
            assert name not in delivery["raw"]
    if not room.public:
        assert all(room.room_id not in d["raw"] for d in receiver.of("support.requested"))


async def test_a_request_a_facilitator_received_is_not_sent(
    receiver: Receiver, clients: Any
) -> None:
    async with running_app(hooked(receiver.url)) as hub:
        before = await counts(hub.url)
        await hub.store.open_room(PUBLIC)
        fay = await clients(hub.url, {"token": token(NAMES[0], Role.FACILITATOR)})
        await fay.join(PUBLIC.room_id)
        sam = await clients(hub.url, {"token": token(NAMES[1])})
        await sam.join(PUBLIC.room_id)
        asked = await sam.call("support:request", {})
        assert (asked["ok"], asked["reached"]) == (True, 1)
        assert (await fay.call("moderation:pause"))["ok"]
        await receiver.wait_for("room.paused")
        await all_delivered(hub.url, receiver, before)
    assert receiver.of("support.requested") == []


async def test_two_processes_send_a_request_once(receiver: Receiver, two_processes: Any) -> None:
    env = {"HEARTH_WEBHOOK_URLS": receiver.url, "HEARTH_WEBHOOK_SECRET": SECRET}
    pair = await two_processes(**env)  # Ann on A and Bo on B, seated in 'circle' (private)
    asked = await pair.bo.call("support:request", {"op": "bo-asks-for-help-01"})
    assert (asked["ok"], asked["reached"]) == (True, 0)
    assert (await pair.bo.call("support:request", {"op": "bo-asks-for-help-01"}))["ok"]  # a retry
    sent = await receiver.wait_for("support.requested")
    fay = await facilitator(pair.a.url)
    try:
        assert (await fay.call("moderation:pause"))["ok"]
        await receiver.wait_for("room.paused")
        await settled(pair, fay, receiver, seen_by_both=False)  # only B saw the request
    finally:
        await fay.close()
    assert len(receiver.of("support.requested")) == 1
    assert sent["room"] is None  # 'circle' is not public
    assert pair.bo_id not in sent["raw"]
    assert "Bo" not in sent["raw"]
