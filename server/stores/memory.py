"""The embedded store: every room in this process's memory, for a single process.

It gives the same guarantees as the Redis store within one process: one asyncio lock per
room makes each rule atomic, and events are delivered in sequence order while it is held.
A change becomes visible whole before any of its events is delivered, as Redis's commit
script makes it: the state and each open room's log of public events (bounded as in
Redis) change in one step, then the events go out.
"""

from __future__ import annotations

import secrets
import time
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable
from typing import TypeVar

from moderation.audit import AuditEntry, Moderated
from moderation.bans import Ban
from moderation.ports import Decision
from rooms import lifecycle
from rooms.allowances import Allowance, fits, wait_ms
from rooms.change import Change
from rooms.errors import RoomNotFound
from rooms.events import RoomEvent
from rooms.ports import (
    EMPTY_MEMORY_MS,
    LOG_LENGTH,
    OP_MEMORY_MS,
    Done,
    Frame,
    Once,
    Ruling,
    change_of,
)
from rooms.resources import Resource
from rooms.roll import Heartbeat
from rooms.room import RoomInfo
from rooms.schedule import Series
from rooms.state import RoomState
from server.ops import metrics
from server.stores.locks import RoomLocks

Deliver = Callable[[str, RoomEvent], Awaitable[None]]
MAX_CLAIMS = 4096  # expired claims are swept once there are more than this
MAX_OPS = 4096  # expired operation records are swept once there are more than this
T = TypeVar("T")
_COMMIT = metrics.COMMIT_SECONDS.labels("memory")


