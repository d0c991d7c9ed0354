"""A seat whose connection dropped is away for the grace, keeps everything it held, and
is taken back by the same identity; after the grace it leaves (``disconnected``)."""

from __future__ import annotations

import pytest

from moderation import admission, controls, floor, messages, mute, roles
from rooms.change import Decided
from rooms.errors import ErrorCode, HearthError
from rooms.events import (
    FacilitatorPresence,
    LeaveReason,
    MemberAway,
    MemberBack,
    MemberJoined,
    MemberLeft,
)
from rooms.identity import Identity, Role
from rooms.room import RoomInfo
from rooms.state import Connection, Member, RoomState

NOW = 1_700_000_000_000
GRACE = 60_000
ROOM = RoomInfo("circle", "Tuesday circle", capacity=3)


def person(name: str) -> Identity:
    role = Role.FACILITATOR if name == "Fay" else Role.PARTICIPANT
    return Identity(f"sub-{name}", name, role, frozenset({"*"}))


def enter(state: RoomState, name: str, sid: str | None = None, now: int = NOW) -> RoomState:
    return join(state, name, sid, now).change.state


def join(
    state: RoomState, name: str, sid: str | None = None, now: int = NOW
) -> Decided[admission.Entry]:
    connection = Connection("p", sid or f"sid-{name}")
    return admission.join(state, ROOM, person(name), f"id-{name}", connection, now)


def seat(state: RoomState, name: str) -> Member:
    found = state.member(f"id-{name}")
    assert found is not None
    return found


def muted_sam_with_hand() -> RoomState:
    state = enter(enter(enter(RoomState("circle"), "Fay"), "Ann"), "Sam")
    state = floor.raise_hand(state, "sid-Sam").state
    state = floor.raise_hand(state, "sid-Ann").state
    state = mute.mute(state, "sid-Fay", "id-Sam", chat=True, audio=True, now=NOW).change.state
    return roles.promote(state, "sid-Fay", "id-Sam", NOW).change.state


def test_a_dropped_seat_is_away_and_keeps_hand_place_mutes_hold_and_role() -> None:
    state = muted_sam_with_hand()
    change = admission.step_away(state, "sid-Sam", NOW + GRACE, NOW)
    assert [type(e) for e in change.events] == [MemberAway]
    assert change.events[0].until == NOW + GRACE  # type: ignore[union-attr]
    sam = seat(change.state, "Sam")
    assert sam.away
    assert (sam.chat_muted, sam.audio_held, sam.co_facilitator) == (True, True, True)
    assert change.state.hands == ("id-Sam", "id-Ann")


def test_the_same_identity_takes_the_away_seat_back_on_a_new_connection() -> None:
    away = admission.step_away(muted_sam_with_hand(), "sid-Sam", NOW + GRACE, NOW).state
    entered = join(away, "Sam", "sid-Sam-2", NOW + 1000)
    change = entered.change
    assert [type(e) for e in change.events] == [MemberBack]
    assert change.replaced is None  # the old connection is gone: nobody to tell
    sam = seat(change.state, "Sam")
    assert not sam.away
    assert sam.connection == Connection("p", "sid-Sam-2")
    assert (sam.chat_muted, sam.audio_held, sam.co_facilitator) == (True, True, True)
    assert sam.joined_at == NOW
    assert change.state.hands == ("id-Sam", "id-Ann")
    assert entered.result.seat == sam
    with pytest.raises(HearthError) as refused:
        messages.post_chat(change.state, "sid-Sam-2", "I am back", NOW)
    assert refused.value.code == ErrorCode.CHAT_MUTED


def test_an_away_seat_comes_back_even_when_the_room_is_locked_or_full() -> None:
    state = admission.step_away(muted_sam_with_hand(), "sid-Sam", NOW + GRACE, NOW).state
    state = controls.set_controls(state, "sid-Fay", {"locked": True}, NOW).change.state
    assert len(state.members) == ROOM.capacity  # the away seat still counts
    with pytest.raises(HearthError) as refused:
        join(state, "Bo")
    assert refused.value.code == ErrorCode.ROOM_LOCKED
    assert [type(e) for e in join(state, "Sam", "sid-2").change.events] == [MemberBack]


def test_an_away_seat_leaves_once_its_grace_has_passed_not_before() -> None:
    state = admission.step_away(muted_sam_with_hand(), "sid-Sam", NOW + GRACE, NOW).state
    assert admission.leave_overdue(state, NOW + GRACE - 1).events == ()
    change = admission.leave_overdue(state, NOW + GRACE)
    left = [e for e in change.events if isinstance(e, MemberLeft)]
    assert [(e.member.display_name, e.reason) for e in left] == [("Sam", LeaveReason.DISCONNECTED)]
    assert change.state.hands == ("id-Ann",)
    assert admission.leave_overdue(change.state, NOW + GRACE + 1).events == ()
    # The identity's standing outlives the seat: joining later, still muted.
    back = join(change.state, "Sam", "sid-3", NOW + GRACE + 5)
    assert [type(e) for e in back.change.events] == [MemberJoined]
    assert seat(back.change.state, "Sam").chat_muted


def test_marking_away_again_keeps_the_first_deadline() -> None:
    state = admission.step_away(muted_sam_with_hand(), "sid-Sam", NOW + GRACE, NOW).state
    again = admission.step_away(state, "sid-Sam", NOW + 2 * GRACE, NOW + 10)
    assert again.events == ()
    assert seat(again.state, "Sam").away_until == NOW + GRACE


def test_a_grace_of_zero_leaves_at_once_and_a_waiting_place_is_freed_at_once() -> None:
    state = muted_sam_with_hand()
    change = admission.step_away(state, "sid-Sam", NOW, NOW)
    assert [e.reason for e in change.events if isinstance(e, MemberLeft)] == [
        LeaveReason.DISCONNECTED
    ]
    waiting = controls.set_controls(state, "sid-Fay", {"waiting_room": True}, NOW).change.state
    waiting = enter(waiting, "Bo")
    assert waiting.waiting
    assert admission.step_away(waiting, "sid-Bo", NOW + GRACE, NOW).state.waiting == ()


def test_an_away_facilitator_is_present_until_their_seat_leaves() -> None:
    state = admission.step_away(muted_sam_with_hand(), "sid-Fay", NOW + GRACE, NOW).state
    assert roles.facilitator_present(state)
    change = admission.leave_overdue(state, NOW + GRACE)
    assert any(isinstance(e, FacilitatorPresence) and not e.present for e in change.events)
