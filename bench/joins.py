"""Joins at scale: the 500-guest join storm, and server memory per idle joined connection.

**Storm** (``--storm``): guests join one room (capacity 500, guests allowed, made through
the admin API) within ``--within`` seconds, spread evenly, from ``--workers`` processes.
Reported: the join ack's p50/p99 (from a guest's ``room:join`` to its ack), the time from
the first join until every guest's roster (the ack's snapshot plus the
``participant:joined`` events after it) names everyone, and, on Redis, the Redis commands
per join (``INFO commandstats`` before and after), and the servers' CPU time over the
storm per join (``/proc``: utime + stime, from the first join until every roster is complete).

**Idle memory** (``--idle 2000 --idle 5000``): that many connections each join a room
(rooms of 500) and then do nothing; the server's resident memory (``VmRSS``, summed over
its processes) after they joined, less before, per connection; Node socket.io 4 and plain
python-socketio are measured in the same run, each server set-up its own, for the ratio.

    .venv/bin/python -m bench.joins --storm [--guests 500] [--within 5] [--redis] [--processes 1]
                                    [--before /path/to/an/older/checkout] [--rounds 1]
    .venv/bin/python -m bench.joins --idle 2000 --idle 5000

Everything runs on 127.0.0.1; every process started is stopped before it returns.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import secrets
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

import aiohttp
from redis.asyncio import Redis

from bench import node_reference
from bench.fanout import CONFIGS, Config, cpu_seconds, servers
from tests.support import ROOT, RedisServer

ROOM_CAPACITY = 500
ADMIN_TOKEN = secrets.token_urlsafe(32)


# The worker: guests joining, in one process. --------------------------------------------


class Guest:
    def __init__(self, index: int, total: int) -> None:
        self.index = index
        self.total = total
        self.asked = 0.0
        self.acked = 0.0
        self.complete = 0.0  # when the roster first named everyone
        self.roster: set[str] = set()
        self.refused = ""  # the error code of a refused join

    def heard(self, ids: list[str]) -> None:
        self.roster.update(ids)
        if not self.complete and len(self.roster) >= self.total:
            self.complete = time.time()


async def guest(
    session: aiohttp.ClientSession, url: str, room: str, me: Guest, hold: asyncio.Event
) -> None:
    ws_url = url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
    async with session.ws_connect(ws_url, compress=0, max_msg_size=0) as ws:
        async for msg in ws:
            if msg.type != aiohttp.WSMsgType.TEXT:
                break
            frame: str = msg.data
            if frame == "2":
                await ws.send_str("3")
            elif frame.startswith("0{"):
                auth = {"name": f"Guest {me.index}", "key": f"storm-guest-{me.index:06d}"}
                await ws.send_str("40" + json.dumps(auth))
            elif frame.startswith("40"):
                me.asked = time.time()
                await ws.send_str(f'421["room:join",{{"room":"{room}"}}]')
            elif frame.startswith("431"):
                me.acked = time.time()
                ack = json.loads(frame[3:])[0]
                if not ack.get("ok"):
                    me.refused = str(ack.get("error", {}).get("code"))
                    raise RuntimeError(f"join refused: {frame[:200]}")
                people = ack.get("snapshot", {}).get("participants", [])
                me.heard([p["id"] for p in people])
                if not me.total:
                    hold.set()
            elif frame.startswith('42["participant:joined"'):
                me.heard([json.loads(frame[2:])[1]["participant"]["id"]])
            elif frame.startswith("44"):
                raise RuntimeError(f"connection refused: {frame[:200]}")


async def work(args: argparse.Namespace) -> None:
    """Guests ``first`` .. ``first + count``, joining at their own instant of the storm
    (``start`` + index * ``within`` / ``guests``); prints ``ready`` when all have acked
    (and, in a storm, heard everyone), then a JSON report when told ``stop``."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    total = args.guests if args.storm else 0
    guests = [Guest(i, total) for i in range(args.first, args.first + args.count)]
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        tasks = []
        for me in guests:
            delay = args.start + me.index * args.within / args.guests - time.time()
            if delay > 0:
                await asyncio.sleep(delay)
            room = f"{args.room}-{me.index // ROOM_CAPACITY}" if args.rooms else args.room
            url = args.url[me.index % len(args.url)]
            tasks.append(asyncio.create_task(guest(session, url, room, me, asyncio.Event())))
        deadline = time.monotonic() + args.deadline
        while time.monotonic() < deadline:
            if all(g.acked and (g.complete or not total) for g in guests):
                break
            if any(t.done() and t.exception() for t in tasks):
                break
            await asyncio.sleep(0.05)
        print("ready", flush=True)
        await reader.readline()
        report = [[g.asked, g.acked, g.complete, len(g.roster), g.refused] for g in guests]
        print(json.dumps(report), flush=True)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


