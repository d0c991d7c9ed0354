"""The roll of live processes in Redis (``rooms.ports.ProcessRoll``).

Keys, all in one hash slot (``{roll}:…``, ``server.stores.redis_keys``):
``{roll}:proc:{pid}`` — a process's heartbeat, with a TTL; ``{roll}:procs`` — every
process seen; ``{roll}:proc:{pid}:rooms`` — rooms where that process seats people (a
superset).
"""

from __future__ import annotations

from redis.asyncio import Redis

from rooms.roll import Heartbeat
from server.stores.redis_access import Keys, guarded, text


class RedisRoll:
    def __init__(self, redis: Redis, keys: Keys) -> None:
        self._redis = redis
        self._key = keys

    @guarded
    async def beat(self, process_id: str, ttl_ms: int) -> bool:
        pipe = self._redis.pipeline(transaction=True)
        pipe.set(self._key("proc", process_id), b"1", px=ttl_ms, get=True)
        pipe.sadd(self._key("procs"), process_id)
        previous, _ = await pipe.execute()
        return previous is not None

    @guarded
    async def hold(self, process_id: str, room_id: str) -> None:
        await self._redis.sadd(self._key("proc", process_id, "rooms"), room_id)

    @guarded
    async def drop_hold(self, process_id: str, room_id: str) -> None:
        await self._redis.srem(self._key("proc", process_id, "rooms"), room_id)

    @guarded
    async def heartbeats(self, now_ms: int) -> list[Heartbeat]:
        pids = sorted(text(p) for p in await self._redis.smembers(self._key("procs")))
        if not pids:
            return []
        pipe = self._redis.pipeline(transaction=False)
        for pid in pids:
            pipe.pttl(self._key("proc", pid))
        # Redis's own expiry is the judge (no clock skew between processes); its PTTL
        # is -2 once the heartbeat is gone.
        left = await pipe.execute()
        return [
            Heartbeat(pid, now_ms + ms if ms > 0 else None)
            for pid, ms in zip(pids, left, strict=True)
        ]

    @guarded
    async def rooms_held_by(self, process_id: str) -> set[str]:
        rooms = await self._redis.smembers(self._key("proc", process_id, "rooms"))
        return {text(r) for r in rooms}

    @guarded
    async def forget_process(self, process_id: str) -> None:
        pipe = self._redis.pipeline(transaction=True)
        pipe.delete(self._key("proc", process_id), self._key("proc", process_id, "rooms"))
        pipe.srem(self._key("procs"), process_id)
        await pipe.execute()
