"""The crisis path: "I need support now", its acknowledgement, and private conversations.

- **Anyone seated may ask for support.** The request goes, privately and at once, to every
  moderator present (facilitators and co-facilitators whose connection is up); nobody else
  learns of it. Asking again replaces one's earlier request (and alerts again). The rule
  says how many moderators it reached: none means the person is told at once that no
  facilitator is here (they see the crisis resources either way, ``rooms.resources``).
- **The first moderator to acknowledge** is the one the person and the other moderators
  are told about ("Kim has seen your request"); a later acknowledgement changes nothing.
- **Private conversations** are opened by a moderator: a moderator's private message to
  someone opens the conversation, and from then on the two may write to each other
  privately. Participants may write privately to each other only where the room allows it
  (``RoomInfo.private_messages``), and then under the chat's rules (mute, pause). A
  private message is an event to its two people's connections, never kept in the room.
- **The audit log** records that a request was made and that it was acknowledged (who
  asked, who acknowledged): never what anyone wrote.

Requests follow the chat privacy rules: they live in the open room's state (which a
persistent store may write to its files: docs/admin.md#what-is-kept-where-and-for-how-long)
and go with it; they hold no text. A private message's text is in no state at all.
"""

from __future__ import annotations

from dataclasses import replace

from moderation import roles
from moderation.audit import Action, Moderated, entry
from moderation.mute import check_may_chat
from rooms.change import Change
from rooms.errors import ErrorCode, InvalidPayload, Refused
from rooms.room import RoomInfo
from rooms.state import Member, RoomState
from rooms.support import (
    MAX_CONVERSATIONS,
    MAX_REQUESTS,
    Conversation,
    PrivateMessage,
    SupportAsked,
    SupportRequest,
    SupportSeen,
)

MAX_PRIVATE_LENGTH = 1000


def moderators_present(state: RoomState, *, besides: str | None = None) -> tuple[str, ...]:
    """The connections of the moderators present (not away), but ``besides``."""
    return tuple(
        m.connection.sid
        for m in state.members
        if roles.is_moderator(m) and not m.away and m.connection.sid != besides
    )


def request_support(state: RoomState, sid: str, now: int) -> Moderated:
    """Ask the moderators present for support; the change's events say whom it reached."""
    member = state.seated(sid)
    request = SupportRequest(member.member_id, member.display_name, now)
    kept = tuple(r for r in state.support if r.member_id != member.member_id)
    audience = moderators_present(state, besides=sid)
    events = (SupportAsked(audience, request),) if audience else ()
    asked = replace(state, support=(*kept, request)[-MAX_REQUESTS:])
    return Moderated(Change(asked, events, quiet=True), entry(member, Action.SUPPORT_REQUEST, now))


def reached(change: Change) -> int:
    """How many moderators a request for support reached."""
    return sum(len(e.audience) for e in change.events if isinstance(e, SupportAsked))


def acknowledge(state: RoomState, sid: str, member_id: str, now: int) -> Moderated:
    """A moderator has seen someone's request; the first to say so is the one named."""
    actor = roles.acting(state, sid)
    request = open_request(state, member_id)
    if request is None:
        raise Refused("that person has not asked for support", ErrorCode.NO_SUPPORT_REQUEST)
    record = replace(
        entry(actor, Action.SUPPORT_SEEN, now),
        target_id=request.member_id,
        target_name=request.member_name,
    )
    if request.seen:
        return Moderated(Change(state), record)
    seen = replace(
        request, seen_by_id=actor.member_id, seen_by_name=actor.display_name, seen_at=now
    )
    asker = state.member(member_id)
    audience = moderators_present(state)
    if asker is not None and not asker.away:
        audience = (asker.connection.sid, *audience)
    support = tuple(seen if r.member_id == member_id else r for r in state.support)
    change = Change(replace(state, support=support), (SupportSeen(audience, seen),), quiet=True)
    return Moderated(change, record)


def open_request(state: RoomState, member_id: str) -> SupportRequest | None:
    return next((r for r in state.support if r.member_id == member_id), None)


def send_private(
    state: RoomState, room: RoomInfo, sid: str, to_id: str, text: str, now: int
) -> Change:
    """A private message from the connection ``sid`` to the member ``to_id``."""
    sender = state.seated(sid)
    recipient = state.member(to_id)
    if recipient is None:
        raise Refused("that person is not in this room", ErrorCode.TARGET_NOT_IN_ROOM)
    if recipient.member_id == sender.member_id:
        raise InvalidPayload("a private message goes to someone else")
    text = text.strip()
    if not text:
        raise Refused("a message needs some text", ErrorCode.CHAT_EMPTY)
    if len(text) > MAX_PRIVATE_LENGTH:
        limit = f"a message is at most {MAX_PRIVATE_LENGTH} characters"
        raise Refused(limit, ErrorCode.CHAT_TOO_LONG)
    state = _conversation(state, room, sender, recipient)
    message = PrivateMessage(
        (sender.connection.sid, recipient.connection.sid),
        sender.member_id,
        sender.display_name,
        recipient.member_id,
        text,
        now,
    )
    return Change(state, (message,), quiet=True)


def _conversation(state: RoomState, room: RoomInfo, sender: Member, recipient: Member) -> RoomState:
    """The state with the two in a conversation, or refused if they may not write."""
    if any(c.between(sender.member_id, recipient.member_id) for c in state.conversations):
        return state
    if roles.is_moderator(sender):
        opened = Conversation(sender.member_id, recipient.member_id)
        return replace(state, conversations=(*state.conversations, opened)[-MAX_CONVERSATIONS:])
    if not room.private_messages:
        raise Refused(
            "private messages here are only with a facilitator who writes to you first",
            ErrorCode.PRIVATE_MESSAGES_OFF,
        )
    check_may_chat(state, sender)
    return state
