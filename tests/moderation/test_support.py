"""The crisis path as pure rules, with a fixed clock: support requests, their first
acknowledgement, private conversations, and which resources people see."""

from __future__ import annotations

from dataclasses import replace

import pytest

from moderation import admission, mute, support
from moderation.audit import Action
from rooms.errors import ErrorCode, InvalidPayload
from rooms.events import LeaveReason
from rooms.identity import Role
from rooms.resources import NEUTRAL_CRISIS, Category, Resource, crisis, parse_resources, shown
from rooms.state import RoomState
from rooms.support import PrivateMessage, SupportAsked, SupportSeen
from tests.moderation.circle import NOW, ROOM, circle, enter, refused


def test_a_request_reaches_every_moderator_present_and_nobody_else() -> None:
    state = enter(circle("Sam", "Ann"), "Kim", Role.FACILITATOR)
    done = support.request_support(state, "sid-Sam", NOW)
    (alert,) = done.change.events
    assert isinstance(alert, SupportAsked)
    assert set(alert.audience) == {"sid-Fay", "sid-Kim"}
    assert alert.request.member_id == "id-Sam"
    assert not alert.request.seen
    assert support.reached(done.change) == 2
    assert done.entry.action == Action.SUPPORT_REQUEST
    assert done.entry.actor_id == "id-Sam"
    assert done.entry.reason == ""
    assert done.entry.detail == ""
    assert done.change.state.support == (alert.request,)


def test_with_no_moderator_present_the_request_reaches_nobody_and_is_still_kept() -> None:
    state = admission.leave(circle("Sam"), "sid-Fay", LeaveReason.LEFT, NOW).state
    done = support.request_support(state, "sid-Sam", NOW)
    assert done.change.events == ()
    assert support.reached(done.change) == 0
    assert done.change.changed  # kept, so a facilitator arriving sees it
    assert done.change.state.support[0].member_id == "id-Sam"


def test_an_away_facilitator_is_not_counted_as_present() -> None:
    state = admission.step_away(circle("Sam"), "sid-Fay", NOW + 60_000, NOW).state
    assert support.reached(support.request_support(state, "sid-Sam", NOW).change) == 0


def test_asking_again_replaces_the_earlier_request() -> None:
    state = support.request_support(circle("Sam"), "sid-Sam", NOW).change.state
    again = support.request_support(state, "sid-Sam", NOW + 5).change.state
    assert [r.asked_at for r in again.support] == [NOW + 5]


def test_the_first_acknowledgement_is_the_one_named_to_the_person_and_moderators() -> None:
    state = enter(circle("Sam"), "Kim", Role.FACILITATOR)
    state = support.request_support(state, "sid-Sam", NOW).change.state
    first = support.acknowledge(state, "sid-Kim", "id-Sam", NOW + 1)
    (seen,) = first.change.events
    assert isinstance(seen, SupportSeen)
    assert set(seen.audience) == {"sid-Sam", "sid-Fay", "sid-Kim"}
    assert seen.request.seen_by_name == "Kim"
    assert seen.request.seen_at == NOW + 1
    assert first.entry.action == Action.SUPPORT_SEEN
    assert first.entry.target_id == "id-Sam"
    later = support.acknowledge(first.change.state, "sid-Fay", "id-Sam", NOW + 2)
    assert later.change.events == ()
    assert not later.change.changed
    assert support.open_request(later.change.state, "id-Sam").seen_by_name == "Kim"  # type: ignore[union-attr]


def test_only_moderators_acknowledge_and_only_requests_that_exist() -> None:
    state = support.request_support(circle("Sam", "Ann"), "sid-Sam", NOW).change.state
    refused(ErrorCode.NOT_A_FACILITATOR, support.acknowledge, state, "sid-Ann", "id-Sam", NOW)
    refused(ErrorCode.NO_SUPPORT_REQUEST, support.acknowledge, state, "sid-Fay", "id-Ann", NOW)


