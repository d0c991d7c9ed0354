"""Attendance as pure rules with a fixed clock: presence counted from the seat's own
changes (join, away, back, leave, join again), when a verification may be asked for, what
it states, and a facilitator's confirmation."""

from __future__ import annotations

import dataclasses

import pytest

from moderation import admission, bans, roles
from moderation import attendance as confirmations
from moderation.audit import Action
from rooms import attendance
from rooms.errors import ErrorCode, InvalidPayload
from rooms.events import AttendanceConfirmed, LeaveReason
from rooms.identity import Role
from rooms.state import Connection, RoomState
from tests.moderation.circle import NOW, ROOM, circle, enter, person, refused

MIN = 60_000


def minutes(state: RoomState, member_id: str, at: int) -> int:
    found = attendance.presence(state, member_id)
    assert found is not None
    return found.total_ms(at) // MIN


def test_presence_adds_up_stretches_and_leaves_out_time_away_and_gone() -> None:
    state = circle("Sam")  # Sam took a seat at NOW
    state = admission.step_away(state, "sid-Sam", NOW + 30 * MIN, NOW + 10 * MIN).state
    assert minutes(state, "id-Sam", NOW + 25 * MIN) == 10  # away does not count
    back = Connection("p", "sid-Sam-back")
    state = admission.join(state, ROOM, person("Sam"), "id-Sam", back, NOW + 25 * MIN).change.state
    state = admission.leave(state, "sid-Sam-back", LeaveReason.LEFT, NOW + 45 * MIN).state
    assert minutes(state, "id-Sam", NOW + 90 * MIN) == 30  # 10 before away, 20 after back
    # Leaving and joining again (any process) keeps what was counted.
    again = Connection("q", "sid-Sam-again")
    state = admission.join(state, ROOM, person("Sam"), "id-Sam", again, NOW + 60 * MIN).change.state
    assert minutes(state, "id-Sam", NOW + 70 * MIN) == 40
    # A removal ends the stretch too.
    state = bans.remove(state, "sid-Fay", "id-Sam", NOW + 75 * MIN).change.state
    assert minutes(state, "id-Sam", NOW + 200 * MIN) == 45


def test_a_verification_is_refused_too_soon_and_given_after_the_minimum() -> None:
    state = circle("Sam")
    refused(
        ErrorCode.ATTENDANCE_TOO_SOON,
        attendance.attest, state, "Tuesday circle", "sid-Sam", "Samuel Jones", NOW + 29 * MIN,
        min_minutes=30,
    )  # fmt: skip
    stated = attendance.attest(
        state, "Tuesday circle", "sid-Sam", "  Samuel   Jones ", NOW + 31 * MIN, min_minutes=30
    )
    assert stated.minutes_present == 31
    assert stated.name == "Samuel Jones"
    assert stated.meeting == "Tuesday circle"
    assert stated.confirmed_by is None
    # Only what it must state: no member id, no other person, no chat.
    assert {f.name for f in dataclasses.fields(stated)} == {
        "meeting", "first_seen", "scheduled_start", "scheduled_end", "minutes_present",
        "name", "confirmed_by", "issued_at",
    }  # fmt: skip


def test_near_the_scheduled_end_anyone_present_may_ask() -> None:
    state = dataclasses.replace(circle("Sam"), starts_at=NOW - MIN, ends_at=NOW + 10 * MIN)
    stated = attendance.attest(state, "c", "sid-Sam", "Sam", NOW + 6 * MIN, min_minutes=30)
    assert stated.minutes_present == 6
    assert stated.scheduled_start == NOW - MIN
    assert stated.scheduled_end == NOW + 10 * MIN


@pytest.mark.parametrize("name", ["", "   ", "x" * 81, "bad\u202ename", "two\nlines"])
def test_the_name_to_print_is_one_line_of_text(name: str) -> None:
    with pytest.raises(InvalidPayload):
        attendance.check_printed_name(name)


def test_a_facilitator_confirms_and_the_person_alone_is_told() -> None:
    state = circle("Sam", "Ann")
    done = confirmations.confirm(state, "sid-Fay", "id-Sam", NOW + MIN)
    (notice,) = done.change.events
    assert notice == AttendanceConfirmed(("sid-Sam",), "Fay")
    assert done.entry.action == Action.CONFIRM_ATTENDANCE
    assert attendance.presence(done.change.state, "id-Sam").confirmed_by == "Fay"  # type: ignore[union-attr]
    stated = attendance.attest(done.change.state, "c", "sid-Sam", "S", NOW + MIN, min_minutes=0)
    assert stated.confirmed_by == "Fay"


def test_only_a_facilitator_confirms_not_a_co_facilitator_or_participant() -> None:
    state = circle("Sam", "Ann")
    state = roles.promote(state, "sid-Fay", "id-Ann", NOW).change.state
    refused(ErrorCode.NOT_A_FACILITATOR, confirmations.confirm, state, "sid-Ann", "id-Sam", NOW)
    refused(ErrorCode.NOT_A_FACILITATOR, confirmations.confirm, state, "sid-Sam", "id-Ann", NOW)
    refused(ErrorCode.TARGET_NOT_IN_ROOM, confirmations.confirm, state, "sid-Fay", "id-X", NOW)
    host = enter(state, "Kim", Role.FACILITATOR)
    assert confirmations.confirm(host, "sid-Kim", "id-Sam", NOW).change.changed
