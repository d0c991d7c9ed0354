"""What a rule hands back: the room's next state and the events that lead to it.

Every rule is a pure function from one state to a ``Change``. A rule that also decides
something the caller needs (the seat it gave, the people it admitted) returns a
``Decided``: the change and that result together. A store applies the rule and hands the
value back as the rule returned it on the state it committed, so a rule that ran again
after a conflict can never leak what an earlier, discarded run decided.

The ``Recorder`` numbers a rule's public events with the room's next sequence numbers,
one each, and stamps the state with the last.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Generic, TypeVar

from rooms.events import RoomEvent
from rooms.state import Connection, RoomState

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Change:
    state: RoomState
    events: tuple[RoomEvent, ...] = ()
    replaced: Connection | None = None  # a join took the seat over from this connection
    quiet: bool = False  # the state changed with nothing to tell (an unban)

    @property
    def changed(self) -> bool:
        return bool(self.events) or self.replaced is not None or self.quiet


@dataclass(frozen=True, slots=True)
class Decided(Generic[T]):
    """A rule's change and what it decided, as one value."""

    change: Change
    result: T


class Recorder:
    """Numbers events as they happen, one sequence number each."""

    def __init__(self, state: RoomState) -> None:
        self.seq = state.seq
        self.events: list[RoomEvent] = []

    @classmethod
    def following(cls, change: Change) -> Recorder:
        """Go on recording after ``change``, keeping its events."""
        rec = cls(change.state)
        rec.events.extend(change.events)
        return rec

    def next_seq(self) -> int:
        self.seq += 1
        return self.seq

    def done(self, state: RoomState, replaced: Connection | None = None) -> Change:
        return Change(replace(state, seq=self.seq), tuple(self.events), replaced)
