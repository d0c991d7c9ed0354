"""Moderation across server processes: two ``hearth serve`` OS processes on one real
Redis, the facilitator connected to process A and the participants to process B."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from rooms.identity import Role
from tests.conftest import ON_REDIS_AND_CLUSTER
from tests.support import (
    PARTICIPANT_ATTEMPTS,
    Client,
    ServerProcess,
    after_everything_sent,
    gone,
    token,
)

ROOM = "demo"

Seat = Callable[..., Awaitable[tuple[Client, str]]]


pytestmark = ON_REDIS_AND_CLUSTER


@pytest.fixture
def pair(shared_url: str, processes: Any) -> tuple[ServerProcess, ServerProcess]:
    """Processes A and B sharing one Redis (or Redis Cluster), both serving 'demo'."""
    return processes(shared_url, HEARTH_DEMO_ROOM=ROOM), processes(
        shared_url, HEARTH_DEMO_ROOM=ROOM
    )


@pytest.fixture
def seat(clients: Any) -> Seat:
    async def join(
        process: ServerProcess, name: str, role: Role = Role.PARTICIPANT
    ) -> tuple[Client, str]:
        client = await clients(process.url, {"token": token(name, role)})
        return client, (await client.join(ROOM))["you"]

    return join


async def test_mute_on_a_refuses_the_next_chat_on_b_within_100ms(
    pair: tuple[ServerProcess, ServerProcess], seat: Seat
) -> None:
    a, b = pair
    fay, _ = await seat(a, "Fay", Role.FACILITATOR)
    sam, sam_id = await seat(b, "Sam")
    assert (await sam.call("chat:send", {"text": "before"}))["ok"]
    started = time.perf_counter()
    ack = await fay.call("moderation:mute", {"target": sam_id, "chat": True})
    assert ack["ok"]
    refused = await sam.call("chat:send", {"text": "after"})
    assert refused["error"]["code"] == "chat_muted"
    assert time.perf_counter() - started < 0.1
    announced = await sam.wait_for("participant:mutes", within=0.1)
    assert announced["participants"][0]["chat_muted"] is True


async def test_a_ban_holds_on_rejoin_through_either_process(
    pair: tuple[ServerProcess, ServerProcess], seat: Seat, clients: Any
) -> None:
    a, b = pair
    fay, _ = await seat(a, "Fay", Role.FACILITATOR)
    sam, sam_id = await seat(b, "Sam")
    assert (await fay.call("moderation:ban", {"target": sam_id}))["ok"]
    assert (await sam.wait_for("moderation:removed"))["reason"] == "banned"
    await gone(sam)
    for process in (a, b):
        again = await clients(process.url, {"token": token("Sam")})
        assert (await again.call("room:join", {"room": ROOM}))["error"]["code"] == "banned"
    assert (await fay.call("moderation:unban", {"ban": sam_id}))["ok"]
    back = await clients(b.url, {"token": token("Sam")})
    assert (await back.call("room:join", {"room": ROOM}))["ok"]


async def test_a_banned_guest_on_b_is_disconnected(
    pair: tuple[ServerProcess, ServerProcess], seat: Seat, clients: Any
) -> None:
    a, b = pair
    fay, _ = await seat(a, "Fay", Role.FACILITATOR)
    river = await clients(b.url, {"name": "River"})
    river_id = (await river.join(ROOM))["you"]
    assert (await fay.call("moderation:ban", {"target": river_id}))["ok"]
    await river.wait_for("moderation:removed")
    await gone(river)
    left = await fay.wait_for("participant:left")
    assert left["reason"] == "banned"


async def test_pause_then_resume_restores_prior_mutes_across_processes(
    pair: tuple[ServerProcess, ServerProcess], seat: Seat
) -> None:
    a, b = pair
    fay, _ = await seat(a, "Fay", Role.FACILITATOR)
    sam, sam_id = await seat(b, "Sam")
    kim, kim_id = await seat(b, "Kim")
    await fay.call("moderation:mute", {"target": sam_id, "chat": True, "audio": True})
    await fay.call("moderation:mute", {"target": kim_id, "audio": True})
    before = (await sam.call("room:snapshot"))["snapshot"]["participants"]
    assert (await fay.call("moderation:pause"))["ok"]
    await kim.wait_for("room:paused")
    assert (await kim.call("chat:send", {"text": "hi"}))["error"]["code"] == "room_paused"
    assert (await fay.call("moderation:resume"))["ok"]
    await kim.wait_for("room:resumed")
    after = (await sam.call("room:snapshot"))["snapshot"]
    assert after["participants"] == before
    assert (await sam.call("chat:send", {"text": "x"}))["error"]["code"] == "chat_muted"
    assert (await kim.call("chat:send", {"text": "thanks"}))["ok"]
    assert (await kim.call("audio:unmute"))["error"]["code"] == "audio_held"


async def test_waiting_room_admit_and_deny_across_processes(
    pair: tuple[ServerProcess, ServerProcess], seat: Seat, clients: Any
) -> None:
    a, b = pair
    fay, _ = await seat(a, "Fay", Role.FACILITATOR)
    await fay.call("moderation:controls", {"waiting_room": True})
    ann = await clients(b.url, {"token": token("Ann")})
    bo = await clients(b.url, {"name": "Bo"})
    ann_id = (await ann.call("room:join", {"room": ROOM}))["you"]
    assert (await bo.call("room:join", {"room": ROOM}))["waiting"]["position"] == 2
    queue = await fay.wait_for("waiting:queue", lambda d: len(d["waiting"]) == 2)
    assert [w["name"] for w in queue["waiting"]] == ["Ann", "Bo"]
    await fay.call("chat:send", {"text": "for the people inside"})
    assert (await fay.call("moderation:admit", {"target": ann_id}))["ok"]
    await ann.wait_for("waiting:admitted")
    assert "snapshot" in await ann.join(ROOM)
    await fay.wait_for("participant:joined", lambda d: d["participant"]["id"] == ann_id)
    await bo.wait_for("waiting:position", lambda d: d["position"] == 1)
    assert (await fay.call("moderation:deny", {"all": True}))["ok"]
    await bo.wait_for("waiting:denied")
    assert not bo.events("chat:message")
    assert not ann.events("chat:message")


async def test_reports_reach_only_facilitators_across_processes(
    pair: tuple[ServerProcess, ServerProcess], seat: Seat
) -> None:
    a, b = pair
    fay, _ = await seat(a, "Fay", Role.FACILITATOR)
    sam, sam_id = await seat(b, "Sam")
    kim, _ = await seat(b, "Kim")
    ack = await kim.call("report:send", {"participant": sam_id, "reason": "making threats"})
    assert ack == {"ok": True, "delivered": 1}
    report = await fay.wait_for("report:received")
    assert report["participant"]["name"] == "Sam"
    await after_everything_sent(kim, sam, kim)
    assert not sam.events("report:received")
    assert not kim.events("report:received")


async def test_every_refusal_across_processes_changes_nothing(
    pair: tuple[ServerProcess, ServerProcess], seat: Seat, clients: Any
) -> None:
    a, b = pair
    fay, _ = await seat(a, "Fay", Role.FACILITATOR)
    sam, _ = await seat(b, "Sam")
    kim, kim_id = await seat(b, "Kim")
    before = (await fay.call("room:snapshot"))["snapshot"]
    for event, payload in PARTICIPANT_ATTEMPTS:
        if isinstance(payload, dict) and "target" in payload:
            payload = {**payload, "target": kim_id}
        ack = await sam.call(event, payload)
        assert ack["error"]["code"] == "not_a_facilitator", (event, ack)
    elsewhere = await clients(b.url, {"token": token("Flo", Role.FACILITATOR)})
    assert (await elsewhere.call("moderation:mute", {"target": kim_id, "chat": True}))["error"][
        "code"
    ] == "not_in_room"
    for payload, code in [
        ({"target": "nobody-here", "chat": True}, "target_not_in_room"),
        ({"target": kim_id}, "invalid_payload"),
    ]:
        assert (await fay.call("moderation:mute", payload))["error"]["code"] == code
    assert (await fay.call("room:snapshot"))["snapshot"] == before
    assert (await fay.call("moderation:audit"))["entries"] == []
    assert (await kim.call("chat:send", {"text": "still free"}))["ok"]
