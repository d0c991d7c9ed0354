"""What facilitators decide about a person holds for the identity, not the seat."""

from __future__ import annotations

from dataclasses import replace

import pytest

from moderation import admission, bans, controls, messages, mute, roles
from moderation.bans import BanScope
from rooms.errors import ErrorCode, HearthError
from rooms.events import LeaveReason, MemberJoined
from rooms.identity import Identity, Role
from rooms.room import RoomInfo
from rooms.state import MAX_STANDINGS, Connection, Member, RoomState, Standing

NOW = 1_700_000_000_000
ROOM = RoomInfo("circle", "Tuesday circle", capacity=8)


def person(name: str, role: Role = Role.PARTICIPANT) -> Identity:
    return Identity(f"sub-{name}", name, role, frozenset({"*"}))


def enter(state: RoomState, name: str, sid: str | None = None) -> RoomState:
    role = Role.FACILITATOR if name == "Fay" else Role.PARTICIPANT
    connection = Connection("p", sid or f"sid-{name}")
    return admission.join(
        state, ROOM, person(name, role), f"id-{name}", connection, NOW
    ).change.state


def circle(*names: str) -> RoomState:
    state = enter(RoomState("circle"), "Fay")
    for name in names:
        state = enter(state, name)
    return state


def leave(state: RoomState, name: str, reason: LeaveReason = LeaveReason.LEFT) -> RoomState:
    return admission.leave(state, f"sid-{name}", reason, NOW).state


def seat_of(state: RoomState, member_id: str = "id-Sam") -> Member:
    seat = state.member(member_id)
    assert seat is not None, f"{member_id} has no seat"
    return seat


def refused(code: ErrorCode, rule: object, *args: object, **kwargs: object) -> None:
    with pytest.raises(HearthError) as caught:
        rule(*args, **kwargs)  # type: ignore[operator]
    assert caught.value.code == code


def mute_sam(state: RoomState, *, chat: bool = False, audio: bool = False) -> RoomState:
    return mute.mute(state, "sid-Fay", "id-Sam", chat=chat, audio=audio, now=NOW).change.state


@pytest.mark.parametrize("reason", [LeaveReason.LEFT, LeaveReason.DISCONNECTED])
def test_a_chat_mute_outlives_leaving_and_joining_again(reason: LeaveReason) -> None:
    state = mute_sam(circle("Sam"), chat=True)
    back = enter(leave(state, "Sam", reason), "Sam", sid="sid-Sam-2")
    seat = seat_of(back)
    assert seat.chat_muted
    refused(ErrorCode.CHAT_MUTED, messages.post_chat, back, "sid-Sam-2", "hi", NOW)


def test_the_room_sees_them_join_muted() -> None:
    state = leave(mute_sam(circle("Sam"), chat=True, audio=True), "Sam")
    change = admission.join(
        state, ROOM, person("Sam"), "id-Sam", Connection("q", "sid-Sam-2"), NOW
    ).change
    (joined,) = [e for e in change.events if isinstance(e, MemberJoined)]
    assert joined.member.chat_muted
    assert joined.member.audio_held


def test_an_audio_hold_outlives_a_rejoin_until_they_accept_an_unmute() -> None:
    state = enter(leave(mute_sam(circle("Sam"), audio=True), "Sam"), "Sam")
    refused(ErrorCode.AUDIO_HELD, mute.unmute_self, state, "sid-Sam")
    asked = mute.unmute(state, "sid-Fay", "id-Sam", chat=False, audio=True, now=NOW).change.state
    # Asked but not yet accepted: leaving still keeps the hold.
    again = enter(leave(asked, "Sam"), "Sam")
    refused(ErrorCode.AUDIO_HELD, mute.unmute_self, again, "sid-Sam")
    asked = mute.unmute(again, "sid-Fay", "id-Sam", chat=False, audio=True, now=NOW).change.state
    accepted = mute.unmute_self(asked, "sid-Sam").state
    free = enter(leave(accepted, "Sam"), "Sam")
    seat = seat_of(free)
    assert not seat.audio_muted
    assert not seat.audio_held
    assert free.standings == ()


def test_unmuting_chat_lifts_it_for_the_identity() -> None:
    state = mute_sam(circle("Sam"), chat=True)
    lifted = mute.unmute(state, "sid-Fay", "id-Sam", chat=True, audio=False, now=NOW).change.state
    back = enter(leave(lifted, "Sam"), "Sam")
    assert messages.post_chat(back, "sid-Sam", "hi", NOW).events


