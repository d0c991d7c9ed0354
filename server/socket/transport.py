"""The WebSocket under Socket.IO: without permessage-deflate, and written by ``Wire``.

python-engineio's aiohttp driver accepts permessage-deflate whenever a client offers it,
and browsers (Chromium) and Node's ``ws`` always do. Deflate then runs once per recipient
per message, in the server's only thread: about 30% of the server's CPU per delivery in
``bench/fanout.py`` (see ``docs/performance.md``). Room events are a few hundred bytes of
JSON, so the bandwidth saved is small; we decline it. HTTP long-polling is unchanged.

engineio has no option for this, so the server instance gets its own copy of the driver
table with this WebSocket class in it; other servers in the process keep the stock one.

The same class refuses malformed Engine.IO frames: engineio decodes a WebSocket frame
outside its error handling, so an empty or untyped frame would end the request with a
traceback that aiohttp logs with the peer's address.

``WireWebSocket`` (``write_once``) also runs the WebSocket session itself in place of
engineio's ``AsyncSocket._websocket_handler``: the same upgrade handshake and receive
loop, but no writer task; the socket's queue is attached to a ``server.socket.writer.Wire``
as soon as the WebSocket carries the session, so every packet is written in the step that
sends it.
"""

from __future__ import annotations

import asyncio
import binascii
import functools
import logging
from typing import Any

import socketio
from aiohttp import web
from engineio import exceptions as eio_exceptions
from engineio import packet as eio_packet
from engineio.async_drivers import aiohttp as engineio_aiohttp

from server.socket.writer import WireQueue

log = logging.getLogger(__name__)

# Engine.IO packet types a client may send in a text frame (open .. noop), and "b" for
# base64 binary; binary frames are binary messages and always decode.
_PACKET_TYPES = frozenset("0123456")


class UncompressedWebSocket(engineio_aiohttp.WebSocket):  # type: ignore[misc]
    async def __call__(self, environ: dict[str, Any]) -> web.WebSocketResponse:
        request = environ["aiohttp.request"]
        self._sock = web.WebSocketResponse(
            max_msg_size=self.server.max_http_buffer_size, compress=False
        )
        await self._sock.prepare(request)
        self.environ = environ
        await self._serve(request)
        return self._sock

    async def _serve(self, request: web.Request) -> None:
        await self.handler(self)

    async def wait(self) -> str | bytes:
        message: str | bytes = await super().wait()
        if isinstance(message, str) and not _decodable(message):
            log.info("closed a WebSocket that sent a malformed Engine.IO packet")
            raise OSError("malformed Engine.IO packet")  # engineio closes the socket
        return message


def _decodable(text: str) -> bool:
    if text[:1] == "b":
        try:
            binascii.a2b_base64(text[1:], strict_mode=True)
        except binascii.Error:
            return False
        return True
    return text[:1] in _PACKET_TYPES


def decline_deflate(sio: socketio.AsyncServer) -> None:
    """Serve this server's WebSockets without permessage-deflate."""
    sio.eio._async = {**sio.eio._async, "websocket": UncompressedWebSocket}


class WireWebSocket(UncompressedWebSocket):
    async def _serve(self, request: web.Request) -> None:
        # engineio hands us its socket's session handler; we run the session instead.
        transport = request.transport
        if transport is None:  # the peer left during the handshake
            return
        await _session(self.handler.__self__, self, transport)


async def _session(socket: Any, ws: WireWebSocket, transport: asyncio.Transport) -> None:
    """engineio's WebSocket session (``AsyncSocket._websocket_handler``), writing through
    the socket's ``Wire`` instead of a writer task."""
    server = socket.server
    if socket.connected and not await _upgraded(socket, ws):
        return
    socket.connected = True
    socket.upgraded = True
    queue: WireQueue = socket.queue
    queue.attach(transport)
    closer = asyncio.ensure_future(_close_when_told(queue, ws))
    while True:
        try:
            async with asyncio.timeout(server.ping_interval + server.ping_timeout):
                data = await _receive(ws, server)
        except (OSError, ValueError, TimeoutError, asyncio.CancelledError):
            # As engineio does, a cancelled handler still ends its session properly,
            # so the disconnect handlers run.
            break
        try:
            await socket.receive(eio_packet.Packet(encoded_packet=data))
        except eio_exceptions.UnknownPacketError:
            pass
        except eio_exceptions.SocketIsClosedError:
            break
        except Exception:
            log.exception("could not handle an Engine.IO packet")
    queue.put_nowait(None)
    # The end runs to completion even if aiohttp cancels this handler meanwhile (it does
    # when the peer's TCP connection goes): the disconnect handlers must run.
    ending = asyncio.ensure_future(_end(socket, closer))
    _ENDING.add(ending)
    ending.add_done_callback(_ENDING.discard)
    await asyncio.shield(ending)


_ENDING: set[asyncio.Future[None]] = set()  # sessions ending, kept until they have


async def _end(socket: Any, closer: asyncio.Future[None]) -> None:
    await closer
    await socket.close(wait=False, abort=True, reason=socket.server.reason.TRANSPORT_CLOSE)


async def _upgraded(socket: Any, ws: WireWebSocket) -> bool:
    """The polling-to-WebSocket upgrade's probe and confirmation, as engineio does them."""
    socket.upgrading = True  # engineio holds packets in the queue meanwhile
    try:
        probe = eio_packet.Packet(encoded_packet=await _receive(ws, socket.server))
        if probe.packet_type != eio_packet.PING or probe.data != "probe":
            return False
        await ws.send(eio_packet.Packet(eio_packet.PONG, data="probe").encode())
        await socket.queue.put(eio_packet.Packet(eio_packet.NOOP))  # ends the pending poll
        confirmed = eio_packet.Packet(encoded_packet=await _receive(ws, socket.server))
        return bool(confirmed.packet_type == eio_packet.UPGRADE)
    except (OSError, ValueError):
        return False
    finally:
        socket.upgrading = False


async def _receive(ws: WireWebSocket, server: Any) -> str | bytes:
    data = await ws.wait()
    if data and len(data) > server.max_http_buffer_size:
        raise ValueError("packet is too large")
    return data


async def _close_when_told(queue: WireQueue, ws: WireWebSocket) -> None:
    await queue.closed()
    await ws.close()


def write_once(sio: socketio.AsyncServer, send_limit: int) -> None:
    """Serve this server's WebSockets without permessage-deflate, each written by a
    ``Wire`` that cuts the connection above ``send_limit`` buffered bytes."""
    sio.eio._async = {**sio.eio._async, "websocket": WireWebSocket}
    sio.eio.create_queue = functools.partial(WireQueue, send_limit=send_limit)
