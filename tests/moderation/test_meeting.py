"""The meeting's rules as pure functions with ``now`` passed in: hands and the floor,
sharing rounds and their clock, service roles."""

from __future__ import annotations

from dataclasses import replace

from moderation import admission, audio, bans, controls, floor, messages, mute, rounds, service
from moderation.audit import Action
from rooms.change import Change
from rooms.errors import ErrorCode
from rooms.events import (
    FloorChanged,
    HandQueueChanged,
    LeaveReason,
    RoundChanged,
    ServiceChanged,
    ShareTimeUp,
    ShareWarning,
    WaitingQueue,
)
from rooms.identity import Role
from rooms.meeting import Duty, RoundOrder
from rooms.state import AudioState, Connection, RoomState
from tests.moderation.test_rules import NOW, ROOM, circle, person, refused

S = 1000  # ms


def hands(state: RoomState, *names: str) -> RoomState:
    for name in names:
        state = messages.raise_hand(state, f"sid-{name}").state
    return state


def arrive(state: RoomState, name: str, at: int) -> RoomState:
    joined = admission.join(
        state, ROOM, person(name), f"id-{name}", Connection("p", f"sid-{name}"), at
    )
    return joined.change.state


def set_controls(state: RoomState, **changes: bool) -> RoomState:
    return controls.set_controls(state, "sid-Fay", changes, NOW).change.state


def start(
    state: RoomState,
    order: RoundOrder = RoundOrder.HANDS,
    *,
    by: str = "Fay",
    share: int = 180 * S,
    warn: int = 60 * S,
    members: tuple[str, ...] = (),
    seed: int = 7,
    now: int = NOW,
) -> RoomState:
    done = rounds.start(
        state,
        f"sid-{by}",
        order=order,
        share_ms=share,
        warn_ms=warn,
        members=members,
        seed=seed,
        now=now,
    )
    assert done.entry.action == Action.ROUND
    return done.change.state


def sharer(state: RoomState) -> str | None:
    return state.round.sharer if state.round else None


def of(change: Change, kind: type) -> list[object]:
    return [e for e in change.events if isinstance(e, kind)]


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


# Starting a round


def test_a_round_from_the_hand_queue_lowers_the_hands_and_gives_the_first_the_floor() -> None:
    state = start(hands(circle("Sam", "Kim", "Lee"), "Kim", "Sam"), share=180 * S)
    assert state.hands == ()
    rnd = state.round
    assert rnd is not None
    assert rnd.sharer == "id-Kim"
    assert rnd.queue == ("id-Sam",)
    assert (rnd.started_at, rnd.ends_at, rnd.share) == (NOW, NOW + 180 * S, 1)
    assert state.floor == "id-Kim"
    refused(ErrorCode.ROUND_RUNNING, start, state)
    refused(ErrorCode.ROUND_RUNNING, floor.call_on, state, "sid-Fay", "id-Lee", NOW)


def test_a_round_from_the_roster_in_joined_order_shuffled_or_a_list() -> None:
    state = circle("Sam", "Kim", "Lee")
    everyone = ("id-Fay", "id-Sam", "id-Kim", "id-Lee")
    joined = start(state, RoundOrder.JOINED).round
    assert joined is not None
    assert (joined.sharer, *joined.queue) == everyone
    orders = set()
    for seed in range(8):
        rnd = start(state, RoundOrder.SHUFFLED, seed=seed).round
        assert rnd is not None
        assert sorted((rnd.sharer, *rnd.queue)) == sorted(everyone)
        assert start(state, RoundOrder.SHUFFLED, seed=seed).round == rnd  # the seed decides
        orders.add((rnd.sharer, *rnd.queue))
    assert len(orders) > 1
    listed = start(state, RoundOrder.LIST, members=("id-Lee", "id-Sam")).round
    assert listed is not None
    assert (listed.sharer, *listed.queue) == ("id-Lee", "id-Sam")
    refused(ErrorCode.TARGET_NOT_IN_ROOM, start, state, RoundOrder.LIST, members=("id-Zed",))
    refused(ErrorCode.INVALID_PAYLOAD, start, state, RoundOrder.LIST, members=("id-Lee",) * 2)
    refused(ErrorCode.ROUND_EMPTY, start, state)  # nobody's hand is up
    refused(ErrorCode.INVALID_PAYLOAD, start, state, RoundOrder.JOINED, share=10 * S, warn=10 * S)


def test_only_moderators_and_the_timekeeper_run_rounds() -> None:
    state = hands(circle("Sam", "Tia"), "Sam")
    refused(ErrorCode.NOT_A_FACILITATOR, start, state, by="Tia")
    state = service.give(state, "sid-Fay", "id-Tia", Duty.TIMEKEEPER, NOW).change.state
    running = start(state, by="Tia")
    assert sharer(running) == "id-Sam"
    assert rounds.skip(running, "sid-Tia", NOW).change.state.round is None
    refused(ErrorCode.NOT_A_FACILITATOR, rounds.skip, running, "sid-Sam", NOW)
    refused(ErrorCode.NOT_A_FACILITATOR, floor.lower_all, running, "sid-Tia", NOW)


