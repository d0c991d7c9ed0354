"""Hands and the floor: a participant's own hand, and the floor as a facilitator runs it.

- Anyone seated **raises** or **lowers their own hand**, except while the room is paused
  (``room_paused``): these wrap the plain rules of ``rooms.primitives`` so the check and
  the change are one atomic step.
- A facilitator (or co-facilitator) **lowers one hand** or **all hands**; the room sees the
  new queue (``HandQueueChanged``) and the audit log records it.
- **Calling on** someone gives them the floor: their hand comes down (they leave the
  queue) and everyone sees who has the floor (``FloorChanged``). Anyone present can be
  called on, hand raised or not. While a sharing round runs the round decides the floor,
  so calling on is refused (``round_running``).
- **The floor lifts a hold for the share**: a person a facilitator muted and holds may
  turn their own microphone on while they have the floor (``moderation.mute``), and
  when the floor moves on the hold comes back: their microphone is off again, still
  held. The hold itself is never cleared by the floor.
- The person with the floor, or a moderator, **releases** it. Someone who left gives it
  up at the room's next tick (``moderation.rounds.tick``).
"""

from __future__ import annotations

from dataclasses import replace

from moderation import roles
from moderation.audit import Action, Moderated, entry
from moderation.pause import check_active
from moderation.rate_limits import Activity
from rooms import primitives
from rooms.change import Change, Recorder
from rooms.errors import ErrorCode, Refused
from rooms.events import FloorChanged, HandQueueChanged, MutesChanged
from rooms.state import RoomState


def raise_hand(state: RoomState, sid: str) -> Change:
    check_active(state, state.seated(sid), Activity.HAND)
    return primitives.raise_hand(state, sid)


def lower_own_hand(state: RoomState, sid: str) -> Change:
    check_active(state, state.seated(sid), Activity.HAND)
    return primitives.lower_hand(state, sid)


def lower_hand(state: RoomState, sid: str, member_id: str, now: int) -> Moderated:
    actor = roles.acting(state, sid)
    member = state.member(member_id)
    if member is None:
        raise Refused("that person is not in this room", ErrorCode.TARGET_NOT_IN_ROOM)
    record = entry(actor, Action.LOWER_HAND, now, member)
    return Moderated(_requeue(state, tuple(h for h in state.hands if h != member_id)), record)


def lower_all(state: RoomState, sid: str, now: int) -> Moderated:
    actor = roles.acting(state, sid)
    record = entry(actor, Action.LOWER_HAND, now, detail=f"all ({len(state.hands)})")
    return Moderated(_requeue(state, ()), record)


def _requeue(state: RoomState, hands: tuple[str, ...], rec: Recorder | None = None) -> Change:
    rec = rec or Recorder(state)
    if hands == state.hands:
        return rec.done(state)
    rec.events.append(HandQueueChanged(rec.next_seq(), hands))
    return rec.done(replace(state, hands=hands))


def call_on(state: RoomState, sid: str, member_id: str, now: int) -> Moderated:
    actor = roles.acting(state, sid)
    if state.round is not None:
        raise Refused("a sharing round decides the floor now", ErrorCode.ROUND_RUNNING)
    member = state.member(member_id)
    if member is None:
        raise Refused("that person is not in this room", ErrorCode.TARGET_NOT_IN_ROOM)
    record = entry(actor, Action.CALL_ON, now, member)
    rec = Recorder(state)
    given = give(state, member_id, rec)
    return Moderated(_requeue(given, tuple(h for h in given.hands if h != member_id), rec), record)


def release(state: RoomState, sid: str) -> Change:
    """The person with the floor gives it back, or a moderator ends it."""
    member = state.seated(sid)
    if state.floor != member.member_id:
        roles.acting(state, sid)
    if state.round is not None:
        raise Refused("a sharing round decides the floor now", ErrorCode.ROUND_RUNNING)
    rec = Recorder(state)
    return rec.done(give(state, None, rec))


def give(state: RoomState, member_id: str | None, rec: Recorder) -> RoomState:
    """The floor to ``member_id`` (or nobody), recorded on ``rec``; the person who had it
    is held again if a facilitator holds their audio."""
    if state.floor == member_id:
        return state
    before = state.member(state.floor) if state.floor is not None else None
    state = replace(state, floor=member_id)
    rec.events.append(FloorChanged(rec.next_seq(), member_id))
    if before is not None and before.audio_held and not before.audio_muted:
        held = replace(before, audio_muted=True, unmute_asked=False)
        rec.events.append(MutesChanged(rec.next_seq(), (held,)))
        state = roles.with_members(state, held)
    return state
