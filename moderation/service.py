"""Service roles: the greeter and the timekeeper.

- A **facilitator** (or admin) gives a participant or co-facilitator a service role for
  this room, or takes it back; co-facilitators cannot (like promoting). Facilitators
  hold every duty already, so they are never given one (``target_protected``).
- A **greeter** admits and denies the waiting room (``moderation.admission``) and sees its
  queue; nothing else: a greeter cannot mute, remove or pause (``not_a_facilitator``).
- A **timekeeper** runs sharing rounds and the share timer (``moderation.rounds``).
- Roles belong to the room-scoped member id while the room is open: leaving and joining
  again keeps them; a removal or a ban takes them away. At most ``MAX_SERVICE`` are kept:
  past it the oldest roles of people who are not in the room are forgotten first.
  Everyone sees every role (``ServiceChanged``, and the snapshot), and each grant is a
  line in the audit log.
"""

from __future__ import annotations

from dataclasses import replace

from moderation import roles
from moderation.audit import Action, Moderated, entry
from rooms.change import Change, Recorder
from rooms.errors import ErrorCode, Refused
from rooms.events import ServiceChanged, WaitingQueue
from rooms.identity import Role
from rooms.meeting import MAX_SERVICE, Duty, Service
from rooms.state import Member, RoomState


def duties(state: RoomState, member_id: str) -> frozenset[Duty]:
    return frozenset(s.duty for s in state.service if s.member_id == member_id)


def serves(state: RoomState, member: Member, duty: Duty) -> bool:
    """Whether this member may do ``duty``'s work: moderators always may."""
    return roles.is_moderator(member) or duty in duties(state, member.member_id)


def acting_as(state: RoomState, sid: str, duty: Duty) -> Member:
    """The member behind ``sid``, refused unless they moderate or hold ``duty``."""
    member = state.seated(sid)
    if not serves(state, member, duty):
        raise Refused(
            f"only a facilitator or the {duty} of this room can do that",
            ErrorCode.NOT_A_FACILITATOR,
        )
    return member


def waiting_room_sids(state: RoomState) -> tuple[str, ...]:
    """Who sees the waiting room's queue: moderators and greeters."""
    return tuple(m.connection.sid for m in state.members if serves(state, m, Duty.GREETER))


def give(state: RoomState, sid: str, member_id: str, duty: Duty, now: int) -> Moderated:
    return _set(state, sid, member_id, duty, now, given=True)


def take(state: RoomState, sid: str, member_id: str, duty: Duty, now: int) -> Moderated:
    return _set(state, sid, member_id, duty, now, given=False)


def _set(
    state: RoomState, sid: str, member_id: str, duty: Duty, now: int, *, given: bool
) -> Moderated:
    actor = roles.acting(state, sid, roles.Rank.FACILITATOR)
    member = state.member(member_id)
    if member is None:
        raise Refused("that person is not in this room", ErrorCode.TARGET_NOT_IN_ROOM)
    if member.role != Role.PARTICIPANT:
        raise Refused("facilitators hold every service role already", ErrorCode.TARGET_PROTECTED)
    action = Action.GIVE_SERVICE if given else Action.TAKE_SERVICE
    record = entry(actor, action, now, member, detail=str(duty))
    role = Service(member_id, duty)
    if (role in state.service) == given:
        return Moderated(Change(state), record)
    if given:
        service = _bounded(state, (*state.service, role))
    else:
        service = tuple(s for s in state.service if s != role)
    rec = Recorder(state)
    rec.events.append(ServiceChanged(rec.next_seq(), service))
    if given and duty is Duty.GREETER and state.waiting and not roles.is_moderator(member):
        rec.events.append(WaitingQueue((member.connection.sid,), state.waiting))  # from now on
    return Moderated(rec.done(replace(state, service=service)), record)


def _bounded(state: RoomState, service: tuple[Service, ...]) -> tuple[Service, ...]:
    """At most ``MAX_SERVICE`` roles: the oldest of people not in the room go first."""
    over = len(service) - MAX_SERVICE
    if over <= 0:
        return service
    seated = {m.member_id for m in state.members}
    absent = [s for s in service if s.member_id not in seated][:over]
    kept = tuple(s for s in service if s not in absent)
    return kept[len(kept) - MAX_SERVICE :]


def forget(state: RoomState, member_id: str, rec: Recorder) -> RoomState:
    """This state without ``member_id``'s roles (they were taken out), the room told."""
    service = tuple(s for s in state.service if s.member_id != member_id)
    if service == state.service:
        return state
    rec.events.append(ServiceChanged(rec.next_seq(), service))
    return replace(state, service=service)
