"""What a room is: its id, name and the settings its admin chose.

Room ids are short slugs (``tuesday-family-group``) so they read well in an invite link.
A room may be defined without being open; a schedule (``rooms.schedule``) opens and closes
it, or an admin does. Public rooms are listed in the meeting feed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from rooms.errors import ErrorCode, InvalidPayload, Refused
from rooms.identity import Identity
from rooms.resources import Resource

ROOM_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
DEFAULT_CAPACITY = 50
MAX_SCRIPT = 4000  # a meeting script (``moderation.script``): a welcome, readings, the format
MAX_CAPACITY = 500


def check_room_id(raw: object) -> str:
    if not isinstance(raw, str) or not ROOM_ID.fullmatch(raw):
        raise InvalidPayload("room must be a slug of lowercase letters, digits and dashes")
    return raw


class History(StrEnum):
    """What someone joining late sees of the chat (``rooms.history``)."""

    SINCE_JOINED = "since_joined"  # only what was said since they first took a seat
    RECENT = "recent"  # the recent history the room keeps


@dataclass(frozen=True, slots=True)
class RoomInfo:
    room_id: str
    name: str
    capacity: int = DEFAULT_CAPACITY
    allow_guests: bool = False
    guidelines: str = ""
    # The schedule that opens and closes it, if any; rooms of one series share their bans.
    series_id: str | None = None
    public: bool = False  # listed in the public meeting feed
    audio: bool = False  # members may connect audio (needs the server's `webrtc` extra)
    # Participants may write privately to each other (with a facilitator: always).
    private_messages: bool = False
    resources: tuple[Resource, ...] = ()  # replaces the series' and deployment's lists
    history: History = History.SINCE_JOINED
    script: str = ""  # the meeting script shown until a facilitator pins another

    def __post_init__(self) -> None:
        check_room_id(self.room_id)
        if not 1 <= self.capacity <= MAX_CAPACITY:
            raise InvalidPayload(f"capacity must be between 1 and {MAX_CAPACITY}")
        if not self.name.strip():
            raise InvalidPayload("a room needs a name")
        if len(self.script) > MAX_SCRIPT:
            raise InvalidPayload(f"a meeting script is at most {MAX_SCRIPT} characters")


def check_invited(room: RoomInfo, identity: Identity) -> None:
    """Refuse unless this identity may enter the room (or read its name and guidelines)."""
    if identity.guest:
        if not room.allow_guests:
            raise Refused("this room is for invited people only", ErrorCode.GUESTS_NOT_ALLOWED)
    elif not identity.admits(room.room_id):
        raise Refused("your invitation is not for this room", ErrorCode.NOT_INVITED)
