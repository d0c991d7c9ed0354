"""Sharing rounds as pure functions with ``now`` passed in: starting one, its clock
(each warning and end announced once however often it ticks), passing, the timekeeper's
controls, the room changing under a round, and the round's room controls."""

from __future__ import annotations

from dataclasses import replace

from moderation import admission, audio, floor, messages, rounds, service
from rooms.errors import ErrorCode
from rooms.events import (
    LeaveReason,
    RoundChanged,
    ShareTimeUp,
    ShareWarning,
)
from rooms.meeting import Duty, RoundOrder
from rooms.state import AudioState, RoomState
from tests.moderation.circle import NOW, circle, refused
from tests.moderation.round_steps import S, arrive, hands, of, set_controls, start


def sharer(state: RoomState) -> str | None:
    return state.round.sharer if state.round else None


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
