"""Crisis alert latency: a participant on process B asks for support, the facilitator on
process A is alerted.

Two ``hearth serve`` processes share one real redis-server on loopback. For each round the
participant (on B) sends ``support:request``; we time, from the moment it is sent:

- **alerted**: the facilitator's client on A receives ``support:requested``;
- **seen**: after the facilitator acknowledges at once, the participant's client on B
  receives ``support:seen``.

Prints p50/p99 of both, in ms; the target is an alert within 1 s.

    .venv/bin/python bench/support.py [--rounds 300]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.moderation import across_two_processes, connect, report
from rooms.identity import Role
from tests.support import ServerProcess, token

ROOM = "bench"


async def measure(a: ServerProcess, b: ServerProcess, rounds: int) -> dict[str, list[float]]:
    fay = await connect(a.url, {"token": token("Fay", Role.FACILITATOR)})
    sam = await connect(b.url, {"token": token("Sam")})
    assert (await fay.call("room:join", {"room": ROOM}))["ok"]
    sam_id = (await sam.call("room:join", {"room": ROOM}))["you"]
    alerts: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    seen: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    fay.on("support:requested", alerts.put_nowait)
    fay.on("support:seen", lambda _: None)
    sam.on("support:seen", seen.put_nowait)
    alerted: list[float] = []
    acknowledged: list[float] = []
    for _ in range(rounds):
        started = time.perf_counter()
        asking = asyncio.create_task(sam.call("support:request", {}))
        await asyncio.wait_for(alerts.get(), 5)
        alerted.append((time.perf_counter() - started) * 1000)
        assert (await fay.call("support:acknowledge", {"target": sam_id}))["ok"]
        await asyncio.wait_for(seen.get(), 5)
        acknowledged.append((time.perf_counter() - started) * 1000)
        assert (await asking)["reached"] == 1
    await fay.disconnect()
    await sam.disconnect()
    return {"alerted": alerted, "seen": acknowledged}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=300)
    args = parser.parse_args()
    # One request per round: lift the report limit (requests count against it).
    env = {"HEARTH_DEMO_ROOM": ROOM, "HEARTH_REPORT_LIMIT": "1000000"}
    results = across_two_processes(env, measure, args.rounds)
    title = f"crisis alert latency, {args.rounds} requests, participant on B, facilitator on A (ms)"
    report(title, results, "alerted", 1000)


if __name__ == "__main__":
    main()
