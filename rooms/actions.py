"""The rules for changing a room, as pure functions from one state to the next.

- **One seat per identity.** Joining again with the same identity (a second tab, a
  reconnect after a network drop) takes the existing seat over: the newest connection
  wins, the old one is told it was replaced, and the seat keeps its place in the hand
  queue. Nobody else sees a leave and a join, so there are never two ghosts of one person.
- **Capacity** counts seats. Facilitators and admins always get a seat, so a full room
  can still be kept safe.
- **Invitations.** A token names the rooms it admits; a guest (display name only) gets in
  only where the room allows guests.
- **Leaving** frees the seat only if it is still held by the connection that leaves, so a
  replaced tab closing never removes the person from the room.
- **Reactions** (a heart, thanks, ...) are sent to the room and numbered, never kept.
- **Hands** form one queue, first raised first; leaving takes your hand down.
- **Chat** is plain text, trimmed, 1 to ``MAX_CHAT_LENGTH`` characters; only the last
  ``CHAT_HISTORY`` messages are kept, and only while the room is open. Each message
  carries its speaker's role at the moment they spoke.

Every function returns a ``Change``: the next state and the events that lead to it, each
numbered with the room's next sequence number. A refusal raises and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from rooms.errors import ErrorCode, Refused
from rooms.events import (
    ChatPosted,
    HandQueueChanged,
    LeaveReason,
    MemberJoined,
    MemberLeft,
    ReactionSent,
    RoomClosed,
    RoomClosing,
    RoomEvent,
)
from rooms.identity import Identity, Role
from rooms.roll import seats_held_through
from rooms.room import RoomInfo
from rooms.state import CHAT_HISTORY, ChatMessage, Connection, Member, Reaction, RoomState

MAX_CHAT_LENGTH = 1000


@dataclass(frozen=True, slots=True)
class Change:
    state: RoomState
    events: tuple[RoomEvent, ...] = ()
    replaced: Connection | None = None  # a join took the seat over from this connection
    quiet: bool = False  # the state changed with nothing to tell (an unban)

    @property
    def changed(self) -> bool:
        return bool(self.events) or self.replaced is not None or self.quiet


class Recorder:
    """Numbers events as they happen, one sequence number each."""

    def __init__(self, state: RoomState) -> None:
        self.seq = state.seq
        self.events: list[RoomEvent] = []

    @classmethod
    def following(cls, change: Change) -> Recorder:
        """Go on recording after ``change``, keeping its events."""
        rec = cls(change.state)
        rec.events.extend(change.events)
        return rec

    def next_seq(self) -> int:
        self.seq += 1
        return self.seq

    def done(self, state: RoomState, replaced: Connection | None = None) -> Change:
        return Change(replace(state, seq=self.seq), tuple(self.events), replaced)


def check_invited(room: RoomInfo, identity: Identity) -> None:
    """Refuse unless this identity may enter the room (or read its name and guidelines)."""
    if identity.guest:
        if not room.allow_guests:
            raise Refused("this room is for invited people only", ErrorCode.GUESTS_NOT_ALLOWED)
    elif not identity.admits(room.room_id):
        raise Refused("your invitation is not for this room", ErrorCode.NOT_INVITED)


def join(
    state: RoomState,
    room: RoomInfo,
    identity: Identity,
    member_id: str,
    connection: Connection,
    now: int,
) -> Change:
    check_invited(room, identity)
    existing = state.member(member_id)
    if existing is not None:
        if existing.connection == connection:
            return Change(state)
        seat = replace(existing, connection=connection)
        members = tuple(seat if m.member_id == member_id else m for m in state.members)
        return Change(replace(state, members=members), replaced=existing.connection)
    keeps_room_safe = identity.role in {Role.FACILITATOR, Role.ADMIN}
    if len(state.members) >= room.capacity and not keeps_room_safe:
        raise Refused("the room is full", ErrorCode.ROOM_FULL)
    member = Member(
        member_id=member_id,
        subject=identity.subject,
        display_name=identity.display_name,
        role=identity.role,
        joined_at=now,
        connection=connection,
        guest=identity.guest,
    )
    rec = Recorder(state)
    rec.events.append(MemberJoined(rec.next_seq(), member))
    return rec.done(replace(state, members=(*state.members, member)))


def _remove(state: RoomState, gone: list[Member], reason: LeaveReason) -> Change:
    if not gone:
        return Change(state)
    rec = Recorder(state)
    gone_ids = {m.member_id for m in gone}
    hands = tuple(h for h in state.hands if h not in gone_ids)
    for member in gone:
        rec.events.append(MemberLeft(rec.next_seq(), member, reason))
    if hands != state.hands:
        rec.events.append(HandQueueChanged(rec.next_seq(), hands))
    members = tuple(m for m in state.members if m.member_id not in gone_ids)
    return rec.done(replace(state, members=members, hands=hands))


def leave(state: RoomState, sid: str, reason: LeaveReason) -> Change:
    """Free the seat held by this connection, if it still holds one."""
    member = state.member_by_sid(sid)
    return _remove(state, [member] if member else [], reason)


def drop_process(state: RoomState, process_id: str) -> Change:
    """Free every seat held through a server process that stopped answering."""
    return _remove(state, seats_held_through(state, process_id), LeaveReason.CONNECTION_LOST)


def _seated(state: RoomState, sid: str) -> Member:
    member = state.member_by_sid(sid)
    if member is None:
        raise Refused("you are not in this room", ErrorCode.NOT_IN_ROOM)
    return member


def post_chat(state: RoomState, sid: str, text: str, now: int) -> Change:
    member = _seated(state, sid)
    text = text.strip()
    if not text:
        raise Refused("a message needs some text", ErrorCode.CHAT_EMPTY)
    if len(text) > MAX_CHAT_LENGTH:
        raise Refused(f"a message is at most {MAX_CHAT_LENGTH} characters", ErrorCode.CHAT_TOO_LONG)
    rec = Recorder(state)
    seq = rec.next_seq()
    message = ChatMessage(
        seq, member.member_id, member.display_name, text, now, member.role, member.co_facilitator
    )
    rec.events.append(ChatPosted(seq, message))
    chat = (*state.chat, message)[-CHAT_HISTORY:]
    return rec.done(replace(state, chat=chat))


def react(state: RoomState, sid: str, reaction: Reaction) -> Change:
    member = _seated(state, sid)
    rec = Recorder(state)
    rec.events.append(ReactionSent(rec.next_seq(), member.member_id, reaction))
    return rec.done(state)


def raise_hand(state: RoomState, sid: str) -> Change:
    member = _seated(state, sid)
    if member.member_id in state.hands:
        return Change(state)
    return _requeue(state, (*state.hands, member.member_id))


def lower_hand(state: RoomState, sid: str) -> Change:
    member = _seated(state, sid)
    if member.member_id not in state.hands:
        return Change(state)
    return _requeue(state, tuple(h for h in state.hands if h != member.member_id))


def _requeue(state: RoomState, hands: tuple[str, ...]) -> Change:
    rec = Recorder(state)
    rec.events.append(HandQueueChanged(rec.next_seq(), hands))
    return rec.done(replace(state, hands=hands))


def schedule_end(state: RoomState, ends_at: int) -> Change:
    """Record when a scheduled meeting ends, so everyone can see the time left. Nothing is
    announced: snapshots carry it, and ``room:closing`` warns before the end."""
    if state.ends_at == ends_at:
        return Change(state)
    return Change(replace(state, ends_at=ends_at), quiet=True)


def warn_closing(state: RoomState, closes_at: int) -> Change:
    """Tell the room when it will close, so nobody is cut off mid-sentence."""
    rec = Recorder(state)
    rec.events.append(RoomClosing(rec.next_seq(), closes_at))
    return rec.done(replace(state, ends_at=closes_at))


def close(state: RoomState) -> Change:
    """The room closes: everyone's seat and all chat go with it."""
    rec = Recorder(state)
    rec.events.append(RoomClosed(rec.next_seq()))
    return rec.done(RoomState(state.room_id))
