"""Hands and the floor, and service roles, as pure functions with ``now`` passed in."""

from __future__ import annotations

from dataclasses import replace

from moderation import admission, audio, bans, floor, mute, rounds, service
from moderation.audit import Action
from rooms.errors import ErrorCode
from rooms.events import FloorChanged, HandQueueChanged, LeaveReason, ServiceChanged, WaitingQueue
from rooms.identity import Role
from rooms.meeting import MAX_SERVICE, Duty, Service
from rooms.state import AudioState, Connection
from tests.moderation.circle import NOW, ROOM, circle, person, refused
from tests.moderation.round_steps import S, arrive, hands, of, set_controls, start

# Hands and the floor


def test_a_facilitator_lowers_one_hand_or_all_and_a_participant_cannot() -> None:
    state = hands(circle("Sam", "Kim", "Lee"), "Sam", "Kim", "Lee")
    one = floor.lower_hand(state, "sid-Fay", "id-Kim", NOW)
    assert one.change.state.hands == ("id-Sam", "id-Lee")
    assert one.entry.action == Action.LOWER_HAND
    assert one.entry.target_name == "Kim"
    everyone = floor.lower_all(one.change.state, "sid-Fay", NOW)
    assert everyone.change.state.hands == ()
    assert of(everyone.change, HandQueueChanged)
    refused(ErrorCode.NOT_A_FACILITATOR, floor.lower_hand, state, "sid-Sam", "id-Kim", NOW)
    refused(ErrorCode.NOT_A_FACILITATOR, floor.lower_all, state, "sid-Sam", NOW)


def test_calling_on_someone_gives_them_the_floor_and_takes_their_hand_down() -> None:
    state = hands(circle("Sam", "Kim"), "Sam", "Kim")
    done = floor.call_on(state, "sid-Fay", "id-Kim", NOW)
    after = done.change.state
    assert after.floor == "id-Kim"
    assert after.hands == ("id-Sam",)
    assert [e.member_id for e in of(done.change, FloorChanged)] == ["id-Kim"]  # type: ignore[attr-defined]
    assert done.entry.action == Action.CALL_ON
    refused(ErrorCode.NOT_A_FACILITATOR, floor.call_on, state, "sid-Sam", "id-Kim", NOW)
    refused(ErrorCode.TARGET_NOT_IN_ROOM, floor.call_on, state, "sid-Fay", "id-Zed", NOW)


def test_the_floor_lifts_a_hold_for_the_share_and_the_hold_comes_back_after() -> None:
    state = circle("Sam", "Kim")
    state = mute.mute(state, "sid-Fay", "id-Sam", chat=False, audio=True, now=NOW).change.state
    state = mute.mute(state, "sid-Fay", "id-Kim", chat=False, audio=True, now=NOW).change.state
    refused(ErrorCode.AUDIO_HELD, mute.unmute_self, state, "sid-Sam")
    state = floor.call_on(state, "sid-Fay", "id-Sam", NOW).change.state
    state = mute.unmute_self(state, "sid-Sam").state
    sam = state.member("id-Sam")
    assert sam is not None
    assert not sam.audio_muted
    assert sam.audio_held
    refused(ErrorCode.AUDIO_HELD, mute.unmute_self, state, "sid-Kim")  # no floor, still held
    state = replace(
        state, members=tuple(replace(m, audio=AudioState.CONNECTED) for m in state.members)
    )
    assert audio.may_be_heard(state, "id-Sam")
    released = floor.release(state, "sid-Sam")
    sam = released.state.member("id-Sam")
    assert sam is not None
    assert sam.audio_muted
    assert sam.audio_held
    assert released.state.floor is None
    assert not audio.may_be_heard(released.state, "id-Sam")
    refused(ErrorCode.AUDIO_HELD, mute.unmute_self, released.state, "sid-Sam")


def test_only_the_floor_holder_or_a_moderator_releases_the_floor() -> None:
    state = floor.call_on(circle("Sam", "Kim"), "sid-Fay", "id-Sam", NOW).change.state
    refused(ErrorCode.NOT_A_FACILITATOR, floor.release, state, "sid-Kim")
    assert floor.release(state, "sid-Fay").state.floor is None


def test_someone_who_left_gives_up_the_floor_at_the_next_tick() -> None:
    state = floor.call_on(circle("Sam"), "sid-Fay", "id-Sam", NOW).change.state
    state = admission.leave(state, "sid-Sam", LeaveReason.LEFT, NOW).state
    ticked = rounds.tick(state, NOW)
    assert ticked.state.floor is None
    assert of(ticked, FloorChanged)


# Service roles


