"""A deploy is invisible: a ``hearth serve`` process told to stop (SIGTERM) tells its
clients to move, refuses new handshakes with 503, keeps their seats for the other process
to take over by identity (hand place, mute and all, with no leave and no join), and exits
once they have gone or its drain timeout has passed. Two real processes on one real
Redis; the test plays the load balancer by connecting the moved clients to B. With chat
flowing, the chaos tests' invariant holds (``tests.server.chaos``)."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import aiohttp
import pytest

from rooms.identity import Role
from tests.server.chaos import (
    FAST_PRESENCE,
    Ledger,
    Person,
    assert_invariant,
    everyone_has,
    open_room,
    seat_people,
    send_chat,
    settle,
    stream_chats,
)
from tests.support import Client, ServerProcess, after_everything_sent, gone, token

ROOM = "demo"


@pytest.fixture
def start(redis_url: str, processes: Any) -> Any:
    def two(**env: str) -> tuple[ServerProcess, ServerProcess]:
        return (
            processes(redis_url, HEARTH_DEMO_ROOM=ROOM, **env),
            processes(redis_url, HEARTH_DEMO_ROOM=ROOM, **env),
        )

    return two


def entry(ack: dict[str, Any], member_id: str) -> dict[str, Any]:
    (found,) = [p for p in ack["snapshot"]["participants"] if p["id"] == member_id]
    return found  # type: ignore[no-any-return]


async def exited(process: ServerProcess, within: float) -> int:
    assert process.proc is not None
    return await asyncio.to_thread(process.proc.wait, within)


async def refused_while_draining(url: str) -> None:
    """A new Engine.IO handshake and the health check both get 503 with Retry-After."""
    async with aiohttp.ClientSession() as session:
        for path in ("/socket.io/?EIO=4&transport=polling", "/healthz"):
            async with session.get(f"{url}{path}") as response:
                assert response.status == 503, path
                assert int(response.headers["Retry-After"]) >= 1
                body = await response.json()
                assert body["error"]["code"] == "draining"


async def test_a_draining_process_hands_its_people_over_with_seat_hand_and_mute(
    start: Any, clients: Any
) -> None:
    a, b = start(HEARTH_DRAIN_TIMEOUT_MS="20000")
    fay = await clients(b.url, {"token": token("Fay", Role.FACILITATOR)})
    await fay.join(ROOM)
    bo = await clients(b.url, {"token": token("Bo")})
    bo_id = (await bo.join(ROOM))["you"]
    ann = await clients(a.url, {"token": token("Ann")})
    ann_id = (await ann.join(ROOM))["you"]
    cy = await clients(a.url, {"token": token("Cy")})
    cy_id = (await cy.join(ROOM))["you"]
    for client in (ann, bo, cy):
        assert (await client.call("hand:raise"))["ok"]
    assert (await fay.call("moderation:mute", {"target": ann_id, "chat": True}))["ok"]
    hands = [ann_id, bo_id, cy_id]
    await after_everything_sent(fay, fay, ann, cy)
    seen_before = len(fay.received)

    assert a.proc is not None
    stopped_at = time.monotonic()
    a.proc.terminate()  # SIGTERM: a deploy
    for client in (ann, cy):
        notice = await client.wait_for("server:draining")
        assert notice["reason"] == "restarting"
        assert notice["retry_after_ms"] > 0
        assert notice["message"]
    await refused_while_draining(a.url)

    # Ann connects elsewhere first, then her join takes the seat over (make before break).
    ann_b = await clients(b.url, {"token": token("Ann")})
    moved = await ann_b.join(ROOM)
    assert moved["you"] == ann_id
    assert moved["snapshot"]["hands"] == hands
    assert entry(moved, ann_id)["chat_muted"] is True
    assert (await ann_b.call("chat:send", {"text": "muted"}))["error"]["code"] == "chat_muted"
    await gone(ann)  # her old connection is closed by the takeover
    # Cy lets go of A first, then connects through B (break before make).
    await cy.close()
    cy_b = await clients(b.url, {"token": token("Cy")})
    assert (await cy_b.join(ROOM))["snapshot"]["hands"] == hands

    # A's connections are gone: it exits at once, long before its drain timeout.
    assert await exited(a, within=10) == 0
    assert time.monotonic() - stopped_at < 10

    # The room saw no leave and no join: only the later chat reached Fay after the stop.
    await after_everything_sent(bo, fay, ann_b, cy_b)
    after = [name for name, _ in fay.received[seen_before:]]
    assert after == ["chat:message"], after
    for client in (fay, ann_b, cy_b):
        snap = (await client.call("room:snapshot"))["snapshot"]
        assert sorted(p["name"] for p in snap["participants"]) == ["Ann", "Bo", "Cy", "Fay"]
        assert snap["hands"] == hands
    # Refused while muted, so never delivered.
    assert not [e for e in fay.events("chat:message") if e["message"]["text"] == "muted"]


async def test_a_client_that_does_not_move_is_closed_at_the_drain_timeout_and_keeps_its_seat(
    start: Any, clients: Any
) -> None:
    a, b = start(HEARTH_DRAIN_TIMEOUT_MS="1500")
    fay = await clients(b.url, {"token": token("Fay", Role.FACILITATOR)})
    await fay.join(ROOM)
    sam = await clients(a.url, {"token": token("Sam")})
    sam_id = (await sam.join(ROOM))["you"]
    assert (await sam.call("hand:raise"))["ok"]
    await fay.wait_for("hand:queue", lambda e: e["hands"] == [sam_id])
    seen_before = len(fay.received)

    assert a.proc is not None
    stopped_at = time.monotonic()
    a.proc.terminate()
    await sam.wait_for("server:draining")
    # Sam ignores the notice: A closes his transport once its drain timeout passes, then exits.
    await gone(sam)
    assert await exited(a, within=10) == 0
    assert 1.4 < time.monotonic() - stopped_at < 1.5 + 5

    back = await Client(b.url, {"token": token("Sam")}).connect()
    try:
        ack = await back.join(ROOM)
        assert ack["you"] == sam_id
        assert ack["snapshot"]["hands"] == [sam_id]
        await after_everything_sent(fay, fay, back)
        after = [name for name, _ in fay.received[seen_before:]]
        assert after == ["chat:message"], after  # no leave, no join
    finally:
        await back.close()


async def test_sigterm_of_one_process_during_chat_loses_and_repeats_no_acked_chat(
    redis_url: str, processes: Any, people: list[Person]
) -> None:
    """Ann and Cy on A, Bo and Di on B; Ann and Bo send chats with op ids, and A is told to
    stop (SIGTERM) midway. Told ``server:draining``, Ann lets go of A, resumes through B
    (break before make), sends her unknown sends again and carries on; Cy joins through B
    first, taking her seat over (make before break). A exits once they have gone. All four
    end with the same gap-free sequence: every acked chat at its acked seq, once, nothing
    refused, and no leave, join or away among the room's events."""
    await open_room(redis_url)
    env = {**FAST_PRESENCE, "HEARTH_DRAIN_TIMEOUT_MS": "20000"}
    a, b = processes(redis_url, **env), processes(redis_url, **env)
    start = await seat_people(people, [("Ann", a.url), ("Cy", a.url), ("Bo", b.url), ("Di", b.url)])
    ann, cy, bo, _ = people
    ann_on_a, cy_on_a = ann.client, cy.client
    ledger = Ledger()
    moved_at: list[int] = []  # the first of Ann's chats sent through B

    async def ann_sends_and_moves_when_told(count: int) -> None:
        for i in range(count):
            if ann.client is ann_on_a and ann_on_a.events("server:draining"):
                await ann_on_a.close()
                await ann.resume(b.url)
                await settle(ledger, {"ann": ann.client})
                moved_at.append(i)
            await send_chat(ann.client, ledger, f"ann {i}", f"ann-{i}-{uuid.uuid4().hex}")
            await asyncio.sleep(0.03)

    async def terminate_midway() -> None:
        await asyncio.sleep(0.4)
        assert a.proc is not None
        a.proc.terminate()
        await cy_on_a.wait_for("server:draining")
        await cy.resume(b.url)
        await gone(cy_on_a)  # closed by the takeover

    try:
        await asyncio.gather(
            ann_sends_and_moves_when_told(40),
            stream_chats(bo.client, ledger, "bo", 40),
            terminate_midway(),
        )
        assert await exited(a, within=10) == 0
        await settle(ledger, {"ann": ann.client, "bo": bo.client})
        await everyone_has(people, bo.client, ledger)
    finally:
        await cy_on_a.close()

    (first_on_b,) = moved_at
    assert 0 < first_on_b < 40, "A was stopped while Ann was sending"
    assert {f"ann {first_on_b - 1}", f"ann {first_on_b}", "ann 39"} <= set(ledger.acked)
    assert not ledger.refused, ledger.refused  # Redis never went away
    for person in people:
        seen = {event for seq, event, _ in person.applied if seq > start}
        assert seen == {"chat:message"}, (person.name, seen)
    assert_invariant(people, ledger, start)
