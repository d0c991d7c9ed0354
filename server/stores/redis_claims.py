"""Claims, empty marks and rate-limit counters in Redis (``rooms.ports.Claims`` and
``Counters``): small keys that expire by themselves.

Keys: ``claim:{key}`` — a one-time claim on a scheduled action (``SET NX`` with an
expiry); ``room:{id}:empty`` — since when (ms) an open room has been seen empty;
``rate:{key}`` — one rate-limit counter for one window, expiring with it.
"""

from __future__ import annotations

from redis.asyncio import Redis

from rooms.ports import EMPTY_MEMORY_MS
from server.stores import redis_scripts as scripts
from server.stores.redis_access import Keys, guarded


class RedisClaims:
    def __init__(self, redis: Redis, keys: Keys) -> None:
        self._redis = redis
        self._key = keys
        self._count = redis.register_script(scripts.COUNT)
        self._empty = redis.register_script(scripts.EMPTY)

    @guarded
    async def claim(self, key: str, ttl_ms: int) -> bool:
        return bool(await self._redis.set(self._key("claim", key), b"1", nx=True, px=ttl_ms))

    @guarded
    async def release(self, key: str) -> None:
        await self._redis.delete(self._key("claim", key))

    @guarded
    async def empty_since(self, room_id: str, now_ms: int, empty: bool) -> int | None:
        key = self._key("room", room_id, "empty")
        if not empty:
            await self._redis.delete(key)
            return None
        return int(await self._empty(keys=[key], args=[now_ms, EMPTY_MEMORY_MS]))

    @guarded
    async def count(self, key: str, expires_in_ms: int) -> int:
        return (await self.count_many([(key, expires_in_ms)]))[0]

    @guarded
    async def count_many(self, counters: list[tuple[str, int]]) -> list[int]:
        keys = [self._key("rate", key) for key, _ in counters]
        counts = await self._count(keys=keys, args=[expires for _, expires in counters])
        return [int(n) for n in counts]
