"""Frame once, write many (``server.socket.writer``): every connection receives what the
server sends it in the order it was sent, whatever the path (room fan-out, private emits,
acks, pings, an upgrade from long-polling); and a connection that stops reading is cut at
``HEARTH_SEND_BUFFER_BYTES`` instead of holding the room back or growing memory."""

from __future__ import annotations

import asyncio
import itertools
import json
import socket
import struct
from typing import Any

import aiohttp
import pytest
from redis.asyncio import Redis

from rooms.identity import Role
from server.app import CHANNEL, HUB
from server.socket import fanout
from tests.conftest import OPEN, flush
from tests.support import RunningHub, running_app, settings, token

# A Socket.IO room of the test's own (no Hearth room has its id), named as Hearth's rooms
# are, so that its events take the path room events take, Redis's included.
ORDERING = f"{fanout.ROOM_PREFIX}ordering"
MEMBERS = 12
CALLS = 40  # per member: each makes a private event, a room event and an ack
BACKGROUND = 1500  # room events sent meanwhile, from no client at all
WAIT_S = 30.0


class Stream:
    """The steady stream of room events: emitted by this process on the embedded store;
    over Redis, framed as the store's commit script frames a room's events and published
    (from no process) on the control channel, which every process reads without following
    the test's room; the manager delivers them to the room's connections through the same
    fan-out and writer as a followed room's channel."""

    def __init__(self, hub: RunningHub, redis_url: str | None) -> None:
        self.sio = hub.app[HUB].sio
        # One connection: the handlers' publishes queue on it rather than open a pool.
        self.redis = Redis.from_url(redis_url, single_connection_client=True) if redis_url else None

    async def send(self) -> None:
        if self.redis is None:
            await self.sio.emit("test:room", {}, room=ORDERING)
        else:
            await self.redis.publish(f"hearth:{CHANNEL}", fanout.frame(ORDERING, "test:room", {}))

    async def close(self) -> None:
        if self.redis is not None:
            await self.redis.aclose()


def _ordering_handlers(hub: RunningHub, stream: Stream) -> Any:
    """Server handlers that send, in one step each, numbered events on every path. A room
    event takes its number as the manager delivers it to this process's connections (over
    Redis that is when the pub/sub message arrives, not when it was sent), so the numbers
    are in the order the server writes."""
    sio = hub.app[HUB].sio
    numbers = itertools.count(1)

    def number(room_id: str, event: str, payload: Any) -> None:
        if event == "test:room":
            payload["n"] = next(numbers)

    sio.manager.on_room_event.append(number)

    async def enter(sid: str, data: Any = None) -> int:
        await sio.enter_room(sid, ORDERING)
        return next(numbers)

    async def order(sid: str, data: Any = None) -> int:
        # As Hearth sends private events: to the connection, in this step, never through
        # pub/sub.
        fanout.send_here(sio.manager, "test:private", {"n": next(numbers)}, sid)
        await stream.send()
        return next(numbers)  # the ack: sent after both

    sio.on("test:enter", enter)
    sio.on("test:order", order)
    return sio


