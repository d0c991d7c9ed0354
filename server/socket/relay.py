"""The manager across processes: each room's events on its own channel, followed only
where the room's people are.

python-socketio's Redis manager carries emits between processes on one channel that every
process reads; we keep its emits, with these changes. Its messages are msgpack (it would
otherwise switch to the server's JSON module when it starts). Room events are not emitted
by the process that made them: the store's commit script publishes them, already framed
by ``fanout.frame``, in the same atomic step that stores the change, on the room's own
channel (``server.channels``), so every process that follows the room receives them in
sequence order. The framed messages name a host id no process has, so every process, the
author included, delivers them to its own clients. A room's events for given connections
(and a removal's disconnect) go on the channel of the process holding each connection
(the store finds it in the seat records); announcements (a copy of a public event for
every process: what the webhooks report) and python-socketio's own emits go on the
control channel. Every process reads the control channel and its own, on the same
connection as its rooms', so what one commit publishes arrives in the order published.

**Following a room on demand.** This process subscribes to a room's channel while it has
connections in the room's broadcast or hosts its audio, and unsubscribes when the last
leaves (a leave, a disconnect, a removal, the room's close); a process with nobody of a
room never receives, let alone decodes, its events. ``server.socket.following`` tracks
which subscriptions are live. A connection enters the broadcast right after its join's
commit (``Seats.take``), naming the seq that commit left the room at; if the room is not
live here yet, its events from that seq on are read from the room's log
(``rooms.ports.RoomLog``, written by the same commit) as soon as Redis confirms the
subscription, and the same events arriving live afterwards are dropped by their seq
(``_replayed``). The subscription is confirmed on the pub/sub connection before any
message published after it, and the log is read after that: every event is in the one or
the other, and is delivered exactly once, in order.

**No gap after a resubscribe.** python-socketio's listener re-subscribes after a lost
connection with growing sleeps, and redis-py's pub/sub reconnects by itself: whatever was
published meanwhile is gone. Every subscription confirmed again is caught up the same way,
from the room's log after the last seq delivered here. Each room's events come in seq
order, so the manager knows the last seq it delivered per room; when the next one jumps,
it first reads the missing ones from the log and delivers them in order. A seq that goes
*back* means Redis was rolled back (or the room reopened unseen): the store gives the room
a new opening (so no resume is served from the lost history), then its people are told
``room:rewound`` and take a snapshot.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import socketio
from redis.asyncio.client import PubSub
from redis.asyncio.cluster import ClusterPubSub
from redis.exceptions import RedisError

from rooms.ports import RoomLog
from server.channels import process_channel, room_channel, room_of
from server.codec import MsgpackJson
from server.ops import metrics
from server.socket.fanout import (
    ANNOUNCE,
    ROOM_PREFIX,
    RoomClosed,
    RoomEventSeen,
    arguments,
    fan_out,
    room_seq,
    unframe,
)
from server.socket.following import Following
from server.stores.redis_client import connect
from server.wire.events import ServerEvent

log = logging.getLogger(__name__)

STATE_DELTA = "state"  # the method of a commit's delta (``server.stores.redis_commit``)
RESUBSCRIBE_FIRST_S = 0.1
RESUBSCRIBE_MAX_S = 5.0
# On a Redis Cluster: how long a read of the shard channels waits, and how soon a process
# following no room looks again (``_sharded``).
SHARD_POLL_S = 1.0
SHARD_IDLE_S = 0.05

# Told the room id each time a room's stream here starts or starts again (its subscription
# confirmed and caught up): whatever it keeps of the room may have missed events.
RoomFollowed = Callable[[str], None]


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


async def _messages(pubsub: PubSub) -> AsyncIterator[dict[str, Any]]:
    """Every message and confirmation of the pub/sub connection. On a Redis Cluster the
    control and process channels are read on one node's connection (a PUBLISH reaches
    every node) and the room channels, shard channels, on a connection to each shard
    holding one (redis-py moves them when their slot moves): both are read at once, and
    losing either ends the listening (the listener subscribes everything again)."""
    if not isinstance(pubsub, ClusterPubSub):
        async for message in pubsub.listen():
            yield message
        return
    received: asyncio.Queue[dict[str, Any] | BaseException] = asyncio.Queue()

    async def read(messages: AsyncIterator[dict[str, Any]]) -> None:
        try:
            async for message in messages:
                received.put_nowait(message)
            received.put_nowait(RedisError("the pub/sub connection stopped listening"))
        except (RedisError, OSError) as lost:
            received.put_nowait(lost)
        except Exception as error:  # a bug in a reader: listen afresh, not never again
            log.exception("a pub/sub reader failed")
            received.put_nowait(RedisError(f"a pub/sub reader failed: {error!r}"))

    readers = [
        asyncio.create_task(read(pubsub.listen())),
        asyncio.create_task(read(_sharded(pubsub))),
    ]
    try:
        while True:
            message = await received.get()
            if isinstance(message, BaseException):
                raise message
            yield message
    finally:
        for reader in readers:
            reader.cancel()
        await asyncio.gather(*readers, return_exceptions=True)


async def _sharded(pubsub: ClusterPubSub) -> AsyncIterator[dict[str, Any]]:
    """The shard channels' messages and confirmations, from every shard's connection."""
    while True:
        if not pubsub.node_pubsub_mapping:
            await asyncio.sleep(SHARD_IDLE_S)  # no room followed: nothing to read yet
            continue
        message = await pubsub.get_sharded_message(timeout=SHARD_POLL_S)
        if message is not None:
            yield message


class HearthRedisManager(socketio.AsyncRedisManager):  # type: ignore[misc]
    name = "hearth-redis"

    def __init__(self, url: str, channel: str, prefix: str, process_id: str, **kwargs: Any) -> None:
        super().__init__(url=url, channel=channel, json=MsgpackJson, **kwargs)
        self.prefix = prefix
        self.own_channel = process_channel(prefix, process_id)  # our connections' events
        self.on_room_closed: list[RoomClosed] = []
        self.on_room_event: list[RoomEventSeen] = []
        self.on_announced: list[RoomEventSeen] = []  # public events told every process
        self.on_room_followed: list[RoomFollowed] = []
        # Told each commit's state delta, published on the room's channel before its
        # events: the store keeps its copy of the room current from them.
        self.on_room_state: list[Callable[[str, dict[str, Any]], None]] = []
        self.room_log: RoomLog | None = None  # set by the app: where missed events are read
        # Told the id of a room whose seq went back (Redis rolled it back), before its
        # people are told ``room:rewound``.
        self.on_rewound: list[Callable[[str], Awaitable[None]]] = []
        self._delivered: dict[str, int] = {}  # room id -> last seq delivered here
        # room id -> the last seq a catch-up delivered from the log: the same events may
        # still arrive live (published after we subscribed, before we read the log).
        self._replayed: dict[str, int] = {}
        self._media: set[str] = set()  # rooms whose audio this process hosts
        self._following = Following()
        self._listening = False  # the pub/sub connection is up and subscribed
        self._changed = asyncio.Event()  # what this process wants to follow changed
        self._follower: asyncio.Task[None] | None = None

    def initialize(self) -> None:
        super().initialize()
        self.json = MsgpackJson
        self._follower = self.server.start_background_task(self._follow)

    # --- which rooms this process follows --------------------------------------------

    def enter_broadcast(self, sid: str, room_id: str, seq: int) -> None:
        """Put a connection in the room's broadcast; it holds the room up to ``seq`` (its
        join's commit). Until the room is live here, its events after the lowest such
        seq are read from the log once it is."""
        if not self._following.live(room_id):
            self._delivered.setdefault(room_id, seq)
        self.basic_enter_room(sid, "/", f"{ROOM_PREFIX}{room_id}")

    def host_media(self, room_id: str, seq: int | None) -> None:
        """This process starts hosting the room's audio from its state at ``seq``, or
        (None) stops."""
        if seq is None:
            self._media.discard(room_id)
        else:
            if not self._following.live(room_id):
                self._delivered.setdefault(room_id, seq)
            self._media.add(room_id)
        self._changed.set()

    def basic_enter_room(self, sid: str, namespace: str, room: str, eio_sid: Any = None) -> None:
        super().basic_enter_room(sid, namespace, room, eio_sid=eio_sid)
        room_id = room.removeprefix(ROOM_PREFIX) if isinstance(room, str) else None
        if room_id is not None and room_id != room and room_id not in self._following.sent:
            self._changed.set()

    def basic_leave_room(self, sid: str, namespace: str, room: str) -> None:
        super().basic_leave_room(sid, namespace, room)
        left = room not in self.rooms.get(namespace, {})
        if isinstance(room, str) and room.startswith(ROOM_PREFIX) and left:
            self._changed.set()

    def _wanted(self) -> set[str]:
        here = {
            room.removeprefix(ROOM_PREFIX)
            for room in self.rooms.get("/", {})
            if isinstance(room, str) and room.startswith(ROOM_PREFIX)
        }
        return here | self._media

    async def _follow(self) -> None:
        """Subscribe to the rooms wanted and unsubscribe from the rest, as they change.
        When the connection is down the listener subscribes to every wanted room as it
        connects again, so a failed command needs nothing more here."""
        while True:
            await self._changed.wait()
            self._changed.clear()
            if not self._listening:
                continue
            subscribe, unsubscribe = self._following.plan(self._wanted())
            pubsub = self.pubsub
            try:
                if subscribe:
                    await pubsub.ssubscribe(*(room_channel(self.prefix, r) for r in subscribe))
                if unsubscribe:
                    await pubsub.sunsubscribe(*(room_channel(self.prefix, r) for r in unsubscribe))
            except (RedisError, OSError):
                log.warning("could not change the room subscriptions; the listener will")

    # --- listening -------------------------------------------------------------------

    async def _publish(self, data: Any) -> None:
        """An emit for other processes, on the control channel. Never reconnects the
        pub/sub connection, which is the listener's (python-socketio's would)."""
        for attempt in range(2):
            try:
                await self.redis.publish(self.channel, self.json.dumps(data))
                return
            except (RedisError, OSError):
                if attempt:
                    metrics.REDIS_ERRORS.labels("pubsub").inc()
                    log.warning("could not publish an emit for the other processes")

    def _redis_connect(self) -> None:
        self.redis = connect(self.redis_url, **self.redis_options)
        # Subscription confirmations are kept: they tell when a room's stream starts.
        self.pubsub = self.redis.pubsub(ignore_subscribe_messages=False)
        self.connected = True

    async def _redis_listen_with_retries(self) -> Any:
        """Subscribe to the control channel and every room wanted, listen; on a lost
        connection, again, backing off from ``RESUBSCRIBE_FIRST_S`` to
        ``RESUBSCRIBE_MAX_S``. Each room's confirmation starts its catch-up from its log,
        so an acked event reaches our people even if its room then goes quiet."""
        wait = RESUBSCRIBE_FIRST_S
        while True:
            try:
                self._listening = False
                self._redis_connect()
                rooms = self._wanted()
                self._following.reset(rooms)
                for gone in set(self._delivered) - rooms:  # followed no more
                    self._delivered.pop(gone, None)
                    self._replayed.pop(gone, None)
                await self.pubsub.subscribe(self.channel, self.own_channel)
                if rooms:
                    await self.pubsub.ssubscribe(*(room_channel(self.prefix, r) for r in rooms))
                self._listening = True
                self._changed.set()  # anything wanted since ``rooms`` was read
                wait = RESUBSCRIBE_FIRST_S
                async for message in _messages(self.pubsub):
                    yield message
            except (RedisError, OSError):
                self._listening = False
                self._following.reset(set())  # nothing is live until subscribed again
                metrics.REDIS_ERRORS.labels("pubsub").inc()
                metrics.REDIS_RECONNECTS.inc()
                log.warning("lost the Redis subscription; subscribing again in %.1fs", wait)
                # The next round connects afresh: close this one's connections first.
                with contextlib.suppress(RedisError, OSError):
                    await self.pubsub.aclose()
                    await self.redis.aclose()
                await asyncio.sleep(wait)
                wait = min(wait * 2, RESUBSCRIBE_MAX_S)

    async def _thread(self) -> None:
        async for message in self._redis_listen_with_retries():
            try:
                await self._on_message(message)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("could not handle a pub/sub message")

    async def _on_message(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        room_id = room_of(self.prefix, _text(message["channel"]))
        if kind in ("ssubscribe", "sunsubscribe"):
            if room_id is None:
                return
            if kind == "sunsubscribe" and self._following.dropped(room_id):
                # The room's slot moved to another shard: subscribe there, and catch up.
                log.info("a room's channel moved to another shard: subscribing again")
                self._changed.set()
                return
            await self._confirmed(room_id, kind == "ssubscribe")
            return
        if kind not in ("message", "smessage"):
            return
        if room_id is None:  # the control channel, or our own
            metrics.PUBSUB_MESSAGES.labels("control").inc()
            await self._on_control(self.json.loads(message["data"]))
            return
        if not self._following.live(room_id):
            # Of an earlier subscription: read from the log once the room is live again.
            # (A state delta missed here costs the store one read, at its next commit.)
            return
        metrics.PUBSUB_MESSAGES.labels("room").inc()
        data = self.json.loads(message["data"])
        if not isinstance(data, dict):
            return
        if data.get("method") == "emit":
            await self._handle_emit(data)
        elif data.get("method") == STATE_DELTA:
            for learn in self.on_room_state:
                learn(room_id, data)

    async def _on_control(self, data: object) -> None:
        """python-socketio's own dispatch, and the announcements."""
        if not isinstance(data, dict) or "method" not in data:
            return
        method = data["method"]
        if method == ANNOUNCE:
            room, args = data.get("room"), data.get("data")
            if isinstance(room, str) and isinstance(args, list) and len(args) == 1:
                for seen in self.on_announced:
                    seen(room.removeprefix(ROOM_PREFIX), str(data.get("event")), args[0])
        elif method == "callback":
            await self._handle_callback(data)
        elif data.get("host_id") != self.host_id:
            handlers = {
                "emit": self._handle_emit,
                "disconnect": self._handle_disconnect,
                "enter_room": self._handle_enter_room,
                "leave_room": self._handle_leave_room,
                "close_room": self._handle_close_room,
            }
            handle = handlers.get(method)
            if handle is not None:
                await handle(data)

    async def _confirmed(self, room_id: str, subscribed: bool) -> None:
        if self._following.confirmed(room_id, subscribed):
            await self._catch_up(room_id)
            for followed in self.on_room_followed:
                followed(room_id)
        elif self._following.settled(room_id):
            # Nobody here follows the room any more: its next stream starts afresh.
            self._delivered.pop(room_id, None)
            self._replayed.pop(room_id, None)

    async def _catch_up(self, room_id: str) -> None:
        """Deliver, from the room's log, what was published before its subscription was
        confirmed, after the last seq our people in it hold."""
        last = self._delivered.get(room_id)
        if last is None or not self.rooms.get("/", {}).get(f"{ROOM_PREFIX}{room_id}"):
            return
        for missed in await self._replay(room_id, "/", after=last):
            self._delivered[room_id] = self._replayed[room_id] = missed

    # --- delivering ------------------------------------------------------------------

    async def _handle_emit(self, message: dict[str, Any]) -> None:
        """Deliver one emit, from this process or from Redis, to our own sockets."""
        if message.get("callback") is not None or message.get("binary"):
            await super()._handle_emit(message)
            return
        data = message["data"]
        args = list(data) if isinstance(data, list) else arguments(data)
        namespace = message.get("namespace") or "/"
        room = message.get("room")
        committed = message.get("at")
        if isinstance(committed, float):
            metrics.PUBSUB_LAG.observe(max(0.0, time.time() - committed))
        seq = room_seq(room, args)
        if seq is not None and isinstance(room, str):
            room_id = room.removeprefix(ROOM_PREFIX)
            replayed = self._replayed.pop(room_id, None)
            if replayed is not None and seq <= replayed:
                self._replayed[room_id] = replayed
                return  # delivered already, from the log, as we subscribed
            await self._in_sequence(room, seq, namespace)
        await fan_out(self, message["event"], args, namespace, room, message.get("skip_sid"))

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
            await fan_out(self, name, [payload], namespace, f"{ROOM_PREFIX}{room_id}", None)
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
                await fan_out(self, ServerEvent.ROOM_REWOUND, [rewound], namespace, room, None)
            return
        if present:
            await self._replay(room_id, namespace, after=last, before=seq)

    async def shutdown(self) -> None:
        """Stop listening and close this manager's Redis connections."""
        for task in (getattr(self, "thread", None), self._follower):
            if isinstance(task, asyncio.Task):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if getattr(self, "connected", False):
            await self.pubsub.aclose()
            await self.redis.aclose()
