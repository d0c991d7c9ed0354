"""The values a peer-support meeting runs on: the floor, sharing rounds and service roles.

- **The floor** is who is sharing now: the person a facilitator called on, or the current
  sharer of a round. It is one member id on the room's state (``RoomState.floor``).
- **A sharing round** is held by the room's state, not by any process: the order still to
  share (next first), who has shared or passed, and the current share with its server
  timestamps (``started_at``, ``ends_at``) and whether its warning and its end have been
  announced. Because the state records them, a rule that announces a share's warning or
  end can run on every process, any number of times, and announce it once
  (``moderation.rounds``).
- **Service roles** are the volunteer jobs of a meeting beside co-facilitator: a *greeter*
  admits and denies the waiting room, a *timekeeper* runs rounds and the share timer.
  A facilitator gives them for this room; they belong to the room-scoped member id while
  the room is open, so leaving and coming back keeps them.

The rules are in ``moderation`` (``floor``, ``rounds``, ``service``); these are values.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from rooms.errors import InvalidPayload

MIN_SHARE_MS = 1000
MAX_SHARE_MS = 60 * 60 * 1000
MAX_ROUND = 500  # people in one round: the room's largest capacity
# Service roles kept for one room; past it, the oldest roles of people not in the room go
# first (``moderation.service``), so a long session's state stays small.
MAX_SERVICE = 200


class RoundOrder(StrEnum):
    """Where a round's order comes from."""

    HANDS = "hands"  # the hand queue, first raised first (the hands are lowered)
    JOINED = "joined"  # everyone in the room, in the order they joined
    SHUFFLED = "shuffled"  # everyone in the room, shuffled (the seed is passed in)
    LIST = "list"  # the people a facilitator named, in that order


class Duty(StrEnum):
    GREETER = "greeter"  # admits and denies the waiting room
    TIMEKEEPER = "timekeeper"  # runs sharing rounds and the share timer


@dataclass(frozen=True, slots=True)
class Service:
    """One service role held by one member id in this room."""

    member_id: str
    duty: Duty


@dataclass(frozen=True, slots=True)
class SharingRound:
    order: RoundOrder
    share_ms: int
    warn_ms: int  # the warning comes this long before a share's end; 0: no warning
    round_started_at: int
    queue: tuple[str, ...] = ()  # still to share, next first
    shared: tuple[str, ...] = ()  # had their turn (shared to the end, or skipped)
    passed: tuple[str, ...] = ()
    sharer: str | None = None  # None: the people left are all away; the round waits
    share: int = 0  # the current share's number in this round (1 is the first)
    started_at: int | None = None  # the current share's start (ms since the epoch)
    ends_at: int | None = None  # when its time is up
    warned: bool = False  # its warning has been announced
    time_up: bool = False  # its end has been announced

    def __post_init__(self) -> None:
        if not MIN_SHARE_MS <= self.share_ms <= MAX_SHARE_MS:
            raise InvalidPayload("a share lasts from 1 second to 60 minutes")
        if not 0 <= self.warn_ms < self.share_ms:
            raise InvalidPayload("the warning comes before the share's end")
        everyone = [*self.queue, *self.shared, *self.passed]
        if self.sharer is not None:
            everyone.append(self.sharer)
        if len(set(everyone)) != len(everyone) or len(everyone) > MAX_ROUND:
            raise ValueError("someone is in a round twice, or the round is too long")
        if (self.sharer is None) != (self.ends_at is None) or (
            (self.started_at is None) != (self.ends_at is None)
        ):
            raise ValueError("a share has a sharer, a start and an end, or none of them")

    @property
    def next(self) -> str | None:
        """Who is next in line (passed over while away, keeping their place)."""
        return self.queue[0] if self.queue else None

    def includes(self, member_id: str) -> bool:
        return member_id == self.sharer or member_id in (*self.queue, *self.shared, *self.passed)
