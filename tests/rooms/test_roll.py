"""Who is reaped from the process roll, and which seats go: pure, with a fixed ``now``."""

from __future__ import annotations

from moderation import admission
from rooms import roll
from rooms.events import LeaveReason, MemberLeft
from rooms.identity import Role
from rooms.roll import Heartbeat
from rooms.state import Connection, Member, RoomState, Waiting

NOW = 1_795_000_000_000


def member(name: str, process_id: str) -> Member:
    return Member(
        f"id-{name}", f"sub-{name}", name, Role.PARTICIPANT, NOW, Connection(process_id, name)
    )


def test_a_process_is_silent_once_its_heartbeat_ends_or_is_gone() -> None:
    beats = [
        Heartbeat("alive", NOW + 1),
        Heartbeat("ends-now", NOW),
        Heartbeat("ended", NOW - 6_000),
        Heartbeat("expired", None),
    ]
    assert roll.silent_processes(beats, NOW, me="alive") == ["ended", "ends-now", "expired"]
    assert roll.silent_processes(beats, NOW - 6_001, me="alive") == ["expired"]
    assert roll.silent_processes([], NOW, me="alive") == []


def test_a_process_never_reaps_itself() -> None:
    beats = [Heartbeat("me", None), Heartbeat("other", None)]
    assert roll.silent_processes(beats, NOW, me="me") == ["other"]


def test_every_seat_and_place_of_a_dead_process_is_freed_and_no_other() -> None:
    state = RoomState(
        "circle",
        members=(member("Ann", "p1"), member("Bo", "dead"), member("Cy", "dead")),
        hands=("id-Bo", "id-Ann", "id-Cy"),
        waiting=(
            Waiting("id-Di", "sub-Di", "Di", Role.PARTICIPANT, NOW, Connection("dead", "Di")),
            Waiting("id-Ed", "sub-Ed", "Ed", Role.PARTICIPANT, NOW, Connection("p1", "Ed")),
        ),
    )
    assert [m.display_name for m in roll.seats_held_through(state, "dead")] == ["Bo", "Cy"]
    assert [w.display_name for w in roll.places_held_through(state, "dead")] == ["Di"]

    change = admission.drop_process(state, "dead", NOW)
    assert [m.display_name for m in change.state.members] == ["Ann"]
    assert change.state.hands == ("id-Ann",)
    assert [w.display_name for w in change.state.waiting] == ["Ed"]
    left = [e for e in change.events if isinstance(e, MemberLeft)]
    assert [e.member.display_name for e in left] == ["Bo", "Cy"]
    assert {e.reason for e in left} == {LeaveReason.CONNECTION_LOST}
    assert admission.drop_process(change.state, "dead", NOW).events == ()
