"""The pub/sub channels of one deployment, under its key prefix.

Each room's public events travel on the room's own channel (``{prefix}room:{id}``),
which a process subscribes to only while it has people of the room here or hosts its
audio (``server.socket.relay``). Everything else, events for given connections
wherever they are, disconnects, announcements every process hears, goes on the one
control channel (``{prefix}hearth``), which every process always subscribes to.
"""

from __future__ import annotations

CONTROL = "hearth"
ROOM = "room:"


def control_channel(prefix: str) -> str:
    return f"{prefix}{CONTROL}"


def room_channel(prefix: str, room_id: str) -> str:
    return f"{prefix}{ROOM}{room_id}"


def room_of(prefix: str, channel: str) -> str | None:
    """The room whose channel this is, or None for any other channel."""
    head = f"{prefix}{ROOM}"
    return channel[len(head) :] if channel.startswith(head) else None
