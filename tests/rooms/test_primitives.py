"""The room rules, as pure functions with a fixed ``now``."""

from __future__ import annotations

from dataclasses import replace

import pytest

from rooms import lifecycle, primitives
from rooms.errors import ErrorCode, HearthError
from rooms.events import (
    ChatPosted,
    HandQueueChanged,
    LeaveReason,
    MemberJoined,
    MemberLeft,
    ReactionSent,
)
from rooms.identity import Identity, Role, TileColour, tile_colour
from rooms.room import RoomInfo
from rooms.state import CHAT_HISTORY, Connection, Reaction, RoomState

NOW = 1_795_000_000_000
ROOM = RoomInfo("circle", "Circle", capacity=2)


def person(
    name: str,
    role: Role = Role.PARTICIPANT,
    rooms: tuple[str, ...] = ("circle",),
    guest: bool = False,
) -> Identity:
    return Identity(f"sub-{name}", name, role, frozenset(rooms), guest=guest)


def seated(*names: str) -> RoomState:
    state = RoomState("circle")
    for name in names:
        state = primitives.join(
            state, ROOM, person(name), f"id-{name}", Connection("p1", f"sid-{name}"), NOW
        ).state
    return state


def test_join_seats_and_numbers_the_event() -> None:
    change = primitives.join(
        RoomState("circle", seq=7), ROOM, person("Ann"), "id-Ann", Connection("p1", "s1"), NOW
    )
    assert [type(e) for e in change.events] == [MemberJoined]
    assert change.events[0].seq == 8
    assert change.state.seq == 8
    assert change.state.members[0].display_name == "Ann"
    assert change.state.members[0].joined_at == NOW


def test_a_chosen_tile_colour_is_the_seats_and_a_second_join_keeps_it() -> None:
    ann = replace(person("Ann"), colour=TileColour.SAGE)
    state = primitives.join(RoomState("circle"), ROOM, ann, "id-Ann", Connection("p1", "s1"), NOW)
    assert state.state.members[0].colour is TileColour.SAGE
    joined = state.events[0]
    assert isinstance(joined, MemberJoined)
    assert joined.member.colour is TileColour.SAGE
    other = replace(ann, colour=TileColour.ROSE)
    again = primitives.join(state.state, ROOM, other, "id-Ann", Connection("p2", "s2"), NOW)
    assert again.state.members[0].colour is TileColour.SAGE
    assert seated("Bo").members[0].colour is None  # none chosen: initials on the plain tint


@pytest.mark.parametrize("raw", ["red", "SAGE", 1, True, ["sky"]])
def test_only_the_set_of_tile_colours_is_taken(raw: object) -> None:
    assert tile_colour("sky") is TileColour.SKY
    assert tile_colour(None) is None
    with pytest.raises(HearthError) as refused:
        tile_colour(raw)
    assert refused.value.code == ErrorCode.INVALID_PAYLOAD


def test_second_join_of_one_identity_takes_the_seat_over_silently() -> None:
    state = primitives.raise_hand(seated("Ann", "Bo"), "sid-Ann").state
    change = primitives.join(state, ROOM, person("Ann"), "id-Ann", Connection("p2", "new"), NOW)
    assert change.events == ()
    assert change.replaced == Connection("p1", "sid-Ann")
    assert change.state.seq == state.seq
    assert [m.connection.sid for m in change.state.members] == ["new", "sid-Bo"]
    assert change.state.hands == ("id-Ann",)
    # the replaced connection leaving does not free the seat
    assert primitives.leave(change.state, "sid-Ann", LeaveReason.DISCONNECTED).events == ()


def test_same_connection_joining_again_changes_nothing() -> None:
    state = seated("Ann")
    change = primitives.join(state, ROOM, person("Ann"), "id-Ann", Connection("p1", "sid-Ann"), NOW)
    assert change.state == state
    assert not change.changed


@pytest.mark.parametrize(
    ("who", "code"),
    [
        (person("Cy"), ErrorCode.ROOM_FULL),
        (person("Cy", rooms=("other",)), ErrorCode.NOT_INVITED),
        (person("Cy", guest=True, rooms=()), ErrorCode.GUESTS_NOT_ALLOWED),
    ],
)
def test_refused_joins_raise(who: Identity, code: ErrorCode) -> None:
    with pytest.raises(HearthError) as refused:
        primitives.join(seated("Ann", "Bo"), ROOM, who, "id-Cy", Connection("p1", "c"), NOW)
    assert refused.value.code == code