# The parent. -----------------------------------------------------------------------------


async def crowd(
    urls: list[str],
    args: argparse.Namespace,
    count: int,
    room: str,
    rooms: bool,
    storm: bool,
    pids: list[int],
) -> tuple[list[list[float]], int]:
    """``count`` guests from ``args.workers`` processes: each one's (asked, acked,
    complete, how many its roster names), and the resident memory of ``pids`` (KB) once
    all had joined."""
    procs: list[asyncio.subprocess.Process] = []
    start = time.time() + 1.0
    try:
        shares = [count // args.workers + (i < count % args.workers) for i in range(args.workers)]
        first = 0
        for share in shares:
            command = ["-m", "bench.joins", "--worker", "--first", str(first)]
            command += ["--count", str(share), "--guests", str(count), "--room", room]
            command += ["--start", str(start), "--within", str(args.within)]
            command += ["--deadline", str(args.deadline)]
            command += ["--storm"] if storm else []
            command += ["--rooms"] if rooms else []
            command += [arg for url in urls for arg in ("--url", url)]
            procs.append(
                await asyncio.create_subprocess_exec(
                    sys.executable,
                    *command,
                    cwd=ROOT,
                    stdin=asyncio.subprocess.PIPE,
                    stdout=asyncio.subprocess.PIPE,
                    limit=1 << 26,
                )
            )
            first += share
        for proc in procs:
            assert proc.stdout is not None
            await asyncio.wait_for(proc.stdout.readline(), args.within + args.deadline + 30)
        if not storm:
            await asyncio.sleep(args.settle)  # let the server finish what the joins started
        rss = _rss(pids)
        reports: list[list[float]] = []
        for proc in procs:
            assert proc.stdin is not None
            assert proc.stdout is not None
            proc.stdin.write(b"stop\n")
            await proc.stdin.drain()
            reports += json.loads(await proc.stdout.readline())
        return reports, rss
    finally:
        for proc in procs:
            if proc.returncode is None:
                proc.kill()
            await proc.wait()


def _rss(pids: list[int]) -> int:
    """Resident memory of ``pids``, in KB."""
    total = 0
    for pid in pids:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total


async def _admin(url: str, room: str, capacity: int) -> None:
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    body = {"id": room, "name": room, "capacity": capacity, "allow_guests": True}
    async with aiohttp.ClientSession(headers=headers) as session:
        async with session.post(f"{url}/api/v1/rooms", json=body) as made:
            assert made.status in (200, 201), await made.text()
        async with session.post(f"{url}/api/v1/rooms/{room}/open") as opened:
            assert opened.status in (200, 201, 204), await opened.text()


async def _commands(redis_url: str) -> int:
    redis = Redis.from_url(redis_url)
    try:
        stats = await redis.info("commandstats")
    finally:
        await redis.aclose()
    return sum(int(v["calls"]) for v in stats.values())


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else 0.0


async def storm(
    args: argparse.Namespace, redis: RedisServer | None, root: Path = ROOT, label: str = ""
) -> str:
    name = "hearth redis" if redis else "hearth embedded"
    env = (("HEARTH_ADMIN_TOKEN", ADMIN_TOKEN),)
    config = Config(
        f"{name} {args.processes} process{label}",
        True,
        args.processes,
        bool(redis),
        root=root,
        env=env,
    )
    redis_url = redis.url if redis else ""
    if redis is not None:
        flushing = Redis.from_url(redis_url)
        await flushing.flushall()  # each run's storm starts from an empty Redis
        await flushing.aclose()
    with servers(config, redis_url, []) as (urls, pids):
        await _admin(urls[0], "storm", ROOM_CAPACITY)
        before = await _commands(redis_url) if redis else 0
        cpu_before = cpu_seconds(pids)
        reports, _ = await crowd(urls, args, args.guests, "storm", False, True, pids)
        cpu_ms = (cpu_seconds(pids) - cpu_before) * 1000
        after = await _commands(redis_url) if redis else 0
    acks = [acked - asked for asked, acked, _, _, refused in reports if acked and not refused]
    first = min(asked for asked, *_ in reports)
    complete = [done for _, _, done, _, _ in reports]
    missing = sum(not done for done in complete)
    fewest = min(known for _, _, _, known, _ in reports)
    refusals = Counter(str(refused) for *_, refused in reports if refused)
    everyone = (
        f"{max(complete) - first:.2f}"
        if not missing
        else f"> {args.deadline:g} ({missing} incomplete, the fewest known {fewest})"
    )
    if refusals:
        said = ", ".join(f"{n} {code}" for code, n in refusals.most_common())
        everyone += f"; refused: {said}"
    per_join = f"{(after - before) / args.guests:.1f}" if redis else "—"
    return (
        f"| {config.name} | {len(acks)}/{args.guests} | {statistics.median(acks) * 1000:.0f} "
        f"| {_percentile(acks, 0.99) * 1000:.0f} | {everyone} | {per_join} "
        f"| {cpu_ms / args.guests:.2f} | {os.getloadavg()[0]:.1f} |"
    )


async def idle(args: argparse.Namespace, count: int, config: Config) -> tuple[str, float]:
    env = (("HEARTH_ADMIN_TOKEN", ADMIN_TOKEN),) if config.hearth else ()
    config = Config(config.name, config.hearth, 1, False, config.node, env=env)
    with servers(config, "", []) as (urls, pids):
        if config.hearth:
            for k in range((count + ROOM_CAPACITY - 1) // ROOM_CAPACITY):
                await _admin(urls[0], f"idle-{k}", ROOM_CAPACITY)
        await asyncio.sleep(args.settle)
        before = _rss(pids)
        _, after = await crowd(urls, args, count, "idle", True, False, pids)
    return f"{config.name}: {before:,} KB before, {after:,} KB after", (after - before) / count


def _raise_file_limit(needed: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < needed:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(needed, soft)), hard))
    if resource.getrlimit(resource.RLIMIT_NOFILE)[0] < needed:
        raise SystemExit(f"need {needed} file descriptors; the hard limit is {hard}")


