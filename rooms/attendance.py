"""Attendance: how long each person was present, and what a verification states.

- **Presence is the server's own record.** Each identity's time in the room is counted
  from the seat's changes as the rules make them: taking a seat (or coming back from
  away) starts a stretch, stepping away or leaving ends it. Stretches add up over the
  session, so leaving and joining again (on any process) loses nothing; time away does
  not count. It is kept in the room's state, like chat, and goes when the room closes.
- **A verification** states only what a court, employer or programme needs and nothing
  about anyone else: the meeting's title, its date, its scheduled start and end (none for
  an unscheduled room), the minutes this person was present, the name they chose to print
  (never shown in the room) and, if a facilitator confirmed their attendance, that
  facilitator's display name. No chat, no member ids, no other names.
- **When it may be asked for:** once the person has been present ``min_minutes``, or from
  ``ENDING_MS`` before the scheduled end. The name to print is one line of text, 1 to
  ``MAX_PRINTED_NAME`` characters.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from rooms.errors import ErrorCode, InvalidPayload, Refused
from rooms.presence import Presence
from rooms.state import RoomState
from rooms.text import check_text

MAX_PRINTED_NAME = 80
MAX_PRESENCES = 1000
ENDING_MS = 5 * 60 * 1000  # near the scheduled end, anyone present may ask
MINUTE_MS = 60 * 1000


@dataclass(frozen=True, slots=True)
class Attendance:
    """What a verification states, and no more."""

    meeting: str
    first_seen: int  # ms since the epoch: when they first took a seat
    scheduled_start: int | None
    scheduled_end: int | None
    minutes_present: int
    name: str
    confirmed_by: str | None
    issued_at: int


def _present(state: RoomState) -> set[str]:
    return {m.member_id for m in state.members if not m.away}


def accounted(before: RoomState, after: RoomState, now: int) -> RoomState:
    """``after`` with each identity's presence brought up to date for the seats that
    changed between the two states."""
    was, now_here = _present(before), _present(after)
    if was == now_here:
        return after
    kept = {p.member_id: p for p in after.attendance}
    for member_id in now_here - was:
        arriving = kept.get(member_id) or Presence(member_id, first_seen=now, first_seq=before.seq)
        kept[member_id] = replace(arriving, since=now)
    for member_id in was - now_here:
        going = kept.get(member_id)
        if going is not None and going.since is not None:
            kept[member_id] = replace(going, present_ms=going.total_ms(now), since=None)
    ordered = sorted(kept.values(), key=lambda p: p.first_seen)[-MAX_PRESENCES:]
    return replace(after, attendance=tuple(ordered))


def presence(state: RoomState, member_id: str) -> Presence | None:
    return next((p for p in state.attendance if p.member_id == member_id), None)


def check_printed_name(raw: str) -> str:
    name = " ".join(check_text(raw, "name").split())
    if not 1 <= len(name) <= MAX_PRINTED_NAME:
        raise InvalidPayload(f"the name to print is 1 to {MAX_PRINTED_NAME} characters")
    return name


def attest(
    state: RoomState, meeting: str, sid: str, name: str, now: int, *, min_minutes: int
) -> Attendance:
    """What a verification for the person behind ``sid`` states now; refused before they
    have been present ``min_minutes`` (unless the meeting is about to end)."""
    member = state.seated(sid)
    found = presence(state, member.member_id) or Presence(member.member_id, first_seen=now)
    minutes = found.total_ms(now) // MINUTE_MS
    ending = state.ends_at is not None and now >= state.ends_at - ENDING_MS
    if minutes < min_minutes and not ending:
        raise Refused(
            f"a verification is available after {min_minutes} minutes present, "
            "or at the end of the meeting",
            ErrorCode.ATTENDANCE_TOO_SOON,
        )
    return Attendance(
        meeting=meeting,
        first_seen=found.first_seen,
        scheduled_start=state.starts_at,
        scheduled_end=state.ends_at,
        minutes_present=minutes,
        name=check_printed_name(name),
        confirmed_by=found.confirmed_by,
        issued_at=now,
    )
