"""Who may moderate whom in a room.

- **Facilitators** (and admins) get their role from their invite token.
- **Co-facilitators** are participants a facilitator promoted, for this room only; a
  facilitator can demote them again. The promotion belongs to the identity while the
  room is open (``moderation.standing``): leaving and joining again keeps it; a removal
  or a ban takes it away. They moderate like facilitators, except that they
  cannot promote or demote.
- **Participants** moderate nobody.

Rank orders them: admin, facilitator, co-facilitator, participant. A moderator may act on
someone of strictly lower rank only, so co-facilitators cannot mute each other and
facilitators cannot remove each other. A target must be in the room (a member id from
another room never matches: ids are room-scoped), and every refusal changes nothing.
"""

from __future__ import annotations

from dataclasses import replace
from enum import IntEnum

from moderation import standing
from moderation.audit import Action, Moderated, entry
from rooms.change import Change, Recorder
from rooms.errors import ErrorCode, Refused
from rooms.events import RoleChanged, WaitingQueue
from rooms.identity import Role
from rooms.state import Member, RoomState


class Rank(IntEnum):
    PARTICIPANT = 0
    CO_FACILITATOR = 1
    FACILITATOR = 2
    ADMIN = 3


def rank(member: Member) -> Rank:
    if member.role == Role.ADMIN:
        return Rank.ADMIN
    if member.role == Role.FACILITATOR:
        return Rank.FACILITATOR
    return Rank.CO_FACILITATOR if member.co_facilitator else Rank.PARTICIPANT


# The roles ranked facilitator or above whatever else the seat holds (``rank``): asked
# of every seat of a room at each join, so asked without ranking each.
_FACILITATING = frozenset({Role.FACILITATOR, Role.ADMIN})


def is_moderator(member: Member) -> bool:
    """``rank(member) >= Rank.CO_FACILITATOR``."""
    return member.co_facilitator or member.role in _FACILITATING


def facilitator_present(state: RoomState) -> bool:
    """Someone ranked facilitator or above is seated."""
    return any(m.role in _FACILITATING for m in state.members)


def moderator_sids(state: RoomState) -> tuple[str, ...]:
    return tuple(m.connection.sid for m in state.members if is_moderator(m))


def acting(state: RoomState, sid: str, at_least: Rank = Rank.CO_FACILITATOR) -> Member:
    """The moderator behind ``sid``, refused unless they hold ``at_least`` that rank."""
    member = state.seated(sid)
    if rank(member) < at_least:
        raise Refused("only a facilitator of this room can do that", ErrorCode.NOT_A_FACILITATOR)
    return member


def target(state: RoomState, actor: Member, member_id: str) -> Member:
    """Someone in the room whom ``actor`` outranks."""
    member = state.member(member_id)
    if member is None:
        raise Refused("that person is not in this room", ErrorCode.TARGET_NOT_IN_ROOM)
    if rank(member) >= rank(actor):
        raise Refused("you cannot moderate that person", ErrorCode.TARGET_PROTECTED)
    return member


def with_members(state: RoomState, *changed: Member) -> RoomState:
    """This state with these seats changed, and their identities' standings with them."""
    by_id = {m.member_id: m for m in changed}
    members = tuple(by_id.get(m.member_id, m) for m in state.members)
    return standing.mirror(replace(state, members=members), *changed)


def promote(state: RoomState, sid: str, member_id: str, now: int) -> Moderated:
    return _set_co_facilitator(state, sid, member_id, now, promoted=True)


def demote(state: RoomState, sid: str, member_id: str, now: int) -> Moderated:
    return _set_co_facilitator(state, sid, member_id, now, promoted=False)


def _set_co_facilitator(
    state: RoomState, sid: str, member_id: str, now: int, *, promoted: bool
) -> Moderated:
    actor = acting(state, sid, Rank.FACILITATOR)
    member = state.member(member_id)
    if member is None:
        raise Refused("that person is not in this room", ErrorCode.TARGET_NOT_IN_ROOM)
    if member.role != Role.PARTICIPANT:
        raise Refused(
            "facilitators keep their role from their invitation", ErrorCode.TARGET_PROTECTED
        )
    record = entry(actor, Action.PROMOTE if promoted else Action.DEMOTE, now, member)
    if member.co_facilitator == promoted:
        return Moderated(Change(state), record)
    member = replace(member, co_facilitator=promoted)
    rec = Recorder(state)
    rec.events.append(RoleChanged(rec.next_seq(), member))
    if promoted and state.waiting:  # from now on they see the queue too
        rec.events.append(WaitingQueue((member.connection.sid,), state.waiting))
    promoted_state = with_members(state, member)
    if promoted:  # their name stays theirs for the session, even after a demotion
        promoted_state = promoted_state.with_host(member.display_name)
    return Moderated(rec.done(promoted_state), record)
