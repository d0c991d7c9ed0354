"""Flood benchmark: does a flood from one address slow down another room?

One ``hearth serve`` process on Redis, rooms A and B. In room B a facilitator posts chat at a
fixed rate and a participant times each message from emit to receipt. The run measures room
B twice, side by side in one run: quiet, then while many guests from 127.0.0.2 connect, join
room A and chat as fast as they can (bounded: a fixed number of flooders for the phase's
seconds). It reports room B's p50/p99 for both phases and their ratio, how many of the
flood's requests were accepted or refused, and how evenly what was accepted came (its
busiest half second over its mean while room B was timed: the limits' bursts, measured
from the flood's side, so the machine's other load does not blur it). Everything runs on
loopback; every process it starts (redis-server, the server) is stopped before it returns.

    .venv/bin/python -m bench.flood [--seconds 8] [--rate 20] [--flooders 40] [--no-pin]

With two or more cores the flood generator runs on a core of its own (``--pin``, the
default) and everything else on the others, as if the flood came from another machine.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import statistics
import sys
import time
from collections import Counter
from functools import partial
from pathlib import Path
from typing import Any

import aiohttp
import socketio
from redis.asyncio import Redis

from rooms.identity import Role
from rooms.room import RoomInfo
from server.app import CHANNEL, frame_event
from server.stores.redis import RedisStore
from tests.support import ROOT, RedisServer, ServerProcess, token

FLOOD_ADDRESS = "127.0.0.2"
GRANT_BIN_S = 0.5  # the flood's accepted joins and chats are counted per this long
_GENERATOR_CPU = (os.cpu_count() or 1) - 1


async def _open_rooms(redis_url: str) -> None:
    store = RedisStore(
        Redis.from_url(redis_url), prefix="hearth:", channel=f"hearth:{CHANNEL}", frame=frame_event
    )
    await store.open_room(RoomInfo("room-a", "Room A", allow_guests=True))
    await store.open_room(RoomInfo("room-b", "Room B"))
    await store.close()


async def _client(url: str, auth: dict[str, Any], source: str = "127.0.0.1") -> Any:
    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(local_addr=(source, 0)))
    sio = socketio.AsyncClient(reconnection=False, http_session=session)
    try:
        await sio.connect(url, auth=auth, transports=["websocket"], wait_timeout=5)
    except BaseException:
        await session.close()
        raise
    return sio, session


async def _measure(url: str, seconds: float, rate: int) -> list[float]:
    """Room B's chat latencies (ms) over ``seconds``, at ``rate`` messages per second."""
    sender, s1 = await _client(url, {"token": token("Kim", Role.FACILITATOR)})
    listener, s2 = await _client(url, {"token": token("Lee")})
    sent: dict[str, float] = {}
    latencies: list[float] = []
    total = int(seconds * rate)
    drained = asyncio.Event()

    @listener.on("chat:message")  # type: ignore[untyped-decorator]
    async def received(data: Any) -> None:
        text = data["message"]["text"]
        if text in sent:
            latencies.append((time.perf_counter() - sent[text]) * 1000)
            if len(latencies) == total:
                drained.set()

    try:
        await sender.call("room:join", {"room": "room-b"}, timeout=10)
        await listener.call("room:join", {"room": "room-b"}, timeout=10)
        start = time.perf_counter()
        for n in range(total):
            await asyncio.sleep(max(0.0, start + n / rate - time.perf_counter()))
            text = f"m{n}"
            sent[text] = time.perf_counter()
            await sender.emit("chat:send", {"text": text})
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(drained.wait(), 10)
    finally:
        for sio, session in ((sender, s1), (listener, s2)):
            await sio.disconnect()
            await session.close()
    return latencies


