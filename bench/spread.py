"""Many rooms over 1, 2 and 4 processes, on one Redis and on a 3-master Redis Cluster.

Each of ``--rooms`` rooms has one sender and ``--listeners`` listeners, all connected to
the same process (room r's to process r mod P: a proxy that keeps a room's people
together, ``docs/deploy.md``, *Sizing*). Every sender chats at ``--rate`` messages per
second for ``--seconds``, all at once. Each configuration reports what was delivered per
second, the servers' CPU and Redis's CPU (every node's ``used_cpu_user + used_cpu_sys``)
per delivered event, each less its idle background (measured for as long just before),
and latency from the sender's emit to a listener's receipt. The
offered load is the same everywhere: on a shared machine the CPU per delivery, not a
peak rate, is what compares.

The references, in the same run: python-socketio's stock ``AsyncRedisManager``
(``bench/reference_server.py``: join a room, emit each chat to it) on the one Redis (it
has no Redis Cluster support), and Node socket.io 4 with ``@socket.io/redis-adapter``'s
sharded adapter (``bench/node/server.js --sharded``: SPUBLISH/SSUBSCRIBE, a channel per
room) on the one Redis and on the cluster (``--no-node`` leaves Node out; its packages
are installed by ``npm ci`` in ``bench/node`` when missing). Every configuration runs
``--rounds`` times, interleaved,
and the table shows the medians. Everything runs on 127.0.0.1, and every process it
starts is stopped before it returns.

    .venv/bin/python -m bench.spread [--rooms 24] [--listeners 6] [--rate 4]
                                     [--seconds 6] [--rounds 2] [--processes 1 2 4]
                                     [--no-node]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import socketio

from bench import node_reference
from bench.fanout import (
    DRAIN_S,
    Config,
    cpu_seconds,
    listeners,
    percentile,
    send_chats,
    servers,
)
from rooms.identity import Role
from rooms.room import RoomInfo
from server.app import redis_store
from server.stores.redis_client import connect
from tests.support import RedisClusterServers, RedisServer, settings, token

SERVERS = {
    "hearth": "hearth",
    "python-socketio": "python-socketio AsyncRedisManager",
    "node": "node socket.io sharded adapter",
}


@dataclass(frozen=True, slots=True)
class Setup:
    store: str  # "redis" or "cluster"
    processes: int
    server: str  # a key of SERVERS

    @property
    def hearth(self) -> bool:
        return self.server == "hearth"

    @property
    def node(self) -> bool:
        return self.server == "node"

    @property
    def name(self) -> str:
        server = SERVERS[self.server]
        store = "one Redis" if self.store == "redis" else "3-master cluster"
        return f"{server}, {store}, {self.processes} process{'es' if self.processes > 1 else ''}"


@dataclass(frozen=True, slots=True)
class Round:
    delivered: int
    expected: int
    per_s: float
    server_us: float  # servers' CPU per delivery, less their idle background
    redis_us: float  # Redis's CPU (all nodes) per delivery, less its idle background
    p50_ms: float
    p99_ms: float


async def _redis_cpu(ports: list[int]) -> float:
    total = 0.0
    for port in ports:
        client = connect(f"redis://127.0.0.1:{port}/0")
        try:
            info = await client.info("cpu")
            total += float(info["used_cpu_user"]) + float(info["used_cpu_sys"])
        finally:
            await client.aclose()
    return total


async def _sender(url: str, room: str) -> socketio.AsyncClient:
    sender = socketio.AsyncClient(reconnection=False)
    auth = {"token": token(f"Sender {room}", Role.FACILITATOR, subject=f"sender-{room}")}
    await sender.connect(url, auth=auth, transports=["websocket"], wait_timeout=10)
    ack = await sender.call("room:join", {"room": room}, timeout=10)
    assert ack["ok"], ack
    return sender


async def measure(setup: Setup, url: str, ports: list[int], args: argparse.Namespace) -> Round:
    rooms = [f"bench-{r}" for r in range(args.rooms)]
    if setup.hearth:
        store = redis_store(settings(url))
        for room in rooms:
            await store.open_room(RoomInfo(room, room, capacity=args.listeners + 1))
        await store.close()
    config = Config(
        setup.name,
        hearth=setup.hearth,
        processes=setup.processes,
        redis=True,
        node=setup.node,
        flags=("--sharded",) if setup.node else (),
    )
    n = args.rooms * args.listeners
    logs: list[Path] = []
    with servers(config, url, logs) as (urls, pids):
        async with listeners(urls, n, 2, False, rooms=args.rooms) as crowd:
            senders = [await _sender(urls[r % len(urls)], room) for r, room in enumerate(rooms)]
            try:
                await asyncio.gather(*(send_chats(s, args.rate, 2, "w") for s in senders))
                await asyncio.sleep(1.0)
                await crowd.take()
                count = max(1, int(args.rate * args.seconds))
                expected = count * n
                # As long idle first: the background (heartbeats, ticks, the cluster's
                # gossip) is taken off what the chat cost.
                idle = time.monotonic(), cpu_seconds(pids), await _redis_cpu(ports)
                await asyncio.sleep(args.seconds)
                idle_s = time.monotonic() - idle[0]
                idle_cpu = cpu_seconds(pids) - idle[1], await _redis_cpu(ports) - idle[2]
                cpu, redis_cpu = cpu_seconds(pids), await _redis_cpu(ports)
                began, timed = time.time(), time.monotonic()
                await asyncio.gather(*(send_chats(s, args.rate, count, "m") for s in senders))
                deadline = time.monotonic() + DRAIN_S
                while time.monotonic() < deadline:
                    if await crowd.count() >= expected:
                        break
                    await asyncio.sleep(0.05)
                scale = (time.monotonic() - timed) / idle_s
                cpu = max(0.0, cpu_seconds(pids) - cpu - idle_cpu[0] * scale)
                redis_cpu = max(0.0, await _redis_cpu(ports) - redis_cpu - idle_cpu[1] * scale)
                latencies, last = await crowd.take()
            finally:
                for sender in senders:
                    await sender.disconnect()
    for log in logs:
        log.unlink()
    latencies.sort()
    delivered = len(latencies)
    return Round(
        delivered,
        expected,
        delivered / (last - began) if delivered and last > began else 0.0,
        cpu / delivered * 1e6 if delivered else 0.0,
        redis_cpu / delivered * 1e6 if delivered else 0.0,
        percentile(latencies, 0.50) * 1000,
        percentile(latencies, 0.99) * 1000,
    )


def table(results: dict[Setup, list[Round]], args: argparse.Namespace) -> str:
    offered = args.rooms * args.rate
    lines = [
        f"{args.rooms} rooms x ({args.listeners} listeners + 1 sender), {args.rate:g} chats/s "
        f"per room ({offered:g}/s, {offered * args.listeners:g} deliveries/s offered), "
        f"{args.seconds:g} s, medians of {args.rounds} rounds",
        "",
        "| server, store, processes | delivered (worst round) | deliveries/s "
        "| servers' CPU µs/delivery | Redis CPU µs/delivery | p50 ms | p99 ms |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for setup, rounds in results.items():

        def med(values: list[float]) -> float:
            return float(statistics.median(values))

        lines.append(
            f"| {setup.name} | {min(r.delivered for r in rounds)}/{rounds[0].expected} "
            f"| {med([r.per_s for r in rounds]):.0f} | {med([r.server_us for r in rounds]):.0f} "
            f"| {med([r.redis_us for r in rounds]):.1f} | {med([r.p50_ms for r in rounds]):.1f} "
            f"| {med([r.p99_ms for r in rounds]):.1f} |"
        )
    return "\n".join(lines)


async def run(args: argparse.Namespace) -> dict[Setup, list[Round]]:
    setups = [Setup("redis", p, "hearth") for p in args.processes]
    setups += [Setup("cluster", p, "hearth") for p in args.processes]
    setups += [Setup("redis", p, "python-socketio") for p in args.processes]
    if not args.no_node:
        setups += [
            Setup(store, p, "node") for store in ("redis", "cluster") for p in args.processes
        ]
    setups = node_reference.available(setups)
    results: dict[Setup, list[Round]] = {setup: [] for setup in setups}
    one, cluster = RedisServer(), RedisClusterServers()
    try:
        for _ in range(args.rounds):
            for setup in setups:
                if setup.store == "cluster":
                    cluster.flush()
                    url, ports = cluster.url, cluster.masters()
                else:
                    flush = connect(one.url)
                    await flush.flushall()
                    await flush.aclose()
                    url, ports = one.url, [one.port]
                done = await measure(setup, url, ports, args)
                print(
                    f"{setup.name}: {done.delivered}/{done.expected}, {done.per_s:.0f}/s, "
                    f"{done.server_us:.0f} µs + Redis {done.redis_us:.1f} µs per delivery",
                    file=sys.stderr,
                    flush=True,
                )
                results[setup].append(done)
    finally:
        one.stop()
        cluster.stop()
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rooms", type=int, default=24)
    parser.add_argument("--listeners", type=int, default=6, help="per room")
    parser.add_argument("--rate", type=float, default=4.0, help="chats per second per room")
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--no-node", action="store_true", help="leave Node socket.io out")
    args = parser.parse_args(argv)
    print(table(asyncio.run(run(args)), args))


if __name__ == "__main__":
    main()
