"""Pausing a room.

Pause freezes chat, hand-raising, reactions and audio for everyone but facilitators and
co-facilitators, in one action; resume lifts it in one action. Pause is a room flag
alongside, not instead of, each member's mutes: resuming clears only the flag, so the room
comes back exactly as it was (who was muted stays muted, the hand queue is as it was).
Reports still go through while paused: someone may need help most then. Everyone sees the
room's state (``RoomPaused`` / ``RoomResumed`` events and the snapshot's ``paused``).
"""

from __future__ import annotations

from dataclasses import replace

from moderation import roles
from moderation.audit import Action, Moderated, entry
from moderation.rate_limits import Activity
from rooms.change import Change, Recorder
from rooms.errors import ErrorCode, Refused
from rooms.events import RoomPaused, RoomResumed
from rooms.state import Member, RoomState

FROZEN = frozenset({Activity.CHAT, Activity.HAND, Activity.REACTION, Activity.AUDIO})


def check_active(state: RoomState, member: Member, activity: Activity) -> None:
    if state.paused and activity in FROZEN and not roles.is_moderator(member):
        raise Refused("the room is paused by the facilitator", ErrorCode.ROOM_PAUSED)


def audible(state: RoomState, member: Member) -> bool:
    """Whether the mixer may carry this member's audio now."""
    if member.audio_muted:
        return False
    return not state.paused or roles.is_moderator(member)


def pause(state: RoomState, sid: str, now: int, reason: str = "") -> Moderated:
    actor = roles.acting(state, sid)
    record = entry(actor, Action.PAUSE, now, reason=reason)
    if state.paused and not state.paused_automatically:
        return Moderated(Change(state), record)
    rec = Recorder(state)
    rec.events.append(RoomPaused(rec.next_seq()))
    return Moderated(rec.done(replace(state, paused=True, paused_automatically=False)), record)


def resume(state: RoomState, sid: str, now: int, reason: str = "") -> Moderated:
    actor = roles.acting(state, sid)
    record = entry(actor, Action.RESUME, now, reason=reason)
    if not state.paused:
        return Moderated(Change(state), record)
    return Moderated(lift(state), record)


def lift(state: RoomState) -> Change:
    rec = Recorder(state)
    rec.events.append(RoomResumed(rec.next_seq()))
    return rec.done(replace(state, paused=False, paused_automatically=False))
