"""A circle of people for the pure rules' tests, on a fixed clock: Fay the facilitator and
whoever else enters, and a check that a rule refuses with a code."""

from __future__ import annotations

import pytest

from moderation import admission
from rooms.errors import ErrorCode, HearthError
from rooms.identity import Identity, Role
from rooms.room import RoomInfo
from rooms.state import Connection, RoomState

NOW = 1_700_000_000_000


ROOM = RoomInfo("circle", "Tuesday circle", capacity=4, series_id="tuesdays")


def person(name: str, role: Role = Role.PARTICIPANT) -> Identity:
    return Identity(f"sub-{name}", name, role, frozenset({"*"}))


def enter(state: RoomState, name: str, role: Role = Role.PARTICIPANT, **kw: bool) -> RoomState:
    change = admission.join(
        state, ROOM, person(name, role), f"id-{name}", Connection("p", f"sid-{name}"), NOW, **kw
    ).change
    return change.state


def circle(*names: str) -> RoomState:
    """Fay the facilitator and participants ``names``."""
    state = enter(RoomState("circle"), "Fay", Role.FACILITATOR)
    for name in names:
        state = enter(state, name)
    return state


def refused(code: ErrorCode, rule: object, *args: object, **kwargs: object) -> None:
    with pytest.raises(HearthError) as caught:
        rule(*args, **kwargs)  # type: ignore[operator]
    assert caught.value.code == code
