"""Socket.IO emits: to this process's sockets in one pass, and across processes in msgpack.

**Fan-out.** python-socketio's managers send a room emit by starting one asyncio task per
recipient and waiting for them all. For a room of N people that is N tasks per message,
about 30% of the server's CPU per delivery in ``bench/fanout.py`` (``docs/performance.md``).
Our managers encode the packet once, into its final WebSocket frame, and write the same
bytes to each recipient's ``Wire`` (``server.socket.writer``) in room order, without a task,
a coroutine or a queue per recipient; a long-polling recipient gets the packet on its
Engine.IO queue, which its next poll takes. A socket that already closed is skipped; a
socket whose ping has lapsed is closed by engineio's monitor, not here, so no disconnect
handler (which changes rooms) ever runs in the middle of a room's emit. Emits with an ack
callback keep the stock path.

**Across processes** the manager is ``server.socket.relay``'s: room events travel on each
room's own channel, read only by the processes that have people of the room.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import socketio
from engineio import packet as eio_packet
from socketio import packet as sio_packet

from server.codec import MsgpackJson
from server.ops import metrics
from server.socket.writer import ws_frame
from server.wire.events import Payload, ServerEvent

log = logging.getLogger(__name__)

STORE_HOST_ID = "hearth-store"
# The method of a public event's copy on the control channel: heard by every process's
# hooks (``on_announced``), delivered to nobody.
ANNOUNCE = "announce"
ROOM_PREFIX = "room:"  # Socket.IO rooms named for Hearth rooms (``sessions.socket_room``)

# Told (room id, our connections that were in it) as a room's close is delivered.
RoomClosed = Callable[[str, list[str]], None]
# Told (room id, event name, payload) of each room event as it is delivered here.
RoomEventSeen = Callable[[str, str, Any], None]


async def fan_out(
    manager: socketio.AsyncManager,
    event: str,
    args: list[Any],
    namespace: str,
    room: str | None,
    skip_sid: object,
) -> None:
    """Send one event to every local member of ``room`` (a room name or a sid)."""
    if room is not None and room.startswith(ROOM_PREFIX) and len(args) == 1:
        for seen in getattr(manager, "on_room_event", ()):
            seen(room.removeprefix(ROOM_PREFIX), event, args[0])
    if namespace not in manager.rooms:
        return
    skip = skip_sid if isinstance(skip_sid, list) else [skip_sid]
    encoded = manager.server.packet_class(
        sio_packet.EVENT, namespace=namespace, data=[event, *args]
    ).encode()
    packets = [
        eio_packet.Packet(eio_packet.MESSAGE, part)
        for part in (encoded if isinstance(encoded, list) else [encoded])
    ]
    metrics.ROOM_EVENTS.labels(event).inc()
    sockets = manager.server.eio.sockets
    closing = event == ServerEvent.ROOM_CLOSED and room is not None and room.startswith(ROOM_PREFIX)
    heard: list[str] = []  # who heard the room's close
    framed: list[bytes] | None = None  # the WebSocket frames, made for the first who needs them
    # Nothing is kept per recipient (no list of them either): few allocations per event,
    # so a big room's events do not keep the garbage collector busy.
    for sid, eio_sid in manager.get_participants(namespace, room):
        if closing:
            heard.append(sid)
        socket = sockets.get(eio_sid)
        if sid in skip or socket is None or socket.closed:
            continue
        wire = getattr(socket.queue, "wire", None)
        if wire is None:  # long-polling, or not yet upgraded: engineio's queue
            for pkt in packets:
                socket.queue.put_nowait(pkt)
            continue
        if framed is None:
            framed = [ws_frame(pkt.encode()) for pkt in packets]
        for frame_bytes in framed:
            wire.write(frame_bytes)
    if closing and room is not None:
        # The room's broadcast ends with its close, in the same step: nobody here keeps
        # hearing a room they no longer have a seat in (nor its next session).
        manager.basic_close_room(room, namespace)
        getattr(manager, "_delivered", {}).pop(room.removeprefix(ROOM_PREFIX), None)
        for listener in getattr(manager, "on_room_closed", ()):
            listener(room.removeprefix(ROOM_PREFIX), heard)


def send_here(manager: socketio.AsyncManager, event: str, payload: Payload, sid: str) -> None:
    """Queue one event for one of this process's connections in this very step: no
    pub/sub hop and no await, so nothing the listener delivers can overtake it."""
    eio_sid = manager.eio_sid_from_sid(sid, "/")
    socket = manager.server.eio.sockets.get(eio_sid) if eio_sid is not None else None
    if socket is None or socket.closed:
        return
    encoded = manager.server.packet_class(
        sio_packet.EVENT, namespace="/", data=[event, payload]
    ).encode()
    for part in encoded if isinstance(encoded, list) else [encoded]:
        socket.queue.put_nowait(eio_packet.Packet(eio_packet.MESSAGE, part))


def room_seq(room: object, args: list[Any]) -> int | None:
    """The seq of a public room event (private ones go to connections, not rooms)."""
    if not (isinstance(room, str) and room.startswith(ROOM_PREFIX)) or len(args) != 1:
        return None
    seq = args[0].get("seq") if isinstance(args[0], dict) else None
    return seq if isinstance(seq, int) else None


def arguments(data: object) -> list[Any]:
    """Emit data as Socket.IO arguments: a tuple spreads, ``None`` is none."""
    if isinstance(data, tuple):
        return list(data)
    return [] if data is None else [data]


class HearthManager(socketio.AsyncManager):  # type: ignore[misc]
    """The single-process manager, with the one-pass fan-out."""

    def __init__(self) -> None:
        super().__init__()
        self.on_room_closed: list[RoomClosed] = []
        self.on_room_event: list[RoomEventSeen] = []

    async def emit(
        self,
        event: str,
        data: object,
        namespace: str,
        room: str | None = None,
        skip_sid: object = None,
        callback: object = None,
        to: str | None = None,
        **kwargs: Any,
    ) -> None:
        if callback is not None:
            await super().emit(event, data, namespace, room, skip_sid, callback, to, **kwargs)
            return
        await fan_out(self, event, arguments(data), namespace, to or room, skip_sid)

    def enter_broadcast(self, sid: str, room_id: str, seq: int) -> None:
        """Put a connection in the room's broadcast (``seq``: its join's commit, which
        delivered everything before it here already)."""
        self.basic_enter_room(sid, "/", f"{ROOM_PREFIX}{room_id}")


def frame(channel_room: str, event: str, payload: Payload, method: str = "emit") -> bytes:
    """One emit to a Socket.IO room, as the manager on every process reads it (or, with
    ``method`` ``ANNOUNCE``, its copy for every process's hooks)."""
    return MsgpackJson.dumps(
        {
            "method": method,
            "event": event,
            "data": [payload],
            "binary": False,
            "namespace": "/",
            "room": channel_room,
            "skip_sid": None,
            "callback": None,
            "host_id": STORE_HOST_ID,
            # Wall-clock seconds as the commit is made: the receivers' pub/sub lag.
            "at": time.time(),
        }
    )


def unframe(framed: bytes) -> tuple[str, Payload]:
    """A logged room event, back as its name and payload (see ``frame``)."""
    message = MsgpackJson.loads(framed)
    return str(message["event"]), message["data"][0]
