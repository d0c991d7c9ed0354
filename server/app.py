"""Builds the aiohttp application: Socket.IO hub, web client, health check."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid

import socketio
from aiohttp import web
from redis.asyncio import Redis

from rooms.events import RoomEvent
from rooms.ports import RoomStore
from rooms.room import RoomInfo
from server import protocol
from server.hub import Hub, socket_room
from server.manager import HearthManager, HearthRedisManager, frame
from server.presence import PresenceKeeper
from server.settings import Settings
from server.stores.memory import MemoryStore
from server.stores.redis import RedisStore
from server.transport import decline_deflate
from server.web import add_web_client

log = logging.getLogger(__name__)

CHANNEL = "hearth"
HUB = web.AppKey("hub", Hub)
STORE = web.AppKey("store", RoomStore)
PRESENCE = web.AppKey("presence", PresenceKeeper)
TASKS = web.AppKey("tasks", list[asyncio.Task[None]])
SETTINGS = web.AppKey("settings", Settings)


def _frame(room_id: str, event: RoomEvent) -> bytes:
    name, payload = protocol.dump_event(room_id, event)
    return frame(socket_room(room_id), str(name), payload)


def create_app(settings: Settings) -> web.Application:
    process_id = uuid.uuid4().hex[:12]
    channel = f"{settings.key_prefix}{CHANNEL}"
    store: RoomStore
    if settings.redis_url:
        manager = HearthRedisManager(settings.redis_url, channel=channel)
        sio = _socketio(settings, manager)
        redis = Redis.from_url(settings.redis_url, health_check_interval=30)
        store = RedisStore(redis, prefix=settings.key_prefix, channel=channel, frame=_frame)
    else:
        sio = _socketio(settings, None)

        async def deliver(room_id: str, event: RoomEvent) -> None:
            name, payload = protocol.dump_event(room_id, event)
            await sio.emit(str(name), payload, room=socket_room(room_id))

        store = MemoryStore(deliver)

    app = web.Application()
    sio.attach(app)
    app[HUB] = Hub(sio, store, settings, process_id)
    app[STORE] = store
    app[PRESENCE] = PresenceKeeper(
        store, process_id, settings.heartbeat_ms, settings.process_ttl_ms
    )
    add_web_client(app)
    app.router.add_get("/healthz", _health)
    app.on_startup.append(_start)
    app.on_shutdown.append(_stop)
    log.info(
        "process %s starting on the %s store",
        process_id,
        "redis" if settings.redis_url else "embedded",
    )
    app[SETTINGS] = settings
    return app


def _socketio(settings: Settings, manager: HearthRedisManager | None) -> socketio.AsyncServer:
    sio = socketio.AsyncServer(
        async_mode="aiohttp",
        client_manager=manager or HearthManager(),
        cors_allowed_origins=[],
        max_http_buffer_size=settings.max_payload_bytes,
        logger=False,
        engineio_logger=False,
    )
    decline_deflate(sio)
    return sio


async def _health(request: web.Request) -> web.Response:
    return web.json_response({"ok": True})


async def _start(app: web.Application) -> None:
    settings = app[SETTINGS]
    if settings.demo_room:
        await app[STORE].open_room(
            RoomInfo(
                settings.demo_room,
                "Demo room",
                allow_guests=True,
                guidelines="Be kind. What is shared here stays here.",
            )
        )
    sio = app[HUB].sio
    if not sio.manager_initialized:
        # Listen for other processes' emits from the start, not from the first connection.
        sio.manager_initialized = True
        sio.manager.initialize()
    presence = app[PRESENCE]
    await app[STORE].beat(presence.process_id, presence.ttl_ms)
    app[TASKS] = [asyncio.create_task(presence.run(), name="presence")]


async def _stop(app: web.Application) -> None:
    for task in app[TASKS]:
        task.cancel()
    for task in app[TASKS]:
        with contextlib.suppress(asyncio.CancelledError):
            await task
    presence = app[PRESENCE]
    # Leaving cleanly: our people leave every roster now rather than after the TTL.
    try:
        await presence.release(presence.process_id)
    except Exception:
        log.exception("could not release this process's seats on shutdown")
    await app[STORE].close()
    manager = app[HUB].sio.manager
    if isinstance(manager, HearthRedisManager):
        await manager.shutdown()
