"""Snapshots whose seats were encoded once (``server.wire.encoded``): the same JSON as
encoding the whole snapshot, through joins, a raised hand, a seat changed and people
leaving, and a seat that did not change is not dumped again."""

from __future__ import annotations

import json
from dataclasses import replace

from rooms import primitives
from rooms.identity import Identity, Role
from rooms.room import RoomInfo
from rooms.state import Connection, RoomState
from server import wire
from server.wire import encoded

ROOM = RoomInfo("big", "Big meeting", capacity=50)
NOW = 1_795_000_000_000


def _joined(state: RoomState, i: int) -> RoomState:
    who = Identity(f"sub-{i}", f'Person {i} \u00e9"<', Role.PARTICIPANT, frozenset({"*"}))
    return primitives.join(state, ROOM, who, f"m{i}", Connection("p", f"s{i}"), NOW).state


def _ack(rosters: encoded.Rosters, state: RoomState) -> tuple[str, str]:
    """The ack as Hearth's packets encode it, and as plain JSON of the whole snapshot."""
    plain = wire.dump_snapshot(ROOM, state, facilitator_present=False, viewer="m0")
    fast = wire.dump_snapshot(
        ROOM,
        state,
        facilitator_present=False,
        viewer="m0",
        participants=rosters.participants(state),
    )
    ack = [encoded.payload(wire.ok(you="m0", snapshot=encoded.payload(fast)))]
    whole = json.dumps([wire.ok(you="m0", snapshot=plain)], separators=(",", ":"))
    return encoded.dumps(ack), whole


def test_a_snapshot_from_kept_seats_is_the_same_json_through_every_change() -> None:
    rosters = encoded.Rosters()
    state = RoomState("big", opening="o1")
    steps = [
        lambda s: _joined(s, len(s.members)),
        lambda s: _joined(s, len(s.members)),
        lambda s: primitives.raise_hand(s, "s1").state,
        lambda s: replace(s, members=(replace(s.members[0], chat_muted=True), *s.members[1:])),
        lambda s: primitives.leave(s, "s1", NOW).state,
        lambda s: _joined(s, 7),
    ]
    for step in steps:
        state = step(state)
        fast, plain = _ack(rosters, state)
        assert fast == plain
        assert json.loads(fast) == json.loads(plain)


def test_an_unchanged_seat_is_not_encoded_again() -> None:
    rosters = encoded.Rosters()
    state = _joined(_joined(RoomState("big", opening="o1"), 0), 1)
    first = rosters.participants(state).json
    kept = {m: text for m, (_, _, text) in rosters._rooms["big"].items()}
    state = _joined(state, 2)
    assert rosters.participants(state).json.startswith(first[:-1])
    again = rosters._rooms["big"]
    assert all(again[m][2] is text for m, text in kept.items())  # the same strings, kept
