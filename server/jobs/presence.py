"""Process presence: each process heartbeats, and every process reaps the silent ones.

A seat names the process its connection lives on. A process that finds its own heartbeat
had lapsed (it stalled, or Redis was out of reach, for longer than the TTL) may have had
its seats freed by the others while its people were in fact still connected: it seats
them again, so the roster tells the truth once more.

Each process renews a heartbeat with a TTL every ``heartbeat_ms``; every process also
looks for processes whose heartbeat lapsed and marks their seats away, room by room,
telling each room (their people may come back through another process within the away
grace; ``server.jobs.away`` frees the seats after it, and its sweep runs each round).
Reaping is idempotent (marking a seat away twice changes nothing), so two processes
reaping at once is harmless. Who is silent, and which seats go, is decided by the pure
``rooms.roll``; this module does the I/O around it. A process's roll names only rooms
where it seats (or is seating) someone: a room is added before its first seat here and
dropped, with the next heartbeat, once its last seat here is gone, so refused joins leave
nothing behind and a reaper's round is as short as the dead process's rooms. With the
defaults (2 s beat, 6 s TTL) a killed process's people are away in every roster within
8 s, and leave it once the away grace has passed as well.

After an outage of the store longer than the TTL every heartbeat is gone at once; a
process reaps only once its own beats have landed without a break for a full TTL
(``rooms.roll.may_judge``), so live processes do not free each other's seats when the
store comes back, while a process that died meanwhile is still reaped a TTL later. A
failed round is retried at the heartbeat's own pace, not with a longer backoff: a
process that came back slower than one TTL would be judged silent by the others.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Protocol

from rooms import roll
from rooms.clock import Clock
from rooms.errors import RoomNotFound
from rooms.ports import ProcessRoll, RoomStates
from server.jobs.away import AwaySeats
from server.socket.claims import RoomClaims

log = logging.getLogger(__name__)


class Roll(RoomStates, ProcessRoll, Protocol):
    """What keeping the roll needs: the roll itself, and the rooms to free seats in."""


class PresenceKeeper:
    def __init__(
        self,
        store: Roll,
        process_id: str,
        heartbeat_ms: int,
        ttl_ms: int,
        on_lapse: Callable[[], Awaitable[None]],
        clock: Clock,
        settle: Callable[[], Awaitable[None]] | None = None,
        away: AwaySeats | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.process_id = process_id
        self.interval_s = heartbeat_ms / 1000
        self.ttl_ms = ttl_ms
        self.on_lapse = on_lapse
        self.settle = settle
        self.away = away or AwaySeats(store, RoomClaims(store, process_id), clock, 0)
        self._has_beaten = False
        self._lapse_pending = False
        self._watch: roll.Watch | None = None
        self.last_beat_s: float | None = None  # loop time of the last beat that landed

    @staticmethod
    def _elapsed_ms() -> int:
        # The watch measures how long the store really went unheard, as its TTLs run:
        # monotonic time, not the meeting's clock (which a test may hold still).
        return int(asyncio.get_running_loop().time() * 1000)

    async def beat(self) -> None:
        """Renew this process's heartbeat. If it had lapsed (a long stall, or Redis out of
        reach), other processes may have freed our seats: ``on_lapse`` settles that."""
        try:
            was_alive = await self.store.beat(self.process_id, self.ttl_ms)
        except BaseException:
            self._watch = None  # a break: others' beats may be failing too
            raise
        self.last_beat_s = asyncio.get_running_loop().time()
        self._watch = roll.watch_after_beat(
            self._watch, self._elapsed_ms(), int(self.interval_s * 1000), self.ttl_ms
        )
        first, self._has_beaten = not self._has_beaten, True
        if (not was_alive and not first) or self._lapse_pending:
            # Until ``on_lapse`` succeeds: the next beat finds the heartbeat alive again.
            self._lapse_pending = True
            log.warning("this process's heartbeat had lapsed; checking its seats")
            await self.on_lapse()
            self._lapse_pending = False

    async def run(self) -> None:
        failures = 0
        while True:
            try:
                await self.beat()
                await self.away.sweep()
                if self.settle is not None:
                    await self.settle()
                await self.reap()
                if failures:
                    log.warning("presence rounds succeed again after %d failure(s)", failures)
                failures = 0
            except asyncio.CancelledError:
                raise
            except Exception:
                task = asyncio.current_task()
                if task is not None and task.cancelling():
                    # A cancellation redis-py turned into another error: stop as asked.
                    raise asyncio.CancelledError from None
                failures += 1
                if failures == 1:  # one traceback per outage, not one per beat
                    log.exception("presence round failed; retrying every heartbeat")
            # The beat's own pace is the backoff: one small command per interval.
            await asyncio.sleep(self.interval_s)

    async def reap(self) -> None:
        # Heartbeats are read on the watch's clock: silence is a matter of real time.
        now = self._elapsed_ms()
        roll_now = await self.store.heartbeats(now)
        silent = roll.silent_processes(
            roll_now,
            now,
            self.process_id,
            watch=self._watch,
            ttl_ms=self.ttl_ms,
        )
        for process_id in silent:
            await self.release(process_id)

    async def release(self, process_id: str) -> None:
        """Keep every seat held through ``process_id`` away for the grace (this process
        sweeps them after it) and forget the process. A process releasing itself as it
        stops stays on the roll: whoever reaps it once its heartbeat lapses sweeps its
        away seats, since it will not."""
        for room_id in sorted(await self.store.rooms_held_by(process_id)):
            try:
                change = await self.away.take_over(room_id, process_id)
            except RoomNotFound:
                continue
            if change.events:
                log.info("%d seat(s) of a silent process are away", len(change.events))
        if process_id != self.process_id:
            await self.store.forget_process(process_id)
