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


def enter_broadcast(sio: socketio.AsyncServer, sid: str, room_id: str, seq: int) -> None:
    """``seq``: the room's seq at the join's commit, whose snapshot the connection has.
    The manager's own bookkeeping, not ``sio.enter_room``: a plain call cannot suspend,
    which the no-gap argument of ``Seats.take`` relies on (a manager not yet following
    the room catches up from ``seq``, ``server.socket.relay``)."""
    sio.manager.enter_broadcast(sid, room_id, seq)


def leave_broadcast(sio: socketio.AsyncServer, sid: str, room_id: str) -> None:
    sio.manager.basic_leave_room(sid, "/", socket_room(room_id))