# The clock


def test_the_warning_and_the_end_of_a_share_are_announced_once_however_often_it_ticks() -> None:
    state = start(hands(circle("Sam", "Kim"), "Sam", "Kim"), share=180 * S, warn=60 * S)
    assert not rounds.due(state, NOW + 119 * S)
    assert rounds.next_due(state) == NOW + 120 * S
    warned = rounds.tick(state, NOW + 120 * S)
    assert [(e.share, e.member_id, e.ends_at) for e in of(warned, ShareWarning)] == [  # type: ignore[attr-defined]
        (1, "id-Sam", NOW + 180 * S)
    ]
    # Another process applying the same rule to the committed state does nothing.
    assert not rounds.tick(warned.state, NOW + 120 * S).changed
    assert not rounds.tick(warned.state, NOW + 179 * S).changed
    assert rounds.next_due(warned.state) == NOW + 180 * S
    up = rounds.tick(warned.state, NOW + 180 * S)
    (time_up,) = of(up, ShareTimeUp)
    assert not time_up.hard  # type: ignore[attr-defined]
    assert sharer(up.state) == "id-Sam"  # soft: the sharer finishes
    assert not rounds.tick(up.state, NOW + 500 * S).changed
    assert rounds.next_due(up.state) is None


def test_a_late_tick_announces_the_warning_and_the_end_once_each() -> None:
    state = start(hands(circle("Sam"), "Sam"), share=10 * S, warn=5 * S)
    late = rounds.tick(state, NOW + 60 * S)
    assert len(of(late, ShareWarning)) == 1
    assert len(of(late, ShareTimeUp)) == 1
    assert not rounds.tick(late.state, NOW + 61 * S).changed


def test_at_a_hard_end_the_floor_moves_on_and_the_round_ends_after_the_last() -> None:
    state = set_controls(hands(circle("Sam", "Kim"), "Sam", "Kim"), round_hard_end=True)
    state = start(state, share=10 * S, warn=0)
    up = rounds.tick(state, NOW + 10 * S)
    assert of(up, ShareTimeUp)[0].hard  # type: ignore[attr-defined]
    assert not of(up, ShareWarning)  # no warning point
    rnd = up.state.round
    assert rnd is not None
    assert rnd.sharer == "id-Kim"
    assert rnd.shared == ("id-Sam",)
    assert (rnd.share, rnd.started_at, rnd.ends_at) == (2, NOW + 10 * S, NOW + 20 * S)
    assert up.state.floor == "id-Kim"
    over = rounds.tick(up.state, NOW + 20 * S)
    assert over.state.round is None
    assert over.state.floor is None
    assert [e.round for e in of(over, RoundChanged)] == [None]  # type: ignore[attr-defined]


# Passing, skipping, extending, moving, ending


def test_the_sharer_or_anyone_in_line_may_pass() -> None:
    state = start(hands(circle("Sam", "Kim", "Lee"), "Sam", "Kim", "Lee"))
    state = rounds.pass_turn(state, "sid-Kim", NOW + S).state  # in line
    rnd = state.round
    assert rnd is not None
    assert rnd.queue == ("id-Lee",)
    assert rnd.passed == ("id-Kim",)
    state = rounds.pass_turn(state, "sid-Sam", NOW + 2 * S).state  # sharing
    rnd = state.round
    assert rnd is not None
    assert rnd.sharer == "id-Lee"
    assert rnd.started_at == NOW + 2 * S
    assert rnd.passed == ("id-Kim", "id-Sam")
    refused(ErrorCode.NOT_IN_ROUND, rounds.pass_turn, state, "sid-Fay", NOW)
    ended = rounds.pass_turn(state, "sid-Lee", NOW + 3 * S).state
    assert ended.round is None
    assert ended.floor is None
    refused(ErrorCode.NO_ROUND, rounds.pass_turn, ended, "sid-Lee", NOW)


def test_the_timekeeper_extends_moves_and_ends() -> None:
    state = start(hands(circle("Sam", "Kim", "Lee"), "Sam", "Kim"), share=60 * S, warn=30 * S)
    state = rounds.tick(state, NOW + 30 * S).state  # warned
    longer = rounds.extend(state, "sid-Fay", 60 * S, NOW + 31 * S).change.state
    rnd = longer.round
    assert rnd is not None
    assert rnd.ends_at == NOW + 120 * S
    assert not rnd.warned
    again = rounds.tick(longer, NOW + 90 * S)
    assert [e.ends_at for e in of(again, ShareWarning)] == [NOW + 120 * S]  # type: ignore[attr-defined]
    moved = rounds.move(again.state, "sid-Fay", "id-Lee", 0, NOW).change.state
    assert moved.round is not None
    assert moved.round.queue == ("id-Lee", "id-Kim")
    refused(ErrorCode.INVALID_PAYLOAD, rounds.move, moved, "sid-Fay", "id-Sam", 0, NOW)
    ended = rounds.end(moved, "sid-Fay", NOW)
    assert ended.change.state.round is None
    assert ended.entry.detail == "ended"
    refused(ErrorCode.NO_ROUND, rounds.end, ended.change.state, "sid-Fay", NOW)


