"""The process roll, and who is reaped from it: pure decisions with ``now`` passed in.

Every server process renews a heartbeat that lives for a TTL. A process whose heartbeat
has run out is *silent*: it crashed, stalled or lost its store. Any other process may
then free every seat and waiting place held through it, in each room it had said it
seats people in. Reaping is idempotent, so two reapers at once are harmless, and a
process never reaps itself (it finds out its own heartbeat lapsed when it next beats, and
seats its people again).

The store reports each heartbeat's end on the caller's clock; the decisions below read
nothing else, so they are tested without a server or a store (Synapse's
``handle_timeouts`` is the model).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from rooms.state import Member, RoomState, Waiting


@dataclass(frozen=True, slots=True)
class Heartbeat:
    """One process on the roll: until when (ms) its last heartbeat keeps it alive, or
    None when the heartbeat is gone (expired, or never stored)."""

    process_id: str
    alive_until: int | None


def is_silent(heartbeat: Heartbeat, now: int) -> bool:
    return heartbeat.alive_until is None or heartbeat.alive_until <= now


def silent_processes(roll: Iterable[Heartbeat], now: int, me: str) -> list[str]:
    """The processes to reap at ``now``: silent ones other than ``me``, by id."""
    return sorted(hb.process_id for hb in roll if hb.process_id != me and is_silent(hb, now))


def seats_held_through(state: RoomState, process_id: str) -> list[Member]:
    """Every seat in the room whose connection lives on ``process_id``: all of them go."""
    return [m for m in state.members if m.connection.process_id == process_id]


def places_held_through(state: RoomState, process_id: str) -> list[Waiting]:
    """Every place in the waiting room held through ``process_id``."""
    return [w for w in state.waiting if w.connection.process_id == process_id]
