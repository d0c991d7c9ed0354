"""Reading what facilitators did and what they kept in Redis (``moderation.ports.AuditLog``
and ``BanList``). Both are written only by the commit of the action itself
(``server.stores.redis_commit``), with the room's change.

Keys: ``room:{<id>}:audit`` — stream of facilitators' actions (field ``e``: msgpack
``AuditEntry``, stream id the entry's time), trimmed exactly to a length (``MAXLEN``) and
an age (``MINID``), and expiring when the room has been quiet for the retention time;
``room:{<id>}:bans`` and ``series:{<id>}:bans`` — hash of subject to msgpack ``Ban``,
for a room (in the room's slot) or a series.
"""

from __future__ import annotations

from redis.asyncio import Redis

from moderation.audit import AuditEntry
from moderation.bans import Ban
from server import codec
from server.stores.redis_access import Keys, guarded, raw


class RedisAudit:
    def __init__(self, redis: Redis, keys: Keys) -> None:
        self._redis = redis
        self._key = keys

    @guarded
    async def audit_log(self, room_id: str, *, since: int, limit: int) -> list[AuditEntry]:
        rows = await self._redis.xrevrange(
            self._key("room", room_id, "audit"), min=str(since), count=limit
        )
        entries = [
            codec.unpack(AuditEntry, raw(fields[b"e"])) for _id, fields in rows or [] if fields
        ]
        return [entry for entry in entries if entry.at >= since]

    @guarded
    async def bans(self, keys: list[str]) -> list[Ban]:
        pipe = self._redis.pipeline(transaction=False)
        for key in keys:
            pipe.hvals(self._key("bans", key))
        found: list[list[bytes]] = await pipe.execute()
        return [codec.unpack(Ban, raw(reply)) for replies in found for reply in replies]
