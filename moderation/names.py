"""Which names a guest may take, so nobody can pass for the people who keep a room safe.

A guest chooses their own display name; an invited person's name is set by an admin and
is never refused here. A guest's name is refused (``name_not_allowed``) when, compared
the way a reader's eye compares them (case, accents, spacing and punctuation ignored,
and look-alike letters from other scripts taken as the letters they look like, after
Unicode TR39's confusables):

- it **looks like the name of a host** of the room: a facilitator, admin or
  co-facilitator who is in the room, waiting to enter, or has been in it this session
  (``RoomState.hosts``). "Sam", "sam", "S a m", "5am", and "Sam" spelt with a
  Cyrillic S all look like "Sam";
- it **holds a word that claims a role**: facilitator, host, co-host, moderator, admin,
  administrator, staff, and their Spanish, French, German and Portuguese forms. Short
  words count as whole words only ("Ghost" is fine, "Host Sam" is not); long ones count
  anywhere ("SamFacilitator").

The comparison uses the maintained ``confusables`` tables rather than a hand-made list.
Chat and the roster also show each speaker's role, so a name that slips past this still
never looks like a facilitator's message.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

import confusables

from rooms.errors import ErrorCode, Refused

ROLE_WORDS = (
    # English
    "facilitator",
    "host",
    "cohost",
    "co-host",
    "moderator",
    "mod",
    "admin",
    "administrator",
    "staff",
    # Spanish
    "facilitador",
    "facilitadora",
    "moderador",
    "moderadora",
    "anfitrion",
    "anfitriona",
    "administrador",
    "administradora",
    # French
    "animateur",
    "animatrice",
    "facilitateur",
    "facilitatrice",
    "moderateur",
    "moderatrice",
    "hote",
    "administrateur",
    "administratrice",
    # German
    "moderatorin",
    "gastgeber",
    "gastgeberin",
    "administratorin",
    # Portuguese
    "anfitriao",
    "anfitria",
)
_WHOLE_WORD_BELOW = 7  # shorter role words match only as whole words


def _pattern(word: str) -> re.Pattern[str]:
    body = confusables.confusable_regex(word, include_character_padding=True)
    if len(word) < _WHOLE_WORD_BELOW:
        body = rf"(?<![^\W_]){body}(?![^\W_])"
    return re.compile(body, re.IGNORECASE)


_ROLE_PATTERNS = tuple(_pattern(word) for word in ROLE_WORDS)


def _plain(name: str) -> str:
    """Case and accents folded, as a reader skims a name."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _letters(name: str) -> str:
    return "".join(ch for ch in _plain(name) if ch.isalnum())


def looks_alike(one: str, other: str) -> bool:
    """Whether two names read the same, ignoring case, accents, spacing and look-alikes."""
    a, b = _letters(one), _letters(other)
    return bool(a) and bool(b) and (a == b or bool(confusables.is_confusable(a, b)))


def claims_a_role(name: str) -> bool:
    plain = _plain(name)
    return any(pattern.search(plain) for pattern in _ROLE_PATTERNS)


def check_guest_name(name: str, hosts: Iterable[str] = ()) -> None:
    """Refuse a guest's name that claims a role or looks like one of ``hosts``."""
    if claims_a_role(name):
        raise Refused(
            "a guest name cannot include a role such as facilitator, host or moderator; "
            "please choose another name",
            ErrorCode.NAME_NOT_ALLOWED,
        )
    if any(looks_alike(name, host) for host in hosts):
        raise Refused(
            "that name looks like the name of someone hosting this room; "
            "please choose another name, for example with an initial",
            ErrorCode.NAME_NOT_ALLOWED,
        )
