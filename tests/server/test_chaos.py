"""Chaos during chat: a server process killed, Redis crashed and restarted from its AOF.

Real ``hearth serve`` processes on a real redis-server, real Socket.IO clients sending a
stream of chats from both processes while the test breaks something. Each scenario checks
the invariant (``tests.server.chaos``), not just "no crash": every acked chat is
delivered exactly once, in one order, to every client present, and nothing refused as not
done (``unavailable``) is ever delivered. SIGTERM during chat is in ``test_drain``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.server.chaos import (
    FAST_PRESENCE,
    Ledger,
    Person,
    assert_invariant,
    both_listening,
    everyone_has,
    open_room,
    seat_people,
    settle,
    stream_chats,
)
from tests.support import RedisServer


@pytest.fixture
async def aof_redis() -> AsyncIterator[RedisServer]:
    server = RedisServer(aof=True)
    yield server
    server.stop()


async def test_kill_9_of_one_process_during_chat_loses_and_repeats_no_acked_chat(
    redis_url: str, processes: Any, people: list[Person]
) -> None:
    """Ann and Cy on A, Bo and Di on B; Ann and Bo send chats, and B is killed (-9)
    midway. Bo and Di reconnect to A with ``since``, Bo sends his unknown sends again
    and carries on: all four end with the same gap-free sequence of acked chats."""
    await open_room(redis_url)
    a, b = processes(redis_url, **FAST_PRESENCE), processes(redis_url, **FAST_PRESENCE)
    start = await seat_people(people, [("Ann", a.url), ("Cy", a.url), ("Bo", b.url), ("Di", b.url)])
    ann, _, bo, di = people
    ledger = Ledger()

    async def kill_midway() -> None:
        await asyncio.sleep(0.4)
        b.kill()

    await asyncio.gather(
        stream_chats(ann.client, ledger, "ann", 40),
        stream_chats(bo.client, ledger, "bo", 40),
        kill_midway(),
    )
    assert not bo.client.sio.connected
    assert not di.client.sio.connected
    await bo.resume(a.url)
    await di.resume(a.url)
    await settle(ledger, {"ann": ann.client, "bo": bo.client})
    await stream_chats(bo.client, ledger, "bo-after", 5)
    await everyone_has(people, ann.client, ledger)

    assert not ledger.refused, ledger.refused  # Redis never went away
    assert any(text.startswith("bo ") for text in ledger.acked), "B's stream ran"
    assert any(text.startswith("bo-after") for text in ledger.acked)
    assert_invariant(people, ledger, start)


async def test_a_redis_crash_and_restart_from_aof_during_chat_keeps_every_acked_chat(
    aof_redis: RedisServer, processes: Any, people: list[Person]
) -> None:
    """Redis (AOF, fsync always) is killed (-9) while Ann on A and Bo on B send chats,
    and starts again from its AOF on the same port. Every acked chat survives and reaches
    all four people exactly once; nothing refused ``unavailable`` ever arrives."""
    await open_room(aof_redis.url)
    a = processes(aof_redis.url, **FAST_PRESENCE)
    b = processes(aof_redis.url, **FAST_PRESENCE)
    start = await seat_people(people, [("Ann", a.url), ("Cy", a.url), ("Bo", b.url), ("Di", b.url)])
    ann, _, bo, _ = people
    ledger = Ledger()

    async def crash_and_restart() -> None:
        await asyncio.sleep(0.4)
        aof_redis.crash()
        await asyncio.sleep(1.0)
        aof_redis.restart()

    await asyncio.gather(
        stream_chats(ann.client, ledger, "ann", 40),
        stream_chats(bo.client, ledger, "bo", 40),
        crash_and_restart(),
    )
    await settle(ledger, {"ann": ann.client, "bo": bo.client})
    # Known gap (reported, not fixed here): an event committed while a process's pub/sub
    # listener is still resubscribing reaches its clients only with the room's *next*
    # event (the catch-up runs on a seq jump), so the last chat could wait for ever in a
    # quiet room. The closing chat is therefore sent once both listeners are back.
    await both_listening(aof_redis.url)
    await everyone_has(people, bo.client, ledger)

    for person in people:
        assert person.client.sio.connected, person.name
        assert not person.client.events("room:reset"), "the AOF kept the room"
        assert not person.client.events("room:rewound"), "nothing went back"
    assert ledger.disturbed, "some sends met the crash"  # or the test proved nothing
    snapshot = (await ann.client.call("room:snapshot"))["snapshot"]
    kept = {m["text"] for m in snapshot["chat"]}
    assert set(ledger.acked) - kept == set(), "an acked chat did not survive the restart"
    assert_invariant(people, ledger, start)
