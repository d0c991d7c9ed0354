"""Frame once, write many (``server.socket.fanout`` and ``server.socket.writer``), seen from
outside: one room event in a room of N WebSocket listeners is framed once, the very same
bytes go to every listener's connection, and the server starts no asyncio task per
recipient. On the embedded store and on Redis (the ``hub`` fixture), through a real
server and real python-socketio clients."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Coroutine, Generator
from types import FrameType
from typing import Any

from rooms.identity import Role
from server.app import HUB
from tests.support import Client, RunningHub, token

LISTENERS = 24

# Where python-socketio, python-engineio and Hearth send to clients. A task created with one
# of these on its creator's stack (and no client code) is the server's.
_SERVER_FILES = (
    "/engineio/async_socket.py",
    "/engineio/async_server.py",
    "/engineio/async_drivers/aiohttp.py",
    "/socketio/async_server.py",
    "/socketio/async_manager.py",
    "/socketio/async_pubsub_manager.py",
    "/socketio/async_redis_manager.py",
    "/server/",
)
_CLIENT_FILES = ("/engineio/async_client.py", "/socketio/async_client.py", "/tests/")


def _made_by_server(frame: FrameType | None) -> bool:
    server = False
    while frame is not None:
        name = frame.f_code.co_filename
        if any(part in name for part in _CLIENT_FILES):
            return False
        server = server or any(part in name for part in _SERVER_FILES)
        frame = frame.f_back
    return server


class TaskCount:
    """A task factory on the test's loop: counts the tasks the server creates."""

    def __init__(self) -> None:
        self.server = 0
        self.all = 0

    def __call__(
        self,
        loop: asyncio.AbstractEventLoop,
        coro: Generator[Any, None, Any] | Coroutine[Any, Any, Any],
    ) -> asyncio.Task[Any]:
        self.all += 1
        self.server += _made_by_server(sys._getframe(1))
        return asyncio.Task(coro, loop=loop)


class Recording:
    """A connection's TCP transport, passed through, remembering every bytes object
    written to it."""

    def __init__(self, transport: Any) -> None:
        self._transport = transport
        self.written: list[bytes] = []

    def write(self, data: bytes) -> None:
        self.written.append(data)
        self._transport.write(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


async def _room_of_listeners(hub: RunningHub, clients: Any) -> tuple[Client, list[Client]]:
    # Facilitators always get a seat and are never rate-limited.
    host = await clients(hub.url, {"token": token("Host", Role.FACILITATOR)})
    await host.join("open")
    listeners = []
    for i in range(LISTENERS):
        auth = {"token": token(f"L{i}", Role.FACILITATOR, subject=f"listener-{i}")}
        listener = await clients(hub.url, auth)
        await listener.join("open")
        listeners.append(listener)
    return host, listeners


async def test_one_room_event_is_framed_once_and_the_same_bytes_reach_every_listener(
    hub: RunningHub, clients: Any
) -> None:
    """Every listener's connection is written the very same bytes object for a chat
    message: one frame, made once, however many are in the room."""
    host, listeners = await _room_of_listeners(hub, clients)
    sockets = hub.app[HUB].sio.eio.sockets
    recordings = []
    for listener in listeners:
        wire = sockets[listener.sio.eio.sid].queue.wire
        assert wire is not None, "a WebSocket connection is written by its Wire"
        recordings.append(Recording(wire._transport))
        wire._transport = recordings[-1]
    text = "framed once"
    assert (await host.call("chat:send", {"text": text}))["ok"]
    for listener in listeners:
        await listener.wait_for("chat:message", lambda d: d["message"]["text"] == text)
    frames = [
        [data for data in recording.written if text.encode() in data] for recording in recordings
    ]
    assert all(len(found) == 1 for found in frames), "one frame each"
    first = frames[0][0]
    assert first[0] == 0x81  # a whole WebSocket text frame, header included
    assert all(found[0] is first for found in frames), "the same bytes object for everyone"


async def test_one_room_event_starts_no_task_per_recipient(hub: RunningHub, clients: Any) -> None:
    """From the chat's send until every listener has it, the server creates a few tasks
    (the handler of the incoming event), never one per recipient."""
    host, listeners = await _room_of_listeners(hub, clients)
    loop = asyncio.get_running_loop()
    count = TaskCount()
    text = "no task each"
    loop.set_task_factory(count)
    try:
        await host.sio.emit("chat:send", {"text": text})
        for listener in listeners:
            await listener.wait_for("chat:message", lambda d: d["message"]["text"] == text)
    finally:
        loop.set_task_factory(None)
    assert count.server >= 1, "the server's handler of chat:send is a task, and was seen"
    assert count.server < LISTENERS // 4, f"{count.server} server tasks for {LISTENERS}"
