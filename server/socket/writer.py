"""Frame once, write many: one ordered, synchronous writer per WebSocket connection.

python-engineio gives every connection a send queue and a writer task: each packet is put
on the queue, the writer wakes (``asyncio.wait_for`` makes a task per packet), encodes it
and awaits aiohttp's send. For a room of N people that is N wake-ups and N encodings per
event, a third of the server's CPU per delivery in ``bench/fanout.py``.

Here, once a connection is on WebSocket, its queue is a ``WireQueue`` attached to a
``Wire``: whatever engineio or python-socketio puts on it (the open packet, acks, pings,
private events, the close packet) is framed and written to the TCP transport at once, in
the caller's step. A room event is framed once (``ws_frame``: a server's frames are
unmasked, so the bytes are the same for every recipient) and the same bytes are written to
each member's ``Wire`` (``server.socket.fanout``). Every write to a connection happens
synchronously in call order, so whatever path a packet takes, the connection receives
packets in the order they were sent. Before the WebSocket is established (long-polling,
or the upgrade's handshake) the queue is an ordinary queue, drained by engineio's polling
as before; when the wire is attached, what was queued is written first.

**Slow consumers.** A write that the kernel does not take stays in the transport's buffer,
in this process's memory. Above ``limit`` buffered bytes (``HEARTH_SEND_BUFFER_BYTES``)
the connection is cut at once (its buffer is dropped), instead of holding more; its client
reconnects and catches up from the room's event log (``since`` in ``room:join``). Nobody
else waits for it: a write never blocks.
"""

from __future__ import annotations

import asyncio
import logging
import struct
from typing import Any

from engineio import packet as eio_packet

log = logging.getLogger(__name__)

_TEXT = 0x81  # FIN + text opcode
_BINARY = 0x82  # FIN + binary opcode


def ws_frame(data: str | bytes) -> bytes:
    """One unmasked WebSocket frame (server to client) carrying ``data``."""
    if isinstance(data, str):
        payload, first = data.encode(), _TEXT
    else:
        payload, first = data, _BINARY
    size = len(payload)
    if size < 126:
        return struct.pack("!BB", first, size) + payload
    if size < 65536:
        return struct.pack("!BBH", first, 126, size) + payload
    return struct.pack("!BBQ", first, 127, size) + payload


class Wire:
    """A WebSocket connection's transport, written synchronously, cut when it falls
    ``limit`` bytes behind."""

    __slots__ = ("_limit", "_transport", "cut")

    def __init__(self, transport: asyncio.Transport, limit: int) -> None:
        self._transport = transport  # the connection's TCP transport, shared with aiohttp
        self._limit = limit
        self.cut = False  # closed here for falling behind

    def write(self, framed: bytes) -> None:
        transport = self._transport
        if transport.is_closing():
            return
        transport.write(framed)
        buffered = transport.get_write_buffer_size()
        if buffered > self._limit:
            self.cut = True
            log.info("closed a connection that fell %d bytes behind", buffered)
            transport.abort()  # drops the buffer now; the session ends as for a lost peer

    def buffered(self) -> int:
        """Bytes written but not yet taken by the kernel."""
        return 0 if self._transport.is_closing() else self._transport.get_write_buffer_size()

    def send(self, pkt: eio_packet.Packet) -> None:
        self.write(ws_frame(pkt.encode()))


class WireQueue(asyncio.Queue[Any]):
    """An Engine.IO socket's send queue that, once attached to a ``Wire``, writes each
    packet at once instead of queueing it. ``None`` (engineio's "end the writer") is
    always queued: the WebSocket session waits for it to close the WebSocket."""

    def __init__(self, *args: Any, send_limit: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.send_limit = send_limit
        self.wire: Wire | None = None

    def put_nowait(self, item: Any) -> None:
        wire = self.wire
        if wire is None or item is None:
            super().put_nowait(item)
        else:
            wire.send(item)

    def attach(self, transport: asyncio.Transport) -> Wire:
        """Write to ``transport`` from now on, what was queued first."""
        wire = Wire(transport, self.send_limit)
        while not self.empty():
            item = self.get_nowait()
            self.task_done()
            if item is None:
                super().put_nowait(None)  # the session is ending: leave it for the closer
                break
            wire.send(item)
        self.wire = wire
        return wire

    async def closed(self) -> None:
        """Wait for engineio's (or our own) request to close the WebSocket."""
        while True:
            item = await self.get()
            self.task_done()
            if item is None:
                return
            if self.wire is not None:
                self.wire.send(item)  # only ever queued before ``attach``
