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

Decoding a room's state costs more than anything else in a chat message once the room
holds a few hundred people (``bench/fanout.py``), so each process keeps the last state it
decoded or wrote per room, with its exact bytes, and reuses it while Redis still holds
those bytes. Redis stays the only truth: every read still fetches the state.
"""

from __future__ import annotations

import asyncio
import random
from collections import defaultdict
from collections.abc import Callable

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

# KEYS: live, open-rooms set. ARGV: version, new state ('' closes), room id, channel, frames...
_COMMIT = """
local v = redis.call('HGET', KEYS[1], 'v')
if not v then return -1 end
if v ~= ARGV[1] then return 0 end
if ARGV[2] == '' then
  redis.call('DEL', KEYS[1])
  redis.call('SREM', KEYS[2], ARGV[3])
else
  redis.call('HSET', KEYS[1], 'v', tostring(tonumber(v) + 1), 's', ARGV[2])
end
for i = 5, #ARGV do redis.call('PUBLISH', ARGV[4], ARGV[i]) end
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
        self._decoded: dict[str, tuple[bytes, RoomState]] = {}

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

    async def _read(self, room_id: str) -> tuple[bytes, RoomState, RoomInfo]:
        pipe = self._redis.pipeline(transaction=True)
        pipe.hmget(self._key("room", room_id, "live"), ["v", "s"])
        pipe.get(self._key("room", room_id, "info"))
        (version, blob), info = await pipe.execute()
        if version is None or info is None:
            self._decoded.pop(room_id, None)
            raise RoomNotFound(f"room {room_id!r} is not open")
        return version, self._state(room_id, _bytes(blob)), codec.unpack(RoomInfo, info)

    def _state(self, room_id: str, blob: bytes) -> RoomState:
        known = self._decoded.get(room_id)
        if known is not None and known[0] == blob:
            return known[1]
        state = codec.unpack(RoomState, blob)
        self._decoded[room_id] = (blob, state)
        return state

    async def snapshot(self, room_id: str) -> RoomState:
        return (await self._read(room_id))[1]

    async def apply(self, room_id: str, rule: Rule) -> Change:
        return await self._change(room_id, rule, closing=False)

    async def close_room(self, room_id: str) -> Change:
        return await self._change(room_id, lambda state, _info: actions.close(state), closing=True)

    async def _change(self, room_id: str, rule: Rule, *, closing: bool) -> Change:
        keys = [self._key("room", room_id, "live"), self._key("rooms")]
        async with self._locks[room_id]:
            for attempt in range(MAX_ATTEMPTS):
                version, state, info = await self._read(room_id)
                change = rule(state, info)
                if not change.changed and not closing:
                    return change
                blob = b"" if closing else codec.pack(change.state)
                frames = [self._frame(room_id, event) for event in change.events]
                args: list[EncodableT] = [version, blob, room_id, self._channel, *frames]
                result = await self._commit(keys=keys, args=args)
                if result == 1:
                    if closing:
                        self._decoded.pop(room_id, None)
                    else:
                        self._decoded[room_id] = (blob, change.state)
                    return change
                if result == -1:
                    raise RoomNotFound(f"room {room_id!r} is not open")
                # Another process changed the room first: back off a little, then re-read.
                await asyncio.sleep(random.uniform(0, 0.001 * (attempt + 1)))
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