async def _flooder(
    url: str, n: int, until: float, outcomes: Counter[str], granted: list[float]
) -> None:
    """One hostile guest after another from one address: connect, join A, chat at will.
    ``granted``: when (``perf_counter``) each of its joins and chats was accepted."""
    while time.perf_counter() < until:
        try:
            sio, session = await _client(url, {"name": f"Flood{n}"}, FLOOD_ADDRESS)
        except socketio.exceptions.ConnectionError as refusal:
            # python-socketio says "Connection error" when the handshake itself failed (an
            # HTTP 429 from a server that refuses a blocked address there), and names the
            # namespace when the Socket.IO CONNECT was refused.
            at = "CONNECT" if "namespace" in str(refusal) else "handshake"
            outcomes[f"connect refused at {at}"] += 1
            await asyncio.sleep(0.01)  # a hostile script ignores Retry-After
            continue
        outcomes["connect accepted"] += 1
        try:
            ack = await sio.call("room:join", {"room": "room-a"}, timeout=10)
            outcomes["join " + ("accepted" if ack["ok"] else "refused")] += 1
            if ack["ok"]:
                granted.append(time.perf_counter())
            for _ in range(20):
                if time.perf_counter() >= until:
                    break
                ack = await sio.call("chat:send", {"text": "flood"}, timeout=10)
                outcomes["chat " + ("accepted" if ack["ok"] else "refused")] += 1
                if ack["ok"]:
                    granted.append(time.perf_counter())
        except TimeoutError:
            outcomes["timed out"] += 1
        finally:
            await sio.disconnect()
            await session.close()


def _summary(latencies: list[float]) -> tuple[float, float]:
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return statistics.median(ordered), p99