class RawMember:
    """A raw Engine.IO 4 / Socket.IO 5 client that records every number it receives, in
    arrival order: over WebSocket, over long-polling, or polling first and upgrading to
    WebSocket after ``upgrade_after`` polls (while the room's stream is running)."""

    def __init__(self, url: str, name: str, transport: str = "websocket", upgrade_after: int = 0):
        self.base = url + "/socket.io/?EIO=4"
        self.transport = transport
        self.upgrade_after = upgrade_after
        self.auth = {"token": token(name, Role.FACILITATOR, subject=f"raw-{name}")}
        self.heard: list[int] = []
        self.room_events = 0
        self.acks = 0
        self.pings = 0
        self.entered = asyncio.Event()
        self.go = asyncio.Event()  # make the calls (once everyone has entered)
        self.called = False
        self.acked = asyncio.Event()  # every call answered
        self.ended = asyncio.Event()
        self.room_events_expected = 0  # once known: all_room_events is set when heard
        self.all_room_events = asyncio.Event()
        self.sid = ""

    def _calls(self) -> list[str]:
        if not self.go.is_set() or self.called:
            return []
        self.called = True
        return [f'42{call}["test:order"]' for call in range(1, CALLS + 1)]

    async def run(self, session: aiohttp.ClientSession) -> None:
        if self.transport == "websocket":
            await self._websocket(session, self.base + "&transport=websocket")
            return
        polls = 0
        while not self.ended.is_set():
            if self.upgrade_after and polls == self.upgrade_after:
                await self._websocket(session, f"{self.base}&transport=websocket&sid={self.sid}")
                return
            url = f"{self.base}&transport=polling" + (f"&sid={self.sid}" if self.sid else "")
            async with session.get(url) as response:
                assert response.status == 200, response.status
                body = await response.text()
            polls += 1
            for frame in body.split("\x1e"):
                answers = self._take(frame) + self._calls()
                for at in range(0, len(answers), 16):  # engineio takes 16 packets a POST
                    posting = f"{self.base}&transport=polling&sid={self.sid}"
                    body = "\x1e".join(answers[at : at + 16]).encode()
                    async with session.post(posting, data=body) as posted:
                        assert posted.status == 200, posted.status

    async def _websocket(self, session: aiohttp.ClientSession, url: str) -> None:
        async with session.ws_connect(url.replace("http://", "ws://")) as ws:
            if self.sid:  # an upgrade: probe, then confirm
                await ws.send_str("2probe")
                assert await ws.receive_str(timeout=WAIT_S) == "3probe"
                await ws.send_str("5")
            async for msg in ws:
                assert msg.type == aiohttp.WSMsgType.TEXT, msg
                for answer in self._take(msg.data) + self._calls():
                    await ws.send_str(answer)
                if self.ended.is_set():
                    return

    def _take(self, frame: str) -> list[str]:
        """Record one Engine.IO packet; the packets to send back."""
        if frame == "2":
            self.pings += 1
            return ["3"]
        if frame.startswith("0{"):
            self.sid = json.loads(frame[1:])["sid"]
            return ["40" + json.dumps(self.auth)]
        if frame.startswith("40"):
            return ['420["test:enter"]']
        if frame.startswith("430["):
            self.heard.append(json.loads(frame[3:])[0])
            self.entered.set()
            return []
        if frame.startswith("43"):
            self.acks += 1
            if self.acks == CALLS:
                self.acked.set()
            self.heard.append(json.loads(frame[frame.index("[") :])[0])
        elif frame.startswith("42["):
            name, *args = json.loads(frame[2:])
            if name == "test:end":
                self.ended.set()
            elif name in {"test:room", "test:private"}:
                self.heard.append(args[0]["n"])
                self.room_events += name == "test:room"
                self._count_room_events()
        return []

    def expect_room_events(self, count: int) -> None:
        self.room_events_expected = count
        self._count_room_events()

    def _count_room_events(self) -> None:
        if self.room_events_expected and self.room_events >= self.room_events_expected:
            self.all_room_events.set()


def _increasing(numbers: list[int]) -> bool:
    return all(a < b for a, b in itertools.pairwise(numbers))


@pytest.mark.parametrize("store", ["memory", "redis"])
async def test_each_connection_receives_room_events_acks_pings_and_private_events_in_order(
    store: str, request: pytest.FixtureRequest
) -> None:
    """Under a steady stream of room events, members' calls each send a private event, a
    room event and an ack; pings go out meanwhile. Every connection (WebSocket, long-
    polling, and one upgrading from polling to WebSocket mid-stream) gets every room
    event, and all it gets arrives in the order the server sent it. On the embedded store
    and on Redis (room events through the pub/sub listener)."""
    redis_url = None
    if store == "redis":
        redis_url = request.getfixturevalue("redis_server").url
        await flush(redis_url)
    app_settings = settings(redis_url, ping_interval_ms=1000, ping_timeout_ms=5000)
    async with running_app(app_settings) as hub:
        stream = Stream(hub, redis_url)
        sio = _ordering_handlers(hub, stream)
        members = [RawMember(hub.url, f"Raw {i}") for i in range(MEMBERS)]
        members += [
            RawMember(hub.url, "Poller", "polling"),
            RawMember(hub.url, "Upgrader", "polling", upgrade_after=20),
        ]
        async with aiohttp.ClientSession() as session:
            tasks = [asyncio.create_task(m.run(session)) for m in members]
            try:
                for m in members:
                    await asyncio.wait_for(m.entered.wait(), WAIT_S)
                for m in members:
                    m.go.set()
                sent = 0
                while sent < BACKGROUND or min(m.pings for m in members) < 2:
                    await stream.send()
                    sent += 1
                    if sent % 20 == 0:
                        await asyncio.sleep(0)  # let members' calls and polls in between
                for m in members:
                    await asyncio.wait_for(m.acked.wait(), WAIT_S)
                # After the stream (the same channel, so after all of it over Redis).
                for m in members:
                    m.expect_room_events(sent + len(members) * CALLS)
                    await asyncio.wait_for(m.all_room_events.wait(), WAIT_S)
                await sio.emit("test:end", None, room=ORDERING)
                for task in tasks:
                    await asyncio.wait_for(task, WAIT_S)
            finally:
                for task in tasks:
                    task.cancel()
                await stream.close()
        room_events = sent + len(members) * CALLS
        for m in members:
            assert m.room_events == room_events, m.transport
            assert m.acks == CALLS
            assert m.pings >= 2
            assert _increasing(m.heard), f"{m.transport}: packets arrived out of order"


