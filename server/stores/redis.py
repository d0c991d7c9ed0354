"""The shared store: room state and the roll of live processes in Redis.

Keys (under the configured prefix):

- ``room:{id}:info`` — the room's settings (msgpack ``RoomInfo``);
- ``room:{id}:live`` — hash ``v`` (write version) and ``s`` (msgpack ``RoomState``), present
  exactly while the room is open; chat lives only here, so closing the room deletes it;
- ``rooms`` — set of open room ids; ``roomdefs`` — set of defined room ids (a room may be
  defined and closed, or opened without a definition, like the demo room);
- ``series:{id}`` — a schedule (msgpack ``Series``); ``series`` — set of series ids;
- ``claim:{key}`` — a one-time claim on a scheduled action (``SET NX`` with an expiry);
- ``room:{id}:empty`` — since when (ms) an open room has been seen empty;
- ``generation`` — a random mark written (``SET NX``) by the first process to find none:
  Redis holds it until it loses everything, so another mark, or none, after a lapse means
  an empty restart (``server.jobs.recovery``);
- ``proc:{pid}`` — a process's heartbeat, with a TTL; ``procs`` — every process seen;
- ``proc:{pid}:rooms`` — rooms where that process seats people (a superset);
- ``room:{id}:audit`` — stream of facilitators' actions (field ``e``: msgpack
  ``AuditEntry``, stream id the entry's time), trimmed exactly to a length (``MAXLEN``)
  and an age (``MINID``), and expiring when the room has been quiet for the retention time;
- ``bans:{scope}:{id}`` — hash of subject to msgpack ``Ban``, for a room or a series;
- ``rate:{key}`` — one rate-limit counter for one window, expiring with it;
- ``op:{room}:{member}:{op}`` — a client operation's record (the attempt that applied it,
  then its answer), written by the commit itself and expiring after ``OP_MEMORY_MS``;
  ``op:{room}:~{attempt}`` the same for a change without a client's op id, kept briefly;
- ``fence:{attempt}`` — an attempt declared not done: its commit, should Redis still run
  it later, changes nothing;
- ``room:{id}:log`` — stream of the room's public events as framed for the manager (field
  ``f``), stream id ``{seq}-0``, appended by the commit that makes them, trimmed to
  ``LOG_LENGTH`` entries and deleted when the room closes: a client resumes from it and a
  process whose pub/sub missed a publish catches up from it.

The live hash also holds ``e``, the attempt id of the write that made it (the room's
epoch). A commit checks version *and* epoch, so a state cached before a rollback (a
restored RDB, a lost AOF tail) never passes for current once the room has been written
again to the same version number: it is read afresh instead of overwritten.

Every change is optimistic: read the state and its version, apply the pure rule in
Python, then one Lua script writes the new state *only if the version is unchanged* and
publishes the events on the Socket.IO channel in the same step; a facilitator's action
appends its audit entry and keeps or lifts its ban record in that same script, so the
three are never split. Publishing inside the script makes Redis's publish order equal to
sequence order, for every process. On a
conflict the rule runs again on the fresh state.

Reading and decoding a room's state cost more than anything else in a chat message once
the room holds a few hundred people (``bench/fanout.py``), so each process remembers, per
room, the version, state and info it last read or wrote. A change first runs its rule on
what it remembers and commits that; the script's check (same version *and* same info
bytes) proves it was still current, and only a failed check, a refusal or a no-op costs a
fresh read, after which the rule runs again as before. Reads for snapshots always go to
Redis, and reuse the decoded state while Redis holds the same bytes.

A commit is sent once and never re-sent (redis-py's retries are off for this client): a
timeout after the script was written leaves its outcome unknown, since Redis may run it
on resume. The store then learns the outcome from the attempt's record, in one more step
that also fences the attempt off if it has not run (``scripts.LEARN``), all within the time
budget: ``unavailable`` is said only when nothing changed, and when even that step gets
no answer the refusal is ``unconfirmed`` (a retry with the same op id tells).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import random
import time
import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.typing import EncodableT

from moderation.audit import AuditEntry, Moderated
from moderation.bans import Ban
from moderation.ports import Decision
from rooms import lifecycle
from rooms.change import Change, Decided
from rooms.errors import RoomNotFound
from rooms.events import RoomEvent
from rooms.ports import (
    EMPTY_MEMORY_MS,
    LOG_LENGTH,
    OP_MEMORY_MS,
    Done,
    LogEntry,
    Once,
    Ruling,
    change_of,
)
from rooms.roll import Heartbeat
from rooms.room import RoomInfo
from rooms.schedule import Series
from rooms.state import RoomState
from server import codec
from server.errors import OutcomeUnknown, ServerCode, ServerError, StoreUnavailable
from server.ops import metrics
from server.stores import redis_scripts as scripts
from server.stores.locks import RoomLocks

Frame = Callable[[str, RoomEvent], list[bytes]]  # one per destination; none: nobody
log = logging.getLogger(__name__)


MAX_ATTEMPTS = 64
# A change without a client's op id keeps its record only long enough to be learnt.
ATTEMPT_MEMORY_MS = 60_000
# Of the time budget (HEARTH_REDIS_TIMEOUT_MS): waiting for a commit's answer, then
# learning an unanswered commit's outcome; the rest is slack for the reads before.
COMMIT_SHARE, LEARN_SHARE = 0.5, 0.4
_LOST = (RedisConnectionError, RedisTimeoutError, OSError, TimeoutError)


P = ParamSpec("P")
R = TypeVar("R")
Outcome = TypeVar("Outcome", bound=Change | Decided[Any] | Moderated)


def _guarded(method: Callable[P, Coroutine[Any, Any, R]]) -> Callable[P, Coroutine[Any, Any, R]]:
    """Redis being unreachable becomes a coded refusal instead of a traceback."""

    @functools.wraps(method)
    async def guarded(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return await method(*args, **kwargs)
        except (RedisConnectionError, RedisTimeoutError, OSError) as exc:
            metrics.REDIS_ERRORS.labels("store").inc()
            raise StoreUnavailable(
                "the server cannot reach its store right now; try again shortly"
            ) from exc

    return guarded


@dataclass(frozen=True, slots=True)
class _Audit:
    """How a room's audit log is bounded."""

    keep_ms: int
    max_entries: int


