"""The shared store: room state and the roll of live processes in Redis.

Keys (under the configured prefix):

- ``room:{id}:info`` — the room's settings (msgpack ``RoomInfo``);
- ``room:{id}:live`` — hash ``v`` (write version) and ``s`` (msgpack ``RoomState``), present
  exactly while the room is open; chat lives only here, so closing the room deletes it;
- ``rooms`` — set of open room ids;
- ``proc:{pid}`` — a process's heartbeat, with a TTL; ``procs`` — every process seen;
- ``proc:{pid}:rooms`` — rooms where that process seats people (a superset).

Every change is optimistic: read the state and its version, apply the pure rule in
Python, then one Lua script writes the new state *only if the version is unchanged* and
publishes the events on the Socket.IO channel in the same step. Publishing inside the
script makes Redis's publish order equal to sequence order, for every process. On a
conflict the rule runs again on the fresh state.

Reading and decoding a room's state cost more than anything else in a chat message once
the room holds a few hundred people (``bench/fanout.py``), so each process remembers, per
room, the version, state and info it last read or wrote. A change first runs its rule on
what it remembers and commits that; the script's check (same version *and* same info
bytes) proves it was still current, and only a failed check, a refusal or a no-op costs a
fresh read, after which the rule runs again as before. Reads for snapshots always go to
Redis, and reuse the decoded state while Redis holds the same bytes.
"""

from __future__ import annotations

import asyncio
import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from redis.asyncio import Redis
from redis.typing import EncodableT

from rooms import actions
from rooms.actions import Change
from rooms.errors import ErrorCode, HearthError, RoomNotFound
from rooms.events import RoomEvent
from rooms.ports import Rule
from rooms.room import RoomInfo
from rooms.state import RoomState
from server import codec

Frame = Callable[[str, RoomEvent], bytes]

# KEYS: live, open-rooms set, info.
# ARGV: version, new state ('' closes), room id, channel, the info the rule saw, frames...
_COMMIT = """
local v = redis.call('HGET', KEYS[1], 'v')
if not v then return -1 end
if v ~= ARGV[1] or redis.call('GET', KEYS[3]) ~= ARGV[5] then return 0 end
if ARGV[2] == '' then
  redis.call('DEL', KEYS[1])
  redis.call('SREM', KEYS[2], ARGV[3])
else
  redis.call('HSET', KEYS[1], 'v', tostring(tonumber(v) + 1), 's', ARGV[2])
end
for i = 6, #ARGV do redis.call('PUBLISH', ARGV[4], ARGV[i]) end
return 1
"""

# KEYS: info, live, open-rooms set. ARGV: info, empty state, room id.
_OPEN = """
redis.call('SET', KEYS[1], ARGV[1])
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
redis.call('HSET', KEYS[2], 'v', '0', 's', ARGV[2])
redis.call('SADD', KEYS[3], ARGV[3])
return 1
"""

MAX_ATTEMPTS = 64


@dataclass(frozen=True, slots=True)
class _Known:
    """A room as this process last read or wrote it, with the bytes Redis held."""

    version: bytes
    blob: bytes
    state: RoomState
    info_blob: bytes
    info: RoomInfo


def _str(raw: bytes | str) -> str:
    return raw.decode() if isinstance(raw, bytes) else raw


def _bytes(raw: bytes | str) -> bytes:
    return raw.encode() if isinstance(raw, str) else raw


