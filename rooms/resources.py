"""The help a programme wraps around its meetings: local organisations, crisis lines,
readings and coping exercises.

- An operator curates a short list of **resources** (title, description, a link or a phone
  number, a language and a category) for the whole deployment, for a series or for one
  room. The most specific list that is not empty is the one people see: a room's own,
  else its series', else the deployment's.
- The **deployment's list** is the one an admin last set (even an empty one), else the
  operator's configured list (a file read at start-up): an admin's list replaces the
  file's until the admin forgets it.
- **Crisis resources** are the ``crisis`` entries of the most specific list that has any
  (so a room that lists only its readings still shows the deployment's crisis line). They
  are what someone who asks for support sees at once (``moderation.support``). Hearth
  never ships a hotline of its own: where the operator configured none, the person sees a
  neutral line telling them to contact their local emergency services.
- A link is ``https:`` (or ``http:``) only, so no list can carry a script; a phone number
  is digits, spaces and ``+-()`` only. Everything is plain text, shown as text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from rooms.errors import InvalidPayload
from rooms.text import check_text

MAX_RESOURCES = 30
MAX_TITLE = 120
MAX_DESCRIPTION = 500
MAX_LINK = 500
_PHONE = re.compile(r"\+?[0-9][0-9 ()-]{1,30}")
_LINK = re.compile(r"https?://[^\s<>\"']{1,490}")
_LANGUAGE = re.compile(r"([a-z]{2,3}(-[A-Za-z0-9]{2,8})*)?")
FIELDS = ("title", "description", "link", "phone", "language", "category")


class Category(StrEnum):
    CRISIS = "crisis"
    LOCAL = "local"  # local organisations
    READING = "reading"
    COPING = "coping"  # coping exercises


@dataclass(frozen=True, slots=True)
class Resource:
    title: str
    category: Category = Category.LOCAL
    description: str = ""
    link: str = ""
    phone: str = ""
    language: str = ""  # a BCP 47 tag such as "en" or "pt-BR"; empty: any

    def __post_init__(self) -> None:
        _bounded(self.title, "title", MAX_TITLE)
        if not self.title.strip():
            raise InvalidPayload("a resource needs a title")
        _bounded(self.description, "description", MAX_DESCRIPTION, newlines=True)
        if self.link and (len(self.link) > MAX_LINK or not _LINK.fullmatch(self.link)):
            raise InvalidPayload("a resource's link must be an http(s) address")
        if self.phone and not _PHONE.fullmatch(self.phone):
            raise InvalidPayload("a resource's phone is digits, spaces and + - ( ) only")
        if not _LANGUAGE.fullmatch(self.language):
            raise InvalidPayload("a resource's language is a tag such as 'en' or 'pt-BR'")


def _bounded(value: str, what: str, most: int, *, newlines: bool = False) -> None:
    check_text(value, what, newlines=newlines)
    if len(value) > most:
        raise InvalidPayload(f"a resource's {what} is at most {most} characters")


# What someone asking for support sees where the operator configured no crisis resource.
NEUTRAL_CRISIS = Resource(
    "If you are in danger right now",
    Category.CRISIS,
    "Contact your local emergency services, or a crisis line where you live. "
    "This meeting's facilitators are not an emergency service.",
)


def parse_resources(raw: object) -> tuple[Resource, ...]:
    """A list of resources as JSON gives it (the admin API, the operator's file)."""
    if not isinstance(raw, list) or len(raw) > MAX_RESOURCES:
        raise InvalidPayload(f"resources must be a list of at most {MAX_RESOURCES}")
    return tuple(_resource(item) for item in raw)


def _resource(item: object) -> Resource:
    if not isinstance(item, Mapping) or set(item) - set(FIELDS) or "title" not in item:
        raise InvalidPayload(f"a resource is an object with a title and only: {', '.join(FIELDS)}")
    values: dict[str, Any] = dict(item)
    if not all(isinstance(v, str) for v in values.values()):
        raise InvalidPayload("a resource's fields are strings")
    try:
        values["category"] = Category(values.get("category", Category.LOCAL))
    except ValueError:
        allowed = ", ".join(c.value for c in Category)
        raise InvalidPayload(f"a resource's category is one of: {allowed}") from None
    return Resource(**values)


def deployment_list(
    kept: tuple[Resource, ...] | None, configured: tuple[Resource, ...]
) -> tuple[Resource, ...]:
    """The deployment's list: the one an admin set (``None``: none is), else the configured."""
    return configured if kept is None else kept


def shown(*lists: Iterable[Resource]) -> tuple[Resource, ...]:
    """The list people see: the first that is not empty, most specific first."""
    for found in lists:
        chosen = tuple(found)
        if chosen:
            return chosen
    return ()


def crisis(*lists: Iterable[Resource]) -> tuple[Resource, ...]:
    """The crisis resources of the most specific list that has any, or the neutral line
    when none has: a room listing only readings still shows its deployment's crisis line."""
    for found in lists:
        lines = tuple(r for r in found if r.category == Category.CRISIS)
        if lines:
            return lines
    return (NEUTRAL_CRISIS,)