@dataclass(frozen=True, slots=True)
class _Known:
    """A room as this process last read or wrote it, with the bytes Redis held."""

    version: bytes
    epoch: bytes  # the attempt id of the write that made this state ('' when opened)
    blob: bytes
    state: RoomState
    info_blob: bytes
    info: RoomInfo


def _parts(done: Change | Decided[Any] | Moderated) -> tuple[Change, Moderated | None]:
    """A rule's change, and the facilitator's action it belongs to if it is one."""
    if isinstance(done, Moderated):
        return done.change, done
    return change_of(done), None


def _value(done: Done[Outcome]) -> Outcome:
    """A change without a client's op id is never a repeat: it has its rule's value."""
    assert done.value is not None
    return done.value


ATTEMPT_ID_LENGTH = 32  # a record starts with the attempt that wrote it (uuid4 hex)


def _str(raw: bytes | str) -> str:
    return raw.decode() if isinstance(raw, bytes) else raw


def _bytes(raw: bytes | str) -> bytes:
    return raw.encode() if isinstance(raw, str) else raw


@dataclass(frozen=True, slots=True)
class _Attempt:
    """One commit sent for an operation: where its record goes, and its fence."""

    attempt_id: str
    record: str
    fence: str
    expires_ms: int


class RedisStore:
    def __init__(
        self,
        redis: Redis,
        *,
        prefix: str,
        channel: str,
        frame: Frame,
        timeout_ms: int | None = None,
        log_entry: LogEntry | None = None,
    ) -> None:
        # A resent commit is how a refused chat got delivered and an acked one twice:
        # this client never retries by itself (``_commit_once`` learns instead).
        redis.set_retry(Retry(NoBackoff(), 0))
        self._redis = redis
        self._commit_s = timeout_ms * COMMIT_SHARE / 1000 if timeout_ms else None
        self._learn_s = timeout_ms * LEARN_SHARE / 1000 if timeout_ms else None
        self._prefix = prefix
        self._channel = channel
        self._frame = frame
        self._log_entry = log_entry
        self._commit = redis.register_script(scripts.COMMIT)
        self._learn = redis.register_script(scripts.LEARN)
        self._open = redis.register_script(scripts.OPEN)
        self._forget = redis.register_script(scripts.FORGET)
        self._count = redis.register_script(scripts.COUNT)
        self._empty = redis.register_script(scripts.EMPTY)
        # Callers in this process queue up instead of racing each other's versions.
        self._locks = RoomLocks()
        self._known: dict[str, _Known] = {}
        # Each room's settings as last read or written, kept when Redis forgets the room:
        # what an empty restart lost, for ``server.jobs.recovery`` to open again.
        self._remembered: dict[str, RoomInfo] = {}

    def _key(self, *parts: str) -> str:
        return self._prefix + ":".join(parts)

    @_guarded
    async def open_room(self, info: RoomInfo) -> bool:
        keys = [
            self._key("room", info.room_id, "info"),
            self._key("room", info.room_id, "live"),
            self._key("rooms"),
        ]
        args: list[EncodableT] = [
            codec.pack(info),
            codec.pack(RoomState(info.room_id)),
            info.room_id,
        ]
        opened = bool(await self._open(keys=keys, args=args))
        self._remembered[info.room_id] = info
        return opened

    @_guarded
    async def room_info(self, room_id: str) -> RoomInfo | None:
        raw = await self._redis.get(self._key("room", room_id, "info"))
        return codec.unpack(RoomInfo, _bytes(raw)) if raw else None

    @_guarded
    async def open_rooms(self) -> list[RoomInfo]:
        ids = sorted(_str(m) for m in await self._redis.smembers(self._key("rooms")))
        if not ids:
            return []
        raws = await self._redis.mget([self._key("room", i, "info") for i in ids])
        return [codec.unpack(RoomInfo, _bytes(raw)) for raw in raws if raw]

    async def _read(
        self, room_id: str, record: str | None = None, *, committing: bool = False
    ) -> tuple[_Known, bytes | None]:
        """The room as Redis holds it, and the operation's record if ``record`` names one
        (in the same round trip: a repeat is found before its rule is judged again).

        ``committing``: read under the room's lock to commit a change. Only then is a state
        older than the one remembered a rollback: a snapshot read that raced a commit of
        this process's own can return the state just before it, so it never replaces what
        is remembered with something older."""
        pipe = self._redis.pipeline(transaction=True)
        pipe.hmget(self._key("room", room_id, "live"), ["v", "s", "e"])
        pipe.get(self._key("room", room_id, "info"))
        if record is not None:
            pipe.get(record)
        (version, blob, epoch), info, *first = await pipe.execute()
        if version is None or info is None:
            self._known.pop(room_id, None)
            raise RoomNotFound(f"room {room_id!r} is not open")
        blob, info = _bytes(blob), _bytes(info)
        known = self._known.get(room_id)
        same_state = known is not None and known.blob == blob
        same_info = known is not None and known.info_blob == info
        read = _Known(
            _bytes(version),
            _bytes(epoch or b""),
            blob,
            known.state if known is not None and same_state else codec.unpack(RoomState, blob),
            info,
            known.info if known is not None and same_info else codec.unpack(RoomInfo, info),
        )
        self._remembered[room_id] = read.info
        found = _bytes(first[0]) if first and first[0] is not None else None
        if known is not None and read.state.seq < known.state.seq:
            if not committing:
                return read, found  # raced a commit of ours: remember the newer one
            # Redis holds an older room than we last saw: it was rolled back. Its
            # state wins; each process's manager tells its clients to resync.
            log.warning("room %r was rolled back from seq %d to %d", room_id,
                        known.state.seq, read.state.seq)  # fmt: skip
        self._known[room_id] = read
        return read, found

    @_guarded
    async def snapshot(self, room_id: str) -> RoomState:
        return (await self._read(room_id))[0].state

    @_guarded
    async def apply(self, room_id: str, rule: Callable[[RoomState, RoomInfo], Ruling]) -> Ruling:
        return _value(await self._change(room_id, rule))

    @_guarded
    async def apply_once(
        self, room_id: str, rule: Callable[[RoomState, RoomInfo], Ruling], once: Once[Ruling]
    ) -> Done[Ruling]:
        return await self._change(room_id, rule, once=once)

    @_guarded
    async def moderate(
        self, room_id: str, decide: Decision, *, keep_ms: int, max_entries: int
    ) -> Moderated:
        return _value(await self._change(room_id, decide, audit=_Audit(keep_ms, max_entries)))

    @_guarded
    async def moderate_once(
        self,
        room_id: str,
        decide: Decision,
        once: Once[Moderated],
        *,
        keep_ms: int,
        max_entries: int,
    ) -> Done[Moderated]:
        return await self._change(room_id, decide, audit=_Audit(keep_ms, max_entries), once=once)

    @_guarded
    async def close_room(self, room_id: str) -> Change:
        done = await self._change(room_id, lambda state, _: lifecycle.close(state), closing=True)
        self._remembered.pop(room_id, None)
        return _value(done)

    def _entry(self, room_id: str, event: RoomEvent) -> tuple[int, bytes] | None:
        return self._log_entry(room_id, event) if self._log_entry is not None else None

    @_guarded
    async def events_after(self, room_id: str, seq: int) -> list[tuple[int, bytes]]:
        rows = await self._redis.xrange(self._key("room", room_id, "log"), min=f"{seq + 1}-0")
        return [(int(_str(i).split("-")[0]), _bytes(f[b"f"])) for i, f in rows or [] if i and f]

    def _record(self, room_id: str, once: Once[Any] | None) -> str | None:
        """Where a client's operation is recorded (none without an op id)."""
        if once is None or once.op is None:
            return None
        return self._key("op", room_id, once.member_id, once.op)

    def _attempt(self, room_id: str, record: str | None) -> _Attempt:
        attempt_id = uuid.uuid4().hex
        if record is None:
            own = self._key("op", room_id, "~" + attempt_id)
            return _Attempt(attempt_id, own, self._key("fence", attempt_id), ATTEMPT_MEMORY_MS)
        return _Attempt(attempt_id, record, self._key("fence", attempt_id), OP_MEMORY_MS)

    async def _commit_once(self, keys: list[str], args: list[EncodableT], attempt: _Attempt) -> Any:
        """Send the commit once; when its answer is lost, learn what it did.

        Returns the script's own answer, or ``[2, record]`` when the learnt record shows
        the operation applied (by this attempt or an earlier one). Raises
        ``StoreUnavailable`` only when nothing changed (the attempt is fenced off), and
        ``OutcomeUnknown`` when Redis told us nothing in time."""
        try:
            async with asyncio.timeout(self._commit_s):
                return await self._commit(keys=keys, args=args)
        except _LOST as lost:
            unanswered: BaseException = lost
        try:
            async with asyncio.timeout(self._learn_s):
                found, record = await self._learn(
                    keys=[attempt.record, attempt.fence], args=[OP_MEMORY_MS]
                )
        except _LOST as silent:
            raise OutcomeUnknown(
                "the server could not confirm whether this was done; send it again with "
                "the same op to find out"
            ) from silent
        if int(found) == 1:
            return [2, record]
        raise StoreUnavailable(
            "the server cannot reach its store right now; try again shortly"
        ) from unanswered

    @staticmethod
    def _moderation_args(done: Moderated | None, audit: _Audit | None) -> list[EncodableT]:
        """The audit and ban arguments of the commit script (see ``scripts.COMMIT``)."""
        args: list[EncodableT] = ["", 0, 0, 0]
        if done is None:
            return [*args, "", "", "", 0]
        at = max(0, done.entry.at)
        if audit is not None:
            minid = max(0, at - audit.keep_ms)
            args = [codec.pack(done.entry), audit.max_entries, minid, audit.keep_ms]
        if done.keeps is not None:
            return [*args, "keep", done.keeps.subject, codec.pack(done.keeps), at]
        if done.lifts is not None:
            return [*args, "lift", done.lifts.subject, codec.pack(done.lifts), at]
        return [*args, "", "", "", at]

    async def _change(
        self,
        room_id: str,
        decide: Callable[[RoomState, RoomInfo], Outcome],
        *,
        closing: bool = False,
        audit: _Audit | None = None,
        once: Once[Outcome] | None = None,
    ) -> Done[Outcome]:
        """Run ``decide`` and commit its change; an action's entry and ban go with it, and
        the operation's record too. A repeat of a recorded operation changes nothing."""
        record = self._record(room_id, once)
        async with self._locks[room_id]:
            known = self._known.get(room_id)
            fresh = known is None
            for attempt in range(MAX_ATTEMPTS):
                if known is None:
                    known, first = await self._read(room_id, record, committing=True)
                    fresh = True
                    if first is not None:
                        return Done(None, first[ATTEMPT_ID_LENGTH:])
                try:
                    done = decide(known.state, known.info)
                except Exception:
                    if fresh:
                        raise
                    known = None  # refused on what we remembered: ask Redis
                    continue
                change, action = _parts(done)
                answer = once.answer(done) if once is not None else b""
                # An audited action is written even when the state stays the same.
                if not change.changed and not closing and audit is None:
                    if fresh:
                        return Done(done, answer)
                    known = None
                    continue
                sent = self._attempt(room_id, record)
                ban = (action.keeps or action.lifts) if action else None
                keys = [
                    self._key("room", room_id, "live"),
                    self._key("rooms"),
                    self._key("room", room_id, "info"),
                    self._key("room", room_id, "audit"),
                    self._key("bans", ban.key if ban else "-"),
                    sent.record,
                    sent.fence,
                    self._key("room", room_id, "log"),
                ]
                blob = b"" if closing else codec.pack(change.state)
                frames = [f for event in change.events for f in self._frame(room_id, event)]
                entries = (self._entry(room_id, event) for event in change.events)
                logged = [] if closing else [entry for entry in entries if entry is not None]
                args: list[EncodableT] = [
                    known.version,
                    blob,
                    room_id,
                    self._channel,
                    known.info_blob,
                    *self._moderation_args(action, audit),
                    sent.expires_ms,
                    sent.attempt_id.encode() + answer,
                    known.epoch,
                    LOG_LENGTH,
                    len(logged),
                    *(part for seq, entry in logged for part in (seq, entry)),
                    *frames,
                ]
                started = time.perf_counter()
                try:
                    result = await self._commit_once(keys, args, sent)
                except OutcomeUnknown:
                    self._known.pop(room_id, None)
                    raise
                metrics.COMMIT_SECONDS.labels("redis").observe(time.perf_counter() - started)
                if isinstance(result, list):
                    # Applied: by this attempt (its answer was lost), or by an earlier one.
                    self._known.pop(room_id, None)
                    first = _bytes(result[1])
                    mine = first[:ATTEMPT_ID_LENGTH] == sent.attempt_id.encode()
                    return Done(done if mine else None, first[ATTEMPT_ID_LENGTH:])
                if result == 1:
                    if closing:
                        self._known.pop(room_id, None)
                    else:
                        version = str(int(known.version) + 1).encode()
                        self._known[room_id] = _Known(
                            version,
                            sent.attempt_id.encode(),
                            blob,
                            change.state,
                            known.info_blob,
                            known.info,
                        )
                    return Done(done, answer)
                if result == -1:
                    self._known.pop(room_id, None)
                    raise RoomNotFound(f"room {room_id!r} is not open")
                if result == -2:
                    raise RuntimeError(f"room {room_id!r}: its audit log or bans key is corrupt")
                if result == -3:
                    raise RuntimeError(f"room {room_id!r}: a fresh attempt was found fenced")
                metrics.COMMIT_CONFLICTS.labels("redis").inc()
                if fresh:
                    # Another process changed the room first: back off a little.
                    await asyncio.sleep(random.uniform(0, 0.001 * (attempt + 1)))
                known = None
        raise ServerError("the room is too busy right now, try again", ServerCode.BUSY)

    @_guarded
    async def generation(self, candidate: str) -> str:
        pipe = self._redis.pipeline(transaction=True)
        pipe.set(self._key("generation"), candidate, nx=True)
        pipe.get(self._key("generation"))
        _, mark = await pipe.execute()
        return _str(mark)

    def remembered_room(self, room_id: str) -> RoomInfo | None:
        return self._remembered.get(room_id)

    @_guarded
    async def beat(self, process_id: str, ttl_ms: int) -> bool:
        pipe = self._redis.pipeline(transaction=True)
        pipe.set(self._key("proc", process_id), b"1", px=ttl_ms, get=True)
        pipe.sadd(self._key("procs"), process_id)
        previous, _ = await pipe.execute()
        return previous is not None

    @_guarded
    async def hold(self, process_id: str, room_id: str) -> None:
        await self._redis.sadd(self._key("proc", process_id, "rooms"), room_id)

    @_guarded
    async def drop_hold(self, process_id: str, room_id: str) -> None:
        await self._redis.srem(self._key("proc", process_id, "rooms"), room_id)

    @_guarded
    async def heartbeats(self, now_ms: int) -> list[Heartbeat]:
        pids = sorted(_str(p) for p in await self._redis.smembers(self._key("procs")))
        if not pids:
            return []
        pipe = self._redis.pipeline(transaction=False)
        for pid in pids:
            pipe.pttl(self._key("proc", pid))
        # Redis's own expiry is the judge (no clock skew between processes); its PTTL
        # is -2 once the heartbeat is gone.
        left = await pipe.execute()
        return [
            Heartbeat(pid, now_ms + ms if ms > 0 else None)
            for pid, ms in zip(pids, left, strict=True)
        ]

    @_guarded
    async def rooms_held_by(self, process_id: str) -> set[str]:
        rooms = await self._redis.smembers(self._key("proc", process_id, "rooms"))
        return {_str(r) for r in rooms}

    @_guarded
    async def forget_process(self, process_id: str) -> None:
        pipe = self._redis.pipeline(transaction=True)
        pipe.delete(self._key("proc", process_id), self._key("proc", process_id, "rooms"))
        pipe.srem(self._key("procs"), process_id)
        await pipe.execute()

    @_guarded
    async def define_room(self, info: RoomInfo) -> None:
        pipe = self._redis.pipeline(transaction=True)
        pipe.set(self._key("room", info.room_id, "info"), codec.pack(info))
        pipe.sadd(self._key("roomdefs"), info.room_id)
        await pipe.execute()

    @_guarded
    async def rooms(self) -> list[RoomInfo]:
        pipe = self._redis.pipeline(transaction=True)
        pipe.smembers(self._key("roomdefs"))
        pipe.smembers(self._key("rooms"))
        defined, live = await pipe.execute()
        ids = sorted({_str(m) for m in defined} | {_str(m) for m in live})
        if not ids:
            return []
        raws = await self._redis.mget([self._key("room", i, "info") for i in ids])
        return [codec.unpack(RoomInfo, _bytes(raw)) for raw in raws if raw]

    @_guarded
    async def delete_room(self, room_id: str) -> bool:
        keys = [
            self._key("room", room_id, "info"),
            self._key("room", room_id, "live"),
            self._key("roomdefs"),
        ]
        return bool(await self._forget(keys=keys, args=[room_id]))

    @_guarded
    async def save_series(self, series: Series) -> None:
        pipe = self._redis.pipeline(transaction=True)
        pipe.set(self._key("series", series.series_id), codec.pack(series))
        pipe.sadd(self._key("series"), series.series_id)
        await pipe.execute()

    @_guarded
    async def series(self, series_id: str) -> Series | None:
        raw = await self._redis.get(self._key("series", series_id))
        return codec.unpack(Series, _bytes(raw)) if raw else None

    @_guarded
    async def all_series(self) -> list[Series]:
        ids = sorted(_str(m) for m in await self._redis.smembers(self._key("series")))
        if not ids:
            return []
        raws = await self._redis.mget([self._key("series", i) for i in ids])
        return [codec.unpack(Series, _bytes(raw)) for raw in raws if raw]

    @_guarded
    async def delete_series(self, series_id: str) -> bool:
        pipe = self._redis.pipeline(transaction=True)
        pipe.delete(self._key("series", series_id))
        pipe.srem(self._key("series"), series_id)
        deleted, _ = await pipe.execute()
        return bool(deleted)

    @_guarded
    async def claim(self, key: str, ttl_ms: int) -> bool:
        return bool(await self._redis.set(self._key("claim", key), b"1", nx=True, px=ttl_ms))

    @_guarded
    async def release(self, key: str) -> None:
        await self._redis.delete(self._key("claim", key))

    @_guarded
    async def empty_since(self, room_id: str, now_ms: int, empty: bool) -> int | None:
        key = self._key("room", room_id, "empty")
        if not empty:
            await self._redis.delete(key)
            return None
        return int(await self._empty(keys=[key], args=[now_ms, EMPTY_MEMORY_MS]))

    @_guarded
    async def count(self, key: str, expires_in_ms: int) -> int:
        return (await self.count_many([(key, expires_in_ms)]))[0]

    @_guarded
    async def count_many(self, counters: list[tuple[str, int]]) -> list[int]:
        keys = [self._key("rate", key) for key, _ in counters]
        counts = await self._count(keys=keys, args=[expires for _, expires in counters])
        return [int(n) for n in counts]

    @_guarded
    async def audit_log(self, room_id: str, *, since: int, limit: int) -> list[AuditEntry]:
        rows = await self._redis.xrevrange(
            self._key("room", room_id, "audit"), min=str(since), count=limit
        )
        entries = [
            codec.unpack(AuditEntry, _bytes(fields[b"e"])) for _id, fields in rows or [] if fields
        ]
        return [entry for entry in entries if entry.at >= since]

    @_guarded
    async def bans(self, keys: list[str]) -> list[Ban]:
        pipe = self._redis.pipeline(transaction=False)
        for key in keys:
            pipe.hvals(self._key("bans", key))
        found: list[list[bytes]] = await pipe.execute()
        return [codec.unpack(Ban, _bytes(raw)) for raws in found for raw in raws]

    async def close(self) -> None:
        await self._redis.aclose()