class StalledReader:
    """A WebSocket client that joins a room and then never reads its socket again."""

    def __init__(self, url: str, name: str) -> None:
        host, port = url.removeprefix("http://").split(":")
        self.address = (host, int(port))
        self.token = token(name, Role.PARTICIPANT, subject=f"stalled-{name}")
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # before connecting

    async def join(self, room: str) -> None:
        self.sock.setblocking(False)
        loop = asyncio.get_running_loop()
        await loop.sock_connect(self.sock, self.address)
        await loop.sock_sendall(
            self.sock,
            b"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\n"
            b"Host: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
            % (self.address[0].encode(), self.address[1]),
        )
        await self._until(b"0{")
        await self._send("40" + json.dumps({"token": self.token}))
        await self._until(b"40{")
        await self._send(f'421["room:join",{{"room":"{room}"}}]')
        await self._until(b'431[{"ok":true')

    async def _send(self, text: str) -> None:
        payload = text.encode()
        assert len(payload) < 65536
        # A client must mask; a zero mask leaves the bytes as they are.
        frame = struct.pack("!BBH", 0x81, 0x80 | 126, len(payload)) + bytes(4) + payload
        await asyncio.get_running_loop().sock_sendall(self.sock, frame)

    async def _until(self, marker: bytes) -> None:
        received = b""
        while marker not in received:
            chunk = await asyncio.wait_for(
                asyncio.get_running_loop().sock_recv(self.sock, 65536), WAIT_S
            )
            assert chunk, "the server closed the connection"
            received += chunk

    def close(self) -> None:
        self.sock.close()


async def test_a_reader_that_stops_reading_is_cut_at_the_limit_and_the_room_goes_on(
    clients: Any,
) -> None:
    """A member whose client stops reading is closed once the server holds
    HEARTH_SEND_BUFFER_BYTES for it (never much more); everyone else hears every message,
    in order, meanwhile; the room sees the stalled member go away, and the person can
    come back and take what was missed from the room's log."""
    limit = 64 * 1024
    async with running_app(settings(send_buffer_bytes=limit)) as hub:
        await hub.store.open_room(OPEN)
        host = await clients(hub.url, {"token": token("Host", Role.FACILITATOR)})
        listener = await clients(hub.url, {"token": token("Lee")})
        await host.join("open")
        joined_ack = await listener.join("open")
        seq_before, opening = joined_ack["seq"], joined_ack["opening"]
        sockets = hub.app[HUB].sio.eio.sockets
        known = set(sockets)
        stalled = StalledReader(hub.url, "Stella")
        try:
            await stalled.join("open")
            (stalled_sid,) = set(sockets) - known
            wire = sockets[stalled_sid].queue.wire
            # The kernel's send buffer on loopback takes megabytes before the server holds
            # anything; a small one, as on a congested path, makes the test quick.
            server_side = wire._transport.get_extra_info("socket")
            server_side.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 8192)
            text = "x" * 990
            peak = 0
            sent = 0
            while not wire.cut:
                ack = await host.call("chat:send", {"text": f"{sent} {text}"})
                assert ack["ok"], ack
                sent += 1
                peak = max(peak, wire.buffered())
                assert sent < 500, "the stalled connection was never cut"
            assert limit / 2 < peak <= limit  # it did buffer, up to the limit and no more
            await listener.wait_for(
                "chat:message", lambda d: d["message"]["text"].startswith(f"{sent - 1} ")
            )
            heard = [m["message"]["text"].split()[0] for m in listener.events("chat:message")]
            assert heard == [str(k) for k in range(sent)]
            joined = await listener.wait_for("participant:joined")
            assert joined["participant"]["name"] == "Stella"
            await listener.wait_for(
                "participant:away", lambda d: d["participant"] == joined["participant"]["id"]
            )
        finally:
            stalled.close()
        back = await clients(hub.url, {"token": stalled.token})
        ack = await back.call(
            "room:join", {"room": "open", "since": seq_before, "opening": opening}
        )
        assert ack["ok"], ack
        missed = [
            e["data"]["message"]["text"].split()[0]
            for e in ack["missed"]
            if e["event"] == "chat:message"
        ]
        assert missed == [str(k) for k in range(sent)]
