"""Operation ids against real processes on a real Redis the test stalls: a chat sent
during a stall and sent again with the same op id lands exactly once, and a refusal
that says nothing changed is never followed by its delivery."""

from __future__ import annotations

import asyncio
import signal
import time
from typing import Any

from redis.asyncio import Redis

from rooms.identity import Role
from rooms.room import RoomInfo
from server.app import CHANNEL, frame_event
from server.stores.redis import RedisStore
from tests.support import Client, RedisServer, token

TIMEOUT_MS = 400
NOT_DONE = {"unavailable", "unconfirmed"}


async def _open(url: str) -> None:
    store = RedisStore(
        Redis.from_url(url), prefix="hearth:", channel=f"hearth:{CHANNEL}", frame=frame_event
    )
    await store.open_room(RoomInfo("circle", "Tuesday circle"))
    await store.close()


def _texts(client: Client) -> list[str]:
    return [m["message"]["text"] for m in client.events("chat:message")]


async def test_a_chat_sent_again_after_a_redis_stall_lands_exactly_once(
    own_redis: RedisServer, processes: Any, clients: Any
) -> None:
    await _open(own_redis.url)
    a = processes(own_redis.url, HEARTH_REDIS_TIMEOUT_MS=str(TIMEOUT_MS))
    b = processes(own_redis.url, HEARTH_REDIS_TIMEOUT_MS=str(TIMEOUT_MS))
    # A facilitator: no rate-limit count before the commit, so the stall meets the commit.
    fay = await clients(a.url, {"token": token("Fay", Role.FACILITATOR)})
    bo = await clients(b.url, {"token": token("Bo")})
    await fay.join("circle")
    await bo.join("circle")
    assert (await fay.call("chat:send", {"text": "before"}))["ok"]
    await bo.wait_for("chat:message", lambda m: m["message"]["text"] == "before")

    op = "retry-after-stall-0001"
    own_redis.proc.send_signal(signal.SIGSTOP)
    try:
        started = time.monotonic()
        kept, plain = await asyncio.gather(
            fay.call("chat:send", {"text": "during", "op": op}),
            fay.call("chat:send", {"text": "no op id"}),
        )
        took = time.monotonic() - started
    finally:
        own_redis.proc.send_signal(signal.SIGCONT)
    assert kept["ok"] is False
    assert kept["error"]["code"] in NOT_DONE, kept
    assert plain["ok"] is False
    assert plain["error"]["code"] in NOT_DONE, plain
    # Both within one budget: the second waited for the first (one writer per room), and
    # that wait on a stalled Redis is part of its budget, not before it.
    assert took < TIMEOUT_MS / 1000 + 0.3, took

    for _ in range(50):
        again = await fay.call("chat:send", {"text": "during", "op": op})
        if again["ok"] or again["error"]["code"] not in NOT_DONE:
            break
        await asyncio.sleep(0.1)
    assert again["ok"], again
    assert again["message"]["text"] == "during"
    repeat = await fay.call("chat:send", {"text": "during", "op": op})
    assert repeat == again  # the first answer, unchanged

    assert (await fay.call("chat:send", {"text": "after"}))["ok"]
    for client in (fay, bo):
        await client.wait_for("chat:message", lambda m: m["message"]["text"] == "after")
        texts = _texts(client)
        assert texts.count("during") == 1, texts
        if plain["error"]["code"] == "unavailable":
            assert "no op id" not in texts, texts  # refused as not done: never delivered
        seqs = [m["seq"] for m in client.events("chat:message")]
        assert seqs == sorted(set(seqs)), seqs
    # Both saw the same messages in the same order.
    assert _texts(fay) == _texts(bo)
    snapshot = (await fay.call("room:snapshot"))["snapshot"]
    assert [m["text"] for m in snapshot["chat"]] == _texts(fay)


async def test_an_op_id_is_checked_and_a_repeat_through_another_process_is_one_message(
    own_redis: RedisServer, processes: Any, clients: Any
) -> None:
    """The same person on two processes (a reconnect elsewhere) repeats an op id: one
    message. A malformed op id is refused and changes nothing."""
    await _open(own_redis.url)
    a, b = processes(own_redis.url), processes(own_redis.url)
    ann = await clients(a.url, {"token": token("Ann")})
    await ann.join("circle")
    bad = await ann.call("chat:send", {"text": "x", "op": "short"})
    assert bad["ok"] is False
    assert bad["error"]["code"] == "invalid_payload"
    op = "moved-process-op-0001"
    first = await ann.call("chat:send", {"text": "hello", "op": op})
    assert first["ok"], first
    await ann.close()
    back = await clients(b.url, {"token": token("Ann")})
    await back.join("circle")
    again = await back.call("chat:send", {"text": "hello", "op": op})
    assert again == first
    raised = await back.call("hand:raise", {"op": "hand-op-000000000001"})
    assert raised["ok"], raised
    chat = (await back.call("room:snapshot"))["snapshot"]["chat"]
    assert [m["text"] for m in chat] == ["hello"]
