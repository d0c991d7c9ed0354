"""The ports the room domain needs from the outside world.

A ``RoomStore`` holds every open room's state and the roll of live server processes;
the definitions of rooms and their schedules (which outlive restarts in Redis), and
one-time claims that let many processes agree who performs a scheduled action; and for
moderation: bans that outlive a room's session, the audit log of facilitators' actions,
and the counters behind rate limits.
It applies a rule to a room atomically: the rule sees one state and its result is stored
and its events published as one step, even when two processes change the same room at
the same moment. Two implementations exist: in memory (one process) and Redis (many).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from moderation.audit import AuditEntry, Moderated
from moderation.bans import Ban
from rooms.actions import Change
from rooms.roll import Heartbeat
from rooms.room import RoomInfo
from rooms.schedule import Series
from rooms.state import RoomState

Rule = Callable[[RoomState, RoomInfo], Change]
Decision = Callable[[RoomState, RoomInfo], Moderated]  # a facilitator's action


class RoomStore(Protocol):
    async def open_room(self, info: RoomInfo) -> bool:
        """Open the room (or update its settings); True if it was not open before."""
        ...

    async def room_info(self, room_id: str) -> RoomInfo | None: ...

    async def open_rooms(self) -> list[RoomInfo]: ...

    async def snapshot(self, room_id: str) -> RoomState:
        """The room's current state; raises ``RoomNotFound`` when it is not open."""
        ...

    async def apply(self, room_id: str, rule: Rule) -> Change:
        """Apply ``rule`` atomically, store the result and publish its events in order."""
        ...

    async def close_room(self, room_id: str) -> Change:
        """Publish the close, then forget the room's state and chat."""
        ...

    async def beat(self, process_id: str, ttl_ms: int) -> bool:
        """Say this process is alive for the next ``ttl_ms``; False if its previous
        heartbeat had already lapsed (other processes may have freed its seats)."""
        ...

    async def hold(self, process_id: str, room_id: str) -> None:
        """Note that this process seats people in the room (before seating them)."""
        ...

    async def drop_hold(self, process_id: str, room_id: str) -> None:
        """This process seats nobody in the room any more (and is not about to)."""
        ...

    async def heartbeats(self, now_ms: int) -> list[Heartbeat]:
        """Every process on the roll, each heartbeat's end given on the caller's clock
        (``now_ms`` plus what is left of its TTL): ``rooms.roll`` decides who is silent."""
        ...

    async def rooms_held_by(self, process_id: str) -> set[str]: ...

    async def forget_process(self, process_id: str) -> None: ...

    async def define_room(self, info: RoomInfo) -> None:
        """Keep the room's definition (whether or not it is open); an open room takes the
        new settings at once."""
        ...

    async def rooms(self) -> list[RoomInfo]:
        """Every defined or open room, by id."""
        ...

    async def delete_room(self, room_id: str) -> bool:
        """Forget a closed room's definition; True if there was one."""
        ...

    async def save_series(self, series: Series) -> None: ...

    async def series(self, series_id: str) -> Series | None: ...

    async def all_series(self) -> list[Series]: ...

    async def delete_series(self, series_id: str) -> bool: ...

    async def claim(self, key: str, ttl_ms: int) -> bool:
        """True for exactly one caller per ``key`` (across processes) until it expires."""
        ...

    async def release(self, key: str) -> None:
        """Give a claim back (its action could not be carried out)."""
        ...

    async def empty_since(self, room_id: str, now_ms: int, empty: bool) -> int | None:
        """Note whether the room is empty; when it is, since when (first noted), else None."""
        ...

    async def count(self, key: str, expires_in_ms: int) -> int:
        """Add one to the counter ``key`` (created to expire in ``expires_in_ms``); its value."""
        ...

    async def count_many(self, counters: list[tuple[str, int]]) -> list[int]:
        """``count`` for each ``(key, expires_in_ms)`` in one step (one round trip)."""
        ...

    async def moderate(
        self, room_id: str, decide: Decision, *, keep_ms: int, max_entries: int
    ) -> Moderated:
        """Apply a facilitator's action like ``apply``, and in the same atomic step append
        its entry to the room's audit log (keeping at most ``max_entries`` and ``keep_ms``)
        and keep or lift its ban record: all of it is stored, or none of it. The entry is
        written even when the room's state is unchanged (a promote of someone already
        promoted). A lifted ban is deleted only if it is still stored exactly as read."""
        ...

    async def audit_log(self, room_id: str, *, since: int, limit: int) -> list[AuditEntry]:
        """The room's audit entries at or after ``since``, newest first."""
        ...

    async def bans(self, keys: list[str]) -> list[Ban]:
        """Every ban kept under any of ``keys`` (see ``moderation.bans.ban_keys``)."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...
