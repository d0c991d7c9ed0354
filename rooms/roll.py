"""The process roll, and who is reaped from it: pure decisions with ``now`` passed in.

Every server process renews a heartbeat that lives for a TTL. A process whose heartbeat
has run out is *silent*: it crashed, stalled or lost its store. Any other process may
then free every seat and waiting place held through it, in each room it had said it
seats people in. Reaping is idempotent, so two reapers at once are harmless, and a
process never reaps itself (it finds out its own heartbeat lapsed when it next beats, and
seats its people again).

Silence is judged only from a steady view. When the store was out of reach (or this
process stalled) long enough that a heartbeat could have run out, every heartbeat may be
gone at once although every process is alive: whoever beats first would free everyone
else's seats. So a process judges others only once its own beats have landed without a
break for a full TTL, long enough for every live process to have beaten again. A break is
a failed beat, or two landed beats further apart than ``ttl - heartbeat`` (from then on
a process beating every ``heartbeat`` may have missed its TTL). A process that just
started waits one TTL too: it cannot tell a dead process from one it has not yet heard.

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


@dataclass(frozen=True, slots=True)
class Watch:
    """This process's unbroken view of the roll: its beats have landed since ``since``
    (ms), the latest at ``last``, never further apart than a live process may miss."""

    since: int
    last: int

    def __post_init__(self) -> None:
        if self.last < self.since:
            raise ValueError("a watch's latest beat cannot come before its first")


def watch_after_beat(watch: Watch | None, now: int, heartbeat_ms: int, ttl_ms: int) -> Watch:
    """The watch once a beat landed at ``now``: the same run, or a new one after a break
    (no watch yet, a failed beat, or a gap in which another's heartbeat could lapse)."""
    if watch is None or now - watch.last > ttl_ms - heartbeat_ms:
        return Watch(now, now)
    return Watch(watch.since, now)


def may_judge(watch: Watch | None, now: int, ttl_ms: int) -> bool:
    """Whether silence may be judged at ``now``: beats have landed for a full TTL, so
    every live process has had the chance to beat again since the last break."""
    return watch is not None and now - watch.since >= ttl_ms


def is_silent(heartbeat: Heartbeat, now: int) -> bool:
    return heartbeat.alive_until is None or heartbeat.alive_until <= now


def silent_processes(
    roll: Iterable[Heartbeat], now: int, me: str, *, watch: Watch | None, ttl_ms: int
) -> list[str]:
    """The processes ``me`` reaps at ``now``: silent ones other than itself, by id, and
    none while its own ``watch`` is too short to judge (see ``may_judge``)."""
    if not may_judge(watch, now, ttl_ms):
        return []
    return sorted(hb.process_id for hb in roll if hb.process_id != me and is_silent(hb, now))


def seats_held_through(state: RoomState, process_id: str) -> list[Member]:
    """Every seat in the room whose connection lives on ``process_id``: all of them go."""
    return [m for m in state.members if m.connection.process_id == process_id]


def places_held_through(state: RoomState, process_id: str) -> list[Waiting]:
    """Every place in the waiting room held through ``process_id``."""
    return [w for w in state.waiting if w.connection.process_id == process_id]
