"""A facilitator's mute and hold belong to the person, across processes: two ``hearth
serve`` OS processes on one real Redis, the facilitator on A, the participant on B. The
participant leaves and joins again (on A and on B), and reconnects with the same token:
every time they come back muted, everyone sees it, and only an unmute lifts it."""

from __future__ import annotations

from typing import Any

import pytest

from rooms.identity import Role
from tests.support import Client, ServerProcess, token

ROOM = "demo"


@pytest.fixture
def pair(redis_url: str, processes: Any) -> tuple[ServerProcess, ServerProcess]:
    return processes(redis_url, HEARTH_DEMO_ROOM=ROOM), processes(redis_url, HEARTH_DEMO_ROOM=ROOM)


def listed(ack: dict[str, Any], member_id: str) -> dict[str, Any]:
    """This member as the join ack's roster shows them."""
    (found,) = [p for p in ack["snapshot"]["participants"] if p["id"] == member_id]
    return found  # type: ignore[no-any-return]


async def back_in(
    fay: Client, sam: Client, sam_id: str, ways_seen: int
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Sam joins again: his join ack's roster entry, and the join the facilitator saw."""
    ack = await sam.join(ROOM)
    assert ack["you"] == sam_id
    joined = await fay.wait_for(
        "participant:joined",
        lambda e: e["participant"]["id"] == sam_id and e["seq"] > ways_seen,
    )
    return listed(ack, sam_id), joined["participant"]


async def comebacks(
    a: ServerProcess, b: ServerProcess, fay: Client, sam: Client, sam_id: str, clients: Any
) -> Any:
    """Sam leaves and joins again on B, on A, then drops his connection and reconnects
    with the same token on B; after each, the caller checks he is still muted."""
    seq = 0
    # room:leave then room:join on the same connection (process B).
    assert (await sam.call("room:leave"))["ok"]
    left = await fay.wait_for("participant:left", lambda e: e["participant"] == sam_id)
    seq = left["seq"]
    yield sam, await back_in(fay, sam, sam_id, seq)
    # room:leave on B, then room:join on a new connection to process A.
    assert (await sam.call("room:leave"))["ok"]
    seq = (await fay.wait_for("participant:left", lambda e: e["seq"] > seq))["seq"]
    on_a = await clients(a.url, {"token": token("Sam")})
    yield on_a, await back_in(fay, on_a, sam_id, seq)
    # The connection drops (no room:leave): the seat is away, not left; the same token
    # reconnects through B and takes it back, still muted.
    await on_a.close()
    away = await fay.wait_for("participant:away", lambda e: e["seq"] > seq)
    assert away["participant"] == sam_id
    on_b = await clients(b.url, {"token": token("Sam")})
    ack = await on_b.join(ROOM)
    assert ack["you"] == sam_id
    back = await fay.wait_for("participant:back", lambda e: e["seq"] > away["seq"])
    assert back["participant"] == sam_id
    # The facilitator's own roster (a snapshot) shows the seat as it is now.
    roster = await fay.call("room:snapshot")
    yield on_b, (listed(ack, sam_id), listed(roster, sam_id))


async def test_a_chat_mute_holds_across_leave_join_processes_and_reconnects(
    pair: tuple[ServerProcess, ServerProcess], clients: Any
) -> None:
    a, b = pair
    fay = await clients(a.url, {"token": token("Fay", Role.FACILITATOR)})
    await fay.join(ROOM)
    sam = await clients(b.url, {"token": token("Sam")})
    sam_id = (await sam.join(ROOM))["you"]
    assert (await fay.call("moderation:mute", {"target": sam_id, "chat": True}))["ok"]
    current = sam
    async for current, (roster, seen) in comebacks(a, b, fay, sam, sam_id, clients):
        assert roster["chat_muted"] is True
        assert seen["chat_muted"] is True
        refused = await current.call("chat:send", {"text": "I am back"})
        assert refused["error"]["code"] == "chat_muted"
    assert (await fay.call("moderation:unmute", {"target": sam_id, "chat": True}))["ok"]
    sent = await current.call("chat:send", {"text": "thank you"})
    assert sent["ok"], sent
    message = await fay.wait_for("chat:message", lambda e: e["message"]["text"] == "thank you")
    # Refused chat never reached anyone: the first message Fay got from Sam is this one.
    assert [e["message"]["text"] for e in fay.events("chat:message")] == ["thank you"]
    assert message["message"]["from"] == sam_id
    # Lifted for the identity too: leaving and joining again stays unmuted.
    assert (await current.call("room:leave"))["ok"]
    ack = await current.join(ROOM)
    assert listed(ack, sam_id)["chat_muted"] is False


async def test_an_audio_hold_holds_across_leave_join_processes_and_reconnects(
    pair: tuple[ServerProcess, ServerProcess], clients: Any
) -> None:
    a, b = pair
    fay = await clients(a.url, {"token": token("Fay", Role.FACILITATOR)})
    await fay.join(ROOM)
    sam = await clients(b.url, {"token": token("Sam")})
    sam_id = (await sam.join(ROOM))["you"]
    assert (await fay.call("moderation:mute", {"target": sam_id, "audio": True}))["ok"]
    current = sam
    async for current, (roster, seen) in comebacks(a, b, fay, sam, sam_id, clients):
        assert roster["audio_muted"] is True
        assert roster["audio"]["held"] is True
        assert seen["audio"]["held"] is True
        refused = await current.call("audio:unmute")
        assert refused["error"]["code"] == "audio_held"
    assert (await fay.call("moderation:unmute", {"target": sam_id, "audio": True}))["ok"]
    await current.wait_for("audio:unmute-requested")
    accepted = await current.call("audio:unmute")
    assert accepted["ok"], accepted
    assert accepted["audio_muted"] is False
    assert (await current.call("room:leave"))["ok"]
    ack = await current.join(ROOM)
    assert listed(ack, sam_id)["audio"]["held"] is False
    assert listed(ack, sam_id)["audio_muted"] is False
