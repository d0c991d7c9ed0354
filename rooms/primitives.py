"""The unmoderated rules for seats, chat, hands and reactions: private to the domain.

Nothing outside ``moderation`` calls these. Each is wrapped by the one public rule for its
operation (``moderation.admission`` for joining and leaving, ``moderation.messages`` for
chat, hands and reactions), which applies every policy first: bans, the lock, the
waiting room, mutes and the pause. Calling one of these directly would skip them all, so
an import-linter contract (``make lint``) forbids ``server`` to import this module.

- **One seat per identity.** Joining again with the same identity (a second tab, a
  reconnect after a network drop) takes the existing seat over: the newest connection
  wins, the old one is told it was replaced, and the seat keeps its place in the hand
  queue. Nobody else sees a leave and a join, so there are never two ghosts of one person.
- **Away.** A seat whose connection dropped (no ``room:leave``: a transport close, a
  ping timeout, the server process dying) is kept *away* until a deadline: its hand
  place, mutes, hold and role stay, the room sees ``MemberAway`` and not a leave. A join
  of the same identity before the deadline, through any process, takes it back
  (``MemberBack``) on the new connection; after it the seat leaves (``disconnected``).
  Marking away again keeps the first deadline, so a reaper cannot stretch it.
- **Capacity** counts seats, away ones too: the seat is still theirs. Facilitators and
  admins always get a seat, so a full room can still be kept safe.
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

from dataclasses import replace

from rooms.change import Change, Recorder
from rooms.errors import ErrorCode, Refused
from rooms.events import (
    ChatPosted,
    HandQueueChanged,
    LeaveReason,
    MemberAway,
    MemberBack,
    MemberJoined,
    MemberLeft,
    ReactionSent,
)
from rooms.identity import Identity
from rooms.roll import seats_held_through
from rooms.room import RoomInfo, check_invited
from rooms.state import CHAT_HISTORY, ChatMessage, Connection, Member, Reaction, RoomState

MAX_CHAT_LENGTH = 1000


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
    if existing is not None and existing.away:
        return _back(state, existing, connection)
    if existing is not None:
        if existing.connection == connection:
            return Change(state)
        seat = replace(existing, connection=connection)
        members = tuple(seat if m.member_id == member_id else m for m in state.members)
        return Change(replace(state, members=members), replaced=existing.connection)
    if len(state.members) >= room.capacity and not identity.role.keeps_room_safe:
        raise Refused("the room is full", ErrorCode.ROOM_FULL)
    member = Member(
        member_id=member_id,
        subject=identity.subject,
        display_name=identity.display_name,
        role=identity.role,
        joined_at=now,
        connection=connection,
        guest=identity.guest,
        colour=identity.colour,
    )
    rec = Recorder(state)
    rec.events.append(MemberJoined(rec.next_seq(), member))
    return rec.done(replace(state, members=(*state.members, member)))


def _back(state: RoomState, member: Member, connection: Connection) -> Change:
    # The old connection is gone (that is what made them away): nobody to tell it was
    # replaced.
    seat = replace(member, connection=connection, away_until=None)
    rec = Recorder(state)
    rec.events.append(MemberBack(rec.next_seq(), seat))
    members = tuple(seat if m.member_id == seat.member_id else m for m in state.members)
    return rec.done(replace(state, members=members))


def _mark_away(state: RoomState, gone: list[Member], until: int) -> Change:
    fresh = [m for m in gone if not m.away]
    if not fresh:
        return Change(state)
    rec = Recorder(state)
    marked = {m.member_id: replace(m, away_until=until) for m in fresh}
    for member in marked.values():
        rec.events.append(MemberAway(rec.next_seq(), member, until))
    members = tuple(marked.get(m.member_id, m) for m in state.members)
    return rec.done(replace(state, members=members))


def step_away(state: RoomState, sid: str, until: int) -> Change:
    """Keep the seat held by this dropped connection until ``until``, if it still holds one."""
    member = state.member_by_sid(sid)
    return _mark_away(state, [member] if member else [], until)


def away_process(state: RoomState, process_id: str, until: int) -> Change:
    """Keep every seat held through a server process that stopped answering, until ``until``."""
    return _mark_away(state, seats_held_through(state, process_id), until)


def drop_process(state: RoomState, process_id: str) -> Change:
    """Free every seat held through a server process that stopped answering, at once."""
    return _remove(state, seats_held_through(state, process_id), LeaveReason.DISCONNECTED)


def leave_overdue(state: RoomState, now: int) -> Change:
    """Free every seat whose away deadline has passed at ``now``."""
    overdue = [m for m in state.members if m.away_until is not None and m.away_until <= now]
    return _remove(state, overdue, LeaveReason.DISCONNECTED)


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


def post_chat(state: RoomState, sid: str, text: str, now: int) -> Change:
    member = state.seated(sid)
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
    member = state.seated(sid)
    rec = Recorder(state)
    rec.events.append(ReactionSent(rec.next_seq(), member.member_id, reaction))
    return rec.done(state)


def raise_hand(state: RoomState, sid: str) -> Change:
    member = state.seated(sid)
    if member.member_id in state.hands:
        return Change(state)
    return _requeue(state, (*state.hands, member.member_id))


def lower_hand(state: RoomState, sid: str) -> Change:
    member = state.seated(sid)
    if member.member_id not in state.hands:
        return Change(state)
    return _requeue(state, tuple(h for h in state.hands if h != member.member_id))


def _requeue(state: RoomState, hands: tuple[str, ...]) -> Change:
    rec = Recorder(state)
    rec.events.append(HandQueueChanged(rec.next_seq(), hands))
    return rec.done(replace(state, hands=hands))
