"""The ports the room domain needs from the outside world, one small port per concept.

- ``RoomStates``: every open room's state. A rule is applied to a room atomically: it
  sees one state, and its result is stored and its events published as one step, even
  when two processes change the same room at the same moment. The store hands back the
  rule's own value (a ``Change``, or a ``Decided`` with its result) from the run it
  committed; a run discarded after a conflict leaves no trace.
- ``RoomLog``: each open room's recent public events, appended with the change.
- ``ProcessRoll``: which server processes are alive, and where each seats people.
- ``Definitions``: rooms, their schedules and the deployment's resources, which outlive
  restarts.
- ``Claims``: one-time claims that let many processes agree who performs a scheduled
  action, and since when a room has been seen empty.
- ``Counters``: the allowances behind rate limits (``rooms.allowances``), counted per
  window of the wall clock, fixed or sliding.
- ``Generations``: a mark that tells whether the store lost everything it held (an
  empty Redis restart), and the room settings this process last saw, to open again.

A client's change may carry an operation id (``Once``): the store keeps the first
outcome's answer, written in the same atomic step as the change, and a repeat of the id
by the same member of the same room hands that answer back and changes nothing. The
store also uses the record to learn whether a commit whose answer it never heard took
effect, so it never applies one twice and never calls "not done" what was done.

``moderation.ports`` adds what moderation needs (audit, bans, a facilitator's atomic
action) and the whole ``RoomStore``. Two implementations exist: in memory (one process)
and Redis (many); ``tests/server/test_store_contract*.py`` holds each to the same promises.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from rooms.allowances import Allowance
from rooms.change import Change, Decided
from rooms.events import RoomEvent
from rooms.resources import Resource
from rooms.roll import Heartbeat
from rooms.room import RoomInfo
from rooms.schedule import Series
from rooms.state import RoomState

Rule = Callable[[RoomState, RoomInfo], Change]
Ruling = TypeVar("Ruling", bound=Change | Decided[Any])  # what a rule returns, handed back as is

EMPTY_MEMORY_MS = 24 * 3600 * 1000  # an "empty since" mark outlives no meeting
# A repeat of an operation id is recognised this long: far beyond any client's retries
# (a reconnect, a deploy's drain), short enough that the records stay few.
OP_MEMORY_MS = 10 * 60 * 1000
# A room's log keeps this many recent public events: a client that reconnects within
# them gets exactly what it missed; one further behind gets a snapshot.
LOG_LENGTH = 1000

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Framed:
    """A room event as the adapter sends it, opaque bytes to the store: one frame per
    destination (none: nobody hears it), and for a public event ``logged``, its seq and
    the frame the room's log keeps, the very bytes sent to the room (None: the event is
    private to some connections and not logged). Made from one dump of the event.

    A public event's frames go to the room's own stream, heard only where the room's
    people are; a private event's go to connections wherever they are: ``to`` names the
    connection (sid) each frame is for, in order, so the store can send it to the process
    that holds it. ``announced``, if set, is a copy of a public event for every process,
    wherever the room's people are (what a webhook reports, for instance)."""

    frames: tuple[bytes, ...]
    logged: tuple[int, bytes] | None = None
    announced: bytes | None = None
    to: tuple[str, ...] = ()


Frame = Callable[[str, RoomEvent], Framed]


@dataclass(frozen=True, slots=True)
class Once(Generic[T]):
    """One client operation: ``member_id``'s ``op`` (None: the client chose no id, so it
    is never a repeat). ``answer`` turns what the rule returned into the answer kept for
    repeats (opaque bytes to the store)."""

    member_id: str
    op: str | None
    answer: Callable[[T], bytes]


@dataclass(frozen=True, slots=True)
class Done(Generic[T]):
    """What an operation came to: the rule's value when this call applied it (None when it
    repeated an earlier operation), and the answer of the first."""

    value: T | None
    answer: bytes


def change_of(ruling: Change | Decided[Any]) -> Change:
    """The room's change inside what a rule returned."""
    return ruling.change if isinstance(ruling, Decided) else ruling