class MemoryStore:
    def __init__(self, deliver: Deliver, frame: Frame | None = None) -> None:
        """``deliver`` sends an event to this process's connections; ``frame`` gives a
        public event's log entry (none: nothing is logged)."""
        self._deliver_now = deliver
        self._frame = frame
        self._logs: dict[str, deque[tuple[int, bytes]]] = {}  # open rooms only
        self._infos: dict[str, RoomInfo] = {}
        self._states: dict[str, RoomState] = {}  # open rooms only
        self._locks = RoomLocks()
        self._beats: dict[str, float] = {}
        self._holds: defaultdict[str, set[str]] = defaultdict(set)
        self._defined: set[str] = set()
        self._series: dict[str, Series] = {}
        self._deployment_resources: tuple[Resource, ...] | None = None
        self._claims: dict[str, float] = {}  # key -> monotonic expiry
        self._empty: dict[str, int] = {}
        self._counters: dict[str, tuple[int, int]] = {}  # window key -> (expires ms, count)
        self._audit: dict[str, deque[AuditEntry]] = {}
        self._bans: defaultdict[str, dict[str, Ban]] = defaultdict(dict)  # key -> subject -> ban
        # (room, member, op id) -> (monotonic expiry, first answer)
        self._ops: dict[tuple[str, str, str], tuple[float, bytes]] = {}
        self._generation: str | None = None  # this store never loses what it holds

    async def open_room(self, info: RoomInfo) -> bool:
        async with self._locks[info.room_id]:
            self._infos[info.room_id] = info
            if info.room_id in self._states:
                return False
            self._states[info.room_id] = RoomState(info.room_id, opening=secrets.token_hex(8))
            return True

    async def room_info(self, room_id: str) -> RoomInfo | None:
        return self._infos.get(room_id)

    async def open_rooms(self) -> list[RoomInfo]:
        return [self._infos[room_id] for room_id in sorted(self._states)]

    def _save(self, room_id: str, change: Change) -> None:
        """Make the change visible whole, in one step with no await, as Redis's commit
        script does: the state, and every public event of it in the room's log."""
        self._states[room_id] = change.state
        if self._frame is None:
            return
        framed = (self._frame(room_id, event) for event in change.events)
        logged = [one.logged for one in framed if one.logged is not None]
        if logged:
            self._logs.setdefault(room_id, deque(maxlen=LOG_LENGTH)).extend(logged)

    async def _deliver(self, room_id: str, change: Change) -> None:
        """Deliver a change's events in order, once it is visible whole: whoever hears one
        finds the state and the log holding all of them, as with Redis."""
        for event in change.events:
            await self._deliver_now(room_id, event)

    async def events_after(self, room_id: str, seq: int) -> list[tuple[int, bytes]]:
        return [entry for entry in self._logs.get(room_id, ()) if entry[0] > seq]

    async def snapshot(self, room_id: str) -> RoomState:
        return self._state(room_id)

    def _state(self, room_id: str) -> RoomState:
        state = self._states.get(room_id)
        if state is None:
            raise RoomNotFound(f"room {room_id!r} is not open")
        return state

    async def apply(self, room_id: str, rule: Callable[[RoomState, RoomInfo], Ruling]) -> Ruling:
        async with self._locks[room_id]:
            with _COMMIT.time():
                ruling = rule(self._state(room_id), self._infos[room_id])
                change = change_of(ruling)
                self._save(room_id, change)
                await self._deliver(room_id, change)
                return ruling

    async def apply_once(
        self, room_id: str, rule: Callable[[RoomState, RoomInfo], Ruling], once: Once[Ruling]
    ) -> Done[Ruling]:
        async with self._locks[room_id]:
            first = self._repeated(room_id, once)
            if first is not None:
                return Done(None, first)
            with _COMMIT.time():
                ruling = rule(self._state(room_id), self._infos[room_id])
                answer = self._remember(room_id, once, ruling)
                change = change_of(ruling)
                self._save(room_id, change)
                await self._deliver(room_id, change)
                return Done(ruling, answer)

    def _repeated(self, room_id: str, once: Once[T]) -> bytes | None:
        if once.op is None:
            return None
        now = time.monotonic()
        if len(self._ops) > MAX_OPS:
            self._ops = {k: v for k, v in self._ops.items() if v[0] > now}
        kept = self._ops.get((room_id, once.member_id, once.op))
        return kept[1] if kept is not None and kept[0] > now else None

    def _remember(self, room_id: str, once: Once[T], value: T) -> bytes:
        answer = once.answer(value)
        if once.op is not None:
            expires = time.monotonic() + OP_MEMORY_MS / 1000
            self._ops[(room_id, once.member_id, once.op)] = (expires, answer)
        return answer

    async def close_room(self, room_id: str) -> Change:
        async with self._locks[room_id]:
            change = lifecycle.close(self._state(room_id))
            del self._states[room_id]
            self._logs.pop(room_id, None)  # the close is not logged: the log goes with it
            await self._deliver(room_id, change)
            return change

    async def generation(self, candidate: str) -> str:
        if self._generation is None:
            self._generation = candidate
        return self._generation

    def remembered_room(self, room_id: str) -> RoomInfo | None:
        return self._infos.get(room_id)

    async def beat(self, process_id: str, ttl_ms: int) -> bool:
        now = time.monotonic()
        alive = self._beats.get(process_id, 0.0) >= now
        self._beats[process_id] = now + ttl_ms / 1000
        return alive

    async def hold(self, process_id: str, room_id: str) -> None:
        self._holds[process_id].add(room_id)

    async def drop_hold(self, process_id: str, room_id: str) -> None:
        rooms = self._holds.get(process_id)
        if rooms is not None:
            rooms.discard(room_id)
            if not rooms:
                del self._holds[process_id]

    async def heartbeats(self, now_ms: int) -> list[Heartbeat]:
        # Deadlines are monotonic, so a wall-clock step cannot reap anyone.
        left = {pid: deadline - time.monotonic() for pid, deadline in self._beats.items()}
        return [
            Heartbeat(pid, now_ms + int(s * 1000) if s > 0 else None) for pid, s in left.items()
        ]

    async def rooms_held_by(self, process_id: str) -> set[str]:
        return set(self._holds.get(process_id, ()))

    async def forget_process(self, process_id: str) -> None:
        self._beats.pop(process_id, None)
        self._holds.pop(process_id, None)

    async def define_room(self, info: RoomInfo) -> None:
        async with self._locks[info.room_id]:
            self._infos[info.room_id] = info
            self._defined.add(info.room_id)

    async def rooms(self) -> list[RoomInfo]:
        ids = self._defined | set(self._states)
        return [self._infos[room_id] for room_id in sorted(ids)]

    async def delete_room(self, room_id: str) -> bool:
        async with self._locks[room_id]:
            if room_id not in self._defined:
                return False
            self._defined.discard(room_id)
            if room_id not in self._states:
                del self._infos[room_id]
            return True

    async def save_series(self, series: Series) -> None:
        self._series[series.series_id] = series

    async def series(self, series_id: str) -> Series | None:
        return self._series.get(series_id)

    async def all_series(self) -> list[Series]:
        return [self._series[k] for k in sorted(self._series)]

    async def delete_series(self, series_id: str) -> bool:
        return self._series.pop(series_id, None) is not None

    async def save_deployment_resources(self, resources: tuple[Resource, ...] | None) -> None:
        self._deployment_resources = resources

    async def deployment_resources(self) -> tuple[Resource, ...] | None:
        return self._deployment_resources

    async def claim(self, key: str, ttl_ms: int) -> bool:
        now = time.monotonic()
        if len(self._claims) > MAX_CLAIMS:
            self._claims = {k: expiry for k, expiry in self._claims.items() if expiry > now}
        if self._claims.get(key, 0.0) > now:
            return False
        self._claims[key] = now + ttl_ms / 1000
        return True

    async def release(self, key: str) -> None:
        self._claims.pop(key, None)

    async def empty_since(self, room_id: str, now_ms: int, empty: bool) -> int | None:
        if not empty:
            self._empty.pop(room_id, None)
            return None
        since = self._empty.get(room_id)
        if since is None or now_ms - since >= EMPTY_MEMORY_MS:
            since = self._empty[room_id] = now_ms
        return since

    async def take(self, allowances: list[Allowance], now_ms: int) -> list[int]:
        # No await between reading and counting: one atomic step, as Redis's script.
        if len(self._counters) > 10_000:
            self._counters = {k: v for k, v in self._counters.items() if v[0] > now_ms}
        counts = [
            (
                self._counted(a.window_key(now_ms, 1), now_ms),
                self._counted(a.window_key(now_ms), now_ms),
            )
            for a in allowances
        ]
        pairs = list(zip(counts, allowances, strict=True))
        if not all(fits(last, this, a, now_ms) for (last, this), a in pairs):
            return [wait_ms(last, this, a, now_ms) for (last, this), a in pairs]
        for (_, this), a in pairs:
            # Kept until the next window has ended: a sliding allowance still weighs it.
            expires = now_ms + 2 * a.window_ms - a.into(now_ms)
            self._counters[a.window_key(now_ms)] = (expires, this + 1)
        return [0] * len(allowances)

    def _counted(self, key: str, now_ms: int) -> int:
        expires, count = self._counters.get(key, (0, 0))
        return count if expires > now_ms else 0

    async def moderate(
        self, room_id: str, decide: Decision, *, keep_ms: int, max_entries: int
    ) -> Moderated:
        async with self._locks[room_id]:
            done, _ = await self._moderate(room_id, decide, keep_ms, max_entries, None)
            return done

    async def moderate_once(
        self,
        room_id: str,
        decide: Decision,
        once: Once[Moderated],
        *,
        keep_ms: int,
        max_entries: int,
    ) -> Done[Moderated]:
        async with self._locks[room_id]:
            first = self._repeated(room_id, once)
            if first is not None:
                return Done(None, first)
            done, answer = await self._moderate(room_id, decide, keep_ms, max_entries, once)
            assert answer is not None
            return Done(done, answer)

    async def _moderate(
        self,
        room_id: str,
        decide: Decision,
        keep_ms: int,
        max_entries: int,
        once: Once[Moderated] | None,
    ) -> tuple[Moderated, bytes | None]:
        """Under the room's lock: the action, its entry, its ban and its answer together."""
        with _COMMIT.time():
            done = decide(self._state(room_id), self._infos[room_id])
            answer = self._remember(room_id, once, done) if once is not None else None
            # Nothing below can fail or wait: state, logs and bans change as one step.
            self._save(room_id, done.change)
            log = self._audit.setdefault(room_id, deque())
            log.append(done.entry)
            # Bounded by this call's settings, which may differ from the first call's.
            while log and (len(log) > max_entries or log[0].at < done.entry.at - keep_ms):
                log.popleft()
            if done.keeps is not None:
                self._bans[done.keeps.key][done.keeps.subject] = done.keeps
            lifted = done.lifts
            if lifted is not None and self._bans[lifted.key].get(lifted.subject) == lifted:
                del self._bans[lifted.key][lifted.subject]
            await self._deliver(room_id, done.change)
            return done, answer

    async def audit_log(self, room_id: str, *, since: int, limit: int) -> list[AuditEntry]:
        entries = [e for e in self._audit.get(room_id, ()) if e.at >= since]
        return entries[::-1][:limit]

    async def bans(self, keys: list[str]) -> list[Ban]:
        return [ban for key in keys for ban in self._bans.get(key, {}).values()]

    async def close(self) -> None:
        self._states.clear()
