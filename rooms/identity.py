"""Who someone is in Hearth.

An identity comes from a signed invite token (subject, display name, role, the rooms it
admits) or, where a room allows guests, from a display name alone. Display names are all
other people ever see; the subject never leaves the server.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from rooms.errors import InvalidPayload

MAX_DISPLAY_NAME = 40
ANY_ROOM = "*"


class Role(StrEnum):
    PARTICIPANT = "participant"
    FACILITATOR = "facilitator"
    ADMIN = "admin"


def clean_display_name(raw: str) -> str:
    """Trim and check a display name: 1 to 40 printable characters."""
    name = " ".join(raw.split())
    if not name:
        raise InvalidPayload("display name is empty")
    if len(name) > MAX_DISPLAY_NAME:
        raise InvalidPayload(f"display name is longer than {MAX_DISPLAY_NAME} characters")
    if any(unicodedata.category(ch) in {"Cc", "Cf", "Co", "Cs"} for ch in name):
        raise InvalidPayload("display name has control characters")
    return name


@dataclass(frozen=True, slots=True)
class Identity:
    subject: str
    display_name: str
    role: Role
    rooms: frozenset[str]
    guest: bool = False

    def __post_init__(self) -> None:
        if not self.subject:
            raise ValueError("an identity needs a subject")

    def admits(self, room_id: str) -> bool:
        return ANY_ROOM in self.rooms or room_id in self.rooms