def test_a_greeter_admits_and_denies_but_cannot_mute() -> None:
    state = set_controls(circle("Gus", "Sam"), waiting_room=True)
    state = admission.join(
        state, ROOM, person("Wes"), "id-Wes", Connection("p", "sid-Wes"), NOW
    ).change.state
    refused(ErrorCode.NOT_A_FACILITATOR, admission.admit, state, ROOM, "sid-Gus", "id-Wes", NOW)
    given = service.give(state, "sid-Fay", "id-Gus", Duty.GREETER, NOW)
    assert given.entry.action == Action.GIVE_SERVICE
    assert given.entry.detail == "greeter"
    assert given.entry.target_name == "Gus"
    assert [e.service for e in of(given.change, ServiceChanged)]  # type: ignore[attr-defined]
    # From now on they see the waiting room.
    (queue,) = of(given.change, WaitingQueue)
    assert queue.audience == ("sid-Gus",)  # type: ignore[attr-defined]
    state = given.change.state
    assert service.duties(state, "id-Gus") == {Duty.GREETER}
    admitted = admission.admit(state, ROOM, "sid-Gus", "id-Wes", NOW)
    assert admitted.change.state.member("id-Wes") is not None
    assert admitted.entry.actor_name == "Gus"
    zoe = Connection("p", "sid-Zoe")
    waiting = admission.join(admitted.change.state, ROOM, person("Zoe"), "id-Zoe", zoe, NOW)
    denied = admission.deny(waiting.change.state, "sid-Gus", "id-Zoe", NOW)
    assert denied.change.state.waiting == ()
    assert denied.entry.action == Action.DENY
    refused(
        ErrorCode.NOT_A_FACILITATOR,
        mute.mute,
        state,
        "sid-Gus",
        "id-Sam",
        chat=True,
        audio=False,
        now=NOW,
    )
    refused(ErrorCode.NOT_A_FACILITATOR, start, hands(state, "Sam"), by="Gus")


def test_only_facilitators_give_service_roles_and_only_to_participants() -> None:
    state = circle("Sam", "Kim")
    refused(
        ErrorCode.NOT_A_FACILITATOR, service.give, state, "sid-Sam", "id-Kim", Duty.GREETER, NOW
    )
    refused(ErrorCode.TARGET_PROTECTED, service.give, state, "sid-Fay", "id-Fay", Duty.GREETER, NOW)
    refused(
        ErrorCode.TARGET_NOT_IN_ROOM, service.give, state, "sid-Fay", "id-Zed", Duty.GREETER, NOW
    )
    state = service.give(state, "sid-Fay", "id-Sam", Duty.GREETER, NOW).change.state
    again = service.give(state, "sid-Fay", "id-Sam", Duty.GREETER, NOW)
    assert not again.change.changed
    assert again.entry.action == Action.GIVE_SERVICE
    taken = service.take(state, "sid-Fay", "id-Sam", Duty.GREETER, NOW)
    assert taken.entry.action == Action.TAKE_SERVICE
    assert service.duties(taken.change.state, "id-Sam") == frozenset()


def test_service_roles_outlive_a_rejoin_but_not_a_removal() -> None:
    state = service.give(circle("Sam"), "sid-Fay", "id-Sam", Duty.TIMEKEEPER, NOW).change.state
    state = admission.leave(state, "sid-Sam", LeaveReason.LEFT, NOW).state
    state = arrive(state, "Sam", NOW + S)
    assert service.duties(state, "id-Sam") == {Duty.TIMEKEEPER}
    removed = bans.remove(state, "sid-Fay", "id-Sam", NOW)
    assert service.duties(removed.change.state, "id-Sam") == frozenset()
    assert of(removed.change, ServiceChanged)


def test_a_facilitator_is_never_refused_for_lack_of_a_service_role() -> None:
    state = circle("Sam")
    assert service.serves(state, state.seated("sid-Fay"), Duty.GREETER)
    assert not service.serves(state, state.seated("sid-Sam"), Duty.TIMEKEEPER)
    assert state.seated("sid-Fay").role == Role.FACILITATOR


def test_service_roles_are_bounded_forgetting_people_not_in_the_room_first() -> None:
    state = service.give(circle("Sam"), "sid-Fay", "id-Sam", Duty.GREETER, NOW).change.state
    absent = tuple(Service(f"gone-{n}", Duty.TIMEKEEPER) for n in range(MAX_SERVICE - 1))
    full = replace(state, service=(state.service[0], *absent))
    given = service.give(full, "sid-Fay", "id-Sam", Duty.TIMEKEEPER, NOW).change.state
    assert len(given.service) == MAX_SERVICE
    assert service.duties(given, "id-Sam") == {Duty.GREETER, Duty.TIMEKEEPER}
    assert Service("gone-0", Duty.TIMEKEEPER) not in given.service
