"""``/metrics``, ``/livez`` and ``/readyz``: what a scraper and a load balancer ask.

``/livez`` answers as long as the event loop runs: restart the process when it does not.
``/readyz`` answers 200 only when this process should get new people: its store answers
within ``HEARTH_REDIS_TIMEOUT_MS``, its own heartbeat landed within the process TTL (else
the other processes are about to judge it silent), and it is not draining. Its JSON body
names each check, so the failed one is in the probe's log. ``/metrics`` is the Prometheus
text format, behind ``HEARTH_METRICS_TOKEN`` (a bearer token) when that is set.
"""

from __future__ import annotations

import asyncio
import hmac
from collections import Counter
from dataclasses import dataclass

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import TimeoutError as RedisTimeoutError

from server.jobs.drain import Drain
from server.jobs.presence import PresenceKeeper
from server.media.gateway import AudioGateway
from server.ops import metrics
from server.socket.hub import Hub
from server.stores.redis_client import connect

LIVEZ_PATH = "/livez"
READYZ_PATH = "/readyz"
METRICS_PATH = "/metrics"


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    ok: bool
    detail: str

    def dump(self) -> dict[str, object]:
        return {"ok": self.ok, "detail": self.detail}


class Probes:
    """One process's probes, reading the parts of its app."""

    def __init__(
        self,
        hub: Hub,
        drain: Drain,
        presence: PresenceKeeper,
        gateway: AudioGateway,
        redis_url: str | None,
        timeout_ms: int,
        metrics_token: str | None,
    ) -> None:
        self.hub = hub
        self.drain = drain
        self.presence = presence
        self.gateway = gateway
        self.timeout_s = timeout_ms / 1000
        # Its own client, which times out by itself: cancelling a command half-read
        # would leave its connection behind. None: the embedded store, always at hand.
        self.redis = (
            connect(
                redis_url,
                socket_timeout=self.timeout_s,
                socket_connect_timeout=self.timeout_s,
                retry=Retry(NoBackoff(), retries=0),
            )
            if redis_url
            else None
        )
        self.token = metrics_token
        self._rooms_open: int | None = None
        self.registry = metrics.registry(self._reading)

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get(LIVEZ_PATH, self.livez)
        app.router.add_get(READYZ_PATH, self.readyz)
        app.router.add_get(METRICS_PATH, self.scrape)
        app.on_cleanup.append(self._close)

    async def _close(self, app: web.Application) -> None:
        if self.redis is not None:
            await self.redis.aclose()

    async def livez(self, request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    async def readyz(self, request: web.Request) -> web.Response:
        checks = [self._not_draining(), await self._store(), self._heartbeat()]
        ready = all(check.ok for check in checks)
        body = {
            "ok": ready,
            "failed": [check.name for check in checks if not check.ok],
            "checks": {check.name: check.dump() for check in checks},
        }
        return web.json_response(body, status=200 if ready else 503)

    def _not_draining(self) -> Check:
        if self.drain.draining:
            return Check("draining", False, "this process is draining: send people elsewhere")
        return Check("draining", True, "not draining")

    async def _store(self) -> Check:
        if self.redis is None:
            return Check("store", True, "embedded store")
        loop = asyncio.get_running_loop()
        started = loop.time()
        try:
            await self.redis.ping()
        except RedisTimeoutError:
            metrics.REDIS_ERRORS.labels("probe").inc()
            return Check("store", False, f"Redis did not answer within {self.timeout_s:g}s")
        except Exception as error:
            metrics.REDIS_ERRORS.labels("probe").inc()
            return Check("store", False, f"Redis is unreachable ({type(error).__name__})")
        return Check("store", True, f"Redis answered in {(loop.time() - started) * 1000:.1f} ms")

    def _heartbeat(self) -> Check:
        last = self.presence.last_beat_s
        ttl_s = self.presence.ttl_ms / 1000
        if last is None:
            return Check("heartbeat", False, "this process has not beaten yet")
        age = asyncio.get_running_loop().time() - last
        if age > ttl_s:
            return Check("heartbeat", False, f"last heartbeat {age:.1f}s ago (TTL {ttl_s:g}s)")
        return Check("heartbeat", True, f"last heartbeat {age:.1f}s ago")

    async def scrape(self, request: web.Request) -> web.Response:
        if self.token is not None:
            sent = request.headers.get("Authorization", "")
            if not hmac.compare_digest(sent.encode(), f"Bearer {self.token}".encode()):
                raise web.HTTPUnauthorized(headers={"WWW-Authenticate": "Bearer"})
        try:
            # Bounded by the store's own timeout (HEARTH_REDIS_TIMEOUT_MS).
            self._rooms_open = len(await self.hub.store.open_rooms())
        except Exception:
            self._rooms_open = None  # left out of this scrape, not a stale number
        body = generate_latest(self.registry)
        response = web.Response(body=body)
        response.headers["Content-Type"] = CONTENT_TYPE_LATEST
        return response

    def _reading(self) -> metrics.Reading:
        sessions = self.hub.sessions.values()
        sockets = self.hub.sio.eio.sockets.values()
        transports = Counter("websocket" if s.upgraded else "polling" for s in sockets)
        mixers = list(self.gateway.mixers.values())
        return metrics.Reading(
            rooms_open=self._rooms_open,
            seated=sum(1 for session in sessions if session.room_id is not None),
            away=self.hub.seats.away.kept(),
            connections=dict(transports),
            media_rooms=len(mixers),
            audio_streams=sum(len(mixer.peers) for mixer in mixers),
            draining=self.drain.draining,
        )
