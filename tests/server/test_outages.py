"""Redis out of reach: no ghost stays in a roster, live processes do not reap each other, and
a change answers within its time budget however many Redis calls it needed.

Two or three real ``hearth serve`` processes on a redis-server of the test's own, which
the test stops (SIGSTOP) and resumes (SIGCONT) as a stalled or restarting Redis would.
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from redis.asyncio import Redis

from rooms import primitives
from rooms.change import Change
from rooms.identity import Identity, Role
from rooms.ports import Rule
from rooms.room import RoomInfo
from rooms.state import Connection, RoomState
from server.app import CHANNEL, frame_event
from server.stores.redis import RedisStore
from tests.support import Client, RedisServer, token

QUICK_TIMEOUT = {"HEARTH_REDIS_TIMEOUT_MS": "300"}
FAST_PRESENCE = {**QUICK_TIMEOUT, "HEARTH_HEARTBEAT_MS": "300", "HEARTH_PROCESS_TTL_MS": "1000"}


@pytest.fixture
async def store(own_redis: RedisServer) -> AsyncIterator[RedisStore]:
    """The store the processes share, with 'circle' open."""
    shared = RedisStore(
        Redis.from_url(own_redis.url),
        prefix="hearth:",
        channel=f"hearth:{CHANNEL}",
        frame=frame_event,
    )
    await shared.open_room(RoomInfo("circle", "Tuesday circle"))
    yield shared
    await shared.close()


async def seated(clients: Any, url: str, name: str) -> tuple[Client, str]:
    client = await clients(url, {"token": token(name)})
    return client, (await client.join("circle"))["you"]


async def stalled(redis: RedisServer, seconds: float) -> None:
    """Redis stops answering for ``seconds`` (its connections stay open), then resumes."""
    redis.proc.send_signal(signal.SIGSTOP)
    try:
        await asyncio.sleep(seconds)
    finally:
        redis.proc.send_signal(signal.SIGCONT)


async def test_a_seat_freed_while_redis_stalls_leaves_the_roster_once_it_answers(
    own_redis: RedisServer, store: RedisStore, processes: Any, clients: Any
) -> None:
    """Ann's connection closes while Redis is stopped, long enough for her process's
    attempt to mark her seat away to fail: once Redis answers, the release is retried and
    lands; Bo, on the other process, sees her away, then leave after the grace."""
    # A grace longer than the stall: the away mark lands while it still holds.
    quick = {**QUICK_TIMEOUT, "HEARTH_AWAY_GRACE_MS": "4000"}
    a, b = processes(own_redis.url, **quick), processes(own_redis.url, **quick)
    ann, ann_id = await seated(clients, a.url, "Ann")
    bo, _ = await seated(clients, b.url, "Bo")
    own_redis.proc.send_signal(signal.SIGSTOP)
    try:
        await ann.close()
        # Two timed-out attempts (300 ms each, redis-py retries once) and then some.
        await asyncio.sleep(1.5)
    finally:
        own_redis.proc.send_signal(signal.SIGCONT)
    await bo.wait_for("participant:away", lambda d: d["participant"] == ann_id, within=8)
    left = await bo.wait_for("participant:left", lambda d: d["participant"] == ann_id, within=12)
    assert left["reason"] == "disconnected"
    assert [m.display_name for m in (await store.snapshot("circle")).members] == ["Bo"]
    assert (await bo.call("chat:send", {"text": "still here"}))["ok"]


async def test_a_redis_outage_longer_than_the_ttl_frees_only_the_dead_processes_seats(
    own_redis: RedisServer, store: RedisStore, processes: Any, clients: Any
) -> None:
    """Redis stops for longer than the process TTL, so every heartbeat has expired when
    it resumes, and process C is killed meanwhile. Nobody on the live processes A and B
    loses a seat (the watcher sees a later chat from each and no other leave), while
    C's member is still reaped."""
    # B beats less often than A: after the outage A is back first, as one process
    # always is, and B's heartbeat is still gone when A first looks at the roll.
    fast = {**FAST_PRESENCE, "HEARTH_AWAY_GRACE_MS": "1000"}
    a, c = processes(own_redis.url, **fast), processes(own_redis.url, **fast)
    b = processes(own_redis.url, **{**fast, "HEARTH_HEARTBEAT_MS": "500"})
    wes, _ = await seated(clients, a.url, "Wes")
    ann, ann_id = await seated(clients, a.url, "Ann")
    bo, bo_id = await seated(clients, b.url, "Bo")
    _, cy_id = await seated(clients, c.url, "Cy")
    await wes.wait_for("participant:joined", lambda d: d["participant"]["id"] == cy_id)
    before = len(wes.received)
    own_redis.proc.send_signal(signal.SIGSTOP)
    try:
        c.kill()
        await asyncio.sleep(6)  # 6 TTLs: every key expires, and old backoffs grow long
    finally:
        own_redis.proc.send_signal(signal.SIGCONT)
    left = await wes.wait_for("participant:left", lambda d: d["participant"] == cy_id, within=12)
    assert left["reason"] == "disconnected"  # away first, then gone after the grace
    # Commands sent during the stall run when Redis resumes, so a live process's
    # heartbeat may come back for one TTL even if the process itself then sleeps: a
    # wrong reap would come within a few TTLs of the outage, so let them pass first.
    await asyncio.sleep(3)
    for speaker, text in ((ann, "Ann after"), (bo, "Bo after")):
        ack = await speaker.call("chat:send", {"text": text})
        assert ack["ok"], ack
        await wes.wait_for("chat:message", lambda d, t=text: d["message"]["text"] == t)
    since = wes.received[before:]
    assert [d["participant"] for e, d in since if e == "participant:left"] == [cy_id]
    assert [d["participant"] for e, d in since if e == "participant:away"] == [cy_id]
    assert [e for e, _ in since if e == "participant:joined"] == []  # nobody seated again
    assert {ann_id, bo_id} <= {m.member_id for m in (await store.snapshot("circle")).members}
    names = {m.display_name for m in (await store.snapshot("circle")).members}
    assert names == {"Wes", "Ann", "Bo"}


