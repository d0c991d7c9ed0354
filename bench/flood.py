"""Flood benchmark: does a flood from one address slow down another room?

One ``hearth serve`` process on Redis, rooms A and B. In room B a facilitator posts chat at a
fixed rate and a participant times each message from emit to receipt. The run measures room
B twice, side by side in one run: quiet, then while many guests from 127.0.0.2 connect, join
room A and chat as fast as they can (bounded: a fixed number of flooders for the phase's
seconds). It reports room B's p50/p99 for both phases and their ratio, and how many of the
flood's requests were accepted or refused. Everything runs on loopback; every process it
starts (redis-server, the server) is stopped before it returns.

    .venv/bin/python -m bench.flood [--seconds 8] [--rate 20] [--flooders 40]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import statistics
import sys
import time
from collections import Counter
from typing import Any

import aiohttp
import socketio
from redis.asyncio import Redis

from rooms.identity import Role
from rooms.room import RoomInfo
from server.app import CHANNEL, frame_event
from server.stores.redis import RedisStore
from tests.support import RedisServer, ServerProcess, token

FLOOD_ADDRESS = "127.0.0.2"


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


async def _flooder(url: str, n: int, until: float, outcomes: Counter[str]) -> None:
    """One hostile guest after another from one address: connect, join A, chat at will."""
    while time.perf_counter() < until:
        try:
            sio, session = await _client(url, {"name": f"Flood{n}"}, FLOOD_ADDRESS)
        except socketio.exceptions.ConnectionError:
            outcomes["connect refused"] += 1
            await asyncio.sleep(0.01)
            continue
        outcomes["connect accepted"] += 1
        try:
            ack = await sio.call("room:join", {"room": "room-a"}, timeout=10)
            outcomes["join " + ("accepted" if ack["ok"] else "refused")] += 1
            for _ in range(20):
                if time.perf_counter() >= until:
                    break
                ack = await sio.call("chat:send", {"text": "flood"}, timeout=10)
                outcomes["chat " + ("accepted" if ack["ok"] else "refused")] += 1
        except TimeoutError:
            outcomes["timed out"] += 1
        finally:
            await sio.disconnect()
            await session.close()


def _summary(latencies: list[float]) -> tuple[float, float]:
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return statistics.median(ordered), p99


async def run(seconds: float, rate: int, flooders: int) -> None:
    redis = RedisServer()
    server: ServerProcess | None = None
    try:
        await _open_rooms(redis.url)
        server = ServerProcess(redis.url).start()
        quiet = await _measure(server.url, seconds, rate)
        # The flood runs in its own process, so it does not slow the timing clients' loop.
        flood = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bench.flood", "--flood", server.url,
            "--seconds", str(seconds + 1), "--flooders", str(flooders),
            stdout=asyncio.subprocess.PIPE,
        )  # fmt: skip
        await asyncio.sleep(1)  # the flood is under way before room B is timed
        try:
            flooded = await _measure(server.url, seconds, rate)
            report, _ = await asyncio.wait_for(flood.communicate(), seconds + 30)
        finally:
            if flood.returncode is None:
                flood.kill()
                await flood.wait()
        outcomes: Counter[str] = Counter(json.loads(report))
        (q50, q99), (f50, f99) = _summary(quiet), _summary(flooded)
        print(f"room B chat, {rate}/s for {seconds:g}s, {flooders} flooders from {FLOOD_ADDRESS}")
        print("| phase | messages | p50 ms | p99 ms |")
        print("| --- | --- | --- | --- |")
        print(f"| quiet | {len(quiet)} | {q50:.1f} | {q99:.1f} |")
        print(f"| flood into room A | {len(flooded)} | {f50:.1f} | {f99:.1f} |")
        print(f"| ratio | | {f50 / q50:.2f} | {f99 / q99:.2f} |")
        print("flood:", ", ".join(f"{k}: {v}" for k, v in sorted(outcomes.items())))
    finally:
        if server is not None:
            server.stop()
        redis.stop()


async def flood_only(url: str, seconds: float, flooders: int) -> None:
    outcomes: Counter[str] = Counter()
    until = time.perf_counter() + seconds
    await asyncio.gather(*(_flooder(url, n, until, outcomes) for n in range(flooders)))
    print(json.dumps(outcomes))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--flood", metavar="URL", help="(internal) only flood this server")
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--rate", type=int, default=20)
    parser.add_argument("--flooders", type=int, default=40)
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        if args.flood:
            asyncio.run(flood_only(args.flood, args.seconds, args.flooders))
        else:
            asyncio.run(run(args.seconds, args.rate, args.flooders))


if __name__ == "__main__":
    main()
