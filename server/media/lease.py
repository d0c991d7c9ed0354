"""Which process hosts a room's audio: a lease, so there is one media host per room.

With Redis, ``media:{room}`` holds the host's process id with a TTL. The first process
that needs the room's audio takes it (``SET NX PX``); the host renews it every third of
the TTL with a compare-and-set script (renew only if the lease is still ours), and
releases it the same way. A host that dies stops renewing: the lease lapses after the TTL
and the next process that needs the room's audio becomes its host. On one process
without Redis, that process hosts every room.
"""

from __future__ import annotations

from typing import Protocol

from redis.asyncio import Redis

# KEYS: lease. ARGV: process id, ttl ms.
_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""

# KEYS: lease. ARGV: process id.
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class MediaLease(Protocol):
    async def claim(self, room_id: str) -> str:
        """The room's media host, this process if nobody held the lease."""
        ...

    async def holder(self, room_id: str) -> str | None: ...

    async def renew(self, room_id: str) -> bool:
        """Keep hosting; False if the lease is no longer ours."""
        ...

    async def release(self, room_id: str) -> None: ...


class LocalLease:
    def __init__(self, process_id: str) -> None:
        self.process_id = process_id

    async def claim(self, room_id: str) -> str:
        return self.process_id

    async def holder(self, room_id: str) -> str | None:
        return self.process_id

    async def renew(self, room_id: str) -> bool:
        return True

    async def release(self, room_id: str) -> None:
        return None


class RedisLease:
    def __init__(self, redis: Redis, prefix: str, process_id: str, ttl_ms: int) -> None:
        self._redis = redis
        self._prefix = prefix
        self.process_id = process_id
        self.ttl_ms = ttl_ms
        self._renew = redis.register_script(_RENEW)
        self._release = redis.register_script(_RELEASE)

    def _key(self, room_id: str) -> str:
        return f"{self._prefix}media:{room_id}"

    async def claim(self, room_id: str) -> str:
        key = self._key(room_id)
        if await self._redis.set(key, self.process_id, nx=True, px=self.ttl_ms):
            return self.process_id
        holder = await self.holder(room_id)
        # Lapsed between the two calls: try once more rather than report nobody.
        return holder if holder is not None else await self.claim(room_id)

    async def holder(self, room_id: str) -> str | None:
        raw = await self._redis.get(self._key(room_id))
        if raw is None:
            return None
        return raw.decode() if isinstance(raw, bytes) else str(raw)

    async def renew(self, room_id: str) -> bool:
        keys = [self._key(room_id)]
        return bool(await self._renew(keys=keys, args=[self.process_id, self.ttl_ms]))

    async def release(self, room_id: str) -> None:
        await self._release(keys=[self._key(room_id)], args=[self.process_id])
