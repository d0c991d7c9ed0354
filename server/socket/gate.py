"""The Socket.IO server's gate: what a client's packets may ask of python-socketio itself.

python-socketio trusts its client more than Hearth can:

- **Reserved event names.** A client EVENT named ``connect`` or ``disconnect`` is routed to
  the server's own connect/disconnect handlers, as if the connection had (re)connected or
  gone: a ``connect`` event signed the connection in again under a new name (many seats
  from one connection); a ``disconnect`` event freed the seat while the connection stayed
  in the room's broadcast (an invisible listener). Event names are checked here, before
  python-socketio looks up a handler: a reserved name, or anything that is not a name at
  all, gets an ``unknown_event`` ack and reaches no handler.
- **Binary packets.** A BINARY_EVENT/BINARY_ACK header announces how many binary frames
  follow, and python-socketio keeps every frame until that many have arrived: a header
  announcing 10^10 attachments buffered whatever the client sent. Hearth's protocol is
  JSON only, so a binary packet header, or any binary Engine.IO message, closes the
  connection before anything is kept.
- **Malformed packets.** A packet that is not JSON, or an event that is not
  ``[name, ...]``, made python-socketio raise and Engine.IO log a traceback; such a packet is
  dropped with one log line (``server.socket.frames``).
- **Sessions that never sign in.** An Engine.IO session is opened before Socket.IO's
  CONNECT (where the credentials and the per-address connection limit are checked), and
  python-socketio keeps one open however long it waits, and after a refused CONNECT.
  Sessions not signed in are counted per address on each process: beyond
  ``HEARTH_CONNECTIONS_PER_ADDRESS`` of them, a new Engine.IO handshake from that address
  is refused (HTTP 401) before anything is kept.
- **Handshakes from a blocked address.** Every refused connection attempt used to cost an
  HTTP request, a WebSocket upgrade, an Engine.IO session and a Socket.IO CONNECT before
  the hub refused it. ``handshake_gate`` answers the first request of a handshake itself
  (HTTP 429 with ``Retry-After``) when the address is blocked on this process (the hub's
  ``blocked_for``) or has made more than ``HEARTH_HANDSHAKES_PER_ADDRESS`` handshakes this
  window: a dict lookup, before anything is kept. The price: the token arrives only in
  the CONNECT, so a facilitator at the same address is refused too until the window ends.
- **A flood that ignores Retry-After.** A script that reconnects the moment it is refused
  made thousands of refused handshakes a second, each still an HTTP request parsed and
  answered: half a core, taken from every other room. The 429 is held back for
  ``HEARTH_REFUSAL_DELAY_MS`` (never past the end of the block), so each of the flood's
  connections can ask at most about once a second. Holding costs a socket and a timer; at
  most ``HEARTH_CONNECTIONS_PER_ADDRESS`` refusals of one address and
  ``HEARTH_HELD_REFUSALS`` in all are held at once, and past that the 429 is sent at once.
- **Origin.** ``cors_allowed_origins=[]`` turns Engine.IO's Origin check off. ``origin_check``
  is the check we hand it instead (see ``allowed_origin``).
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

import socketio
from aiohttp import web
from aiohttp.typedefs import Handler, Middleware
from socketio import packet as sio_packet

from moderation.rate_limits import Limit
from rooms.errors import ErrorCode, HearthError
from server import errors
from server.errors import ServerCode, ServerError
from server.ops import metrics
from server.settings import Settings
from server.socket.addresses import Handshakes, address_tag, request_tag
from server.socket.frames import CheckedPacket

log = logging.getLogger(__name__)

# Names python-socketio (server or client) or the Socket.IO JS client treat specially.
RESERVED_EVENTS = frozenset(
    {
        "connect",
        "disconnect",
        "connect_error",
        "disconnecting",
        "__disconnect_final",
        "message",  # what send() emits; Hearth never handles it
        "newListener",
        "removeListener",
        "*",  # our catch-all handler's own key
    }
)
_BINARY_TYPES = frozenset({str(sio_packet.BINARY_EVENT), str(sio_packet.BINARY_ACK)})
ENGINEIO_PATH = "/socket.io/"  # python-socketio's default, where ``attach`` routes it


class GatedServer(socketio.AsyncServer):  # type: ignore[misc]
    """python-socketio's server, refusing reserved event names, binary packets,
    malformed packets, and more sessions per address that never sign in."""

    def __init__(self, settings: Settings, **options: Any) -> None:
        super().__init__(serializer=CheckedPacket, **options)
        self.settings = settings
        self._unsigned: Counter[str] = Counter()  # per address tag
        self._unsigned_tag: dict[str, str] = {}  # Engine.IO sid -> its address tag
        # Awaited with a connection's sid before its disconnect is handled (the hub's).
        self.settling: Callable[[str], Awaitable[None]] | None = None

    async def _handle_eio_connect(self, eio_sid: str, environ: dict[str, Any]) -> bool | None:
        tag = address_tag(self.settings, environ)
        if self._unsigned[tag] >= self.settings.connections_per_address:
            log.info("refused a handshake: too many sessions not signed in from one address")
            return False
        self._unsigned[tag] += 1
        self._unsigned_tag[eio_sid] = tag
        await super()._handle_eio_connect(eio_sid, environ)
        return None

    def _count_unsigned(self, eio_sid: str, tag: str | None) -> None:
        """Count ``eio_sid`` as not signed in (``tag``), or no longer (``None``)."""
        old = self._unsigned_tag.pop(eio_sid, None)
        if old is not None:
            self._unsigned[old] -= 1
            if self._unsigned[old] <= 0:
                del self._unsigned[old]
        if tag is not None:
            self._unsigned[tag] += 1
            self._unsigned_tag[eio_sid] = tag

    async def _handle_connect(self, eio_sid: str, namespace: str | None, data: object) -> None:
        await super()._handle_connect(eio_sid, namespace, data)
        if self.manager.sid_from_eio_sid(eio_sid, namespace or "/") is not None:
            self._count_unsigned(eio_sid, None)

    async def _handle_disconnect(
        self, eio_sid: str, namespace: str | None, reason: object = None
    ) -> None:
        # python-socketio runs each event as a task, and drops an event of a connection it
        # has begun to disconnect: a page's last room:leave, sent just before its
        # DISCONNECT or its close (the quick exit), could be lost and the seat left away.
        # The events already received are settled first.
        sid = self.manager.sid_from_eio_sid(eio_sid, namespace or "/")
        if self.settling is not None and sid is not None:
            await self.settling(sid)
        await super()._handle_disconnect(eio_sid, namespace, reason)
        # Signed out while the Engine.IO session stays (the client's DISCONNECT, or ours
        # that a hostile client does not follow): not signed in again.
        environ = self.environ.get(eio_sid)
        if environ is not None and eio_sid not in self._unsigned_tag:
            self._count_unsigned(eio_sid, address_tag(self.settings, environ))

    async def _handle_eio_disconnect(self, eio_sid: str, reason: object = None) -> None:
        await super()._handle_eio_disconnect(eio_sid, reason)
        self._count_unsigned(eio_sid, None)

    async def _handle_eio_message(self, eio_sid: str, data: object) -> None:
        # Checked before python-socketio decodes the packet: a binary header would be
        # kept (and its attachments buffered) by the stock method.
        if eio_sid not in self.environ:
            # The session was closed (a binary frame, a refusal) while more of its frames
            # were queued: python-socketio would fail looking up its environ.
            return
        if not isinstance(data, str) or data[:1] in _BINARY_TYPES:
            socket = self.eio.sockets.get(eio_sid)
            if socket is None:
                return  # already closed: a later frame of the same attempt
            log.info("closed a connection that sent binary data")
            await self.eio.disconnect(eio_sid)
            # Engine.IO's writer closes the WebSocket only once its queue ends; without
            # this, the client could keep the TCP connection open sending more frames.
            socket.queue.put_nowait(None)
            return
        try:
            await super()._handle_eio_message(eio_sid, data)
        except ValueError as exc:
            # Decoding (MalformedPacket) and python-socketio's own refusals of packet types
            # a client may not send ("Unknown packet type"). Dropped, not disconnected:
            # closing a session from its own message handler stalls a long-polling POST.
            log.info("dropped a malformed Socket.IO packet (%s)", exc)

    async def _handle_event(
        self, eio_sid: str, namespace: str | None, id: int | None, data: object
    ) -> None:
        name = data[0] if isinstance(data, list) and data else None
        if isinstance(name, str) and name not in RESERVED_EVENTS:
            await super()._handle_event(eio_sid, namespace, id, data)
            return
        log.info("refused a reserved or malformed event name")
        if id is None:
            return
        refusal = errors.ack(ServerError("unknown event", ServerCode.UNKNOWN_EVENT))
        await self._send_packet(
            eio_sid,
            self.packet_class(sio_packet.ACK, namespace=namespace or "/", id=id, data=[refusal]),
        )


class Tarpit:
    """Refusals held back before they are sent, bounded per address and in all."""

    def __init__(self, delay_ms: int, per_address: int, total: int) -> None:
        self._delay_ms = delay_ms
        self._per_address = per_address
        self._total = total
        self._held: Counter[str] = Counter()

    async def hold(self, tag: str, wait_ms: int) -> int:
        """Wait up to the delay (never past ``wait_ms``, the block's end) unless the bounds
        are reached; returns the ms held."""
        if (
            not self._delay_ms
            or self._held[tag] >= self._per_address
            or self._held.total() >= self._total
        ):
            return 0
        held_ms = min(self._delay_ms, wait_ms)
        self._held[tag] += 1
        try:
            await asyncio.sleep(held_ms / 1000)
        finally:
            self._held[tag] -= 1
            if not self._held[tag]:
                del self._held[tag]
        return held_ms


def handshake_gate(
    settings: Settings, blocked_for: Callable[[str, int], int], clock: Callable[[], int]
) -> Middleware:
    """An aiohttp middleware refusing an Engine.IO handshake (a GET without ``sid``: the
    first request of a connection, polling or WebSocket) from an address that is blocked
    (``blocked_for(tag, now)`` ms left) or over its handshakes this window, with HTTP 429
    and ``Retry-After``. Requests of open sessions (with ``sid``) pass: engineio answers
    an unknown ``sid`` with a cheap 400 and keeps nothing."""
    handshakes = Handshakes(Limit(settings.handshakes_per_address, settings.rate_window_ms))
    tarpit = Tarpit(
        settings.refusal_delay_ms, settings.connections_per_address, settings.held_refusals
    )

    @web.middleware
    async def gate(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.method != "GET" or request.path != ENGINEIO_PATH or "sid" in request.query:
            return await handler(request)
        tag = request_tag(settings, request)
        now = clock()
        wait_ms = blocked_for(tag, now)
        if not wait_ms:
            wait_ms = handshakes.count(tag, now)
            if not wait_ms:
                return await handler(request)
            if handshakes.just_over(tag):
                # Once per address and window: a line per refusal would cost more than it.
                log.info("refusing handshakes from one address until its window ends")
        metrics.RATE_LIMITED.labels("handshake").inc()
        wait_ms -= await tarpit.hold(tag, wait_ms)
        seconds = max(1, math.ceil(wait_ms / 1000))
        refusal = HearthError(
            f"too many connection attempts from your network; try again in {seconds} s",
            ErrorCode.RATE_LIMITED,
        )
        return web.json_response(
            errors.ack(refusal), status=429, headers={"Retry-After": str(seconds)}
        )

    return gate


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def allowed_origin(settings: Settings, origin: str, scheme: str, host: str | None) -> bool:
    """Whether a browser page at ``origin`` may open a connection.

    Same-origin is always allowed: the page came from the very address (scheme and Host)
    the request was sent to, which is how the bundled client and the browser tests
    connect, with or without ``HEARTH_PUBLIC_URL``. A hostile page elsewhere cannot make
    the browser send another site's Origin. (A DNS-rebinding page does share the Host it
    names, but Hearth uses no cookies: it gains nothing a non-browser client lacks.)
    Also allowed: ``HEARTH_PUBLIC_URL``, each of ``HEARTH_ALLOWED_ORIGINS``, and in dev
    mode any port on localhost or 127.0.0.1 over http.
    """
    origin = origin.strip().lower()
    if host is not None and origin == f"{scheme}://{host}".lower():
        return True
    allowed = {_origin(o) for o in settings.allowed_origins}
    if settings.public_url is not None:
        allowed.add(_origin(settings.public_url))
    if origin in allowed:
        return True
    if settings.dev:
        parts = urlsplit(origin)
        return parts.scheme == "http" and parts.hostname in {"localhost", "127.0.0.1"}
    return False


def origin_check(settings: Settings) -> Callable[[str | None, dict[str, Any]], bool]:
    """Engine.IO's ``cors_allowed_origins`` callable. Engine.IO refuses a request only
    when it carries an Origin (non-browser clients send none); it also asks, with no
    Origin, while writing CORS headers, where the answer does not matter."""

    def check(origin: str | None, environ: dict[str, Any]) -> bool:
        if origin is None:
            return False
        request = environ["aiohttp.request"]
        scheme = request.scheme
        if settings.trust_proxy and "X-Forwarded-Proto" in request.headers:
            scheme = request.headers["X-Forwarded-Proto"].split(",")[-1].strip()
        if allowed_origin(settings, origin, scheme, request.headers.get("Host")):
            return True
        log.info("refused a connection from another origin")
        return False

    return check
