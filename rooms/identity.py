"""Who someone is in Hearth.

An identity comes from a signed invite token (subject, display name, role, the rooms it
admits) or, where a room allows guests, from a display name alone. Display names are all
other people ever see; the subject never leaves the server.

A guest's name must be one people can see and tell apart: it is normalised (NFKC, so
full-width and other compatibility forms become the plain letters they show), and it is
refused (``name_not_allowed``) unless it holds at least one letter or digit, or if it
holds blank-looking fillers (Hangul fillers, the braille blank) or a pile of combining
marks. Which names a guest may not take at all (roles, hosts' names) is in
``moderation.names``.

Beside the name, someone may choose a colour for their tile in the room, from a small
set of calm colours (``TileColour``), or none: then their tile shows their initials on
the page's plain tint. The colour is a choice, never a sign of role.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from rooms.errors import ErrorCode, InvalidPayload, Refused

MAX_DISPLAY_NAME = 40
ANY_ROOM = "*"


class Role(StrEnum):
    PARTICIPANT = "participant"
    FACILITATOR = "facilitator"
    ADMIN = "admin"

    @property
    def keeps_room_safe(self) -> bool:
        """Facilitators and admins: a full or locked room still takes them, and no rate
        limit holds them back, so a room can always be kept safe."""
        return self in KEEPS_ROOM_SAFE


KEEPS_ROOM_SAFE = frozenset({Role.FACILITATOR, Role.ADMIN})


class TileColour(StrEnum):
    """The colours a person may choose for their tile (the page has a light and a dark
    shade of each that keeps the initials readable)."""

    SAGE = "sage"
    SKY = "sky"
    SAND = "sand"
    ROSE = "rose"
    LILAC = "lilac"
    TEAL = "teal"


def tile_colour(raw: object) -> TileColour | None:
    """A chosen tile colour, or None when none was chosen."""
    if raw is None or raw == "":
        return None
    if isinstance(raw, str) and raw in TileColour.__members__.values():
        return TileColour(raw)
    raise InvalidPayload(f"a tile colour is one of {', '.join(TileColour)}")


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


# Letters by category that show as nothing: made to look blank.
BLANK_LOOKING = frozenset("\u115f\u1160\u3164\uffa0\u2800")
MAX_COMBINING_RUN = 2  # more marks on one letter than any language needs


def clean_guest_name(raw: str) -> str:
    """A guest's chosen name, normalised, checked to be visible and plain."""
    name = clean_display_name(unicodedata.normalize("NFKC", raw))
    if any(ch in BLANK_LOOKING for ch in name):
        raise Refused("a name cannot hold blank characters", ErrorCode.NAME_NOT_ALLOWED)
    if not any(unicodedata.category(ch)[0] in "LN" for ch in name):
        raise Refused("a name needs at least one letter or digit", ErrorCode.NAME_NOT_ALLOWED)
    run = 0
    for ch in name:
        run = run + 1 if unicodedata.combining(ch) else 0
        if run > MAX_COMBINING_RUN:
            raise Refused("a name has too many accent marks", ErrorCode.NAME_NOT_ALLOWED)
    return name


@dataclass(frozen=True, slots=True)
class Identity:
    subject: str
    display_name: str
    role: Role
    rooms: frozenset[str]
    guest: bool = False
    colour: TileColour | None = None  # chosen for this visit (see the module's notes)

    def __post_init__(self) -> None:
        if not self.subject:
            raise ValueError("an identity needs a subject")

    def admits(self, room_id: str) -> bool:
        return ANY_ROOM in self.rooms or room_id in self.rooms
