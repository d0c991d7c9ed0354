"""What a latecomer sees of the chat, as pure rules: since they first took a seat (the
default) or the recent history; moderators see the recent history; deleted and private
messages are in no snapshot."""

from __future__ import annotations

from dataclasses import replace

from moderation import admission, messages, support
from rooms.events import LeaveReason
from rooms.history import may_replay, visible_chat
from rooms.identity import Role
from rooms.room import History
from rooms.state import Connection, RoomState
from tests.moderation.circle import NOW, ROOM, circle, enter, person


def said(state: RoomState, sid: str, text: str) -> RoomState:
    return messages.post_chat(state, sid, text, NOW).state


def texts(state: RoomState, member_id: str, history: History = History.SINCE_JOINED) -> list[str]:
    return [m.text for m in visible_chat(state, replace(ROOM, history=history), member_id)]


def test_a_latecomer_sees_only_what_was_said_since_they_joined_by_default() -> None:
    state = said(circle("Sam"), "sid-Sam", "before Ann")
    state = enter(state, "Ann")
    state = said(state, "sid-Sam", "after Ann")
    assert texts(state, "id-Ann") == ["after Ann"]
    assert texts(state, "id-Sam") == ["before Ann", "after Ann"]
    assert texts(state, "id-Ann", History.RECENT) == ["before Ann", "after Ann"]
    assert texts(state, "id-Nobody") == []


def test_leaving_and_joining_again_keeps_everything_since_the_first_seat() -> None:
    state = enter(said(circle("Sam"), "sid-Sam", "early"), "Ann")
    state = said(state, "sid-Sam", "while Ann was here")
    state = admission.leave(state, "sid-Ann", LeaveReason.LEFT, NOW).state
    state = said(state, "sid-Sam", "while Ann was gone")
    back = Connection("p", "sid-Ann-2")
    state = admission.join(state, ROOM, person("Ann"), "id-Ann", back, NOW).change.state
    assert texts(state, "id-Ann") == ["while Ann was here", "while Ann was gone"]


def test_moderators_see_the_recent_history_whatever_the_setting() -> None:
    state = said(circle("Sam"), "sid-Sam", "before Kim")
    state = enter(state, "Kim", Role.FACILITATOR)
    assert texts(state, "id-Kim") == ["before Kim"]


def test_a_replay_reaches_back_no_further_than_the_first_seat() -> None:
    state = said(circle("Sam"), "sid-Sam", "before Ann")
    before_ann = state.seq
    state = enter(state, "Ann")
    room = ROOM
    assert may_replay(state, room, "id-Ann", before_ann)
    assert not may_replay(state, room, "id-Ann", 0)
    assert may_replay(state, replace(room, history=History.RECENT), "id-Ann", 0)
    assert not may_replay(state, room, "id-Nobody", 0)


def test_deleted_and_private_messages_are_in_no_snapshot() -> None:
    state = said(circle("Sam"), "sid-Sam", "kept")
    state = said(state, "sid-Sam", "deleted")
    deleted = state.chat[-1].message_id
    state = messages.delete_message(state, "sid-Fay", deleted, NOW).change.state
    state = support.send_private(state, ROOM, "sid-Fay", "id-Sam", "private", NOW).state
    for history in History:
        assert texts(state, "id-Sam", history) == ["kept"]
        assert texts(state, "id-Fay", history) == ["kept"]
