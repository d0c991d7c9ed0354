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

**Across processes.** python-socketio's Redis manager carries emits between processes; we
keep it, with two changes. Its messages are msgpack (it would otherwise switch to the
server's JSON module when it starts). And room events are not emitted by the process that
made them: the store's commit script publishes them, already framed by ``frame``, in the
same atomic step that stores the change, so every process receives them in sequence order. The
framed messages name a host id no process has, so every process, the author included,
delivers them to its own clients.

**No gap after a resubscribe.** python-socketio's listener re-subscribes after a lost
connection with growing sleeps, and redis-py's pub/sub reconnects by itself: whatever was
published meanwhile is gone. Each room's events come in seq order, so the manager knows
the last seq it delivered per room; when the next one jumps, it first reads the missing
ones from the room's log (``rooms.ports.RoomLog``, written by the same commit) and
delivers them in order. A seq that goes *back* means Redis was rolled back (or the room
reopened unseen): the store gives the room a new opening (so no resume is served from the
lost history), then its people are told ``room:rewound`` and take a snapshot.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import socketio
from engineio import packet as eio_packet
from redis.exceptions import RedisError
from socketio import packet as sio_packet

from rooms.ports import RoomLog
from server.codec import MsgpackJson
from server.ops import metrics
from server.socket.writer import ws_frame
from server.wire.events import Payload, ServerEvent

log = logging.getLogger(__name__)

STORE_HOST_ID = "hearth-store"
RESUBSCRIBE_FIRST_S = 0.1
RESUBSCRIBE_MAX_S = 5.0
ROOM_PREFIX = "room:"  # Socket.IO rooms named for Hearth rooms (``sessions.socket_room``)

# Told (room id, our connections that were in it) as a room's close is delivered.
RoomClosed = Callable[[str, list[str]], None]
# Told (room id, event name, payload) of each room event as it is delivered here.
RoomEventSeen = Callable[[str, str, Any], None]


async def _fan_out(
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


def _seq(room: object, args: list[Any]) -> int | None:
    """The seq of a public room event (private ones go to connections, not rooms)."""
    if not (isinstance(room, str) and room.startswith(ROOM_PREFIX)) or len(args) != 1:
        return None
    seq = args[0].get("seq") if isinstance(args[0], dict) else None
    return seq if isinstance(seq, int) else None


def _arguments(data: object) -> list[Any]:
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
        await _fan_out(self, event, _arguments(data), namespace, to or room, skip_sid)


class HearthRedisManager(socketio.AsyncRedisManager):  # type: ignore[misc]
    name = "hearth-redis"

    def __init__(self, url: str, channel: str, **kwargs: Any) -> None:
        super().__init__(url=url, channel=channel, json=MsgpackJson, **kwargs)
        self.on_room_closed: list[RoomClosed] = []
        self.on_room_event: list[RoomEventSeen] = []
        self.room_log: RoomLog | None = None  # set by the app: where missed events are read
        # Told the id of a room whose seq went back (Redis rolled it back), before its
        # people are told ``room:rewound``.
        self.on_rewound: list[Callable[[str], Awaitable[None]]] = []
        self._delivered: dict[str, int] = {}  # room id -> last seq delivered here
        # room id -> the last seq a catch-up delivered from the log: the same events may
        # still arrive live (published after we subscribed, before we read the log).
        self._replayed: dict[str, int] = {}

    def initialize(self) -> None:
        super().initialize()
        self.json = MsgpackJson

    async def _handle_emit(self, message: dict[str, Any]) -> None:
        """Deliver one emit, from this process or from Redis, to our own sockets."""
        if message.get("callback") is not None or message.get("binary"):
            await super()._handle_emit(message)
            return
        data = message["data"]
        args = list(data) if isinstance(data, list) else _arguments(data)
        namespace = message.get("namespace") or "/"
        room = message.get("room")
        committed = message.get("at")
        if isinstance(committed, float):
            metrics.PUBSUB_LAG.observe(max(0.0, time.time() - committed))
        seq = _seq(room, args)
        if seq is not None and isinstance(room, str):
            room_id = room.removeprefix(ROOM_PREFIX)
            replayed = self._replayed.pop(room_id, None)
            if replayed is not None and seq <= replayed:
                self._replayed[room_id] = replayed
                return  # delivered already, from the log, as we subscribed again
            await self._in_sequence(room, seq, namespace)
        await _fan_out(self, message["event"], args, namespace, room, message.get("skip_sid"))

    async def _redis_listen_with_retries(self) -> Any:
        """Subscribe, catch up, listen; on a lost connection, again, backing off from
        ``RESUBSCRIBE_FIRST_S`` to ``RESUBSCRIBE_MAX_S``. python-socketio's own loop waits
        1, 2, 4 ... s and drops what was published meanwhile; here each subscription
        starts by reading what this process missed from each room's log, so an acked
        event reaches our people even if its room then goes quiet."""
        wait = RESUBSCRIBE_FIRST_S
        while True:
            try:
                self._redis_connect()
                await self.pubsub.subscribe(self.channel)
                await self._catch_up()
                wait = RESUBSCRIBE_FIRST_S
                async for message in self.pubsub.listen():
                    yield message
            except (RedisError, OSError):
                metrics.REDIS_ERRORS.labels("pubsub").inc()
                metrics.REDIS_RECONNECTS.inc()
                log.warning("lost the Redis subscription; subscribing again in %.1fs", wait)
                # The next round connects afresh: close this one's connections first.
                with contextlib.suppress(RedisError, OSError):
                    await self.pubsub.aclose()
                    await self.redis.aclose()
                await asyncio.sleep(wait)
                wait = min(wait * 2, RESUBSCRIBE_MAX_S)

    async def _catch_up(self) -> None:
        """Deliver, from each room's log, what was published while we were not
        listening, for every room this process has people in."""
        for room_id, last in list(self._delivered.items()):
            room = f"{ROOM_PREFIX}{room_id}"
            if self.rooms.get("/", {}).get(room):
                for missed in await self._replay(room_id, "/", after=last):
                    self._delivered[room_id] = self._replayed[room_id] = missed

    async def _replay(
        self, room_id: str, namespace: str, *, after: int, before: int | None = None
    ) -> list[int]:
        """Deliver the room's logged events after ``after`` (and before ``before``) to our
        people in it; the seqs delivered. Nothing if the log cannot be read: the clients
        see the gap and take a snapshot themselves."""
        if self.room_log is None:
            return []
        try:
            entries = await self.room_log.events_after(room_id, after)
        except Exception:
            log.warning("could not read a room's missed events", exc_info=True)
            return []
        delivered: list[int] = []
        for missed, framed in entries:
            if before is not None and missed >= before:
                break
            name, payload = unframe(framed)
            await _fan_out(self, name, [payload], namespace, f"{ROOM_PREFIX}{room_id}", None)
            delivered.append(missed)
        return delivered

    async def _in_sequence(self, room: str, seq: int, namespace: str) -> None:
        """Before delivering ``seq`` of ``room``: deliver what this process missed of it,
        or tell its people their copy of the room is wrong."""
        room_id = room.removeprefix(ROOM_PREFIX)
        last = self._delivered.get(room_id)
        self._delivered[room_id] = seq
        if last is None or seq == last + 1:
            return
        present = bool(self.rooms.get(namespace, {}).get(room))
        if seq <= last:
            log.warning("a room went back from seq %d to %d: resyncing", last, seq)
            # The store first gives the room a new opening (whoever has people in it or
            # not), so the snapshot our people now ask for names it.
            for renew in self.on_rewound:
                try:
                    await renew(room_id)
                except Exception:
                    log.warning("could not give a rolled back room a new opening", exc_info=True)
            if present:
                rewound = {"room": room_id, "seq": seq}
                await _fan_out(self, ServerEvent.ROOM_REWOUND, [rewound], namespace, room, None)
            return
        if present:
            await self._replay(room_id, namespace, after=last, before=seq)

    async def shutdown(self) -> None:
        """Stop listening and close this manager's Redis connections."""
        thread = getattr(self, "thread", None)
        if isinstance(thread, asyncio.Task):
            thread.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await thread
        if getattr(self, "connected", False):
            await self.pubsub.aclose()
            await self.redis.aclose()


def frame(channel_room: str, event: str, payload: Payload) -> bytes:
    """One emit to a Socket.IO room, as the manager on every process reads it."""
    return MsgpackJson.dumps(
        {
            "method": "emit",
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
