"""Recovery after the store lost everything: an empty Redis restart.

Redis restarted without its data (no persistence, or a lost volume) forgets every room,
seat, chat message, sanction and definition at once, while the people connected to each
process are still there. Without this module they would simply be unseated: no room, no
event, chat refused with ``room_not_found``.

How it is noticed: the store holds a **generation mark**, a random value the first
process to find none writes (``SET NX``). Every process learns the mark at start-up.
An empty restart also loses every heartbeat, so each process soon finds its own lapsed
(``server.jobs.presence``); it then reads the mark again. The same mark means an
ordinary lapse (a stall: other processes may have freed our seats, and we take them
again). Another mark, or a new one of our own, means Redis lost everything.

What each process then does, for the rooms its own connected people are in (no process
re-opens a room nobody is in any more):

1. Opens the room again with its settings as Redis still holds them (another process or
   an admin got there first) or else as this process last saw them
   (``Generations.remembered_room``). A room's definition was lost with everything else,
   so a room that was only defined, with nobody in it, stays lost until an admin defines
   it again; and a room this process never read has nothing to open it with.
2. Seats each of its people anew, through the ordinary join rule: roles come from their
   identity again, but what the lost state held is gone — chat, hands, mutes, holds,
   bans, the lock and the waiting room (the room's controls start from their defaults).
3. Tells each seated connection with ``room:reset`` (a message saying earlier chat is
   gone, and the new snapshot), in the same step as it enters the room's broadcast, so
   the client drops what it held and follows the fresh room's sequence from there.

Both processes of a pair do this at once for their own people; opening an open room
changes nothing, so they need no coordination.
"""

from __future__ import annotations

import logging
import uuid
from typing import Protocol

from rooms.ports import Generations, RoomStates

log = logging.getLogger(__name__)


class Reopening(RoomStates, Generations, Protocol):
    """What recovering needs: the generation mark, and the rooms to open again."""


class Seats(Protocol):
    """The hub's side: which rooms our connections are in, and seating them again."""

    def rooms_in_use(self) -> set[str]: ...

    async def reseat_lost_members(self, *, store_lost: bool = False) -> None: ...


class Recovery:
    def __init__(self, store: Reopening, seats: Seats) -> None:
        self.store = store
        self.seats = seats
        self._mark: str | None = None

    async def learn(self) -> None:
        """Learn the store's generation at start-up (writing one if it has none)."""
        self._mark = await self.store.generation(uuid.uuid4().hex)

    async def after_lapse(self) -> None:
        """This process's heartbeat had lapsed: an ordinary lapse, or an empty restart."""
        mark = await self.store.generation(uuid.uuid4().hex)
        if self._mark is None or mark == self._mark:
            self._mark = mark
            await self.seats.reseat_lost_members()
            return
        log.warning("the store lost everything (an empty Redis restart); opening rooms again")
        await self.reopen()
        await self.seats.reseat_lost_members(store_lost=True)
        self._mark = mark  # only now: presence calls again after a failed round

    async def reopen(self) -> None:
        for room_id in sorted(self.seats.rooms_in_use()):
            info = await self.store.room_info(room_id) or self.store.remembered_room(room_id)
            if info is None:
                log.warning("no settings known for a lost room; its people are unseated")
                continue
            await self.store.open_room(info)
