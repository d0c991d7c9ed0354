"""Getting into a room: bans, the lock, the waiting room, and leaving again.

- A **guest's name** is refused (``name_not_allowed``) when it claims a role or looks
  like the name of someone hosting the room (see ``moderation.names``); the room
  remembers its hosts' names for the session, so a name stays taken while its owner is
  briefly away.
- A **banned** identity is refused (``banned``), whether the ban is in the room's state
  or kept in the store for the room or its series.
- A **locked** room takes no new joins (``room_locked``); people already seated may
  still reconnect (their seat is theirs), and facilitators and admins always get in.
- With the **waiting room** on, a join waits until a facilitator, a co-facilitator or
  the room's greeter (``moderation.service``) admits or denies it, one person or
  everyone at once. With **wait for a facilitator** on, joins wait while no facilitator
  is present, even if the waiting room is off; the first facilitator to arrive lets them
  in (unless the waiting room is on, then they keep waiting for a facilitator's
  decision).
  Waiting people see nothing of the room; each is told their place in the queue
  (``WaitingPlace``) and the moderators see the queue live with display names
  (``WaitingQueue``). Admitting someone gives them a seat (capacity still counts); they
  then join again to get the room's snapshot.
- Whoever takes a seat gets back what facilitators decided about their identity in this
  room (a chat mute, an audio hold, a promotion: ``moderation.standing``), whether they
  left, lost the connection or were let in from the waiting room.
- A facilitator arriving at an unattended room ends that (see ``moderation.handover``).
- Leaving frees a seat or a place in the queue; the last facilitator leaving hands over.
- A dropped connection (``step_away``) or a silent server process (``drop_process``)
  leaves its seats *away* until a deadline (the away grace): the person keeps their hand
  place, mutes, hold and role, and rejoining from any process takes the seat back. A
  place in the waiting room is freed at once. ``leave_overdue`` frees the seats whose
  deadline passed; it is idempotent, so any process may run it at any time. An away
  facilitator still counts as present until their seat leaves.
- Every change of seats here is counted in each identity's presence in the same step
  (``rooms.attendance``), for attendance verifications.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from moderation import handover, mute, names, roles, service, standing
from moderation.audit import Action, Moderated, entry
from moderation.bans import check_not_banned
from rooms import attendance, primitives
from rooms.change import Change, Decided, Recorder
from rooms.errors import ErrorCode, Refused
from rooms.events import Admitted, Denied, LeaveReason, MemberJoined, WaitingPlace, WaitingQueue
from rooms.identity import Identity
from rooms.meeting import Duty
from rooms.room import RoomInfo, check_invited
from rooms.state import Connection, Member, RoomState, Waiting


def join(
    state: RoomState,
    room: RoomInfo,
    identity: Identity,
    member_id: str,
    connection: Connection,
    now: int,
    *,
    banned_elsewhere: bool = False,
) -> Decided[Entry]:
    """Take a seat, or a place in the waiting room; the result says which, as decided."""
    change = _accounted(
        state, _enter(state, room, identity, member_id, connection, now, banned_elsewhere), now
    )
    return Decided(
        change,
        Entry(
            room=room,
            seat=change.state.member(member_id),
            place=position(change.state, connection.sid),
            unattended_since=state.unattended_since,
        ),
    )


def _enter(
    state: RoomState,
    room: RoomInfo,
    identity: Identity,
    member_id: str,
    connection: Connection,
    now: int,
    banned_elsewhere: bool,
) -> Change:
    if state.member(member_id) is not None:
        return primitives.join(state, room, identity, member_id, connection, now)
    check_invited(room, identity)
    check_not_banned(state, identity.subject, banned_elsewhere)
    if identity.guest:
        names.check_guest_name(identity.display_name, host_names(state))
    if not identity.role.keeps_room_safe:
        if state.controls.locked:
            raise Refused("the room is locked", ErrorCode.ROOM_LOCKED)
        if _must_wait(state):
            return _wait(state, identity, member_id, connection, now)
    change = primitives.join(state, room, identity, member_id, connection, now)
    change = _flag_newcomer(change, member_id)
    if identity.role.keeps_room_safe:
        change = replace(change, state=change.state.with_host(identity.display_name))
        change = handover.arrive(change)
        if change.state.waiting and not change.state.controls.waiting_room:
            # They waited only for a facilitator to be present: one is now.
            waiting = list(change.state.waiting)
            change = _seat(change.state, room, waiting, now, Recorder.following(change))
    return change


@dataclass(frozen=True, slots=True)
class Entry:
    """What a join decided, on the state it was committed on."""

    room: RoomInfo  # the room's settings as the rule saw them
    seat: Member | None  # the seat taken (or taken over); None while waiting
    place: tuple[int, int] | None  # in the waiting room: place (1 is next), of how many
    # Since when the room had gone unattended before this join (a facilitator's arrival
    # ends it, so the state after the join no longer says).
    unattended_since: int | None


def host_names(state: RoomState) -> tuple[str, ...]:
    """Every name a guest may not take here: hosts present, waiting, or seen this session."""
    present = [m.display_name for m in state.members if roles.is_moderator(m)]
    waiting = [w.display_name for w in state.waiting if w.role.keeps_room_safe]
    return (*state.hosts, *present, *waiting)


def would_wait(state: RoomState, identity: Identity, member_id: str) -> bool:
    """Whether this join would go to the waiting room if the room stayed as it is."""
    if state.member(member_id) is not None or identity.role.keeps_room_safe:
        return False
    return _must_wait(state)


def _must_wait(state: RoomState) -> bool:
    controls = state.controls
    return controls.waiting_room or (
        controls.wait_for_facilitator and not roles.facilitator_present(state)
    )


def _flag_newcomer(change: Change, member_id: str) -> Change:
    member = change.state.member(member_id)
    assert member is not None
    flagged = _as_decided(change.state, member)
    if flagged == member:
        return change
    events = tuple(
        replace(e, member=flagged) if isinstance(e, MemberJoined) else e for e in change.events
    )
    state = roles.with_members(change.state, flagged)
    if flagged.co_facilitator:
        state = state.with_host(flagged.display_name)
    return replace(change, state=state, events=events)


def _as_decided(state: RoomState, member: Member) -> Member:
    """A newcomer's seat as facilitators decided: their standing first (a mute, a hold, a
    promotion they had before), then the room's controls (mute on join)."""
    return mute.on_join(standing.restore(state, member), state.controls)


