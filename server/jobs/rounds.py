"""The sharing rounds' clock, on every process.

A round's deadlines live in the room's state (``rooms.meeting``), never in a process's
timer, so a process that dies mid-share takes nothing with it. Every process runs this
loop for the rooms its connections are in: it reads a room when one of its known
deadlines is due (and at least every ``REFRESH_MS`` to learn of rounds started, changed
or left behind elsewhere), and applies ``moderation.rounds.tick`` through the store's
atomic ``apply`` when the rule has something to do. The rule records each announcement
in the state it commits, so two processes ticking at once announce a warning or an end
once: the second finds it recorded (or its commit conflicts and the rule, run again on
the fresh state, does nothing).

A room nobody on this process is in is ticked by the processes that have people in it;
a room with nobody anywhere waits for its next visitor's process, which catches it up.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from moderation import rounds
from rooms.clock import Clock
from rooms.errors import RoomNotFound
from rooms.ports import RoomStates
from rooms.state import RoomState
from server.errors import OutcomeUnknown, StoreUnavailable

log = logging.getLogger(__name__)

REFRESH_MS = 1000
MAX_BACKOFF_S = 10.0


class RoundClock:
    def __init__(
        self,
        store: RoomStates,
        rooms_in_use: Callable[[], set[str]],
        clock: Clock,
        tick_ms: int,
    ) -> None:
        self.store = store
        self.rooms_in_use = rooms_in_use
        self.clock = clock
        self.tick_s = tick_ms / 1000
        # Per room: when it was last read, and its next deadline as read then.
        self._known: dict[str, tuple[int, int | None]] = {}

    async def run(self) -> None:
        backoff = self.tick_s
        while True:
            try:
                await self.tick()
                backoff = self.tick_s
            except asyncio.CancelledError:
                raise
            except (StoreUnavailable, OutcomeUnknown):
                log.warning("round clock: the store is out of reach; retrying in %.1fs", backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_S)
            except Exception:
                log.exception("round clock tick failed; retrying in %.1fs", backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_S)
            await asyncio.sleep(backoff)

    async def tick(self) -> None:
        """Apply the round rule in every room of ours where it has something to do."""
        rooms = self.rooms_in_use()
        self._known = {r: known for r, known in self._known.items() if r in rooms}
        for room_id in sorted(rooms):
            now = self.clock.ms()
            read_at, due = self._known.get(room_id, (None, None))
            if read_at is not None and read_at + REFRESH_MS > now and (due is None or due > now):
                continue
            try:
                state = await self._tick_room(room_id, now)
            except RoomNotFound:
                self._known.pop(room_id, None)
                continue
            self._known[room_id] = (now, rounds.next_due(state))

    async def _tick_room(self, room_id: str, now: int) -> RoomState:
        state = await self.store.snapshot(room_id)
        if not rounds.due(state, now):
            return state
        change = await self.store.apply(room_id, lambda state, _: rounds.tick(state, now))
        return change.state
