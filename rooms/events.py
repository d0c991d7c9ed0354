"""Domain events: what happened in a room, in order.

Every public event carries the room's sequence number after it happened. Sequence numbers
of a room go up by exactly one per public event, so a client that sees ``seq`` jump knows
it missed something and asks for a fresh snapshot.

Private events (a report for the facilitators, an "asked to unmute" for one participant,
a waiting person's place in the queue) go only to the connections in their ``audience``
and carry no sequence number: they are notices, not part of the room's shared history.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from rooms.meeting import Service, SharingRound
from rooms.state import ChatMessage, Member, Reaction, RoomControls, Waiting
from rooms.support import PrivateMessage, SupportAsked, SupportSeen


class LeaveReason(StrEnum):
    LEFT = "left"
    DISCONNECTED = "disconnected"  # their connection dropped and they did not come back
    REMOVED = "removed"  # a facilitator took them out
    BANNED = "banned"  # a facilitator took them out and refuses them from now on


@dataclass(frozen=True, slots=True)
class MemberJoined:
    seq: int
    member: Member


@dataclass(frozen=True, slots=True)
class MemberLeft:
    seq: int
    member: Member
    reason: LeaveReason


@dataclass(frozen=True, slots=True)
class MemberAway:
    """Their connection dropped: the seat is kept until ``until`` (ms since the epoch)."""

    seq: int
    member: Member
    until: int


@dataclass(frozen=True, slots=True)
class MemberBack:
    """Someone away took their seat back, with everything it held."""

    seq: int
    member: Member


@dataclass(frozen=True, slots=True)
class ReactionSent:
    """A reaction is a moment, not state: numbered and sent, never kept."""

    seq: int
    member_id: str
    reaction: Reaction


@dataclass(frozen=True, slots=True)
class ChatPosted:
    seq: int
    message: ChatMessage


@dataclass(frozen=True, slots=True)
class HandQueueChanged:
    seq: int
    queue: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RoomClosing:
    """The room's scheduled end is near: it closes at ``closes_at`` (ms since the epoch)."""

    seq: int
    closes_at: int


@dataclass(frozen=True, slots=True)
class RoomClosed:
    seq: int


@dataclass(frozen=True, slots=True)
class AudioChanged:
    """A member's audio presence changed: connected or not, muted or not."""

    seq: int
    member: Member


@dataclass(frozen=True, slots=True)
class SpeakersChanged:
    seq: int
    speakers: tuple[str, ...]  # member ids heard right now, loudest first


@dataclass(frozen=True, slots=True)
class ChatDeleted:
    seq: int
    message_id: int


@dataclass(frozen=True, slots=True)
class MutesChanged:
    seq: int
    members: tuple[Member, ...]  # as they are now


@dataclass(frozen=True, slots=True)
class RoleChanged:
    seq: int
    member: Member


@dataclass(frozen=True, slots=True)
class FacilitatorPresence:
    """Whether a facilitator is in the room, and which co-facilitators cover if not."""

    seq: int
    present: bool
    covering: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RoomPaused:
    seq: int
    automatically: bool = False


@dataclass(frozen=True, slots=True)
class RoomResumed:
    seq: int


@dataclass(frozen=True, slots=True)
class ControlsChanged:
    seq: int
    controls: RoomControls


@dataclass(frozen=True, slots=True)
class UnmuteAsked:
    audience: tuple[str, ...]
    by: str  # display name of the facilitator asking


@dataclass(frozen=True, slots=True)
class Removed:
    audience: tuple[str, ...]
    reason: LeaveReason


@dataclass(frozen=True, slots=True)
class WaitingQueue:
    """The waiting room as facilitators see it."""

    audience: tuple[str, ...]
    waiting: tuple[Waiting, ...]


@dataclass(frozen=True, slots=True)
class WaitingPlace:
    audience: tuple[str, ...]
    position: int  # 1 is next
    of: int


@dataclass(frozen=True, slots=True)
class Admitted:
    audience: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Denied:
    audience: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Reported:
    audience: tuple[str, ...]
    reporter_id: str
    reporter_name: str
    at: int
    reason: str = ""
    message_id: int | None = None
    member_id: str | None = None
    member_name: str | None = None


@dataclass(frozen=True, slots=True)
class ScriptPinned:
    """A facilitator pinned the meeting script (``text``; empty: cleared)."""

    seq: int
    text: str


@dataclass(frozen=True, slots=True)
class AttendanceConfirmed:
    """To one person: a facilitator confirmed their attendance (``by``: their name)."""

    audience: tuple[str, ...]
    by: str


@dataclass(frozen=True, slots=True)
class FloorChanged:
    """Who has the floor now (``None``: nobody)."""

    seq: int
    member_id: str | None


@dataclass(frozen=True, slots=True)
class RoundChanged:
    """The sharing round as it is now (``None``: it ended)."""

    seq: int
    round: SharingRound | None
    at: int  # when it changed, on the server's clock


@dataclass(frozen=True, slots=True)
class ShareWarning:
    """A share's warning point: it ends at ``ends_at``. Announced once per share."""

    seq: int
    share: int
    member_id: str
    ends_at: int


@dataclass(frozen=True, slots=True)
class ShareTimeUp:
    """A share's time is up; ``hard``: the floor moves on. Announced once per share."""

    seq: int
    share: int
    member_id: str
    ends_at: int
    hard: bool


@dataclass(frozen=True, slots=True)
class ServiceChanged:
    """Every service role in the room, as it is now."""

    seq: int
    service: tuple[Service, ...]


PublicEvent = (
    MemberJoined
    | MemberLeft
    | MemberAway
    | MemberBack
    | ChatPosted
    | ReactionSent
    | HandQueueChanged
    | RoomClosing
    | RoomClosed
    | ChatDeleted
    | AudioChanged
    | SpeakersChanged
    | MutesChanged
    | RoleChanged
    | FacilitatorPresence
    | RoomPaused
    | RoomResumed
    | ControlsChanged
    | FloorChanged
    | RoundChanged
    | ShareWarning
    | ShareTimeUp
    | ServiceChanged
    | ScriptPinned
)
PrivateEvent = (
    UnmuteAsked
    | Removed
    | WaitingQueue
    | WaitingPlace
    | Admitted
    | Denied
    | Reported
    | SupportAsked
    | SupportSeen
    | PrivateMessage
    | AttendanceConfirmed
)
RoomEvent = PublicEvent | PrivateEvent