async def _answer_time(client: Client, event: str, payload: dict[str, Any]) -> tuple[Any, float]:
    started = time.monotonic()
    ack = await client.call(event, payload)
    return ack, time.monotonic() - started


async def test_a_change_that_must_read_the_room_answers_within_the_budget_in_a_stall(
    own_redis: RedisServer, store: RedisStore, processes: Any, clients: Any
) -> None:
    """Fay's process last saw the room before Bo joined through the other one, so her mute
    of Bo is refused on what it remembers and needs a read of the room before any commit;
    it also waits for the room behind her chat, whose commit meets the stall first. Each
    answers within the one budget, lock, read, commit and learning together (each once
    had its own: the mute came after about two budgets), and the mute, refused as not
    done, is never applied once Redis answers again."""
    budget_s = 0.5
    env = {"HEARTH_REDIS_TIMEOUT_MS": str(int(budget_s * 1000))}
    a, b = processes(own_redis.url, **env), processes(own_redis.url, **env)
    fay = await clients(a.url, {"token": token("Fay", Role.FACILITATOR)})
    await fay.join("circle")
    bo, bo_id = await seated(clients, b.url, "Bo")
    await fay.wait_for("participant:joined", lambda d: d["participant"]["id"] == bo_id)
    own_redis.proc.send_signal(signal.SIGSTOP)
    try:
        (chat, chat_s), (mute, mute_s) = await asyncio.gather(
            _answer_time(fay, "chat:send", {"text": "during", "op": "stalled-chat-0001"}),
            _answer_time(
                fay,
                "moderation:mute",
                {"target": bo_id, "chat": True, "op": "stalled-mute-0001"},
            ),
        )
    finally:
        own_redis.proc.send_signal(signal.SIGCONT)
    assert chat["ok"] is False
    assert chat["error"]["code"] in {"unavailable", "unconfirmed"}, chat
    assert mute["ok"] is False
    assert mute["error"]["code"] == "unavailable", mute
    slack_s = 0.25  # two processes' scheduling on a busy machine, not another budget
    assert chat_s < budget_s + slack_s, chat_s
    assert mute_s < budget_s + slack_s, mute_s

    after = await fay.call("chat:send", {"text": "after"})
    assert after["ok"], after
    await bo.wait_for("chat:message", lambda d: d["message"]["text"] == "after")
    assert bo.events("participant:mutes") == []  # refused as not done: never applied
    (bo_seat,) = [m for m in (await store.snapshot("circle")).members if m.member_id == bo_id]
    assert not bo_seat.chat_muted
    if chat["error"]["code"] == "unavailable":
        assert "during" not in [d["message"]["text"] for d in bo.events("chat:message")]


async def test_a_queue_redis_answers_is_not_refused_for_its_length(redis_url: str) -> None:
    """Thirty changes to one room at once, each rule taking 25 ms of this process's time,
    queue for far longer than a 300 ms budget: Redis answers every call, so every one is
    applied (the wait was this process's load, not Redis's) and none is `unavailable`."""
    quick = RedisStore(
        Redis.from_url(redis_url),
        prefix="hearth:",
        channel=f"hearth:{CHANNEL}",
        frame=frame_event,
        timeout_ms=300,
    )
    await quick.open_room(RoomInfo("circle", "Tuesday circle", capacity=50))

    def slow_join(n: int) -> Rule:
        who = Identity(f"sub-{n}", f"P{n}", Role.PARTICIPANT, frozenset({"*"}))

        def rule(state: RoomState, room: RoomInfo) -> Change:
            time.sleep(0.025)  # the rule's own CPU, as a loaded process spends it
            return primitives.join(state, room, who, f"id-{n}", Connection("p", f"s{n}"), 0)

        return rule

    try:
        started = time.monotonic()
        await asyncio.gather(*(quick.apply("circle", slow_join(n)) for n in range(30)))
        assert time.monotonic() - started > 0.3  # the queue outlasted one budget
        assert len((await quick.snapshot("circle")).members) == 30
    finally:
        await quick.close()
