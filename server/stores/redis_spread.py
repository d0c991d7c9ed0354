"""What a room's commit writes outside the room's hash slot, on a Redis Cluster.

A Lua script runs on one shard and may name keys of one slot only. Every key of a room
shares the room's slot (``server.stores.redis_keys``), but two things the commit script
(``scripts.COMMIT``) also writes are deployment-wide: the set of open rooms (a close
removes the room from it) and a *series'* ban record (a series ban covers every room of
the series, so it cannot live in one room's slot; a room's own bans do). On one Redis
the script writes them with the change, as one step. On a cluster the script is given a
key of the room's slot in their place (``STAND_IN``, which it never writes: a close's
SREM finds no such set and the ban's op is emptied), and the store writes them itself
right after the commit is confirmed (``Elsewhere.finish``).

So on a cluster these two writes follow the change instead of being part of it: a
process that dies between the two leaves a closed room in the index (``open_rooms``
drops ids whose live state is gone, and removes them) or a series ban unwritten (the
removal and its audit entry stand; the facilitator bans again). Both are idempotent, so
finishing twice does no harm.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from redis.asyncio import Redis
from redis.exceptions import RedisError
from redis.typing import EncodableT

from server.stores import redis_scripts as scripts
from server.stores.redis_keys import Keys

log = logging.getLogger(__name__)

STAND_IN = "elsewhere"  # room:{<id>}:elsewhere, never written
# Where the cross-slot keys and the ban's arguments sit in the commit's KEYS and ARGV.
ROOMS_KEY, BANS_KEY = 1, 4
BAN_OP, BAN_SUBJECT, BAN_RECORD = 9, 10, 11


@dataclass(frozen=True, slots=True)
class Elsewhere:
    """The writes of one commit that belong to other slots, done after it."""

    rooms: str | None  # the open-rooms set to remove the room from (a close)
    room_id: str
    bans: str | None  # a series' bans hash
    ban_op: bytes | str
    subject: EncodableT
    record: EncodableT

    async def finish(self, redis: Redis) -> None:
        """Write them. The change is made whatever happens here: a failure is logged, not
        raised (the caller must not hear "nothing changed")."""
        try:
            if self.rooms is not None:
                await redis.srem(self.rooms, self.room_id)
            if self.bans is None:
                return
            if self.ban_op == "keep":
                await redis.hset(self.bans, str(self.subject), self.record)
            else:
                lift = redis.register_script(scripts.LIFT)
                await lift(keys=[self.bans], args=[self.subject, self.record])
        except (RedisError, OSError):
            log.warning(
                "a room's change was made but not its write outside the room's slot (the "
                "open-rooms index, or a series ban, which must then be made again)",
                exc_info=True,
            )


def localize(
    keys: Keys, room_id: str, closing: bool, commit_keys: list[str], args: list[EncodableT]
) -> Elsewhere | None:
    """Put stand-ins in the commit's keys (in place) for those outside the room's slot;
    what to write there afterwards, or None if nothing is elsewhere."""
    slot = Keys.slot(commit_keys[0])
    stand_in = keys("room", room_id, STAND_IN)
    rooms = bans = None
    ban_op: bytes | str = ""
    subject, record = args[BAN_SUBJECT], args[BAN_RECORD]
    if Keys.slot(commit_keys[ROOMS_KEY]) != slot:
        rooms = commit_keys[ROOMS_KEY] if closing else None
        commit_keys[ROOMS_KEY] = stand_in
    if Keys.slot(commit_keys[BANS_KEY]) != slot:
        op = args[BAN_OP]
        if op in ("keep", "lift"):
            bans, ban_op = commit_keys[BANS_KEY], str(op)
        commit_keys[BANS_KEY] = stand_in
        args[BAN_OP] = ""
    if rooms is None and bans is None:
        return None
    return Elsewhere(rooms, room_id, bans, ban_op, subject, record)
