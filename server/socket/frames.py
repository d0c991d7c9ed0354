"""Socket.IO packets a client can malform, refused calmly (``server.socket.gate`` uses it).

python-socketio decodes a packet in the Engine.IO message handler and trusts its shape:
a packet that is not JSON, or an event that is not ``[name, ...]``, raises there, and
Engine.IO logs the exception with a traceback. A hostile client can do that at will, so
such a packet is dropped with one log line and nothing else happens. (Not a disconnect:
closing an Engine.IO session from its own message handler waits on the session's queue,
which stalls a long-polling POST until the client polls again.)
"""

from __future__ import annotations

import logging
from typing import Any

from socketio import packet

from server.wire import encoded

log = logging.getLogger(__name__)


class MalformedPacket(ValueError):
    pass


class CheckedPacket(packet.Packet):  # type: ignore[misc]
    """A Socket.IO packet whose decoding fails with ``MalformedPacket`` unless its shape
    is one python-socketio can handle.

    Hearth sends no binary data and closes a connection that sends any
    (``server.socket.gate``), so a packet is never searched for it: python-socketio
    walks every payload it sends, item by item, to choose a binary packet type, which
    cost 2 ms for each 500-person snapshot and a tenth of a big room's server CPU. A
    payload that held bytes would fail to encode as JSON instead, loudly."""

    uses_binary_events = False
    json = encoded  # payloads may carry parts encoded already (a snapshot's seats)

    def __init__(self, *args: Any, encoded_packet: Any = None, **kwargs: Any) -> None:
        if encoded_packet is not None and not encoded_packet:
            # python-socketio skips decoding an empty packet and reads it as an event.
            raise MalformedPacket("empty packet")
        super().__init__(*args, encoded_packet=encoded_packet, **kwargs)

    def decode(self, encoded_packet: Any) -> int:
        try:
            attachments: int = super().decode(encoded_packet) or 0
        except (ValueError, TypeError, IndexError) as exc:  # JSON errors are ValueErrors
            raise MalformedPacket(type(exc).__name__) from None
        if self.packet_type in {packet.EVENT, packet.BINARY_EVENT} and not (
            isinstance(self.data, list) and self.data and isinstance(self.data[0], str)
        ):
            raise MalformedPacket("an event is [name, ...]")
        if self.packet_type in {packet.ACK, packet.BINARY_ACK} and not isinstance(self.data, list):
            raise MalformedPacket("an ack is a list")
        return attachments
