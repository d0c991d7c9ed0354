"""Seats whose release could not land yet: retried until the store takes them.

A connection that closes frees its seat in the same step (``Hub.disconnect``). When the
store cannot be reached at that moment the seat would stay in the roster for good: no
process is silent, so no reaper frees it, and nothing else will try again. So a release
that fails for want of the store is kept here and retried, with backoff, until it lands
(freeing a seat twice changes nothing, so a retry whose first attempt did land in the
end is harmless). While it waits, the room stays on this process's roll: if the process
dies meanwhile, its reapers free the seat instead.

A connection that drops keeps its seat away for the grace (``away_until``, see
``server.jobs.away``); the release then marks it away instead of freeing it, with the
same retries. A waiting place is freed either way.

A later join of the same identity to the same room supersedes the pending release: that
join took the seat over, and the old connection's release would change nothing.
The queue is bounded; beyond the bound the oldest release is given up with a warning
(the seat is then freed when this process stops or is reaped).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass

from moderation import admission
from rooms.change import Change
from rooms.clock import Clock
from rooms.errors import RoomNotFound
from rooms.events import LeaveReason
from rooms.ports import RoomStates
from rooms.room import RoomInfo
from rooms.state import RoomState
from server.errors import ServerCode, ServerError

log = logging.getLogger(__name__)

MAX_PENDING = 10_000
FIRST_RETRY_S = 0.2
MAX_RETRY_S = 5.0


@dataclass(frozen=True, slots=True)
class Release:
    """Free the seat (or waiting place) ``sid`` holds in ``room_id``; ``seat_id`` names
    the identity's seat, so a later join of it can supersede this release. With
    ``away_until`` (ms) the seat is kept away until then rather than freed."""

    room_id: str
    sid: str
    seat_id: str
    reason: LeaveReason
    away_until: int | None = None


def _store_unanswered(error: ServerError) -> bool:
    """The store did not take the release, or cannot say whether it did: worth trying
    again, since leaving a seat that is already free changes nothing."""
    return error.code in {ServerCode.UNAVAILABLE, ServerCode.BUSY, ServerCode.UNCONFIRMED}


class PendingReleases:
    """This process's releases waiting for the store; ``run`` drains them."""

    def __init__(
        self, store: RoomStates, clock: Clock, on_landed: Callable[[Release], None]
    ) -> None:
        self.store = store
        self.clock = clock
        self.on_landed = on_landed
        self._pending: dict[str, Release] = {}  # by sid, oldest first
        self._waiting = asyncio.Event()

    def __len__(self) -> int:
        return len(self._pending)

    async def release(self, release: Release) -> None:
        """Free the seat now, or keep the release to retry once the store answers."""
        if not await self._attempt(release):
            self._keep(release)

    def supersede(self, room_id: str, seat_id: str) -> None:
        """The identity took its seat in the room again: drop releases of its old seat."""
        for sid, pending in list(self._pending.items()):
            if pending.room_id == room_id and pending.seat_id == seat_id:
                del self._pending[sid]
                self.on_landed(pending)

    async def run(self) -> None:
        """Retry pending releases, oldest first, backing off while the store is away."""
        delay = FIRST_RETRY_S
        while True:
            await self._waiting.wait()
            for release in list(self._pending.values()):
                if self._pending.get(release.sid) != release:
                    continue  # superseded meanwhile
                try:
                    landed = await self._attempt(release)
                except Exception:
                    log.exception("freeing a seat failed; retrying")
                    landed = False
                if not landed:
                    break
                if self._pending.get(release.sid) == release:
                    del self._pending[release.sid]
                delay = FIRST_RETRY_S
            if not self._pending:
                self._waiting.clear()
                continue
            await asyncio.sleep(delay)
            delay = min(delay * 2, MAX_RETRY_S)

    def _keep(self, release: Release) -> None:
        if len(self._pending) >= MAX_PENDING:
            oldest = next(iter(self._pending.values()))
            del self._pending[oldest.sid]
            log.warning("too many seats waiting to be freed; gave up the oldest")
            self.on_landed(oldest)
        self._pending[release.sid] = release
        self._waiting.set()
        log.warning("could not free a seat: the store is out of reach; retrying")

    async def _attempt(self, release: Release) -> bool:
        """True once the release has landed (or has nothing left to free)."""
        now = self.clock.ms()
        until = release.away_until

        def free(state: RoomState, _: RoomInfo) -> Change:
            if until is not None:
                return admission.step_away(state, release.sid, until, now)
            return admission.leave(state, release.sid, release.reason, now)

        try:
            await self.store.apply(release.room_id, free)
        except RoomNotFound:
            pass  # the room closed: its seats went with it
        except ServerError as error:
            if _store_unanswered(error):
                return False
            raise
        self.on_landed(release)
        return True
