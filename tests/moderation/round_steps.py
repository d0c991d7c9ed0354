"""Steps of a meeting for the pure tests of sharing rounds, the floor and service roles:
hands raised, someone arriving, controls set, a round started, the events of a kind."""

from __future__ import annotations

from moderation import admission, controls, floor, rounds
from moderation.audit import Action
from rooms.change import Change
from rooms.meeting import RoundOrder
from rooms.state import Connection, RoomState
from tests.moderation.circle import NOW, ROOM, person

S = 1000  # ms


def hands(state: RoomState, *names: str) -> RoomState:
    for name in names:
        state = floor.raise_hand(state, f"sid-{name}").state
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


def of(change: Change, kind: type) -> list[object]:
    return [e for e in change.events if isinstance(e, kind)]
