"""The meeting script as pure rules: facilitators pin it for everyone, nobody else can,
the room's (or series') own is shown until then, and it goes with the room."""

from __future__ import annotations

from dataclasses import replace

import pytest

from moderation import roles, script
from moderation.audit import Action
from rooms import lifecycle
from rooms.errors import ErrorCode, InvalidPayload
from rooms.events import ScriptPinned
from rooms.identity import Role
from tests.moderation.circle import NOW, ROOM, circle, enter, refused

WELCOME = "Welcome.\nWe read the steps, then share for three minutes each."


def test_a_facilitator_pins_a_script_everyone_is_told_and_it_is_audited_without_text() -> None:
    state = circle("Sam")
    done = script.pin(state, "sid-Fay", f"  {WELCOME}  ", NOW)
    (event,) = done.change.events
    assert event == ScriptPinned(state.seq + 1, WELCOME)
    assert script.shown(done.change.state, ROOM) == WELCOME
    assert done.entry.action == Action.PIN_SCRIPT
    assert WELCOME not in repr(done.entry)
    cleared = script.pin(done.change.state, "sid-Fay", "", NOW)
    assert script.shown(cleared.change.state, replace(ROOM, script="room's own")) == ""
    assert cleared.entry.detail == "cleared"


def test_only_facilitators_pin_not_co_facilitators_or_participants() -> None:
    state = roles.promote(circle("Sam", "Ann"), "sid-Fay", "id-Ann", NOW).change.state
    refused(ErrorCode.NOT_A_FACILITATOR, script.pin, state, "sid-Ann", "x", NOW)
    refused(ErrorCode.NOT_A_FACILITATOR, script.pin, state, "sid-Sam", "x", NOW)
    admin = enter(state, "Ada", Role.ADMIN)
    assert script.pin(admin, "sid-Ada", "x", NOW).change.events


def test_the_rooms_own_script_is_shown_until_one_is_pinned_and_none_after_closing() -> None:
    room = replace(ROOM, script="The room's format")
    state = circle("Sam")
    assert script.shown(state, room) == "The room's format"
    pinned = script.pin(state, "sid-Fay", "Tonight: a speaker", NOW).change.state
    assert script.shown(pinned, room) == "Tonight: a speaker"
    reopened = lifecycle.close(pinned).state
    assert script.shown(reopened, room) == "The room's format"
    assert script.shown(reopened, ROOM) == ""


def test_a_series_script_is_put_in_a_room_with_none_of_its_own_as_it_opens() -> None:
    state = circle()
    opened = script.open_with(state, ROOM, "Series format").state
    assert script.shown(opened, ROOM) == "Series format"
    own = replace(ROOM, script="Room format")
    assert script.shown(script.open_with(state, own, "Series format").state, own) == "Room format"
    pinned = script.pin(state, "sid-Fay", "Pinned", NOW).change.state
    assert script.shown(script.open_with(pinned, ROOM, "Series format").state, ROOM) == "Pinned"


@pytest.mark.parametrize("bad", ["x" * 4001, "bad\u202eorder", "nul\x00"])
def test_a_script_is_bounded_text(bad: str) -> None:
    with pytest.raises(InvalidPayload):
        script.check_script(bad)
