"""Claims, empty marks and rate-limit counters in Redis (``rooms.ports.Claims`` and
``Counters``): small keys that expire by themselves.

Keys: ``claim:{key}`` — a one-time claim on a scheduled action (``SET NX`` with an
expiry); ``room:{<id>}:empty`` — since when (ms) an open room has been seen empty;
``{rate}:rate:{key}:{window}`` — one allowance's count in one window of the wall clock, expiring
once the next window (where a sliding allowance still weighs it) has ended.
"""

from __future__ import annotations

from redis.asyncio import Redis
from redis.typing import EncodableT

from rooms.allowances import Allowance, wait_ms
from rooms.ports import EMPTY_MEMORY_MS
from server.stores import redis_scripts as scripts
from server.stores.redis_access import Keys, guarded


class RedisClaims:
    def __init__(self, redis: Redis, keys: Keys) -> None:
        self._redis = redis
        self._key = keys
        self._take = redis.register_script(scripts.TAKE)
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
    async def take(self, allowances: list[Allowance], now_ms: int) -> list[int]:
        keys: list[str] = []
        args: list[EncodableT] = []
        for allowance in allowances:
            keys += [self._key("rate", allowance.window_key(now_ms, back)) for back in (0, 1)]
            args += [allowance.count, allowance.window_ms, allowance.into(now_ms)]
            args.append(1 if allowance.sliding else 0)
        taken, *counts = [int(n) for n in await self._take(keys=keys, args=args)]
        if taken:
            return [0] * len(allowances)
        pairs = zip(counts[::2], counts[1::2], allowances, strict=True)
        return [wait_ms(last, this, allowance, now_ms) for last, this, allowance in pairs]