def test_ones_own_mute_is_not_kept() -> None:
    state = mute.mute_self(circle("Sam"), "sid-Sam").state
    back = enter(leave(state, "Sam"), "Sam")
    seat = seat_of(back)
    assert not seat.audio_muted
    assert back.standings == ()


def test_mute_everyone_holds_for_each_identity() -> None:
    state = circle("Sam", "Ann")
    state = mute.mute_all(
        state, "sid-Fay", chat=True, audio=True, allow_self_unmute=False, now=NOW
    ).change.state
    back = enter(leave(state, "Ann"), "Ann")
    refused(ErrorCode.CHAT_MUTED, messages.post_chat, back, "sid-Ann", "hi", NOW)
    refused(ErrorCode.AUDIO_HELD, mute.unmute_self, back, "sid-Ann")
    fay = back.standing("id-Fay")
    assert fay.empty  # the facilitator herself is spared


def test_a_promotion_is_kept_for_the_identity_until_a_demotion() -> None:
    state = roles.promote(circle("Sam"), "sid-Fay", "id-Sam", NOW).change.state
    back = enter(leave(state, "Sam", LeaveReason.DISCONNECTED), "Sam")
    seat = seat_of(back)
    assert roles.is_moderator(seat)
    demoted = roles.demote(back, "sid-Fay", "id-Sam", NOW).change.state
    again = enter(leave(demoted, "Sam"), "Sam")
    seat = seat_of(again)
    assert not roles.is_moderator(seat)


def test_a_returning_co_facilitator_is_spared_mute_on_join() -> None:
    state = roles.promote(circle("Sam"), "sid-Fay", "id-Sam", NOW).change.state
    state = controls.set_controls(state, "sid-Fay", {"mute_on_join": True}, NOW).change.state
    back = enter(leave(state, "Sam"), "Sam")
    seat = seat_of(back)
    assert seat.co_facilitator
    assert not seat.audio_muted


def test_a_removal_keeps_the_mutes_and_takes_the_promotion() -> None:
    state = roles.promote(circle("Sam"), "sid-Fay", "id-Sam", NOW).change.state
    state = mute_sam(state, chat=True)
    state = bans.remove(state, "sid-Fay", "id-Sam", NOW).change.state
    back = enter(state, "Sam")
    seat = seat_of(back)
    assert seat.chat_muted
    assert not seat.co_facilitator


def test_admitted_from_the_waiting_room_they_are_still_muted() -> None:
    state = mute_sam(circle("Sam"), chat=True)
    state = controls.set_controls(state, "sid-Fay", {"waiting_room": True}, NOW).change.state
    waiting = enter(leave(state, "Sam"), "Sam")
    assert waiting.member("id-Sam") is None
    admitted = admission.admit(waiting, ROOM, "sid-Fay", "id-Sam", NOW).change.state
    seat = seat_of(admitted)
    assert seat.chat_muted
    refused(ErrorCode.CHAT_MUTED, messages.post_chat, admitted, "sid-Sam", "hi", NOW)


def test_a_ban_keeps_the_identity_out_and_its_mutes() -> None:
    state = mute_sam(circle("Sam"), chat=True)
    done = bans.ban(state, ROOM, "sid-Fay", "id-Sam", BanScope.ROOM, NOW)
    assert done.change.state.standing("id-Sam").chat_muted
    refused(ErrorCode.BANNED, enter, done.change.state, "Sam")


def test_every_seat_agrees_with_its_standing() -> None:
    """Whatever rule changed a seat, its identity's standing says the same."""
    state = circle("Sam", "Ann")
    state = mute_sam(state, chat=True, audio=True)
    state = roles.promote(state, "sid-Fay", "id-Ann", NOW).change.state
    state = mute.unmute(state, "sid-Fay", "id-Sam", chat=True, audio=True, now=NOW).change.state
    for member in state.members:
        kept = state.standing(member.member_id)
        assert (kept.chat_muted, kept.audio_held, kept.co_facilitator) == (
            member.chat_muted,
            member.audio_held,
            member.co_facilitator,
        )


def test_standings_are_bounded_forgetting_absent_people_first() -> None:
    absent = tuple(Standing(f"gone-{i}", chat_muted=True) for i in range(MAX_STANDINGS - 1))
    state = mute_sam(replace(circle("Sam", "Ann"), standings=absent), chat=True)
    assert len(state.standings) == MAX_STANDINGS
    state = mute.mute(state, "sid-Fay", "id-Ann", chat=True, audio=False, now=NOW).change.state
    assert len(state.standings) == MAX_STANDINGS
    kept = {s.member_id for s in state.standings}
    assert {"id-Sam", "id-Ann"} <= kept
    assert "gone-0" not in kept
