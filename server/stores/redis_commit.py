"""Committing a rule's change to a room in Redis: the read, the rule, the one script that
writes it, and learning what an unanswered commit did.

Every change is optimistic: read the state and its version, apply the pure rule in
Python, then one Lua script (``scripts.COMMIT``) writes the new state *only if the
version is unchanged* and publishes the events in the same step: a public event on the
room's own channel, a private one on the channel of the process holding each of its
connections (``server.channels``);
a facilitator's action appends its audit entry and keeps or lifts its ban record in that
same script, so the three are never split. Publishing inside the script makes Redis's
publish order equal to sequence order, for every process. On a conflict the rule runs
again on the fresh state.

Reading and decoding a room's state cost more than anything else in a chat message once
the room holds a few hundred people (``bench/fanout.py``), so each process remembers, per
room, the version, state and info it last read or wrote. A change first runs its rule on
what it remembers and commits that; the script's check (same version *and* same info
bytes) proves it was still current, and only a failed check, a refusal or a no-op costs a
fresh read, after which the rule runs again as before. Each commit publishes its state
delta (``redis_parts``) on the room's channel, and ``learn`` applies it to the copy of
every process that follows the room, so their next change commits without a read.
Reads for snapshots always go to Redis, in one script (``scripts.READ``): a copy at the
version and epoch Redis holds is confirmed without the room being sent (each opening has
its own epoch); otherwise the fields come, and only those whose bytes changed are decoded.

The live hash also holds ``e``, the attempt id of the write that made it (the room's
epoch). A commit checks version *and* epoch, so a state cached before a rollback (a
restored RDB, a lost AOF tail) never passes for current once the room has been written
again to the same version number: it is read afresh instead of overwritten. A commit
that finds such an older copy writes the room under a new opening (``new_opening``), so
no client resumes from a seq of the history the rollback lost.

A commit is sent once and never re-sent (redis-py's retries are off for this client): a
timeout after the script was written leaves its outcome unknown, since Redis may run it
on resume. The store then learns the outcome from the attempt's record, in one more step
that also fences the attempt off if it has not run (``scripts.LEARN``): ``unavailable`` is
said only when nothing changed, and when even that step gets no answer the refusal is
``unconfirmed`` (a retry with the same op id tells).

Every Redis call of a change shares its one time budget (``server.stores.redis_budget``).
"""

from __future__ import annotations

import asyncio
import logging
import random
import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from redis.asyncio import Redis
from redis.typing import EncodableT

from moderation.audit import Moderated
from rooms.change import Change, Decided
from rooms.errors import RoomNotFound
from rooms.ports import LOG_LENGTH, OP_MEMORY_MS, Done, Frame, Framed, Once, change_of
from rooms.room import RoomInfo
from rooms.state import RoomState
from server import codec
from server.errors import OutcomeUnknown, ServerCode, ServerError, StoreUnavailable
from server.logs import about
from server.ops import metrics
from server.stores import redis_parts
from server.stores import redis_scripts as scripts
from server.stores.locks import RoomLocks
from server.stores.redis_access import LOST, UNREACHABLE, Keys, raw
from server.stores.redis_budget import Budget, Operation
from server.stores.redis_client import clustered
from server.stores.redis_parts import Parts, Written
from server.stores.redis_spread import localize

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 64
# A change without a client's op id keeps its record only long enough to be learnt.
ATTEMPT_MEMORY_MS = 60_000
ATTEMPT_ID_LENGTH = 32  # a record starts with the attempt that wrote it (uuid4 hex)

Outcome = TypeVar("Outcome", bound=Change | Decided[Any] | Moderated)
Channel = Callable[[str], str]  # a room's or a process's id -> its pub/sub channel
STATE_METHOD = "state"  # a commit's delta on the room's channel, beside its emits


@dataclass(frozen=True, slots=True)
class Audit:
    """How a room's audit log is bounded."""

    keep_ms: int
    max_entries: int


@dataclass(frozen=True, slots=True)
class _Known:
    """A room as this process last read, wrote or heard of it, with the parts Redis held."""

    version: bytes
    epoch: bytes  # the attempt id of the write that made this state ('' when opened)
    parts: Parts  # the state's fields as Redis holds them (``redis_parts``)
    state: RoomState  # what rules see: ``parts.state``, or that under a new opening
    info_blob: bytes
    info: RoomInfo


@dataclass(frozen=True, slots=True)
class _Attempt:
    """One commit sent for an operation: where its record goes, and its fence."""

    attempt_id: str
    record: str
    fence: str
    expires_ms: int


def new_opening() -> str:
    """The id of an opening of a room (``RoomState.opening``), made when it opens or its
    history is rolled back."""
    return secrets.token_hex(8)


