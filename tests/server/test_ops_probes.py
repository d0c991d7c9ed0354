"""``/livez`` and ``/readyz``: a load balancer's questions. Ready names every check; a
frozen Redis (SIGSTOP) makes the process not ready within its timeout, naming the store
(and its heartbeat, once the TTL has passed), while it stays live; it is ready again once
Redis answers; a draining process is not ready, naming the drain."""

from __future__ import annotations

import asyncio
import os
import signal

from server.app import DRAIN
from tests.server.scrapes import probe
from tests.support import RedisServer, running_app, settings


async def test_a_frozen_redis_makes_the_process_not_ready_naming_the_store_but_still_live(
    own_redis: RedisServer,
) -> None:
    timeout_ms = 400
    app_settings = settings(
        own_redis.url, redis_timeout_ms=timeout_ms, heartbeat_ms=200, process_ttl_ms=800
    )
    async with running_app(app_settings) as running:
        status, body = await probe(running.url, "/readyz")
        assert (status, body["ok"], body["failed"]) == (200, True, [])
        assert set(body["checks"]) == {"store", "heartbeat", "draining"}
        assert "Redis answered" in body["checks"]["store"]["detail"]

        os.kill(own_redis.proc.pid, signal.SIGSTOP)
        try:
            started = asyncio.get_running_loop().time()
            status, body = await probe(running.url, "/readyz")
            took = asyncio.get_running_loop().time() - started
            assert status == 503
            assert body["ok"] is False
            assert "store" in body["failed"]
            assert body["checks"]["store"]["ok"] is False
            assert took < timeout_ms / 1000 + 1.5  # the timeout bounds the probe
            assert await probe(running.url, "/livez") == (200, {"ok": True})
            # Frozen past the process TTL: the others would judge it silent by now.
            for _ in range(50):
                status, body = await probe(running.url, "/readyz")
                if "heartbeat" in body["failed"]:
                    break
            assert body["failed"] == ["store", "heartbeat"], body
            assert "last heartbeat" in body["checks"]["heartbeat"]["detail"]
        finally:
            os.kill(own_redis.proc.pid, signal.SIGCONT)

        for _ in range(100):  # Redis answers again: ready again, without a restart
            status, body = await probe(running.url, "/readyz")
            if status == 200:
                break
            await asyncio.sleep(0.1)
        assert (status, body["failed"]) == (200, [])


async def test_a_draining_process_is_live_but_not_ready_and_says_why() -> None:
    async with running_app(settings()) as running:
        await running.app[DRAIN].run()  # nobody connected: returns once draining
        status, body = await probe(running.url, "/readyz")
        assert status == 503
        assert body["failed"] == ["draining"]
        assert await probe(running.url, "/livez") == (200, {"ok": True})
