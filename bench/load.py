"""The benchmark's receivers: many raw WebSocket clients in one process, receiving only.

Each speaks just enough Engine.IO 4 / Socket.IO 5 text framing to connect with ``auth``,
join the room, answer pings and read ``chat:message`` events. That is a fraction of what a
python-socketio client costs per message, so the load generator is not the bottleneck; the
server under test is unchanged. Like a browser (Chromium, Node's ``ws``), every client
offers permessage-deflate unless ``--no-deflate`` is given.

The parent drives it over stdin/stdout, one line each way: it prints ``ready`` once every
client has joined, answers ``count`` with the number of timed messages received so far, and
answers ``stop`` with a JSON line of latencies (seconds) and the last receipt time (``take``
answers the same and goes on, counting afresh).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time

import aiohttp

from rooms.identity import Role
from tests.support import token

# The sender writes this into the chat text, with time.time() and a phase letter after it.
MARK = '"fanout '
TIMED = "m"
CONNECT_CONCURRENCY = 16


class Tally:
    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.last = 0.0

    def record(self, frame: str) -> None:
        at = frame.find(MARK)
        if at < 0:
            return
        start = at + len(MARK)
        end = frame.index(" ", start)
        if frame[end + 1] != TIMED:
            return
        now = time.time()
        self.latencies.append(now - float(frame[start:end]))
        self.last = now


async def receive(
    session: aiohttp.ClientSession,
    url: str,
    auth: dict[str, str],
    deflate: bool,
    tally: Tally,
    joined: asyncio.Future[None],
    room: str = "bench",
) -> None:
    ws_url = url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
    async with session.ws_connect(ws_url, compress=15 if deflate else 0, max_msg_size=0) as ws:
        async for msg in ws:
            if msg.type != aiohttp.WSMsgType.TEXT:
                break
            frame: str = msg.data
            if frame.startswith("42"):
                tally.record(frame)
            elif frame == "2":
                await ws.send_str("3")
            elif frame.startswith("0{"):
                await ws.send_str("40" + json.dumps({"token": auth["token"]}))
            elif frame.startswith("40"):
                await ws.send_str('421["room:join",' + json.dumps({"room": room}) + "]")
            elif frame.startswith("431"):
                if '"ok":true' not in frame.replace(" ", ""):
                    raise RuntimeError(f"join refused: {frame[:200]}")
                joined.set_result(None)
            elif frame.startswith("44"):
                raise RuntimeError(f"connection refused: {frame[:200]}")
    if not joined.done():
        raise RuntimeError("the server closed the connection before the join")


async def run(urls: list[str], first: int, count: int, deflate: bool, rooms: int = 0) -> None:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    tally = Tally()
    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        tasks: list[asyncio.Task[None]] = []

        async def one(index: int) -> None:
            joined: asyncio.Future[None] = loop.create_future()
            # Facilitators always get a seat, so the demo room (capacity 50) takes them all.
            name = f"Listener {index}"
            auth = {"token": token(name, Role.FACILITATOR, subject=f"bench-{index}")}
            # ``rooms``: client i joins room bench-(i mod rooms), on that room's process.
            room, at = ("bench", index) if not rooms else (f"bench-{index % rooms}", index % rooms)
            async with gate:
                task = asyncio.create_task(
                    receive(session, urls[at % len(urls)], auth, deflate, tally, joined, room)
                )
                tasks.append(task)
                await asyncio.wait([joined, task], return_when=asyncio.FIRST_COMPLETED)
                if task.done():
                    task.result()

        await asyncio.gather(*(one(i) for i in range(first, first + count)))
        print("ready", flush=True)
        while line := (await reader.readline()).decode().strip():
            if line == "count":
                print(len(tally.latencies), flush=True)
            elif line == "take":  # what was received so far, and start counting afresh
                print(json.dumps({"latencies": tally.latencies, "last": tally.last}), flush=True)
                tally.latencies = []
            elif line == "stop":
                print(json.dumps({"latencies": tally.latencies, "last": tally.last}), flush=True)
                break
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", action="append", required=True)
    parser.add_argument("--first", type=int, default=0)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--no-deflate", action="store_true")
    parser.add_argument("--rooms", type=int, default=0, help="spread over bench-0 … (0: bench)")
    args = parser.parse_args()
    asyncio.run(run(args.url, args.first, args.count, not args.no_deflate, args.rooms))


if __name__ == "__main__":
    main()