def _behind(read: _Known, known: _Known) -> bool:
    """Whether Redis holds an older copy of the room than we last read or wrote: a lower
    seq, or a version no higher written by another attempt (the room was written again
    after a rollback). Another opening is the room opened again since: no rollback."""
    if read.state.opening != known.state.opening:
        return False
    rewritten = int(read.version) <= int(known.version) and read.epoch != known.epoch
    return read.state.seq < known.state.seq or rewritten


def _parts(done: Change | Decided[Any] | Moderated) -> tuple[Change, Moderated | None]:
    """A rule's change, and the facilitator's action it belongs to if it is one."""
    if isinstance(done, Moderated):
        return done.change, done
    return change_of(done), None


def _moderation_args(done: Moderated | None, audit: Audit | None) -> list[EncodableT]:
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


def _holders(*states: RoomState) -> dict[str, str]:
    """Each connection of the states (seated, away or waiting) -> the process holding it."""
    connections = [m.connection for state in states for m in state.members]
    connections += [w.connection for state in states for w in state.waiting]
    return {c.sid: c.process_id for c in connections}


def _publications(
    framed: list[Framed], control: str, states: tuple[RoomState, ...], process_channel: Channel
) -> list[EncodableT]:
    """Each frame with its channel, in order, for the commit script: ``''`` for the
    room's own (a public event), the channel of the process holding the connection a
    private event's frame is for (found in the seats of ``states``), else ``control``
    (an announcement; a connection no seat names)."""
    published: list[EncodableT] = []
    holders: dict[str, str] | None = None  # looked up only for a private event
    for one in framed:
        if one.logged is not None:
            published += [part for frame in one.frames for part in ("", frame)]
        else:
            holders = _holders(*states) if holders is None else holders
            to = one.to if len(one.to) == len(one.frames) else ("",) * len(one.frames)
            for sid, frame in zip(to, one.frames, strict=True):
                holder = holders.get(sid)
                published += [control if holder is None else process_channel(holder), frame]
        if one.announced is not None:
            published += [control, one.announced]
    return published


def _delta(room_id: str, known: _Known, attempt_id: str, write: Written) -> bytes:
    """What a commit tells every process following the room, first on its channel: the
    fields it set and deleted over the version it saw (``learn``)."""
    return codec.pack_plain(
        {
            "method": STATE_METHOD,
            "room": room_id,
            "base": [known.version, known.epoch],
            "e": attempt_id.encode(),
            "set": [list(pair) for pair in write.sets],
            "del": write.deletes,
        }
    )


