"""Moderation latency: a facilitator on process A mutes a participant on process B.

Two ``hearth serve`` processes share one real redis-server on loopback. For each round
the facilitator (on A) mutes the participant's chat; we time, from the moment the mute is
sent:

- **announced**: the participant's client on B receives ``participant:mutes``;
- **enforced**: a chat the participant sends right then is refused (``chat_muted``).

Then the facilitator unmutes and the next round starts. Prints p50/p99 of both, in ms.

    .venv/bin/python bench/moderation.py [--rounds 300]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import socketio

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rooms.identity import Role
from tests.support import RedisServer, ServerProcess, token

ROOM = "bench"


async def connect(url: str, auth: dict[str, Any]) -> socketio.AsyncClient:
    client = socketio.AsyncClient(reconnection=False)
    await client.connect(url, auth=auth, transports=["websocket"], wait_timeout=5)
    return client


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def measure(a: ServerProcess, b: ServerProcess, rounds: int) -> dict[str, list[float]]:
    fay = await connect(a.url, {"token": token("Fay", Role.FACILITATOR)})
    sam = await connect(b.url, {"token": token("Sam")})
    assert (await fay.call("room:join", {"room": ROOM}))["ok"]
    sam_id = (await sam.call("room:join", {"room": ROOM}))["you"]
    mutes: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    sam.on("participant:mutes", mutes.put_nowait)
    announced: list[float] = []
    enforced: list[float] = []
    for _ in range(rounds):
        started = time.perf_counter()
        muting = asyncio.create_task(fay.call("moderation:mute", {"target": sam_id, "chat": True}))
        await asyncio.wait_for(mutes.get(), 5)
        announced.append((time.perf_counter() - started) * 1000)
        ack = await sam.call("chat:send", {"text": "are you there?"})
        assert ack["error"]["code"] == "chat_muted", ack
        enforced.append((time.perf_counter() - started) * 1000)
        assert (await muting)["ok"]
        assert (await fay.call("moderation:unmute", {"target": sam_id, "chat": True}))["ok"]
        await asyncio.wait_for(mutes.get(), 5)
    await fay.disconnect()
    await sam.disconnect()
    return {"announced": announced, "enforced": enforced}


Measure = Callable[[ServerProcess, ServerProcess, int], Awaitable[dict[str, list[float]]]]


def across_two_processes(
    env: dict[str, str], measure: Measure, rounds: int
) -> dict[str, list[float]]:
    """``measure`` against two ``hearth serve`` processes on one fresh redis-server."""
    redis = RedisServer()
    a = ServerProcess(redis.url, env).start()
    b = ServerProcess(redis.url, env).start()
    try:
        return asyncio.run(measure(a, b, rounds))
    finally:
        a.stop()
        b.stop()
        redis.stop()


def report(title: str, results: dict[str, list[float]], judged: str, target_ms: int) -> None:
    """p50/p99/max of each series, and whether ``judged``'s p99 met the target."""
    print(title)
    for name, values in results.items():
        p50, p99 = statistics.median(values), percentile(values, 0.99)
        print(f"  {name:<10} p50 {p50:6.2f}   p99 {p99:6.2f}   max {max(values):6.2f}")
    worst = percentile(results[judged], 0.99)
    print(f"target p99 < {target_ms} ms: {'met' if worst < target_ms else 'NOT met'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=300)
    args = parser.parse_args()
    # The participant chats once per round: lift the chat rate limit for the measurement.
    env = {"HEARTH_DEMO_ROOM": ROOM, "HEARTH_CHAT_LIMIT": "1000000"}
    results = across_two_processes(env, measure, args.rounds)
    title = f"moderation latency, {args.rounds} mutes, facilitator on A, participant on B (ms)"
    report(title, results, "enforced", 100)


if __name__ == "__main__":
    main()
