"""Scale-out tax: what a process holding none of a room's people spends on the room.

Two ``hearth serve`` processes on one Redis: the *host* holds the room (a sender and N
listeners), the *other* holds nobody of it. Under steady chat, the other's CPU time
divided by the host's is the tax each added process pays for a room it does not serve
(the issue's baseline: 0.15 to 0.17, when every process decoded every room's events).
Each round also measures both processes idle for as long first, so the table shows the
ratio as measured and less the idle processes' own background (heartbeats, ticks).

With ``--before`` an older checkout runs too, alternating with this one round by round
on the same redis-server, so both see the same machine. Everything runs on 127.0.0.1,
and every process it starts is stopped before it returns.

    .venv/bin/python -m bench.scaleout [--before /path/to/an/older/checkout]
                                       [--n 50] [--rate 100] [--seconds 5] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from redis.asyncio import Redis

from bench.fanout import (
    DRAIN_S,
    Config,
    cpu_seconds,
    listeners,
    percentile,
    seated_sender,
    send_chats,
    servers,
)
from tests.support import ROOT, RedisServer


@dataclass(frozen=True, slots=True)
class Round:
    host_s: float  # CPU seconds under chat
    other_s: float
    idle_host_s: float  # CPU seconds over as long with no chat
    idle_other_s: float
    messages: int
    delivered: int
    expected: int
    p50_ms: float
    p99_ms: float

    @property
    def ratio(self) -> float:
        return self.other_s / self.host_s if self.host_s else 0.0

    @property
    def net_ratio(self) -> float:
        """The ratio of what chat added to each process's idle cost."""
        host = self.host_s - self.idle_host_s
        return max(0.0, self.other_s - self.idle_other_s) / host if host > 0 else 0.0


async def measure(root: Path, redis_url: str, args: argparse.Namespace) -> Round:
    config = Config("scale-out", hearth=True, processes=2, redis=True, root=root)
    logs: list[Path] = []
    try:
        with servers(config, redis_url, logs) as (urls, (host, other)):
            async with listeners(urls[:1], args.n, args.listener_processes, False) as crowd:
                sender = await seated_sender(urls[0])
                try:
                    await send_chats(sender, args.rate, max(1, int(args.rate)), "w")
                    await asyncio.sleep(1.0)
                    idle_before = cpu_seconds([host]), cpu_seconds([other])
                    await asyncio.sleep(args.seconds)
                    idle_host = cpu_seconds([host]) - idle_before[0]
                    idle_other = cpu_seconds([other]) - idle_before[1]
                    count = max(1, int(args.rate * args.seconds))
                    expected = count * args.n
                    warm = await crowd.count()
                    before = cpu_seconds([host]), cpu_seconds([other])
                    await send_chats(sender, args.rate, count, "m")
                    deadline = time.monotonic() + DRAIN_S
                    while time.monotonic() < deadline:
                        if await crowd.count() - warm >= expected:
                            break
                        await asyncio.sleep(0.1)
                    host_s = cpu_seconds([host]) - before[0]
                    other_s = cpu_seconds([other]) - before[1]
                    latencies, _ = await crowd.take()
                finally:
                    await sender.disconnect()
    finally:
        for log in logs:
            log.unlink()
    # The listeners report every latency, the warm-up's too: keep the timed ones.
    timed = sorted(latencies)[-expected:] if latencies else []
    return Round(
        host_s,
        other_s,
        idle_host,
        idle_other,
        count,
        len(latencies) - warm,
        expected,
        percentile(timed, 0.50) * 1000,
        percentile(timed, 0.99) * 1000,
    )


def _row(name: str, rounds: list[Round]) -> str:
    ratios = sorted(r.ratio for r in rounds)
    nets = sorted(r.net_ratio for r in rounds)
    other_us = statistics.median(r.other_s / r.messages * 1e6 for r in rounds)
    host_us = statistics.median(r.host_s / r.messages * 1e6 for r in rounds)
    idle_host = sum(r.idle_host_s for r in rounds)
    idle = f"{sum(r.idle_other_s for r in rounds) / idle_host:.2f}" if idle_host else "—"
    return (
        f"| {name} | {len(rounds)} | {statistics.median(ratios):.3f} "
        f"({ratios[0]:.3f} to {ratios[-1]:.3f}) | {statistics.median(nets):.3f} "
        f"({nets[0]:.3f} to {nets[-1]:.3f}) | {other_us:.0f} | {host_us:.0f} | {idle} "
        f"| {min(r.delivered for r in rounds)}/{rounds[0].expected} "
        f"| {statistics.median(r.p50_ms for r in rounds):.1f} "
        f"| {statistics.median(r.p99_ms for r in rounds):.1f} |"
    )


def table(results: dict[str, list[Round]]) -> str:
    lines = [
        "| tree | rounds | other ÷ host CPU: median (min to max) | less idle: median (min to max) "
        "| other µs CPU/message | host µs CPU/message | idle other ÷ idle host "
        "| delivered (worst round) | p50 ms | p99 ms |",
        "|---|---:|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    lines += [_row(name, rounds) for name, rounds in results.items() if rounds]
    return "\n".join(lines)


async def run(args: argparse.Namespace) -> dict[str, list[Round]]:
    trees = ([("before", args.before)] if args.before else []) + [("this tree", ROOT)]
    results: dict[str, list[Round]] = {name: [] for name, _ in trees}
    redis = RedisServer()
    try:
        for _ in range(args.rounds):
            for name, root in trees:
                flush = Redis.from_url(redis.url)
                await flush.flushall()
                await flush.aclose()
                done = await measure(root, redis.url, args)
                print(
                    f"{name}: other ÷ host {done.ratio:.3f} (less idle {done.net_ratio:.3f}), "
                    f"{done.delivered}/{done.expected} delivered",
                    file=sys.stderr,
                    flush=True,
                )
                results[name].append(done)
    finally:
        redis.stop()
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=50, help="listeners in the room, on the host")
    parser.add_argument("--rate", type=float, default=100.0, help="chat messages per second")
    parser.add_argument("--seconds", type=float, default=5.0, help="timed chat (and idle) time")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per tree, alternating")
    parser.add_argument("--listener-processes", type=int, default=2)
    parser.add_argument("--before", type=Path, help="an older Hearth checkout to run too")
    args = parser.parse_args(argv)
    print(table(asyncio.run(run(args))))


if __name__ == "__main__":
    main()