class RoomCommits:
    """The rooms as this process last saw them, and the one way it changes them."""

    def __init__(
        self,
        redis: Redis,
        keys: Keys,
        *,
        channel: str,
        room_channel: Channel,
        process_channel: Channel,
        frame: Frame,
        timeout_ms: int | None,
    ) -> None:
        self._redis = redis
        self._key = keys
        self._channel = channel  # the control channel
        self._room_channel = room_channel
        self._process_channel = process_channel
        self._frame = frame
        self._budget = Budget(timeout_ms)
        self._commit = redis.register_script(scripts.COMMIT)
        self._clustered = clustered(redis)
        self._learn = redis.register_script(scripts.LEARN)
        self._read = redis.register_script(scripts.READ)
        # Callers in this process queue up instead of racing each other's versions.
        self._locks = RoomLocks()
        self._known: dict[str, _Known] = {}
        # Each room's settings as last read or written, kept when Redis forgets the room:
        # what an empty restart lost, for ``server.jobs.recovery`` to open again.
        self.remembered: dict[str, RoomInfo] = {}

    def operation(self, *, committing: bool = False) -> Operation:
        """A store operation starting now (a change, or a read alone), for its budget."""
        return self._budget.start(committing=committing)

    async def read(
        self,
        room_id: str,
        op: Operation,
        record: str | None = None,
        *,
        committing: bool = False,
    ) -> tuple[_Known, bytes | None]:
        """The room as Redis holds it, and the operation's record if ``record`` names one
        (in the same round trip: a repeat is found before its rule is judged again), by
        the operation's budget.

        ``committing``: read under the room's lock to commit a change. Only then is a state
        older than the one remembered a rollback: a snapshot read that raced a commit of
        this process's own can return the state just before it, so it never replaces what
        is remembered with something older."""
        known = self._known.get(room_id)
        # A copy as Redis holds it (not renewed here after a rollback) may be current.
        current = known is not None and known.state is known.parts.state
        keys = [self._key("room", room_id, "live"), self._key("room", room_id, "info")]
        if record is not None:
            keys.append(record)
        args = [known.version, known.epoch, known.info_blob] if known and current else ["", "", ""]
        async with self._budget.answered(), self._budget.calls(op):
            reply = await self._read(keys=keys, args=args)
        found = raw(reply[2]) if int(reply[1]) else None
        if int(reply[0]) == 1 and known is not None:
            self.remembered[room_id] = known.info
            return known, found  # the same version and epoch: nothing changed
        info, pairs = reply[3], reply[4]
        fields = {raw(pairs[i]): raw(pairs[i + 1]) for i in range(0, len(pairs), 2)}
        version = fields.get(b"v")
        if version is None or info is None:
            self._known.pop(room_id, None)
            raise RoomNotFound(f"room {room_id!r} is not open")
        info = raw(info)
        parts = redis_parts.read(fields, known.parts if known is not None else None)
        same_info = known is not None and known.info_blob == info
        read = _Known(
            version,
            fields.get(b"e", b""),
            parts,
            parts.state,
            info,
            known.info if known is not None and same_info else codec.unpack(RoomInfo, info),
        )
        self.remembered[room_id] = read.info
        if known is not None and _behind(read, known):
            if not committing:
                return read, found  # raced a commit of ours: remember the newer one
            # Redis holds an older room than we last saw: it was rolled back. Its
            # state wins, under a new opening: a client's ``since`` from before names
            # a history the room no longer has, so its resume gets a snapshot. Each
            # process's manager tells its clients to resync.
            log.warning("a room was rolled back from seq %d to %d", known.state.seq,
                        read.state.seq, extra=about(read.info))  # fmt: skip
            # The parts stay Redis's: the next commit writes the head with the opening.
            read = replace(read, state=replace(read.state, opening=new_opening()))
        self._known[room_id] = read
        return read, found

    def _record(self, room_id: str, once: Once[Any] | None) -> str | None:
        """Where a client's operation is recorded (none without an op id)."""
        if once is None or once.op is None:
            return None
        return self._key("op", room_id, once.member_id, once.op)

    def _attempt(self, room_id: str, record: str | None) -> _Attempt:
        attempt_id = uuid.uuid4().hex
        fence = self._key("room", room_id, "fence", attempt_id)
        if record is None:
            own = self._key("op", room_id, "~" + attempt_id)
            return _Attempt(attempt_id, own, fence, ATTEMPT_MEMORY_MS)
        return _Attempt(attempt_id, record, fence, OP_MEMORY_MS)

    async def _commit_once(
        self, keys: list[str], args: list[EncodableT], attempt: _Attempt, op: Operation
    ) -> Any:
        """Send the commit once; when its answer is lost, learn what it did.

        Returns the script's own answer, or ``[2, record]`` when the learnt record shows
        the operation applied (by this attempt or an earlier one). Raises
        ``StoreUnavailable`` only when nothing changed (the attempt is fenced off), and
        ``OutcomeUnknown`` when Redis told us nothing in time."""
        waiting = self._budget.calls(op)  # raises, sending nothing, once the time is up
        try:
            async with self._budget.answered(), waiting:
                return await self._commit(keys=keys, args=args)
        except LOST as lost:
            unanswered: BaseException = lost
        try:
            async with self._budget.answered(), self._budget.learning(op):
                found, record = await self._learn(
                    keys=[attempt.record, attempt.fence], args=[OP_MEMORY_MS]
                )
        except LOST as silent:
            raise OutcomeUnknown(
                "the server could not confirm whether this was done; send it again with "
                "the same op to find out"
            ) from silent
        if int(found) == 1:
            return [2, record]
        raise StoreUnavailable(UNREACHABLE) from unanswered

    async def change(
        self,
        room_id: str,
        decide: Callable[[RoomState, RoomInfo], Outcome],
        *,
        closing: bool = False,
        audit: Audit | None = None,
        once: Once[Outcome] | None = None,
    ) -> Done[Outcome]:
        """Run ``decide`` and commit its change; an action's entry and ban go with it, and
        the operation's record too. A repeat of a recorded operation changes nothing."""
        op = self.operation(committing=True)  # the wait for the lock may count too
        record = self._record(room_id, once)
        async with self._locks[room_id]:
            known = self._known.get(room_id)
            fresh = known is None
            for attempt in range(MAX_ATTEMPTS):
                if known is None:
                    known, first = await self.read(room_id, op, record, committing=True)
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
                    self._key("bans", ban.key if ban else f"room:{room_id}"),
                    sent.record,
                    sent.fence,
                    self._key("room", room_id, "log"),
                ]
                write = None if closing else redis_parts.written(known.parts, change.state)
                framed = [self._frame(room_id, event) for event in change.events]
                states = (known.state, change.state)  # a removed one: in the first
                frames = _publications(framed, self._channel, states, self._process_channel)
                if write is not None:
                    frames = ["", _delta(room_id, known, sent.attempt_id, write), *frames]
                logged = [] if closing else [one.logged for one in framed if one.logged]
                sets = write.sets if write is not None else []
                deletes = write.deletes if write is not None else []
                args: list[EncodableT] = [
                    known.version,
                    "" if closing else "1",
                    room_id,
                    self._room_channel(room_id),
                    known.info_blob,
                    *_moderation_args(action, audit),
                    sent.expires_ms,
                    sent.attempt_id.encode() + answer,
                    known.epoch,
                    LOG_LENGTH,
                    len(logged),
                    len(sets),
                    len(deletes),
                    *(part for seq, entry in logged for part in (seq, entry)),
                    *(part for pair in sets for part in pair),
                    *deletes,
                    *frames,
                ]
                elsewhere = None
                if self._clustered:
                    elsewhere = localize(self._key, room_id, closing, keys, args)
                started = time.perf_counter()
                try:
                    result = await self._commit_once(keys, args, sent, op)
                except OutcomeUnknown:
                    self._known.pop(room_id, None)
                    raise
                metrics.COMMIT_SECONDS.labels("redis").observe(time.perf_counter() - started)
                if isinstance(result, list):
                    # Applied: by this attempt (its answer was lost), or by an earlier one.
                    self._known.pop(room_id, None)
                    first = raw(result[1])
                    mine = first[:ATTEMPT_ID_LENGTH] == sent.attempt_id.encode()
                    if mine and elsewhere is not None:
                        await elsewhere.finish(self._redis)
                    return Done(done if mine else None, first[ATTEMPT_ID_LENGTH:])
                if result == 1:
                    if elsewhere is not None:
                        await elsewhere.finish(self._redis)
                    if write is None:
                        self._known.pop(room_id, None)
                    else:
                        self._wrote(room_id, known, sent.attempt_id, write)
                    return Done(done, answer)
                if result == -1:
                    self._known.pop(room_id, None)
                    raise RoomNotFound(f"room {room_id!r} is not open")
                if result == -2:
                    raise RuntimeError(f"room {room_id!r}: its audit log or bans key is corrupt")
                if result == -3:
                    raise RuntimeError(f"room {room_id!r}: a fresh attempt was found fenced")
                metrics.COMMIT_CONFLICTS.labels("redis").inc()
                heard = self._known.get(room_id)
                if heard is not None and int(heard.version) > int(known.version):
                    # The commit that beat ours was heard of meanwhile (``learn``): run
                    # again on it, read nothing (a refusal on it is checked by a read).
                    known, fresh = heard, False
                    continue
                if fresh:
                    # Another process changed the room first: back off a little.
                    await asyncio.sleep(random.uniform(0, 0.001 * (attempt + 1)))
                known = None
        raise ServerError("the room is too busy right now, try again", ServerCode.BUSY)

    def _wrote(self, room_id: str, known: _Known, attempt_id: str, write: Written) -> None:
        """Remember what our commit over ``known`` left, unless a later commit (another
        process's, heard of while ours was answered) is remembered already."""
        version = int(known.version) + 1
        heard = self._known.get(room_id)
        if heard is not None and heard is not known and int(heard.version) > version:
            return
        self._known[room_id] = _Known(
            str(version).encode(),
            attempt_id.encode(),
            write.parts,
            write.parts.state,
            known.info_blob,
            known.info,
        )

    def learn(self, room_id: str, delta: dict[str, Any]) -> None:
        """Another commit's delta, as published on the room's channel: the copy of the room
        remembered here is brought up to it if it is the very version the delta was made
        over (same version, same epoch), so the next change commits without a read. Any
        other delta is ignored: a copy it would have changed fails its commit's check."""
        known = self._known.get(room_id)
        if known is None or known.parts.legacy or known.state is not known.parts.state:
            return
        try:
            version, epoch = (raw(part) for part in delta["base"])
            if version != known.version or epoch != known.epoch:
                return
            sets = [(raw(name), raw(value)) for name, value in delta["set"]]
            deletes = [raw(name) for name in delta["del"]]
            parts = redis_parts.patched(known.parts, sets, deletes)
            made = raw(delta["e"])
        except (KeyError, TypeError, ValueError):
            log.warning("a room's state delta could not be read", exc_info=True)
            self._known.pop(room_id, None)
            return
        version = str(int(version) + 1).encode()
        self._known[room_id] = _Known(
            version, made, parts, parts.state, known.info_blob, known.info
        )
