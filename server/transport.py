"""The WebSocket under Socket.IO, without permessage-deflate.

python-engineio's aiohttp driver accepts permessage-deflate whenever a client offers it,
and browsers (Chromium) and Node's ``ws`` always do. Deflate then runs once per recipient
per message, in the server's only thread: about 30% of the server's CPU per delivery in
``bench/fanout.py`` (see ``docs/performance.md``). Room events are a few hundred bytes of
JSON, so the bandwidth saved is small; we decline it. HTTP long-polling is unchanged.

engineio has no option for this, so the server instance gets its own copy of the driver
table with this WebSocket class in it; other servers in the process keep the stock one.
"""

from __future__ import annotations

from typing import Any

import socketio
from aiohttp import web
from engineio.async_drivers import aiohttp as engineio_aiohttp


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


def decline_deflate(sio: socketio.AsyncServer) -> None:
    """Serve this server's WebSockets without permessage-deflate."""
    sio.eio._async = {**sio.eio._async, "websocket": UncompressedWebSocket}
