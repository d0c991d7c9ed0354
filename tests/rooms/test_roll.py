"""Who is reaped from the process roll, and which seats go: pure, with a fixed ``now``."""

from __future__ import annotations

import pytest

from moderation import admission
from rooms import roll
from rooms.events import LeaveReason, MemberAway, MemberLeft
from rooms.identity import Role
from rooms.roll import Heartbeat
from rooms.state import Connection, Member, RoomState, Waiting

NOW = 1_795_000_000_000
BEAT, TTL = 2_000, 6_000


def member(name: str, process_id: str) -> Member:
    return Member(
        f"id-{name}", f"sub-{name}", name, Role.PARTICIPANT, NOW, Connection(process_id, name)
    )


def steady(now: int = NOW) -> roll.Watch:
    """A view of the roll unbroken for longer than any TTL."""
    return roll.Watch(now - 3_600_000, now)


def test_a_process_is_silent_once_its_heartbeat_ends_or_is_gone() -> None:
    beats = [
        Heartbeat("alive", NOW + 1),
        Heartbeat("ends-now", NOW),
        Heartbeat("ended", NOW - 6_000),
        Heartbeat("expired", None),
    ]
    judge = {"watch": steady(), "ttl_ms": TTL}
    assert roll.silent_processes(beats, NOW, "alive", **judge) == ["ended", "ends-now", "expired"]
    assert roll.silent_processes(beats, NOW - 6_001, "alive", **judge) == ["expired"]
    assert roll.silent_processes([], NOW, "alive", **judge) == []


def test_a_process_never_reaps_itself() -> None:
    beats = [Heartbeat("me", None), Heartbeat("other", None)]
    assert roll.silent_processes(beats, NOW, "me", watch=steady(), ttl_ms=TTL) == ["other"]


def test_nobody_is_judged_until_beats_have_landed_for_a_full_ttl() -> None:
    """After an outage every heartbeat is gone at once: the first process back must not
    reap the others before they have had a chance to beat again."""
    gone = [Heartbeat("other", None)]
    watch = roll.watch_after_beat(None, NOW, BEAT, TTL)  # the first beat after the break
    assert watch == roll.Watch(NOW, NOW)
    for at in range(NOW + BEAT, NOW + TTL, BEAT):
        watch = roll.watch_after_beat(watch, at, BEAT, TTL)
        assert roll.silent_processes(gone, at, "me", watch=watch, ttl_ms=TTL) == []
    watch = roll.watch_after_beat(watch, NOW + TTL, BEAT, TTL)
    assert watch == roll.Watch(NOW, NOW + TTL)
    # A process that truly died stays silent and is reaped once the view is steady.
    assert roll.silent_processes(gone, NOW + TTL, "me", watch=watch, ttl_ms=TTL) == ["other"]
    assert not roll.may_judge(None, NOW, TTL)


def test_a_gap_in_which_a_live_heartbeat_could_lapse_starts_the_wait_again() -> None:
    watch = roll.Watch(NOW - 60_000, NOW)
    # Beats further apart than usual, but no live process can have missed its TTL.
    assert roll.watch_after_beat(watch, NOW + TTL - BEAT, BEAT, TTL).since == NOW - 60_000
    # A longer gap (the store stalled, or this process did): wait a full TTL again.
    later = NOW + TTL - BEAT + 1
    assert roll.watch_after_beat(watch, later, BEAT, TTL) == roll.Watch(later, later)
    assert not roll.may_judge(roll.Watch(later, later), later + TTL - 1, TTL)
    assert roll.may_judge(roll.Watch(later, later + TTL), later + TTL, TTL)


def test_a_watch_cannot_end_before_it_began() -> None:
    with pytest.raises(ValueError, match="cannot come before"):
        roll.Watch(NOW, NOW - 1)


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

    change = admission.drop_process(state, "dead", NOW, NOW)  # no away grace
    assert [m.display_name for m in change.state.members] == ["Ann"]
    assert change.state.hands == ("id-Ann",)
    assert [w.display_name for w in change.state.waiting] == ["Ed"]
    left = [e for e in change.events if isinstance(e, MemberLeft)]
    assert [e.member.display_name for e in left] == ["Bo", "Cy"]
    assert {e.reason for e in left} == {LeaveReason.DISCONNECTED}
    assert admission.drop_process(change.state, "dead", NOW, NOW).events == ()


def test_a_dead_process_s_seats_are_away_keeping_their_hands_and_its_places_freed() -> None:
    state = RoomState(
        "circle",
        members=(member("Ann", "p1"), member("Bo", "dead")),
        hands=("id-Bo", "id-Ann"),
        waiting=(
            Waiting("id-Di", "sub-Di", "Di", Role.PARTICIPANT, NOW, Connection("dead", "Di")),
        ),
    )
    change = admission.drop_process(state, "dead", NOW + 60_000, NOW)
    assert [(m.display_name, m.away_until) for m in change.state.members] == [
        ("Ann", None),
        ("Bo", NOW + 60_000),
    ]
    assert change.state.hands == ("id-Bo", "id-Ann")
    assert change.state.waiting == ()
    assert [type(e) for e in change.events if not hasattr(e, "audience")] == [MemberAway]
    # A second reaper, later, keeps the first deadline.
    again = admission.drop_process(change.state, "dead", NOW + 90_000, NOW + 30_000)
    assert again.events == ()
    assert again.state == change.state
