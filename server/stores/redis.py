"""The shared store: room state, the roll of live processes, definitions, claims,
counters, audit and bans in Redis, for many processes.

``RedisStore`` is the whole ``moderation.ports.RoomStore``, composed of one part per
concept, each in its own module with the keys it uses: room states and their commits
(``redis_commit``), the process roll (``redis_roll``), room and series definitions
(``redis_definitions``), claims and counters (``redis_claims``), audit and bans
(``redis_audit``); the Lua scripts are in ``redis_scripts``.

Keys of a room's live state (under the configured prefix; every key of a room carries
the room's id as its hash tag, ``room:{<id>}:…``, see ``server.stores.redis_keys``):

- ``room:{<id>}:info`` — the room's settings (msgpack ``RoomInfo``);
- ``room:{<id>}:live`` — hash ``v`` (write version), ``e`` (epoch) and the ``RoomState`` in
  parts (``redis_parts``: ``q`` its seq, ``h`` its head with the id of this opening of
  the room, made by ``open_room``, and one field per seat, chat message, presence and
  standing), present exactly while the room is open; chat lives only here, so closing
  the room deletes it;
  ``{defs}:rooms`` — set of open room ids;
- ``room:{<id>}:log`` — stream of the room's public events as framed for the manager (field
  ``f``), stream id ``{seq}-0``, appended by the commit that makes them, trimmed to
  ``LOG_LENGTH`` entries and deleted when the room closes: a client resumes from it and a
  process whose pub/sub missed a publish catches up from it (its events are published on
  the room's own channel, ``server.channels``);
- ``room:{<id>}:op:{member}:{op}`` — a client operation's record (the attempt that applied it,
  then its answer), written by the commit itself and expiring after ``OP_MEMORY_MS``;
  ``room:{<id>}:op:~{attempt}`` the same for a change without a client's op id, kept briefly;
- ``room:{<id>}:fence:{attempt}`` — an attempt declared not done: its commit, should Redis still run
  it later, changes nothing;
- ``generation`` — a random mark written (``SET NX``) by the first process to find none:
  Redis holds it until it loses everything, so another mark, or none, after a lapse means
  an empty restart (``server.jobs.recovery``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from functools import partial
from typing import Any, TypeVar

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.typing import EncodableT

from moderation.audit import AuditEntry, Moderated
from moderation.bans import Ban
from moderation.ports import Decision
from rooms import lifecycle
from rooms.allowances import Allowance
from rooms.change import Change
from rooms.ports import Done, Frame, Once, Ruling
from rooms.resources import Resource
from rooms.roll import Heartbeat
from rooms.room import RoomInfo
from rooms.schedule import Series
from rooms.state import RoomState
from server import codec
from server.channels import process_channel, room_channel
from server.stores import redis_parts
from server.stores import redis_scripts as scripts
from server.stores.redis_access import Keys, guarded, raw, text
from server.stores.redis_audit import RedisAudit
from server.stores.redis_claims import RedisClaims
from server.stores.redis_commit import MAX_ATTEMPTS, Audit, RoomCommits, new_opening
from server.stores.redis_definitions import RedisDefinitions
from server.stores.redis_roll import RedisRoll

__all__ = ["MAX_ATTEMPTS", "RedisStore"]

T = TypeVar("T")


def _value(done: Done[T]) -> T:
    """A change without a client's op id is never a repeat: it has its rule's value."""
    assert done.value is not None
    return done.value


class RedisStore:
    def __init__(
        self,
        redis: Redis,
        *,
        prefix: str,
        channel: str,
        frame: Frame,
        timeout_ms: int | None = None,
    ) -> None:
        # A resent commit is how a refused chat got delivered and an acked one twice:
        # this client never retries by itself (``RoomCommits`` learns instead).
        redis.set_retry(Retry(NoBackoff(), 0))
        self._redis = redis
        self._key = keys = Keys(prefix)
        self._open = redis.register_script(scripts.OPEN)
        self._rooms = RoomCommits(
            redis,
            keys,
            channel=channel,
            room_channel=partial(room_channel, prefix),
            process_channel=partial(process_channel, prefix),
            frame=frame,
            timeout_ms=timeout_ms,
        )
        self._roll = RedisRoll(redis, keys)
        self._definitions = RedisDefinitions(redis, keys)
        self._claims = RedisClaims(redis, keys)
        self._audit = RedisAudit(redis, keys)

    # Room states (``rooms.ports.RoomStates``, ``RoomLog``, ``Generations``) and
    # facilitators' actions (``moderation.ports.Moderation``).

    @guarded
    async def open_room(self, info: RoomInfo) -> bool:
        keys = [self._key("room", info.room_id, "info"), self._key("room", info.room_id, "live")]
        empty = RoomState(info.room_id, opening=new_opening())
        args: list[EncodableT] = [
            codec.pack(info),
            # The epoch of an opening: a copy read before the room closed and opened
            # again (version 0 both times) is never taken for current.
            "e",
            empty.opening,
            *(part for pair in redis_parts.opened(empty) for part in pair),
        ]
        await self._redis.sadd(self._key("rooms"), info.room_id)
        opened = bool(await self._open(keys=keys, args=args))
        self._rooms.remembered[info.room_id] = info
        return opened

    @guarded
    async def room_info(self, room_id: str) -> RoomInfo | None:
        reply = await self._redis.get(self._key("room", room_id, "info"))
        return codec.unpack(RoomInfo, raw(reply)) if reply else None

    @guarded
    async def open_rooms(self) -> list[RoomInfo]:
        """The rooms whose live state exists. The open-rooms set is written apart from it
        (before the room opens; on a Redis Cluster, after it closes), so it may name a
        room that is not open (yet, or any more: it is not removed here, where it could
        race the opening)."""
        ids = sorted(text(m) for m in await self._redis.smembers(self._key("rooms")))
        pipe = self._redis.pipeline(transaction=False)
        for room_id in ids:
            pipe.exists(self._key("room", room_id, "live"))
        live = await pipe.execute()
        return await self._definitions.infos([i for i, n in zip(ids, live, strict=True) if n])

    @guarded
    async def snapshot(self, room_id: str) -> RoomState:
        return (await self._rooms.read(room_id, self._rooms.operation()))[0].state

    @guarded
    async def apply(self, room_id: str, rule: Callable[[RoomState, RoomInfo], Ruling]) -> Ruling:
        return _value(await self._rooms.change(room_id, rule))

    @guarded
    async def apply_once(
        self, room_id: str, rule: Callable[[RoomState, RoomInfo], Ruling], once: Once[Ruling]
    ) -> Done[Ruling]:
        return await self._rooms.change(room_id, rule, once=once)

    @guarded
    async def moderate(
        self, room_id: str, decide: Decision, *, keep_ms: int, max_entries: int
    ) -> Moderated:
        return _value(await self._rooms.change(room_id, decide, audit=Audit(keep_ms, max_entries)))

    @guarded
    async def moderate_once(
        self,
        room_id: str,
        decide: Decision,
        once: Once[Moderated],
        *,
        keep_ms: int,
        max_entries: int,
    ) -> Done[Moderated]:
        audit = Audit(keep_ms, max_entries)
        return await self._rooms.change(room_id, decide, audit=audit, once=once)

    @guarded
    async def close_room(self, room_id: str) -> Change:
        def close(state: RoomState, _room: RoomInfo) -> Change:
            return lifecycle.close(state)

        done = await self._rooms.change(room_id, close, closing=True)
        self._rooms.remembered.pop(room_id, None)
        return _value(done)

    @guarded
    async def rolled_back(self, room_id: str) -> None:
        """Redis was seen to hold an older copy of the room than it once published (a
        manager saw its seq go back): it gets a new opening, so that no client resumes
        from a seq of the history it lost (``server.socket.resume``)."""

        def renew(state: RoomState, _room: RoomInfo) -> Change:
            return Change(replace(state, opening=new_opening()), quiet=True)

        await self._rooms.change(room_id, renew)

    def learn(self, room_id: str, delta: dict[str, Any]) -> None:
        """A commit's delta heard on the room's channel (``RoomCommits.learn``)."""
        self._rooms.learn(room_id, delta)

    @guarded
    async def events_after(self, room_id: str, seq: int) -> list[tuple[int, bytes]]:
        rows = await self._redis.xrange(self._key("room", room_id, "log"), min=f"{seq + 1}-0")
        return [(int(text(i).split("-")[0]), raw(f[b"f"])) for i, f in rows or [] if i and f]

    @guarded
    async def generation(self, candidate: str) -> str:
        pipe = self._redis.pipeline(transaction=True)
        pipe.set(self._key("generation"), candidate, nx=True)
        pipe.get(self._key("generation"))
        _, mark = await pipe.execute()
        return text(mark)

    def remembered_room(self, room_id: str) -> RoomInfo | None:
        return self._rooms.remembered.get(room_id)

    # The process roll (``rooms.ports.ProcessRoll``).

    async def beat(self, process_id: str, ttl_ms: int) -> bool:
        return await self._roll.beat(process_id, ttl_ms)

    async def hold(self, process_id: str, room_id: str) -> None:
        await self._roll.hold(process_id, room_id)

    async def drop_hold(self, process_id: str, room_id: str) -> None:
        await self._roll.drop_hold(process_id, room_id)

    async def heartbeats(self, now_ms: int) -> list[Heartbeat]:
        return await self._roll.heartbeats(now_ms)

    async def rooms_held_by(self, process_id: str) -> set[str]:
        return await self._roll.rooms_held_by(process_id)

    async def forget_process(self, process_id: str) -> None:
        await self._roll.forget_process(process_id)

    # Definitions (``rooms.ports.Definitions``).

    async def define_room(self, info: RoomInfo) -> None:
        await self._definitions.define_room(info)

    async def rooms(self) -> list[RoomInfo]:
        return await self._definitions.rooms()

    async def delete_room(self, room_id: str) -> bool:
        return await self._definitions.delete_room(room_id)

    async def save_series(self, series: Series) -> None:
        await self._definitions.save_series(series)

    async def series(self, series_id: str) -> Series | None:
        return await self._definitions.series(series_id)

    async def all_series(self) -> list[Series]:
        return await self._definitions.all_series()

    async def delete_series(self, series_id: str) -> bool:
        return await self._definitions.delete_series(series_id)

    async def save_deployment_resources(self, resources: tuple[Resource, ...] | None) -> None:
        await self._definitions.save_deployment_resources(resources)

    async def deployment_resources(self) -> tuple[Resource, ...] | None:
        return await self._definitions.deployment_resources()

    # Claims and counters (``rooms.ports.Claims``, ``Counters``).

    async def claim(self, key: str, ttl_ms: int) -> bool:
        return await self._claims.claim(key, ttl_ms)

    async def release(self, key: str) -> None:
        await self._claims.release(key)

    async def empty_since(self, room_id: str, now_ms: int, empty: bool) -> int | None:
        return await self._claims.empty_since(room_id, now_ms, empty)

    async def take(self, allowances: list[Allowance], now_ms: int) -> list[int]:
        return await self._claims.take(allowances, now_ms)

    # Audit and bans (``moderation.ports.AuditLog``, ``BanList``).

    async def audit_log(self, room_id: str, *, since: int, limit: int) -> list[AuditEntry]:
        return await self._audit.audit_log(room_id, since=since, limit=limit)

    async def bans(self, keys: list[str]) -> list[Ban]:
        return await self._audit.bans(keys)

    async def close(self) -> None:
        await self._redis.aclose()
