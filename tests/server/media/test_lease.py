"""The media lease on a real Redis: one host per room, renewed by it alone, taken over
when it lapses."""

from __future__ import annotations

import asyncio

from redis.asyncio import Redis

from server.media.lease import RedisLease


async def test_one_host_per_room_renewed_only_by_it_and_taken_over_when_it_lapses(
    redis_url: str,
) -> None:
    redis = Redis.from_url(redis_url)
    a = RedisLease(redis, "hearth:", "proc-a", ttl_ms=300)
    b = RedisLease(redis, "hearth:", "proc-b", ttl_ms=300)
    try:
        assert await a.claim("circle") == "proc-a"
        assert await b.claim("circle") == "proc-a"
        assert await b.claim("other") == "proc-b"  # leases are per room
        assert not await b.renew("circle")
        await b.release("circle")  # not B's to release
        assert await a.holder("circle") == "proc-a"

        for _ in range(4):  # A keeps renewing past its TTL
            await asyncio.sleep(0.15)
            assert await a.renew("circle")
        assert await b.claim("circle") == "proc-a"

        await asyncio.sleep(0.4)  # A died: its lease lapses and B takes the room
        assert await a.holder("circle") is None
        assert await b.claim("circle") == "proc-b"
        assert not await a.renew("circle")
        await b.release("circle")
        assert await a.holder("circle") is None
    finally:
        await redis.aclose()
