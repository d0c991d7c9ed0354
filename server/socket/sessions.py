"""A connection's session (who signed in, from which address, in which room) and the
Socket.IO room each Hearth room broadcasts to."""

from __future__ import annotations

from dataclasses import dataclass

import socketio

from rooms.identity import Identity
from server.socket.fanout import ROOM_PREFIX


@dataclass(frozen=True, slots=True)
class Session:
    identity: Identity
    address: str  # the HMAC tag of the client's address, never the address
    room_id: str | None = None


def socket_room(room_id: str) -> str:
    return f"{ROOM_PREFIX}{room_id}"


def enter_broadcast(sio: socketio.AsyncServer, sid: str, room_id: str) -> None:
    # The manager's own bookkeeping, not ``sio.enter_room``: a plain call cannot
    # suspend, which the no-gap argument of ``Seats.take`` relies on.
    sio.manager.basic_enter_room(sid, "/", socket_room(room_id))


def leave_broadcast(sio: socketio.AsyncServer, sid: str, room_id: str) -> None:
    sio.manager.basic_leave_room(sid, "/", socket_room(room_id))