async def run(args: argparse.Namespace) -> None:
    if args.storm:
        redis = RedisServer() if args.redis else None
        try:
            print(
                "| config | acked | join ack p50 ms | p99 ms | every roster complete, s "
                "| Redis commands per join | server CPU ms per join | load avg |"
            )
            print("|---|---:|---:|---:|---:|---:|---:|---:|")
            for _ in range(args.rounds):
                if args.before is not None:  # interleaved: before, then this tree
                    print(await storm(args, redis, args.before, " (before)"), flush=True)
                print(await storm(args, redis), flush=True)
        finally:
            if redis is not None:
                redis.stop()
    if args.idle:
        _raise_file_limit(max(args.idle) * 2 + 1000)  # servers and workers inherit it
        chosen = node_reference.available(
            [
                c
                for c in CONFIGS
                if c.processes == 1
                and not c.redis
                and not (c.node and args.no_node)
                and (not args.only or any(word in c.name for word in args.only))
            ]
        )
        print("| connections | config | KB per idle joined connection | ÷ Node | load avg |")
        print("|---:|---|---:|---:|---:|")
        for count in args.idle:
            rows = []
            for config in chosen:
                said, per = await idle(args, count, config)
                print(f"  {said}: {per:.1f} KB per connection", file=sys.stderr, flush=True)
                rows.append((config, per))
            node = next((per for c, per in rows if c.node), 0.0)
            for config, per in rows:
                ratio = f"{per / node:.2f}" if node else "—"
                print(
                    f"| {count} | {config.name} | {per:.1f} | {ratio} | {os.getloadavg()[0]:.1f} |",
                    flush=True,
                )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--storm", action="store_true")
    parser.add_argument("--guests", type=int, default=500)
    parser.add_argument("--within", type=float, default=5.0, help="seconds the joins spread over")
    parser.add_argument("--redis", action="store_true", help="the storm on Redis")
    parser.add_argument("--processes", type=int, default=1, help="Hearth processes (storm)")
    parser.add_argument(
        "--before", type=Path, help="storm: another Hearth checkout, run before this one"
    )
    parser.add_argument("--rounds", type=int, default=1, help="storm: runs of each tree")
    parser.add_argument("--idle", type=int, action="append", help="idle connections")
    parser.add_argument("--workers", type=int, default=4, help="client processes")
    parser.add_argument(
        "--deadline", type=float, default=60.0, help="seconds for every roster to complete"
    )
    parser.add_argument("--settle", type=float, default=2.0, help="idle seconds before RSS")
    parser.add_argument("--no-node", action="store_true", help="leave Node socket.io out")
    parser.add_argument("--only", action="append", help="idle: configs whose name has this")
    # The worker's own arguments.
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--first", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--count", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--room", default="", help=argparse.SUPPRESS)
    parser.add_argument("--rooms", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--start", type=float, default=0.0, help=argparse.SUPPRESS)
    parser.add_argument("--url", action="append", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        asyncio.run(work(args))
        return
    print(f"load average before: {os.getloadavg()}", file=sys.stderr)
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
