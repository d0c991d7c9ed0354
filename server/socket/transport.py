"""The WebSocket under Socket.IO, without permessage-deflate.

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
"""

from __future__ import annotations

import binascii
import logging
from typing import Any

import socketio
from aiohttp import web
from engineio.async_drivers import aiohttp as engineio_aiohttp

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
        await self.handler(self)
        return self._sock

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