class RedisStore:
    def __init__(self, redis: Redis, *, prefix: str, channel: str, frame: Frame) -> None:
        self._redis = redis
        self._prefix = prefix
        self._channel = channel
        self._frame = frame
        self._commit = redis.register_script(_COMMIT)
        self._open = redis.register_script(_OPEN)
        # Callers in this process queue up instead of racing each other's versions.
        self._locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._known: dict[str, _Known] = {}

    def _key(self, *parts: str) -> str:
        return self._prefix + ":".join(parts)

    async def open_room(self, info: RoomInfo) -> bool:
        keys = [
            self._key("room", info.room_id, "info"),
            self._key("room", info.room_id, "live"),
            self._key("rooms"),
        ]
        args: list[EncodableT] = [
            codec.pack(info),
            codec.pack(RoomState(info.room_id)),
            info.room_id,
        ]
        return bool(await self._open(keys=keys, args=args))

    async def room_info(self, room_id: str) -> RoomInfo | None:
        raw = await self._redis.get(self._key("room", room_id, "info"))
        return codec.unpack(RoomInfo, _bytes(raw)) if raw else None

    async def open_rooms(self) -> list[RoomInfo]:
        ids = sorted(_str(m) for m in await self._redis.smembers(self._key("rooms")))
        if not ids:
            return []
        raws = await self._redis.mget([self._key("room", i, "info") for i in ids])
        return [codec.unpack(RoomInfo, _bytes(raw)) for raw in raws if raw]

    async def _read(self, room_id: str) -> _Known:
        pipe = self._redis.pipeline(transaction=True)
        pipe.hmget(self._key("room", room_id, "live"), ["v", "s"])
        pipe.get(self._key("room", room_id, "info"))
        (version, blob), info = await pipe.execute()
        if version is None or info is None:
            self._known.pop(room_id, None)
            raise RoomNotFound(f"room {room_id!r} is not open")
        blob, info = _bytes(blob), _bytes(info)
        known = self._known.get(room_id)
        if known is not None and known.blob == blob:
            state = known.state
        else:
            state = codec.unpack(RoomState, blob)
        if known is not None and known.info_blob == info:
            room = known.info
        else:
            room = codec.unpack(RoomInfo, info)
        known = _Known(_bytes(version), blob, state, info, room)
        self._known[room_id] = known
        return known

    async def snapshot(self, room_id: str) -> RoomState:
        return (await self._read(room_id)).state

    async def apply(self, room_id: str, rule: Rule) -> Change:
        return await self._change(room_id, rule, closing=False)

    async def close_room(self, room_id: str) -> Change:
        return await self._change(room_id, lambda state, _info: actions.close(state), closing=True)

    async def _change(self, room_id: str, rule: Rule, *, closing: bool) -> Change:
        keys = [
            self._key("room", room_id, "live"),
            self._key("rooms"),
            self._key("room", room_id, "info"),
        ]
        async with self._locks[room_id]:
            known = self._known.get(room_id)
            fresh = known is None
            for attempt in range(MAX_ATTEMPTS):
                if known is None:
                    known, fresh = await self._read(room_id), True
                try:
                    change = rule(known.state, known.info)
                except Exception:
                    if fresh:
                        raise
                    known = None  # refused on what we remembered: ask Redis
                    continue
                if not change.changed and not closing:
                    if fresh:
                        return change
                    known = None
                    continue
                blob = b"" if closing else codec.pack(change.state)
                frames = [self._frame(room_id, event) for event in change.events]
                args: list[EncodableT] = [
                    known.version,
                    blob,
                    room_id,
                    self._channel,
                    known.info_blob,
                    *frames,
                ]
                result = await self._commit(keys=keys, args=args)
                if result == 1:
                    if closing:
                        self._known.pop(room_id, None)
                    else:
                        version = str(int(known.version) + 1).encode()
                        self._known[room_id] = _Known(
                            version, blob, change.state, known.info_blob, known.info
                        )
                    return change
                if result == -1:
                    self._known.pop(room_id, None)
                    raise RoomNotFound(f"room {room_id!r} is not open")
                if fresh:
                    # Another process changed the room first: back off a little.
                    await asyncio.sleep(random.uniform(0, 0.001 * (attempt + 1)))
                known = None
        raise HearthError("the room is too busy right now, try again", ErrorCode.BUSY)

    async def beat(self, process_id: str, ttl_ms: int) -> None:
        pipe = self._redis.pipeline(transaction=True)
        pipe.set(self._key("proc", process_id), b"1", px=ttl_ms)
        pipe.sadd(self._key("procs"), process_id)
        await pipe.execute()

    async def hold(self, process_id: str, room_id: str) -> None:
        await self._redis.sadd(self._key("proc", process_id, "rooms"), room_id)

    async def silent_processes(self) -> list[str]:
        pids = sorted(_str(p) for p in await self._redis.smembers(self._key("procs")))
        if not pids:
            return []
        pipe = self._redis.pipeline(transaction=False)
        for pid in pids:
            pipe.exists(self._key("proc", pid))
        alive = await pipe.execute()
        return [pid for pid, live in zip(pids, alive, strict=True) if not live]

    async def rooms_held_by(self, process_id: str) -> set[str]:
        rooms = await self._redis.smembers(self._key("proc", process_id, "rooms"))
        return {_str(r) for r in rooms}

    async def forget_process(self, process_id: str) -> None:
        pipe = self._redis.pipeline(transaction=True)
        pipe.delete(self._key("proc", process_id), self._key("proc", process_id, "rooms"))
        pipe.srem(self._key("procs"), process_id)
        await pipe.execute()

    async def close(self) -> None:
        await self._redis.aclose()
