"""A facilitator's confirmation of someone's attendance (the rules of what a verification
states are ``rooms.attendance``).

A facilitator (not a co-facilitator: the confirmation is the secretary's signature on a
court card) confirms a person present from the list of who is here. Their display name
then appears on that person's verifications for the rest of the session; the person is
told privately (``AttendanceConfirmed``), nobody else. The audit log records the
confirmation like any facilitator's action.
"""

from __future__ import annotations

from dataclasses import replace

from moderation import roles
from moderation.audit import Action, Moderated, entry
from rooms.attendance import presence
from rooms.change import Change
from rooms.errors import ErrorCode, Refused
from rooms.events import AttendanceConfirmed
from rooms.state import RoomState


def confirm(state: RoomState, sid: str, member_id: str, now: int) -> Moderated:
    actor = roles.acting(state, sid, roles.Rank.FACILITATOR)
    member = state.member(member_id)
    if member is None:
        raise Refused("that person is not in this room", ErrorCode.TARGET_NOT_IN_ROOM)
    found = presence(state, member_id)
    if found is None:  # seated, so counted: only a state from before counting lacks it
        raise Refused("that person is not in this room", ErrorCode.TARGET_NOT_IN_ROOM)
    record = entry(actor, Action.CONFIRM_ATTENDANCE, now, member)
    confirmed = replace(found, confirmed_by=actor.display_name)
    kept = tuple(confirmed if p.member_id == member_id else p for p in state.attendance)
    notice = AttendanceConfirmed((member.connection.sid,), actor.display_name)
    return Moderated(Change(replace(state, attendance=kept), (notice,), quiet=True), record)
