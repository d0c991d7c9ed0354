"""The ports moderation needs, and the whole store the server is given.

- ``Moderation``: a facilitator's action applied like ``RoomStates.apply``, with its audit
  entry and ban record in the same atomic step.
- ``AuditLog``: reading a room's log of facilitators' actions.
- ``BanList``: bans kept beyond a room's session, for a room or a series.

``RoomStore`` is every port of ``rooms.ports`` and these together: what one store
implementation provides. Components that need less ask for less.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from moderation.audit import AuditEntry, Moderated
from moderation.bans import Ban
from rooms.ports import (
    Claims,
    Counters,
    Definitions,
    Done,
    Generations,
    Once,
    ProcessRoll,
    RoomLog,
    RoomStates,
)
from rooms.room import RoomInfo
from rooms.state import RoomState

Decision = Callable[[RoomState, RoomInfo], Moderated]  # a facilitator's action


class Moderation(Protocol):
    async def moderate(
        self, room_id: str, decide: Decision, *, keep_ms: int, max_entries: int
    ) -> Moderated:
        """Apply a facilitator's action like ``apply``, and in the same atomic step append
        its entry to the room's audit log (keeping at most ``max_entries``, and none older
        than ``keep_ms`` before it) and keep or lift its ban record: all of it is stored,
        or none of it. The entry is written even when the room's state is unchanged (a
        promote of someone already promoted). A lifted ban is deleted only if it is still
        stored exactly as read."""
        ...

    async def moderate_once(
        self,
        room_id: str,
        decide: Decision,
        once: Once[Moderated],
        *,
        keep_ms: int,
        max_entries: int,
    ) -> Done[Moderated]:
        """``moderate``, unless ``once`` repeats an operation already applied in this room
        (see ``RoomStates.apply_once``): a repeated action writes no second audit entry."""
        ...


class AuditLog(Protocol):
    async def audit_log(self, room_id: str, *, since: int, limit: int) -> list[AuditEntry]:
        """The room's audit entries at or after ``since``, newest first."""
        ...


class BanList(Protocol):
    async def bans(self, keys: list[str]) -> list[Ban]:
        """Every ban kept under any of ``keys`` (see ``moderation.bans.ban_keys``)."""
        ...


class RoomStore(
    RoomStates,
    RoomLog,
    ProcessRoll,
    Definitions,
    Claims,
    Counters,
    Generations,
    Moderation,
    AuditLog,
    BanList,
    Protocol,
):
    async def close(self) -> None:
        """Release connections."""
        ...