def test_a_facilitators_private_message_opens_a_conversation_the_participant_may_answer() -> None:
    state = circle("Sam", "Ann")
    refused(
        ErrorCode.PRIVATE_MESSAGES_OFF,
        support.send_private, state, ROOM, "sid-Sam", "id-Fay", "hello", NOW,
    )  # fmt: skip
    opened = support.send_private(state, ROOM, "sid-Fay", "id-Sam", " are you ok? ", NOW)
    (message,) = opened.events
    assert isinstance(message, PrivateMessage)
    assert message.audience == ("sid-Fay", "sid-Sam")
    assert message.text == "are you ok?"
    reply = support.send_private(opened.state, ROOM, "sid-Sam", "id-Fay", "thanks", NOW)
    assert reply.events[0].audience == ("sid-Sam", "sid-Fay")  # type: ignore[union-attr]
    assert reply.state.chat == ()  # never kept in the room's chat
    refused(
        ErrorCode.PRIVATE_MESSAGES_OFF,
        support.send_private, opened.state, ROOM, "sid-Ann", "id-Sam", "hi", NOW,
    )  # fmt: skip


def test_participants_write_to_each_other_only_where_the_room_allows_and_not_when_muted() -> None:
    allowing = replace(ROOM, private_messages=True)
    state = circle("Sam", "Ann")
    done = support.send_private(state, allowing, "sid-Ann", "id-Sam", "hi", NOW)
    assert done.events[0].audience == ("sid-Ann", "sid-Sam")  # type: ignore[union-attr]
    muted = mute.mute(state, "sid-Fay", "id-Ann", chat=True, audio=False, now=NOW).change.state
    refused(
        ErrorCode.CHAT_MUTED, support.send_private, muted, allowing, "sid-Ann", "id-Sam", "hi", NOW
    )


def test_a_private_message_needs_text_someone_else_in_the_room() -> None:
    state = circle("Sam")
    refused(ErrorCode.CHAT_EMPTY, support.send_private, state, ROOM, "sid-Fay", "id-Sam", "  ", NOW)
    refused(
        ErrorCode.CHAT_TOO_LONG,
        support.send_private,
        state,
        ROOM,
        "sid-Fay",
        "id-Sam",
        "x" * 1001,
        NOW,
    )
    refused(
        ErrorCode.TARGET_NOT_IN_ROOM,
        support.send_private,
        state,
        ROOM,
        "sid-Fay",
        "id-X",
        "hi",
        NOW,
    )
    refused(
        ErrorCode.INVALID_PAYLOAD, support.send_private, state, ROOM, "sid-Fay", "id-Fay", "hi", NOW
    )
    refused(ErrorCode.NOT_IN_ROOM, support.send_private, state, ROOM, "sid-X", "id-Sam", "hi", NOW)


def test_the_most_specific_list_is_shown_and_crisis_falls_back_to_a_neutral_line() -> None:
    line = Resource("Crisis line", Category.CRISIS, phone="+1 988")
    reading = Resource("Daily reading", Category.READING, link="https://example.org/r")
    assert shown((), (reading,), (line,)) == (reading,)
    assert shown((), (), (line,)) == (line,)
    assert crisis((reading,)) == (NEUTRAL_CRISIS,)
    assert crisis((reading, line)) == (line,)
    assert crisis((reading,), (), (line,)) == (line,)  # a room's readings keep the crisis line
    assert "emergency services" in NEUTRAL_CRISIS.description


@pytest.mark.parametrize(
    "raw",
    [
        [{"title": "x", "link": "javascript:alert(1)"}],
        [{"title": "x", "phone": "call me"}],
        [{"title": "x", "category": "hotline"}],
        [{"title": ""}],
        [{"title": "x", "extra": "y"}],
        [{"title": 3}],
        [{"title": "x"}] * 31,
        {"title": "x"},
    ],
)
def test_a_bad_resource_list_is_refused(raw: object) -> None:
    with pytest.raises(InvalidPayload):
        parse_resources(raw)


def test_room_state_is_still_a_value_with_the_new_fields() -> None:
    assert RoomState("r").support == ()
    assert RoomState("r").conversations == ()