def test_facilitators_get_a_seat_in_a_full_room() -> None:
    fay = person("Fay", Role.FACILITATOR)
    change = primitives.join(seated("Ann", "Bo"), ROOM, fay, "id-Fay", Connection("p1", "f"), NOW)
    assert len(change.state.members) == 3


def test_any_room_token_admits_everywhere() -> None:
    admin = person("Ada", Role.ADMIN, rooms=("*",))
    assert primitives.join(RoomState("circle"), ROOM, admin, "id", Connection("p", "s"), NOW).events


def test_leaving_takes_the_hand_down_in_one_numbered_run() -> None:
    state = primitives.raise_hand(seated("Ann", "Bo"), "sid-Bo").state
    change = primitives.leave(state, "sid-Bo", LeaveReason.LEFT)
    assert [type(e) for e in change.events] == [MemberLeft, HandQueueChanged]
    assert [e.seq for e in change.events] == [state.seq + 1, state.seq + 2]
    assert change.state.hands == ()
    assert [m.display_name for m in change.state.members] == ["Ann"]


def test_dropping_a_process_frees_only_its_seats() -> None:
    state = seated("Ann")
    state = primitives.join(state, ROOM, person("Bo"), "id-Bo", Connection("p2", "b"), NOW).state
    change = primitives.drop_process(state, "p2")
    assert [m.display_name for m in change.state.members] == ["Ann"]
    assert change.events[0].reason == LeaveReason.DISCONNECTED  # type: ignore[union-attr]
    assert primitives.drop_process(change.state, "p2").events == ()


def test_hand_queue_is_first_raised_first() -> None:
    state = seated("Ann", "Bo")
    state = primitives.raise_hand(state, "sid-Bo").state
    state = primitives.raise_hand(state, "sid-Ann").state
    assert state.hands == ("id-Bo", "id-Ann")
    assert primitives.raise_hand(state, "sid-Bo").events == ()  # raising twice keeps the place
    state = primitives.lower_hand(state, "sid-Bo").state
    assert state.hands == ("id-Ann",)
    assert primitives.lower_hand(state, "sid-Bo").events == ()


def test_chat_is_trimmed_bounded_and_numbered() -> None:
    state = seated("Ann")
    change = primitives.post_chat(state, "sid-Ann", "  hi  ", NOW)
    (event,) = change.events
    assert isinstance(event, ChatPosted)
    assert event.message.text == "hi"
    assert event.message.message_id == event.seq == state.seq + 1
    for i in range(CHAT_HISTORY + 5):
        state = primitives.post_chat(state, "sid-Ann", f"m{i}", NOW).state
    assert len(state.chat) == CHAT_HISTORY
    assert state.chat[-1].text == f"m{CHAT_HISTORY + 4}"


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("   ", ErrorCode.CHAT_EMPTY),
        ("x" * (primitives.MAX_CHAT_LENGTH + 1), ErrorCode.CHAT_TOO_LONG),
    ],
)
def test_bad_chat_is_refused(text: str, code: ErrorCode) -> None:
    with pytest.raises(HearthError) as refused:
        primitives.post_chat(seated("Ann"), "sid-Ann", text, NOW)
    assert refused.value.code == code


def test_only_seated_people_act() -> None:
    for act in (primitives.raise_hand, primitives.lower_hand):
        with pytest.raises(HearthError) as refused:
            act(seated("Ann"), "stranger")
        assert refused.value.code == ErrorCode.NOT_IN_ROOM


def test_closing_empties_the_room_but_keeps_counting() -> None:
    state = primitives.post_chat(seated("Ann"), "sid-Ann", "bye", NOW).state
    change = lifecycle.close(state)
    assert change.state == RoomState("circle", seq=state.seq + 1)


def test_state_refuses_two_seats_for_one_member() -> None:
    member = seated("Ann").members[0]
    with pytest.raises(ValueError, match="two seats"):
        RoomState("circle", members=(member, member))


def test_a_reaction_is_numbered_but_not_kept() -> None:
    state = seated("Ann")
    change = primitives.react(state, "sid-Ann", Reaction.HUG)
    assert change.events == (ReactionSent(state.seq + 1, "id-Ann", Reaction.HUG),)
    assert change.state == RoomState("circle", seq=state.seq + 1, members=state.members)
