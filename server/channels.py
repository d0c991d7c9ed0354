"""The pub/sub channels of one deployment, under its key prefix.

Each room's public events travel on the room's own channel (``{prefix}room:{<id>}``, in
braces: the hash tag of the room's keys, so on a Redis Cluster it is a shard channel of
the slot that holds the room, ``server.stores.redis_keys``),
which a process subscribes to only while it has people of the room here or hosts its
audio (``server.socket.relay``). A room's events for given connections (a removal
notice and its disconnect, a private message, a waiting place) go on the channel of the
process that holds each connection (``{prefix}process:{id}``, from the seat records).
Everything else, announcements every process hears and python-socketio's own emits to a
connection elsewhere, goes on the one control channel (``{prefix}hearth``). Every process
always subscribes to the control channel and its own.
"""

from __future__ import annotations

CONTROL = "hearth"
ROOM = "room:"


def control_channel(prefix: str) -> str:
    return f"{prefix}{CONTROL}"


def room_channel(prefix: str, room_id: str) -> str:
    return f"{prefix}{ROOM}{{{room_id}}}"


def process_channel(prefix: str, process_id: str) -> str:
    return f"{prefix}process:{process_id}"


def room_of(prefix: str, channel: str) -> str | None:
    """The room whose channel this is, or None for any other channel."""
    head = f"{prefix}{ROOM}{{"
    if channel.startswith(head) and channel.endswith("}"):
        return channel[len(head) : -1]
    return None
