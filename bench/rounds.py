"""Sharing-round timing: how late each share's warning and end arrive, with the process
that started the round killed.

Three ``hearth serve`` processes share one real redis-server on loopback. A facilitator
on A starts a hard-end round of ``--people`` participants (half on B, half on C), each
``--share`` seconds with the warning one second before the end, and A is killed with
SIGKILL at once. Every participant's client records each ``round:warning`` and
``round:time-up``; we report, over every client, how late each arrived after its due
instant on the server's clock (the warning point, ``ends_at``), p50/p99/max in ms, and
how many announcements arrived more than once (the rule says: none).

    .venv/bin/python -m bench.rounds [--people 10] [--share 2] [--tick-ms 200]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.moderation import connect, percentile
from rooms.identity import Role
from tests.support import RedisServer, ServerProcess, token

ROOM = "bench"


async def measure(processes: list[ServerProcess], people: int, share_s: int) -> dict[str, Any]:
    a, b, c = processes
    fay = await connect(a.url, {"token": token("Fay", Role.FACILITATOR)})
    assert (await fay.call("room:join", {"room": ROOM}))["ok"]
    assert (await fay.call("moderation:controls", {"round_hard_end": True}))["ok"]
    late: dict[str, list[float]] = {"warning": [], "time-up": []}
    seen: Counter[tuple[str, int, int]] = Counter()  # (kind, share, client)
    ended = asyncio.Event()
    clients = []
    ids = []
    for n in range(people):
        client = await connect((b if n % 2 else c).url, {"token": token(f"P{n}")})
        ids.append((await client.call("room:join", {"room": ROOM}))["you"])

        def record(kind: str, due: int, data: dict[str, Any], n: int = n) -> None:
            late[kind].append(time.time() * 1000 - due)
            seen[(kind, data["share"], n)] += 1

        client.on(
            "round:warning",
            lambda d, record=record: record("warning", d["ends_at"] - 1000, d),
        )
        client.on("round:time-up", lambda d, record=record: record("time-up", d["ends_at"], d))
        client.on("round:changed", lambda d: ended.set() if d["round"] is None else None)
        clients.append(client)
    ack = await fay.call(
        "round:start",
        {"order": "list", "members": ids, "share_seconds": share_s, "warn_seconds": 1},
    )
    assert ack["ok"], ack
    a.kill()
    await asyncio.wait_for(ended.wait(), people * share_s + 30)
    await asyncio.sleep(1)  # anything announced twice would have arrived by now
    for client in [*clients, fay]:  # fay's process is gone: her client just lets go
        await client.disconnect()
    return {"late": late, "repeats": sum(n - 1 for n in seen.values() if n > 1), "seen": seen}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=10)
    parser.add_argument("--share", type=int, default=2)
    parser.add_argument("--tick-ms", type=int, default=200)
    args = parser.parse_args()
    redis = RedisServer()
    env = {
        "HEARTH_DEMO_ROOM": ROOM,
        "HEARTH_ROUND_TICK_MS": str(args.tick_ms),
        "HEARTH_JOIN_ATTEMPTS_PER_ADDRESS": "1000",
    }
    processes = [ServerProcess(redis.url, env).start() for _ in range(3)]
    try:
        result = asyncio.run(measure(processes, args.people, args.share))
    finally:
        for process in processes:
            process.stop()
        redis.stop()
    for kind, values in result["late"].items():
        print(
            f"{kind}: {len(values)} received, late by p50 {percentile(values, 0.5):.0f} ms, "
            f"p99 {percentile(values, 0.99):.0f} ms, max {max(values):.0f} ms"
        )
    print(f"announced more than once: {result['repeats']}")


if __name__ == "__main__":
    main()