class RoomStates(Protocol):
    async def open_room(self, info: RoomInfo) -> bool:
        """Open the room (or update its settings); True if it was not open before."""
        ...

    async def room_info(self, room_id: str) -> RoomInfo | None: ...

    async def open_rooms(self) -> list[RoomInfo]: ...

    async def snapshot(self, room_id: str) -> RoomState:
        """The room's current state; raises ``RoomNotFound`` when it is not open."""
        ...

    async def apply(self, room_id: str, rule: Callable[[RoomState, RoomInfo], Ruling]) -> Ruling:
        """Apply ``rule`` atomically, store the result and publish its events in order;
        hand back what the rule returned on the state that was committed. A refusal is
        final only when the rule saw the room as it is (never on a cached copy alone);
        a room too contended to commit refuses with ``busy``."""
        ...

    async def apply_once(
        self, room_id: str, rule: Callable[[RoomState, RoomInfo], Ruling], once: Once[Ruling]
    ) -> Done[Ruling]:
        """``apply``, unless ``once`` repeats an operation already applied in this room:
        then nothing changes and the first answer comes back. The answer is stored with
        the change in one atomic step; a refusal stores nothing (a repeat tries again)."""
        ...

    async def close_room(self, room_id: str) -> Change:
        """Publish the close, then forget the room's state and chat."""
        ...


class RoomLog(Protocol):
    async def events_after(self, room_id: str, seq: int) -> list[tuple[int, bytes]]:
        """The room's logged public events after ``seq``, in order, each with its seq.
        Written in the same atomic step as the change that made them, bounded to the last
        ``LOG_LENGTH``, forgotten when the room closes: a caller that does not find
        ``seq + 1`` first has fallen out of the log and needs a snapshot."""
        ...


class ProcessRoll(Protocol):
    async def beat(self, process_id: str, ttl_ms: int) -> bool:
        """Say this process is alive for the next ``ttl_ms``; False if its previous
        heartbeat had already lapsed (other processes may have freed its seats)."""
        ...

    async def hold(self, process_id: str, room_id: str) -> None:
        """Note that this process seats people in the room (before seating them)."""
        ...

    async def drop_hold(self, process_id: str, room_id: str) -> None:
        """This process seats nobody in the room any more (and is not about to)."""
        ...

    async def heartbeats(self, now_ms: int) -> list[Heartbeat]:
        """Every process on the roll, each heartbeat's end given on the caller's clock
        (``now_ms`` plus what is left of its TTL): ``rooms.roll`` decides who is silent."""
        ...

    async def rooms_held_by(self, process_id: str) -> set[str]: ...

    async def forget_process(self, process_id: str) -> None: ...


class Definitions(Protocol):
    async def define_room(self, info: RoomInfo) -> None:
        """Keep the room's definition (whether or not it is open); an open room takes the
        new settings at once."""
        ...

    async def rooms(self) -> list[RoomInfo]:
        """Every defined or open room, by id."""
        ...

    async def delete_room(self, room_id: str) -> bool:
        """Forget a closed room's definition; True if there was one."""
        ...

    async def save_series(self, series: Series) -> None: ...

    async def series(self, series_id: str) -> Series | None: ...

    async def all_series(self) -> list[Series]: ...

    async def delete_series(self, series_id: str) -> bool: ...

    async def save_deployment_resources(self, resources: tuple[Resource, ...] | None) -> None:
        """Keep the deployment's resources as an admin set them (every process reads this
        list); ``None`` forgets them, so the configured list counts again."""
        ...

    async def deployment_resources(self) -> tuple[Resource, ...] | None:
        """The deployment's resources an admin set, or ``None`` where none did."""
        ...


class Claims(Protocol):
    async def claim(self, key: str, ttl_ms: int) -> bool:
        """True for exactly one caller per ``key`` (across processes) until it expires."""
        ...

    async def release(self, key: str) -> None:
        """Give a claim back (its action could not be carried out)."""
        ...

    async def empty_since(self, room_id: str, now_ms: int, empty: bool) -> int | None:
        """Note whether the room is empty; when it is, since when (first noted), else None.
        A mark older than ``EMPTY_MEMORY_MS`` at ``now_ms`` is forgotten and made anew."""
        ...


class Counters(Protocol):
    async def take(self, allowances: list[Allowance], now_ms: int) -> list[int]:
        """One action against every allowance, in one atomic step (one round trip): if it
        fits each (``rooms.allowances.fits``), each counts it and the answer is all 0;
        otherwise none counts it, and each answer is how long (ms) until one more action
        fits that allowance (``wait_ms``; 0 where it fits now)."""
        ...


class Generations(Protocol):
    async def generation(self, candidate: str) -> str:
        """The store's generation mark, set to ``candidate`` only if the store holds none
        (it is new, or it lost everything): a mark other than the one a process learnt
        at start-up means the rooms, seats and chat it knew are gone."""
        ...

    def remembered_room(self, room_id: str) -> RoomInfo | None:
        """The room's settings as this process last read or wrote them, kept after the
        store forgets the room (no I/O): what an empty restart lost, to open it again."""
        ...
