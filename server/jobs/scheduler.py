"""The scheduler: opens, warns and closes scheduled rooms, once per occurrence.

It runs in every process. Each tick it expands every series around ``now`` and, for each
action that is due, first claims ``(series, occurrence, start, action)`` in the store
(Redis ``SET NX`` with an expiry, so exactly one process wins across the cluster), then
performs it. Due means:

- **open** from the lobby opening until the end: a process that comes back after every
  process was down at the start still opens a meeting that has not ended;
- **warn** from five minutes before the end until the end: a sequenced ``room:closing``;
- **close** from the end for ``CATCH_UP`` afterwards: ``room:closed``, chat deleted;
- with ``close_when_empty_minutes``, a meeting under way that nobody has been in for that
  long closes early (the close claim is the same, so it never closes twice).

**A missed meeting** (``on_missed``: the ``schedule.missed`` webhook) is told by the
process whose close ends the occurrence, so once: the meeting ended (at its scheduled
end, or early for being empty) and no facilitator or admin was seated in the room at any
moment from its lobby opening to then (``moderation.handover.facilitated_since``). A room
no process ever opened for it (every process down throughout, or each try failing) is
missed too: at the close, the occurrence's open claim is still free. A room an admin
closed before the end is not judged (nobody can tell any more who was in it).

The claim names the occurrence's start instant, so editing a series schedules afresh. An
action that fails (Redis out of reach) gives its claim back for the next tick; a process
that dies between winning a claim and acting loses that one action (the close at the end
still comes).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from moderation import handover
from moderation import script as meeting_script
from rooms import lifecycle
from rooms.clock import Clock
from rooms.errors import RoomNotFound
from rooms.ports import Claims, Definitions, RoomStates
from rooms.room import RoomInfo
from rooms.schedule import Occurrence
from server.errors import OutcomeUnknown, StoreUnavailable
from server.logs import about
from server.ops import metrics

log = logging.getLogger(__name__)

CATCH_UP = timedelta(days=1)
CLAIM_MARGIN = timedelta(hours=1)
MAX_BACKOFF_S = 30.0
HISTORY = 256


class Action(StrEnum):
    OPEN = "open"
    WARN = "warn"
    CLOSE = "close"


@dataclass(frozen=True, slots=True)
class Performed:
    """An action this process won the claim for and carried out."""

    action: Action
    room_id: str
    occurrence: str
    at: datetime


# Told (room id, whether the room is public, the occurrence's start and end in ms).
Missed = Callable[[str, bool, int, int], None]


class Meetings(RoomStates, Definitions, Claims, Protocol):
    """What running the schedules needs: the series, the rooms, and one claim per action."""


def _raise_if_cancelling() -> None:
    # redis-py can swallow a cancellation that lands mid-command; shutdown must still win.
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


def _ms(instant: datetime) -> int:
    return int(instant.timestamp() * 1000)


class Scheduler:
    def __init__(
        self,
        store: Meetings,
        clock: Clock,
        tick_ms: int,
        close_when_empty: timedelta | None = None,
        on_opened: Callable[[str], None] | None = None,
        on_missed: Missed | None = None,
    ) -> None:
        self.store = store
        self.on_opened = on_opened  # told the id of each room this opens (webhooks)
        self.on_missed = on_missed  # told each meeting no facilitator came to (webhooks)
        self.clock = clock
        self.tick_s = tick_ms / 1000
        self.close_when_empty = close_when_empty
        self.performed: deque[Performed] = deque(maxlen=HISTORY)
        # Claims already decided (won or lost), so a meeting under way costs no Redis call
        # per tick; each is forgotten once its claim would have expired.
        self._decided: dict[str, datetime] = {}

    async def run(self) -> None:
        backoff = self.tick_s
        while True:
            try:
                await self.tick()
                backoff = self.tick_s
                _raise_if_cancelling()
                await asyncio.sleep(self.tick_s)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("scheduler tick failed; retrying in %.1fs", backoff)
                _raise_if_cancelling()
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_S)

    async def tick(self) -> list[Performed]:
        """Carry out every action due now that no process has claimed yet."""
        now = self.clock.now()
        self._decided = {k: until for k, until in self._decided.items() if until > now}
        done: list[Performed] = []
        for series in await self.store.all_series():
            try:
                info = await self.store.room_info(series.room_id)
                if info is None:
                    log.warning("series %s: its room is gone", series.series_id)
                    continue
                for occurrence in series.occurrences(now - CATCH_UP, now):
                    done.extend(await self._advance(occurrence, info, now, series.script))
            except (StoreUnavailable, OutcomeUnknown):
                raise  # every series would fail alike: back off
            except Exception:
                log.exception("series %s could not be advanced", series.series_id)
        self.performed.extend(done)
        return done

    async def _advance(
        self, occ: Occurrence, info: RoomInfo, now: datetime, script: str = ""
    ) -> list[Performed]:
        async def open_room() -> bool:
            if await self.store.open_room(info) and self.on_opened is not None:
                self.on_opened(occ.room_id)
            ends_at, starts_at = _ms(occ.end), _ms(occ.start)
            await self.store.apply(
                occ.room_id, lambda state, _: lifecycle.schedule_end(state, ends_at, starts_at)
            )
            await self.store.apply(
                occ.room_id, lambda state, room: meeting_script.open_with(state, room, script)
            )
            log.info("opened a room for its %s meeting", occ.key, extra=about(info))
            return True

        async def warn() -> bool:
            closes_at = _ms(occ.end)
            try:
                await self.store.apply(
                    occ.room_id, lambda state, _: lifecycle.warn_closing(state, closes_at)
                )
            except RoomNotFound:
                return False  # closed early: nobody to warn
            return True

        async def close() -> bool:
            try:
                state = await self.store.snapshot(occ.room_id)
                await self.store.close_room(occ.room_id)
            except RoomNotFound:
                if await self._never_opened(occ, now):
                    self._missed(occ, info)
                return False  # an admin closed it already (or nobody opened it)
            if not handover.facilitated_since(state, _ms(occ.opens_at)):
                self._missed(occ, info)
            log.info("closed a room after its %s meeting", occ.key, extra=about(info))
            return True

        done: list[Performed | None] = []
        if occ.opens_at <= now < occ.end:
            done.append(await self._once(occ, Action.OPEN, now, open_room))
        if occ.warns_at <= now < occ.end:
            done.append(await self._once(occ, Action.WARN, now, warn))
        if occ.end <= now or await self._empty_too_long(occ, now):
            done.append(await self._once(occ, Action.CLOSE, now, close))
        return [p for p in done if p is not None]

    def _missed(self, occ: Occurrence, info: RoomInfo) -> None:
        log.info("a scheduled meeting ended with no facilitator ever seated", extra=about(info))
        if self.on_missed is not None:
            self.on_missed(occ.room_id, info.public, _ms(occ.start), _ms(occ.end))

    async def _never_opened(self, occ: Occurrence, now: datetime) -> bool:
        """Whether no process opened the room for ``occ``: its open claim is still free
        (taken now, so that no later look counts it twice; an open is due no more)."""
        key = self._key(occ, Action.OPEN)
        if key in self._decided:
            return False
        self._decided[key] = now + CATCH_UP + CLAIM_MARGIN
        return await self.store.claim(key, int((CATCH_UP + CLAIM_MARGIN).total_seconds() * 1000))

    @staticmethod
    def _key(occ: Occurrence, action: Action) -> str:
        return f"{occ.series_id}:{occ.key}:{_ms(occ.start)}:{action}"

    async def _empty_too_long(self, occ: Occurrence, now: datetime) -> bool:
        # Watched from the lobby on, counted from the start: an empty lobby is normal.
        if self.close_when_empty is None or not occ.opens_at <= now < occ.end:
            return False
        try:
            state = await self.store.snapshot(occ.room_id)
        except RoomNotFound:
            return False
        since = await self.store.empty_since(occ.room_id, _ms(now), not state.members)
        if since is None:
            return False
        empty_from = max(since, _ms(occ.start))
        return _ms(now) - empty_from >= self.close_when_empty.total_seconds() * 1000

    async def _once(
        self, occ: Occurrence, action: Action, now: datetime, act: Callable[[], Awaitable[bool]]
    ) -> Performed | None:
        """Claim the action for this occurrence and, if this process won, carry it out."""
        key = self._key(occ, action)
        if key in self._decided:
            return None
        ttl = max(occ.end - now, timedelta(0)) + CATCH_UP + CLAIM_MARGIN
        won = await self.store.claim(key, int(ttl.total_seconds() * 1000))
        self._decided[key] = now + ttl
        if not won:
            return None
        try:
            acted = await act()
        except Exception:
            # It did not happen (Redis out of reach, say): give the claim back for a retry.
            del self._decided[key]
            with contextlib.suppress(Exception):
                await self.store.release(key)
            raise
        if not acted:
            return None
        metrics.SCHEDULER_ACTIONS.labels(action).inc()
        return Performed(action, occ.room_id, occ.key, now)
