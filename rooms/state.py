"""The live state of one open room.

A room holds its members (one seat per identity), the queue of raised hands in the order
they went up, a bounded window of recent chat, and its sequence number. The state is a
value: every change makes a new one (see ``rooms.actions``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from rooms.identity import Role

CHAT_HISTORY = 100


@dataclass(frozen=True, slots=True)
class Connection:
    """Where a member is connected: the server process and its Socket.IO session id."""

    process_id: str
    sid: str


class AudioState(StrEnum):
    """Where a member's audio connection to the room's media host stands."""

    OFF = "off"
    CONNECTING = "connecting"
    CONNECTED = "connected"


@dataclass(frozen=True, slots=True)
class Member:
    member_id: str  # opaque, room-scoped: what other people's clients see
    subject: str  # the identity behind it: never sent to other clients
    display_name: str
    role: Role
    joined_at: int  # ms since the epoch
    connection: Connection
    guest: bool = False
    audio: AudioState = AudioState.OFF
    audio_muted: bool = False  # nobody hears them, whoever muted them
    audio_held: bool = False  # only a facilitator may lift this mute
    speaking: bool = False  # set by the media host, on change only


@dataclass(frozen=True, slots=True)
class ChatMessage:
    message_id: int  # the sequence number the message was posted at
    member_id: str
    display_name: str
    text: str
    sent_at: int


@dataclass(frozen=True, slots=True)
class RoomState:
    room_id: str
    seq: int = 0
    members: tuple[Member, ...] = ()
    hands: tuple[str, ...] = ()  # member ids, first raised first
    chat: tuple[ChatMessage, ...] = ()
    paused: bool = False  # a paused room is silent except for its facilitators

    def __post_init__(self) -> None:
        ids = [m.member_id for m in self.members]
        if len(set(ids)) != len(ids):
            raise ValueError("a member holds two seats")
        if not set(self.hands) <= set(ids):
            raise ValueError("a raised hand belongs to someone not in the room")
        if len(self.chat) > CHAT_HISTORY:
            raise ValueError("chat history is over its bound")

    def member(self, member_id: str) -> Member | None:
        return next((m for m in self.members if m.member_id == member_id), None)

    def member_by_sid(self, sid: str) -> Member | None:
        return next((m for m in self.members if m.connection.sid == sid), None)