def _wait(
    state: RoomState, identity: Identity, member_id: str, connection: Connection, now: int
) -> Change:
    waiting = next((w for w in state.waiting if w.member_id == member_id), None)
    if waiting is None:
        waiting = Waiting(
            member_id=member_id,
            subject=identity.subject,
            display_name=identity.display_name,
            role=identity.role,
            since=now,
            connection=connection,
            guest=identity.guest,
        )
        queue = (*state.waiting, waiting)
    else:  # the same person again (a new tab): they keep their place
        queue = tuple(
            replace(w, connection=connection) if w.member_id == member_id else w
            for w in state.waiting
        )
    return _requeue(state, queue)


def _requeue(state: RoomState, queue: tuple[Waiting, ...], rec: Recorder | None = None) -> Change:
    """Store the new queue, and tell moderators and every waiting person where things stand."""
    rec = rec or Recorder(state)
    state = replace(state, waiting=queue)
    watching = service.waiting_room_sids(state)
    if watching:
        rec.events.append(WaitingQueue(watching, queue))
    for place, waiting in enumerate(queue, start=1):
        rec.events.append(WaitingPlace((waiting.connection.sid,), place, len(queue)))
    return replace(rec.done(state), quiet=True)


def position(state: RoomState, sid: str) -> tuple[int, int] | None:
    """Where the connection ``sid`` stands in the queue (1 is next), and of how many."""
    for place, waiting in enumerate(state.waiting, start=1):
        if waiting.connection.sid == sid:
            return place, len(state.waiting)
    return None


def admit(state: RoomState, room: RoomInfo, sid: str, member_id: str | None, now: int) -> Moderated:
    """Let one waiting person in (``member_id``), or everyone waiting (``None``): a
    moderator or the greeter."""
    actor = service.acting_as(state, sid, Duty.GREETER)
    chosen = _chosen(state, member_id)
    record = entry(actor, Action.ADMIT, now, chosen[0] if member_id else None)
    if member_id is None:
        record = replace(record, detail=f"all ({len(chosen)})")
    seated = _seat(state, room, chosen, now, Recorder(state), one=member_id is not None)
    return Moderated(_accounted(state, seated, now), record)


