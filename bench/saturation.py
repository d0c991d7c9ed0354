"""Saturation: the highest rate a room of 100 listeners sustains with p99 under 50 ms.

For each config of ``bench/fanout.py`` (Node socket.io 4 alone and with
@socket.io/redis-adapter on two processes, plain python-socketio, Hearth), one server
set-up and one crowd, then timed runs at rising offered rates (``--rate``, times
``--step`` each time, up to ``--max-rate``) until p99 passes ``--p99-ms`` or fewer than
all deliveries arrive within the drain time. The sustained figure is the last rate that
passed: its deliveries per second, and its ratio to Node's on as many processes in the
same run. The listeners run in ``--listener-processes`` processes; the *generator CPU*
column is their CPU time, in cores per process, at the last rate that passed, and the
*sender* column the rate the one sender reached: a generator near 1.0 core or a sender
below the offered rate was (part of) the limit, and the row says so.

    .venv/bin/python -m bench.saturation [--n 100] [--rate 50] [--step 1.5] [--max-rate 2000]
                                         [--seconds 2] [--rounds 1] [--only NAME ...]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass

from redis.asyncio import Redis

from bench import node_reference
from bench.fanout import Config, Result, configs, measure
from tests.support import RedisServer

FULL_CORE = 0.9  # a listener process this busy may be what held the rate back
SHORT = 0.97  # fewer deliveries than this share of the offered ones: saturated


@dataclass(frozen=True, slots=True)
class Search:
    config: Config
    passed: Result | None  # the last step under the bound
    failed: Result | None  # the first step over it (None: --max-rate reached)
    load: float  # the machine's 1-minute load average as the search ended

    def limit(self) -> str:
        last = self.passed
        if last is None:
            return "no rate passed"
        if last.crowd_cpu >= FULL_CORE:
            return "the load generator was the limit"
        if last.sent_per_s < 0.9 * last.rate:
            return "the sender was the limit"
        if self.failed is None:
            return "--max-rate reached"
        return "p99" if self.failed.p99_ms > 0 else "deliveries"


def rates(start: float, step: float, top: float) -> list[float]:
    found = [start]
    while found[-1] * step <= top:
        found.append(round(found[-1] * step))
    return found


def _too_much(bound_ms: float) -> Callable[[Result], bool]:
    def enough(result: Result) -> bool:
        return result.p99_ms > bound_ms or result.delivered < SHORT * result.expected

    return enough


async def search(config: Config, redis_url: str, args: argparse.Namespace) -> Search:
    too_much = _too_much(args.p99_ms)
    steps = await measure(
        config, redis_url, args.n, args, rates(args.rate, args.step, args.max_rate), too_much
    )
    for step in steps:
        print(
            f"  {config.name} at {step.rate:g} msg/s (sent {step.sent_per_s:.0f}): "
            f"{step.delivered}/{step.expected}, {step.per_s:,.0f}/s, p99 {step.p99_ms:.1f} ms, "
            f"generator {step.crowd_cpu:.2f} cores each",
            file=sys.stderr,
            flush=True,
        )
    passed = [s for s in steps if not too_much(s)]
    failed = [s for s in steps if too_much(s)]
    return Search(
        config, passed[-1] if passed else None, failed[0] if failed else None, os.getloadavg()[0]
    )


def table(found: list[Search], bound_ms: float) -> str:
    lines = [
        f"| config | sustained deliveries/s (p99 < {bound_ms:g} ms) | ÷ Node | at msg/s "
        "| p99 ms there | next step: p99 ms / delivered | sender msg/s "
        "| generator CPU, cores per process | what stopped it | load avg |",
        "|---|---:|---:|---:|---:|---|---:|---:|---|---:|",
    ]
    for row in found:
        node = next(
            (
                other.passed
                for other in found
                if other.config.node
                and other.config.processes == row.config.processes
                and other.passed is not None
            ),
            None,
        )
        last, nxt = row.passed, row.failed
        per_s = last.per_s if last else 0.0
        ratio = f"{per_s / node.per_s:.2f}" if node and node.per_s else "—"
        lines.append(
            f"| {row.config.name} | {per_s:,.0f} | {ratio} | {last.rate if last else 0:g} "
            f"| {last.p99_ms if last else 0:.1f} "
            f"| {f'{nxt.p99_ms:.0f} / {nxt.delivered}/{nxt.expected}' if nxt else '—'} "
            f"| {last.sent_per_s if last else 0:,.0f} | {last.crowd_cpu if last else 0:.2f} "
            f"| {row.limit()} | {row.load:.1f} |"
        )
    return "\n".join(lines)


async def run(args: argparse.Namespace) -> list[Search]:
    chosen = node_reference.available(configs(args.only, None, False, None, args.no_node))
    redis = RedisServer() if any(c.redis for c in chosen) else None
    found: list[Search] = []
    try:
        for _ in range(args.rounds):
            for config in chosen:
                redis_url = redis.url if redis is not None else ""
                if redis is not None:
                    flush = Redis.from_url(redis_url)
                    await flush.flushall()
                    await flush.aclose()
                try:
                    found.append(await search(config, redis_url, args))
                except (RuntimeError, TimeoutError) as exc:
                    print(f"{config.name}: failed: {exc!r}", file=sys.stderr)
                    found.append(Search(config, None, None, os.getloadavg()[0]))
    finally:
        if redis is not None:
            redis.stop()
    return found


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=100, help="listeners")
    parser.add_argument("--rate", type=float, default=50.0, help="the first offered msg/s")
    parser.add_argument("--step", type=float, default=1.5, help="each rate times this")
    parser.add_argument("--max-rate", type=float, default=2000.0)
    parser.add_argument("--p99-ms", type=float, default=50.0)
    parser.add_argument("--seconds", type=float, default=2.0, help="timed sending per step")
    parser.add_argument("--warm-up", type=float, default=1.0, help="untimed seconds first")
    parser.add_argument("--rounds", type=int, default=1, help="searches per config")
    parser.add_argument("--listener-processes", type=int, default=4)
    parser.add_argument("--no-deflate", action="store_true", help="listeners offer no deflate")
    parser.add_argument("--only", action="append", help="run configs whose name contains this")
    parser.add_argument("--no-node", action="store_true", help="leave Node socket.io out")
    args = parser.parse_args(argv)
    print(f"load average before: {os.getloadavg()}", file=sys.stderr)
    print(table(asyncio.run(run(args)), args.p99_ms))


if __name__ == "__main__":
    main()
