"""The values of the crisis path: a request for support and a private conversation, and
the private events they make (the rules are ``moderation.support``).

Like chat, they live only in the open room's state and go with it; a private message is
not kept at all: it is an event to its two people and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass

# One request per member; past the bound the oldest is forgotten first.
MAX_REQUESTS = 100
MAX_CONVERSATIONS = 200


@dataclass(frozen=True, slots=True)
class SupportRequest:
    """Someone asked for help privately; ``seen_by`` is the first moderator to acknowledge."""

    member_id: str
    member_name: str
    asked_at: int
    seen_by_id: str | None = None
    seen_by_name: str | None = None
    seen_at: int | None = None

    @property
    def seen(self) -> bool:
        return self.seen_by_id is not None


@dataclass(frozen=True, slots=True)
class Conversation:
    """A moderator opened a private conversation with a member: the two may write to each
    other, and nobody else sees it."""

    moderator_id: str
    member_id: str

    def between(self, one: str, other: str) -> bool:
        return {one, other} == {self.moderator_id, self.member_id}


@dataclass(frozen=True, slots=True)
class SupportAsked:
    """To every moderator present: someone needs support now."""

    audience: tuple[str, ...]
    request: SupportRequest


@dataclass(frozen=True, slots=True)
class SupportSeen:
    """To the person and every moderator present: who acknowledged the request first."""

    audience: tuple[str, ...]
    request: SupportRequest


@dataclass(frozen=True, slots=True)
class PrivateMessage:
    """A private text between two people, to their two connections only; never kept."""

    audience: tuple[str, ...]
    from_id: str
    from_name: str
    to_id: str
    text: str
    sent_at: int