def _seat(
    state: RoomState,
    room: RoomInfo,
    chosen: list[Waiting],
    now: int,
    rec: Recorder,
    *,
    one: bool = False,
) -> Change:
    """Give seats to ``chosen`` waiting people, in queue order, while seats last."""
    members = list(state.members)
    admitted: list[Waiting] = []
    for waiting in chosen:
        if len(members) >= room.capacity and not waiting.role.keeps_room_safe:
            if one:
                raise Refused("the room is full", ErrorCode.ROOM_FULL)
            break  # the rest keep their places
        member = Member(
            member_id=waiting.member_id,
            subject=waiting.subject,
            display_name=waiting.display_name,
            role=waiting.role,
            joined_at=now,
            connection=waiting.connection,
            guest=waiting.guest,
        )
        member = _as_decided(state, member)
        if waiting.role.keeps_room_safe or member.co_facilitator:
            state = state.with_host(waiting.display_name)
        members.append(member)
        admitted.append(waiting)
        rec.events.append(MemberJoined(rec.next_seq(), member))
        rec.events.append(Admitted((waiting.connection.sid,)))
    gone = {w.member_id for w in admitted}
    queue = tuple(w for w in state.waiting if w.member_id not in gone)
    state = replace(state, members=tuple(members), waiting=())
    state = standing.mirror(state, *(m for m in members if m.member_id in gone))
    return _requeue(state, queue, rec)


def deny(state: RoomState, sid: str, member_id: str | None, now: int) -> Moderated:
    """Turn one waiting person away (``member_id``), or everyone waiting (``None``): a
    moderator or the greeter."""
    actor = service.acting_as(state, sid, Duty.GREETER)
    chosen = _chosen(state, member_id)
    record = entry(actor, Action.DENY, now, chosen[0] if member_id else None)
    if member_id is None:
        record = replace(record, detail=f"all ({len(chosen)})")
    rec = Recorder(state)
    for waiting in chosen:
        rec.events.append(Denied((waiting.connection.sid,)))
    gone = {w.member_id for w in chosen}
    queue = tuple(w for w in state.waiting if w.member_id not in gone)
    return Moderated(_requeue(replace(state, waiting=()), queue, rec), record)


def _chosen(state: RoomState, member_id: str | None) -> list[Waiting]:
    if member_id is None:
        return list(state.waiting)
    waiting = next((w for w in state.waiting if w.member_id == member_id), None)
    if waiting is None:
        raise Refused("that person is not waiting to join", ErrorCode.NOT_WAITING)
    return [waiting]


def leave(state: RoomState, sid: str, reason: LeaveReason, now: int) -> Change:
    """Free the seat or the place in the queue held by this connection."""
    if state.waiting_by_sid(sid) is not None:
        return _requeue(state, tuple(w for w in state.waiting if w.connection.sid != sid))
    return _accounted(state, handover.oversee(primitives.leave(state, sid, reason), now), now)


def step_away(state: RoomState, sid: str, until: int, now: int) -> Change:
    """A connection dropped: keep its seat away until ``until`` (free a waiting place at
    once). A deadline already past leaves at once (an away grace of zero)."""
    if state.waiting_by_sid(sid) is not None or until <= now:
        return leave(state, sid, LeaveReason.DISCONNECTED, now)
    return _accounted(state, primitives.step_away(state, sid, until), now)


def drop_process(state: RoomState, process_id: str, until: int, now: int) -> Change:
    """A server process stopped answering: its seats are away until ``until`` (their
    people may come back through another process), its waiting places are freed."""
    if until <= now:
        change = handover.oversee(primitives.drop_process(state, process_id), now)
    else:
        change = primitives.away_process(state, process_id, until)
    change = _accounted(state, change, now)
    queue = tuple(w for w in change.state.waiting if w.connection.process_id != process_id)
    if queue == change.state.waiting:
        return change
    return _requeue(change.state, queue, Recorder.following(change))


def leave_overdue(state: RoomState, now: int) -> Change:
    """Every seat away past its deadline leaves (``disconnected``); the last facilitator
    leaving this way hands over as if they had left."""
    return _accounted(state, handover.oversee(primitives.leave_overdue(state, now), now), now)


def _accounted(before: RoomState, change: Change, now: int) -> Change:
    """``change`` with the presence it makes counted (``rooms.attendance``)."""
    return replace(change, state=attendance.accounted(before, change.state, now))
