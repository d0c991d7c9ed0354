"""Room and series definitions in Redis (``rooms.ports.Definitions``): what outlives a
room's sessions and a restart.

Keys: ``room:{<id>}:info`` — the room's settings (msgpack ``RoomInfo``), shared with the
room's live state (``server.stores.redis``); ``{defs}:roomdefs`` — set of defined room ids (a
room may be defined and closed, or opened without a definition, like the demo room);
``{defs}:series:{id}`` — a schedule (msgpack ``Series``); ``{defs}:series`` — set of series
ids; ``{defs}:deployment:resources`` — the deployment's resources an admin set (msgpack list of
``Resource``; absent: none set, so the configured file's list counts).
"""

from __future__ import annotations

from redis.asyncio import Redis

from rooms.resources import Resource
from rooms.room import RoomInfo
from rooms.schedule import Series
from server import codec
from server.stores import redis_scripts as scripts
from server.stores.redis_access import Keys, guarded, raw, text
from server.stores.redis_client import clustered


class RedisDefinitions:
    def __init__(self, redis: Redis, keys: Keys) -> None:
        self._redis = redis
        self._key = keys
        self._forget = redis.register_script(scripts.FORGET)
        self._forget_info = redis.register_script(scripts.FORGET_INFO)
        # On a Redis Cluster a room's info and the defined set are in different slots.
        self._clustered = clustered(redis)

    @guarded
    async def define_room(self, info: RoomInfo) -> None:
        pipe = self._redis.pipeline(transaction=not self._clustered)
        pipe.set(self._key("room", info.room_id, "info"), codec.pack(info))
        pipe.sadd(self._key("roomdefs"), info.room_id)
        await pipe.execute()

    @guarded
    async def rooms(self) -> list[RoomInfo]:
        pipe = self._redis.pipeline(transaction=True)
        pipe.smembers(self._key("roomdefs"))
        pipe.smembers(self._key("rooms"))
        defined, live = await pipe.execute()
        ids = sorted({text(m) for m in defined} | {text(m) for m in live})
        return await self.infos(ids)

    async def infos(self, room_ids: list[str]) -> list[RoomInfo]:
        """The settings of each of these rooms that has them, in order."""
        if not room_ids:
            return []
        keys = [self._key("room", i, "info") for i in room_ids]
        if self._clustered:
            pipe = self._redis.pipeline(transaction=False)  # each GET to its shard
            for key in keys:
                pipe.get(key)
            raws = await pipe.execute()
        else:
            raws = await self._redis.mget(keys)
        return [codec.unpack(RoomInfo, raw(reply)) for reply in raws if reply]

    @guarded
    async def delete_room(self, room_id: str) -> bool:
        keys = [self._key("room", room_id, "info"), self._key("room", room_id, "live")]
        if self._clustered:
            if not await self._redis.srem(self._key("roomdefs"), room_id):
                return False
            await self._forget_info(keys=keys)
            return True
        return bool(await self._forget(keys=[*keys, self._key("roomdefs")], args=[room_id]))

    @guarded
    async def save_series(self, series: Series) -> None:
        pipe = self._redis.pipeline(transaction=True)
        pipe.set(self._key("series", series.series_id), codec.pack(series))
        pipe.sadd(self._key("series"), series.series_id)
        await pipe.execute()

    @guarded
    async def series(self, series_id: str) -> Series | None:
        reply = await self._redis.get(self._key("series", series_id))
        return codec.unpack(Series, raw(reply)) if reply else None

    @guarded
    async def all_series(self) -> list[Series]:
        ids = sorted(text(m) for m in await self._redis.smembers(self._key("series")))
        if not ids:
            return []
        raws = await self._redis.mget([self._key("series", i) for i in ids])
        return [codec.unpack(Series, raw(reply)) for reply in raws if reply]

    @guarded
    async def delete_series(self, series_id: str) -> bool:
        pipe = self._redis.pipeline(transaction=True)
        pipe.delete(self._key("series", series_id))
        pipe.srem(self._key("series"), series_id)
        deleted, _ = await pipe.execute()
        return bool(deleted)

    @guarded
    async def save_deployment_resources(self, resources: tuple[Resource, ...] | None) -> None:
        key = self._key("deployment", "resources")
        if resources is None:
            await self._redis.delete(key)
        else:
            await self._redis.set(key, codec.pack(resources))

    @guarded
    async def deployment_resources(self) -> tuple[Resource, ...] | None:
        reply = await self._redis.get(self._key("deployment", "resources"))
        return codec.unpack(_RESOURCES, raw(reply)) if reply else None


_RESOURCES: type[tuple[Resource, ...]] = tuple[Resource, ...]