def _cpu_s(pid: int) -> float:
    """A process's CPU time so far (user + system), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _round(
    redis_url: str, root: Path, seconds: float, rate: int, flooders: int, pin: bool
) -> dict[str, Any]:
    """One quiet and one flooded measurement of room B on a fresh server from ``root``."""
    await _flush(redis_url)
    await _open_rooms(redis_url)
    server = ServerProcess(redis_url, root=root).start()
    try:
        assert server.proc is not None
        cpu0 = _cpu_s(server.proc.pid)
        quiet = await _measure(server.url, seconds, rate)
        cpu1 = _cpu_s(server.proc.pid)
        # The flood runs in its own process, so it does not slow the timing clients' loop.
        flood = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bench.flood", "--flood", server.url,
            "--seconds", str(seconds + 1), "--flooders", str(flooders),
            stdout=asyncio.subprocess.PIPE,
        )  # fmt: skip
        if pin:
            # The flood stands for another machine: it gets a core of its own, so what is
            # measured is what the server spends on the flood, not two processes sharing CPU.
            os.sched_setaffinity(flood.pid, {_GENERATOR_CPU})
        try:
            await asyncio.sleep(1)  # the flood is under way before room B is timed
            load = os.getloadavg()[0]  # the whole machine's, other users' runs included
            cpu2 = _cpu_s(server.proc.pid)
            flooded = await _measure(server.url, seconds, rate)
            cpu3 = _cpu_s(server.proc.pid)
            report, _ = await asyncio.wait_for(flood.communicate(), seconds + 30)
        finally:
            if flood.returncode is None:
                flood.kill()
                await flood.wait()
    finally:
        server.stop()
    outcomes = json.loads(report)
    bins = outcomes.pop("bins")
    (q50, q99), (f50, f99) = _summary(quiet), _summary(flooded)
    return {
        "quiet": (len(quiet), q50, q99),
        "flood": (len(flooded), f50, f99),
        "ratio": (f50 / q50, f99 / q99),
        "server_cpu": ((cpu1 - cpu0) / seconds, (cpu3 - cpu2) / seconds),
        "generator_cpu": outcomes.pop("cpu_s") / (seconds + 1),
        "load": load,
        "burst": _burstiness(bins, seconds),
        "granted_per_bin": [bins.get(str(b), 0) for b in range(int((seconds + 1) / GRANT_BIN_S))],
        "outcomes": outcomes,
    }


async def _flush(redis_url: str) -> None:
    redis = Redis.from_url(redis_url)
    await redis.flushall()
    await redis.aclose()


def _median(rows: list[dict[str, Any]], pick: Any) -> float:
    return float(statistics.median(pick(r) for r in rows))


def _spread(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} ({min(values):.2f} to {max(values):.2f})"


async def run(
    seconds: float, rate: int, flooders: int, rounds: int, baseline: Path | None, pin: bool
) -> None:
    if pin:
        # Everything but the flood (redis-server, the server, room B's clients) inherits
        # the other cores.
        os.sched_setaffinity(0, set(range(os.cpu_count() or 1)) - {_GENERATOR_CPU})
    trees = {"this tree": ROOT} | ({"baseline": baseline} if baseline else {})
    results: dict[str, list[dict[str, Any]]] = {name: [] for name in trees}
    redis = RedisServer()
    try:
        for n in range(rounds):  # interleaved, so drift in the machine's load hits both
            for name, root in trees.items():
                result = await _round(redis.url, root, seconds, rate, flooders, pin)
                results[name].append(result)
                print(f"round {n + 1} {name}: {json.dumps(result)}", file=sys.stderr)
    finally:
        redis.stop()
    print(f"room B chat, {rate}/s for {seconds:g}s, {flooders} flooders from {FLOOD_ADDRESS}, "
          f"{rounds} rounds; CPU in cores (CPU s per s)")  # fmt: skip
    print("| server | quiet p50 / p99 ms | flood p50 / p99 ms | p50 ratio | p99 ratio "
          "| server CPU quiet / flood | generator CPU | flood's busiest 0.5 s / mean "
          "| load average |")  # fmt: skip
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for name, rows in results.items():
        med = partial(_median, rows)
        print(
            f"| {name} | {med(lambda r: r['quiet'][1]):.1f} / {med(lambda r: r['quiet'][2]):.1f} "
            f"| {med(lambda r: r['flood'][1]):.1f} / {med(lambda r: r['flood'][2]):.1f} "
            f"| {_spread([r['ratio'][0] for r in rows])} "
            f"| {_spread([r['ratio'][1] for r in rows])} "
            f"| {med(lambda r: r['server_cpu'][0]):.2f} / {med(lambda r: r['server_cpu'][1]):.2f} "
            f"| {med(lambda r: r['generator_cpu']):.2f} "
            f"| {_spread([r['burst'] for r in rows])} "
            f"| {_spread([r['load'] for r in rows])} |"
        )
    for name, rows in results.items():
        total: Counter[str] = Counter()
        for r in rows:
            total.update(r["outcomes"])
        print(
            f"{name} flood, all rounds:", ", ".join(f"{k}: {v}" for k, v in sorted(total.items()))
        )


async def flood_only(url: str, seconds: float, flooders: int) -> None:
    outcomes: Counter[str] = Counter()
    granted: list[float] = []
    start = time.perf_counter()
    until = start + seconds
    await asyncio.gather(*(_flooder(url, n, until, outcomes, granted) for n in range(flooders)))
    usage = resource.getrusage(resource.RUSAGE_SELF)
    bins = Counter(int((t - start) / GRANT_BIN_S) for t in granted)
    print(json.dumps({**outcomes, "cpu_s": usage.ru_utime + usage.ru_stime, "bins": bins}))


def _burstiness(bins: dict[str, int], seconds: float) -> float:
    """The flood's busiest bin of accepted joins and chats while room B was timed (after
    its first second), over its mean bin then: 1 when what the limits let through comes
    evenly, higher when it comes in bursts (a fixed window's start)."""
    timed = range(int(1 / GRANT_BIN_S), int((seconds + 1) / GRANT_BIN_S))
    counts = [bins.get(str(b), 0) for b in timed]
    mean = statistics.mean(counts)
    return max(counts) / mean if mean else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--flood", metavar="URL", help="(internal) only flood this server")
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--rate", type=int, default=20)
    parser.add_argument("--flooders", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument(
        "--baseline",
        type=Path,
        metavar="DIR",
        help="also run the server from this source tree (e.g. `git archive` of an older commit)",
    )
    parser.add_argument(
        "--pin",
        action=argparse.BooleanOptionalAction,
        default=(os.cpu_count() or 1) >= 2,
        help="give the flood generator a core of its own, as if on another machine "
        "(default: on with two or more cores)",
    )
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        if args.flood:
            asyncio.run(flood_only(args.flood, args.seconds, args.flooders))
        else:
            asyncio.run(
                run(args.seconds, args.rate, args.flooders, args.rounds, args.baseline, args.pin)
            )


if __name__ == "__main__":
    main()
