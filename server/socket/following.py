"""Which room channels this process has asked Redis for, and which of them are live.

A room's channel is wanted while this process has people of the room here or hosts its
audio. Subscribing and unsubscribing are commands on the one pub/sub connection, and
Redis confirms each on that connection in the order they were sent, between the
messages: whatever it published on a channel after confirming a SUBSCRIBE comes after
the confirmation, and nothing comes between an UNSUBSCRIBE's confirmation and the next
SUBSCRIBE's. So a room is *live* when every command sent for it has been confirmed and
the last was a SUBSCRIBE. A room's messages are delivered only while it is live: one
that arrives while a command is still unconfirmed belongs to an earlier subscription,
and what the room published meanwhile is read from its log once it is live again
(``server.socket.relay``), so dropping it loses nothing.

redis-py's pub/sub may also subscribe again by itself after reconnecting inside a
command, or after a Redis Cluster failover moved the room's slot to a replica; that
confirmation arrives with nothing outstanding, and makes the room live again the same
way (with its catch-up). A cluster also *ends* the subscriptions of a slot migrated to
another shard: an unsubscription nobody asked for, after which the room is subscribed
again (``dropped``).
"""

from __future__ import annotations


class Following:
    """The bookkeeping of one pub/sub connection's room subscriptions (no I/O)."""

    def __init__(self) -> None:
        self.sent: set[str] = set()  # rooms whose last command sent was SUBSCRIBE
        self._unconfirmed: dict[str, int] = {}  # room -> commands sent, not yet confirmed
        self._live: set[str] = set()

    def reset(self, rooms: set[str]) -> None:
        """A new connection, on which ``rooms`` are being subscribed to at once."""
        self.sent = set(rooms)
        self._unconfirmed = dict.fromkeys(rooms, 1)
        self._live = set()

    def plan(self, wanted: set[str]) -> tuple[list[str], list[str]]:
        """The rooms to subscribe to and to unsubscribe from for ``wanted``, recorded
        as sent (the caller sends them next, in that order)."""
        subscribe = sorted(wanted - self.sent)
        unsubscribe = sorted(self.sent - wanted)
        for room_id in (*subscribe, *unsubscribe):
            self._unconfirmed[room_id] = self._unconfirmed.get(room_id, 0) + 1
            self._live.discard(room_id)
        self.sent = set(wanted)
        return subscribe, unsubscribe

    def confirmed(self, room_id: str, subscribed: bool) -> bool:
        """Redis confirmed a (un)subscription. True: the room has just become live, so
        what it published before now must be read from its log."""
        left = max(0, self._unconfirmed.get(room_id, 0) - 1)
        if left:
            self._unconfirmed[room_id] = left
        else:
            self._unconfirmed.pop(room_id, None)
        if not subscribed:
            self._live.discard(room_id)
            return False
        if left or room_id not in self.sent:
            return False
        self._live.add(room_id)
        return True

    def dropped(self, room_id: str) -> bool:
        """An unsubscription arrived that nobody here asked for: on a Redis Cluster, the
        room's slot moved to another shard, which ends its shard channel's subscribers.
        True: the room is wanted still, so it counts as not subscribed (the caller
        subscribes again, and the confirmation catches it up from its log)."""
        if self._unconfirmed.get(room_id, 0) or room_id not in self.sent:
            return False
        self.sent.discard(room_id)
        self._live.discard(room_id)
        return True

    def live(self, room_id: str) -> bool:
        return room_id in self._live

    def settled(self, room_id: str) -> bool:
        """Nothing is subscribed or on its way for the room: it may be forgotten."""
        return room_id not in self.sent and room_id not in self._unconfirmed

    def __len__(self) -> int:
        return len(self.sent)
