"""Draining: a process that is told to stop (SIGTERM: a deploy, a scale-down) hands its
people to the other processes instead of ending their meeting.

Socket.IO clients read a Socket.IO DISCONNECT from the server as "io server disconnect"
and never reconnect after it, so a stopping process never sends one. Instead:

1. It stops taking new people: while draining, a new Engine.IO handshake (and
   ``/healthz``, which a load balancer polls) is answered HTTP 503 with ``Retry-After``,
   so the balancer sends them to another process. Connections already open keep working.
2. It tells each of its connections ``server:draining``. A client that understands it
   reconnects at once (the bundled web client closes its transport, and socket.io-client
   reconnects through the balancer); one that connects elsewhere first and joins takes
   the same seat over, which closes its old connection here.
3. It keeps every seat: a connection that closes while draining leaves its seat as it is
   (hand place, mutes, role), so a join from another process takes it back by identity,
   as a second window would, and nobody sees a leave and a join.
4. Once its connections are gone, or ``HEARTH_DRAIN_TIMEOUT_MS`` has passed, it closes
   the Engine.IO transports of the rest (a transport close: their clients reconnect as
   after a network drop) and exits without freeing any seat. What nobody took back is
   freed by the other processes one heartbeat TTL later, as for a process that died.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from server import errors
from server.socket.gate import ENGINEIO_PATH
from server.socket.hub import Hub
from server.wire import ServerDraining

log = logging.getLogger(__name__)

HEALTH_PATH = "/healthz"
# What a handshake refused while draining is told: the process is about to go, come back
# (through the balancer) after this long.
RETRY_AFTER_S = 1
DRAINING_MESSAGE = "this server is restarting; connect again to reach another"


class Drain:
    """One process's drain: the flag the gate reads, and the steps of stopping."""

    def __init__(self, hub: Hub, timeout_ms: int) -> None:
        self.hub = hub
        self.timeout_s = timeout_ms / 1000
        self.draining = False
        self._gone = asyncio.Event()
        hub.on_disconnect.append(self._departed)

    def _departed(self, sid: str) -> None:
        if self.draining and not self.hub.sessions:
            self._gone.set()

    async def run(self) -> None:
        """Stop taking new people, tell ours to move, and wait until they have gone or
        the drain timeout has passed. Seats stay where they are."""
        if self.draining:
            return
        self.draining = True
        self.hub.keeping_seats = True
        sids = list(self.hub.sessions)
        log.info("draining: telling %d connection(s) to move to another process", len(sids))
        name, payload = ServerDraining(retry_after_ms=RETRY_AFTER_S * 1000).dump()
        for sid in sids:
            # This process's connections only (not through Redis): the others stay.
            await self.hub.sio.emit(str(name), payload, to=sid, ignore_queue=True)
        if not self.hub.sessions:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._gone.wait(), self.timeout_s)

    async def close_transports(self) -> None:
        """Close what is left at the Engine.IO level: a transport close, after which
        Socket.IO clients reconnect by themselves (a Socket.IO DISCONNECT would stop
        them). Their seats stay for another process to take over."""
        self.hub.keeping_seats = True
        left = list(self.hub.sessions)
        if left:
            log.info("closing %d connection(s) that did not move in time", len(left))
        sockets = self.hub.sio.eio.sockets
        for sid in left:
            socket = sockets.get(self.hub.sio.manager.eio_sid_from_sid(sid, "/"))
            if socket is None:
                continue
            try:
                # Not waiting for the close to be flushed: a frozen client never takes it.
                await socket.close(wait=False)
            except Exception:
                log.exception("could not close a connection while stopping")

    def middleware(self) -> Middleware:
        """While draining, new handshakes and health checks are answered 503."""

        @web.middleware
        async def refuse_while_draining(
            request: web.Request, handler: Handler
        ) -> web.StreamResponse:
            if self.draining and _is_new_arrival(request):
                refusal = errors.Draining(
                    "this server is restarting; connect again to reach another"
                )
                return web.json_response(
                    errors.ack(refusal),
                    status=errors.http_status(refusal),
                    headers={"Retry-After": str(RETRY_AFTER_S)},
                )
            return await handler(request)

        return refuse_while_draining


def _is_new_arrival(request: web.Request) -> bool:
    """A health check, or the first request of an Engine.IO session (no ``sid`` yet)."""
    if request.path == HEALTH_PATH:
        return True
    return request.path.startswith(ENGINEIO_PATH) and "sid" not in request.query