# The room changing under a round


def test_someone_away_keeps_their_place_and_turn_and_is_next_when_back() -> None:
    state = start(hands(circle("Sam", "Kim", "Lee"), "Sam", "Kim", "Lee"))
    state = admission.step_away(state, "sid-Kim", NOW + 60 * S, NOW).state
    state = rounds.pass_turn(state, "sid-Sam", NOW + S).state
    rnd = state.round
    assert rnd is not None
    assert rnd.sharer == "id-Lee"
    assert rnd.queue == ("id-Kim",)
    back = arrive(state, "Kim", NOW + 2 * S)  # the same identity takes the seat back
    assert not rounds.tick(back, NOW + 2 * S).changed  # Lee is sharing; Kim is next
    after = rounds.pass_turn(back, "sid-Lee", NOW + 3 * S).state
    assert sharer(after) == "id-Kim"


def test_a_round_whose_people_left_are_all_away_waits_for_them() -> None:
    state = start(hands(circle("Sam", "Kim"), "Sam", "Kim"))
    state = admission.step_away(state, "sid-Kim", NOW + 60 * S, NOW).state
    waiting = rounds.pass_turn(state, "sid-Sam", NOW + S).state
    assert waiting.round is not None
    assert waiting.round.sharer is None
    assert waiting.floor is None
    back = arrive(waiting, "Kim", NOW + 2 * S)
    ticked = rounds.tick(back, NOW + 2 * S)
    assert sharer(ticked.state) == "id-Kim"
    assert ticked.state.floor == "id-Kim"
    # Had the seat left instead, the round would have ended.
    gone = admission.leave_overdue(waiting, NOW + 61 * S).state
    assert rounds.tick(gone, NOW + 61 * S).state.round is None


def test_a_sharer_who_leaves_ends_their_share_and_people_who_left_leave_the_line() -> None:
    state = start(hands(circle("Sam", "Kim", "Lee"), "Sam", "Kim", "Lee"))
    state = admission.leave(state, "sid-Kim", LeaveReason.LEFT, NOW).state
    state = admission.leave(state, "sid-Sam", LeaveReason.LEFT, NOW).state
    ticked = rounds.tick(state, NOW + S).state
    rnd = ticked.round
    assert rnd is not None
    assert rnd.sharer == "id-Lee"
    assert rnd.queue == ()


def test_late_joiners_go_to_the_end_of_a_roster_round_if_the_room_says_so() -> None:
    state = start(circle("Sam"), RoundOrder.JOINED)
    late = arrive(state, "Kim", NOW + S)
    added = rounds.tick(late, NOW + S).state
    assert added.round is not None
    assert added.round.queue[-1] == "id-Kim"
    off = set_controls(circle("Sam"), round_add_late_joiners=False)
    late = arrive(start(off, RoundOrder.JOINED), "Kim", NOW + S)
    assert not rounds.tick(late, NOW + S).changed
    by_hand = arrive(start(hands(circle("Sam"), "Sam")), "Kim", NOW + S)
    assert not rounds.tick(by_hand, NOW + S).changed


# Room controls during a round


def test_chat_waits_during_shares_when_the_room_says_so() -> None:
    state = set_controls(hands(circle("Sam", "Kim"), "Sam"), round_pause_chat=True)
    assert messages.post_chat(state, "sid-Kim", "hi", NOW).events  # no round yet
    state = start(state)
    refused(ErrorCode.SHARE_IN_PROGRESS, messages.post_chat, state, "sid-Kim", "hi", NOW)
    assert messages.post_chat(state, "sid-Fay", "welcome", NOW).events
    unpaused = set_controls(state, round_pause_chat=False)
    assert messages.post_chat(unpaused, "sid-Kim", "hi", NOW).events


def test_only_the_sharer_and_moderators_are_heard_during_a_round_when_the_room_says_so() -> None:
    state = hands(circle("Sam", "Kim"), "Sam")
    state = replace(
        state, members=tuple(replace(m, audio=AudioState.CONNECTED) for m in state.members)
    )
    running = start(state)
    assert audio.may_be_heard(running, "id-Kim")  # the control is off
    quiet = set_controls(running, round_sharer_only_audio=True)
    assert audio.may_be_heard(quiet, "id-Sam")
    assert audio.may_be_heard(quiet, "id-Fay")
    assert not audio.may_be_heard(quiet, "id-Kim")
    over = rounds.end(quiet, "sid-Fay", NOW).change.state
    assert audio.may_be_heard(over, "id-Kim")


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
