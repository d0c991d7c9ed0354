"""Domain events: what happened in a room, in order.

Every event carries the room's sequence number after it happened. Sequence numbers of a
room go up by exactly one per event, so a client that sees ``seq`` jump knows it missed
something and asks for a fresh snapshot.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from rooms.state import ChatMessage, Member


class LeaveReason(StrEnum):
    LEFT = "left"
    DISCONNECTED = "disconnected"
    CONNECTION_LOST = "connection_lost"  # the server process holding them stopped answering


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
class ChatPosted:
    seq: int
    message: ChatMessage


@dataclass(frozen=True, slots=True)
class HandQueueChanged:
    seq: int
    queue: tuple[str, ...]


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
class PauseChanged:
    seq: int
    paused: bool


RoomEvent = (
    MemberJoined
    | MemberLeft
    | ChatPosted
    | HandQueueChanged
    | RoomClosed
    | AudioChanged
    | SpeakersChanged
    | PauseChanged
)
