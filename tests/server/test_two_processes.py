"""Two `hearth serve` OS processes on one real Redis (and on a real Redis Cluster)
behave as one server."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from tests.conftest import ON_REDIS_AND_CLUSTER, Pair
from tests.support import silent, token

pytestmark = ON_REDIS_AND_CLUSTER


async def test_roster_chat_and_hands_are_shared(two_processes: Any, clients: Any) -> None:
    pair: Pair = await two_processes()
    ann, bo = pair.ann, pair.bo
    snap = (await bo.call("room:snapshot"))["snapshot"]
    assert {p["name"] for p in snap["participants"]} == {"Ann", "Bo"}
    joined = await ann.wait_for(
        "participant:joined", lambda d: d["participant"]["id"] == pair.bo_id
    )
    assert joined["participant"]["name"] == "Bo"

    sent = await bo.call("chat:send", {"text": "hello from B"})
    got = await ann.wait_for("chat:message")
    assert got["message"] == sent["message"]
    assert (await ann.call("chat:send", {"text": "hello from A"}))["ok"]
    await bo.wait_for("chat:message", lambda d: d["message"]["text"] == "hello from A")

    # Hands raised at both processes at once land in one order that everyone sees.
    cy = await clients(pair.a.url, {"token": token("Cy")})
    cy_id = (await cy.join("circle"))["you"]
    await asyncio.gather(bo.call("hand:raise"), cy.call("hand:raise"), ann.call("hand:raise"))
    final = (await pair.store.snapshot("circle")).hands
    assert sorted(final) == sorted([pair.ann_id, pair.bo_id, cy_id])
    for client in (ann, bo, cy):
        await client.wait_for("hand:queue", lambda d: tuple(d["hands"]) == final)
        snap = (await client.call("room:snapshot"))["snapshot"]
        assert tuple(snap["hands"]) == final


async def test_sequence_numbers_arrive_in_order_on_both_processes(two_processes: Any) -> None:
    pair: Pair = await two_processes(HEARTH_CHAT_LIMIT="100")
    start = (await pair.bo.call("room:snapshot"))["snapshot"]["seq"]
    burst = 20
    await asyncio.gather(
        *(
            c.call("chat:send", {"text": f"{n} {i}"})
            for i in range(burst)
            for n, c in (("ann", pair.ann), ("bo", pair.bo))
        )
    )
    last = start + 2 * burst
    for client in (pair.ann, pair.bo):
        await client.wait_for("chat:message", lambda d, last=last: d["seq"] == last)
        seqs = [d["seq"] for d in client.events("chat:message")]
        assert seqs == list(range(start + 1, last + 1))


async def test_a_killed_process_s_people_are_away_within_10_seconds_then_leave(
    two_processes: Any,
) -> None:
    pair: Pair = await two_processes(HEARTH_AWAY_GRACE_MS="2000")
    await pair.bo.call("hand:raise")
    pair.b.kill()
    killed_at = time.monotonic()
    away = await pair.ann.wait_for("participant:away", within=12)
    assert time.monotonic() - killed_at < 10
    assert away["participant"] == pair.bo_id
    snap = (await pair.ann.call("room:snapshot"))["snapshot"]
    assert snap["hands"] == [pair.bo_id]  # away keeps the hand place
    left = await pair.ann.wait_for("participant:left", within=8)
    assert left["participant"] == pair.bo_id
    assert left["reason"] == "disconnected"
    assert left["seq"] > away["seq"]
    await pair.ann.wait_for("hand:queue", lambda d: d["hands"] == [])
    snap = (await pair.ann.call("room:snapshot"))["snapshot"]
    assert [p["name"] for p in snap["participants"]] == ["Ann"]
    assert await silent(pair.store) == []


async def test_a_stopped_process_keeps_seats_then_they_are_away_then_they_leave(
    two_processes: Any,
) -> None:
    """SIGTERM keeps the seats while people move to another process and take them back
    (``test_drain.py``); whoever never comes back is marked away one heartbeat TTL after
    the process exits, and leaves once the away grace has passed."""
    pair: Pair = await two_processes(HEARTH_DRAIN_TIMEOUT_MS="1000", HEARTH_AWAY_GRACE_MS="1000")
    assert pair.b.proc is not None
    stopped_at = time.monotonic()
    pair.b.proc.terminate()  # SIGTERM: a deploy or a scale-down
    await pair.bo.wait_for("server:draining")
    for _ in range(100):
        if not pair.bo.sio.connected:
            break
        await asyncio.sleep(0.05)
    assert not pair.bo.sio.connected  # closed at the drain timeout, free to reconnect
    away = await pair.ann.wait_for("participant:away", within=15)
    # Not before the drain timeout and the TTL (6 s): time for Bo to come back elsewhere.
    assert 6 < time.monotonic() - stopped_at < 14
    assert away["participant"] == pair.bo_id
    left = await pair.ann.wait_for("participant:left", within=10)
    assert left["participant"] == pair.bo_id
    assert left["reason"] == "disconnected"
