"""Where each key of the Redis store lives: its name under the deployment's prefix, and
so its Redis Cluster hash slot.

The parts of the store name a key by its concept, as ``keys("room", id, "live")``; this
module alone turns that into the name Redis sees. Names carry a hash tag (the text
between the first ``{`` and ``}``, the only part Redis Cluster hashes), so that what one
atomic step writes shares one slot:

- every key of a room is ``room:{<id>}:…`` — its settings, live state, event log, audit
  log, empty mark, room bans, and its operations' records and fences
  (``op`` records become ``room:{<id>}:op:…``): the commit script writes them together,
  and the room's channel (``server.channels``) hashes to the same slot, so its events
  are published by that script on the shard that holds the room;
- the indexes and definitions (``rooms``, ``roomdefs``, ``series``, a series,
  ``deployment:resources``) are ``{defs}:…``;
- the process roll (``procs``, ``proc:<pid>``, ``proc:<pid>:rooms``) is ``{roll}:…``;
- rate-limit counters (one call counts several allowances at once) are ``{rate}:…``;
- a series' bans are ``series:{<id>}:bans``; claims and the generation mark stand alone.

On a single Redis the braces change nothing but the names. Keys written by a release
before these names (``room:<id>:live`` …) are not read: see ``docs/deploy.md``.
"""

from __future__ import annotations

from redis.crc import key_slot

# Families whose keys all share one slot, so one transaction or script covers them.
DEFINITIONS = "{defs}"
ROLL = "{roll}"
RATE = "{rate}"
_FAMILY = {
    "rooms": DEFINITIONS,
    "roomdefs": DEFINITIONS,
    "series": DEFINITIONS,
    "deployment": DEFINITIONS,
    "procs": ROLL,
    "proc": ROLL,
    "rate": RATE,
}


class Keys:
    """Every key of one deployment, under its prefix."""

    def __init__(self, prefix: str) -> None:
        if "{" in prefix or "}" in prefix:
            # A brace in the prefix would become every key's hash tag: one slot for all.
            raise ValueError(f"a key prefix may not hold braces: {prefix!r}")
        self._prefix = prefix

    def __call__(self, *parts: str) -> str:
        head, *rest = parts
        if head == "room":
            room_id, *rest = rest
            return self._prefix + ":".join(["room", "{" + room_id + "}", *rest])
        if head == "op":  # a room's operation record: in the room's slot
            return self("room", rest[0], "op", *rest[1:])
        if head == "bans":  # ``moderation.bans.ban_key``: "<scope>:<where>"
            scope, _, where = ":".join(rest).partition(":")
            return self("room", where, "bans") if scope == "room" else self._tagged(scope, where)
        family = _FAMILY.get(head)
        if family is not None:
            return self._prefix + ":".join([family, *parts])
        return self._prefix + ":".join(parts)

    def _tagged(self, scope: str, where: str) -> str:
        return self._prefix + ":".join([scope, "{" + where + "}", "bans"])

    @staticmethod
    def slot(key: str) -> int:
        """The key's Redis Cluster hash slot."""
        return int(key_slot(key.encode()))
