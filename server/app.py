"""Builds the aiohttp application: Socket.IO hub, web client, health check, admin API and
the scheduler."""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import timedelta
from functools import partial

import socketio
from aiohttp import web
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from moderation.ports import RoomStore
from rooms.clock import Clock
from rooms.events import Removed, RoomEvent
from rooms.ports import Framed
from rooms.room import RoomInfo
from server import wire
from server.admin.api import PREFIX, admin_api
from server.admin.room_admin import RoomAdmin
from server.attendance import AttendanceKeys
from server.channels import CONTROL, control_channel
from server.clock import SYSTEM_CLOCK
from server.codec import MsgpackJson
from server.collector import Collector
from server.jobs.drain import Drain
from server.jobs.presence import PresenceKeeper
from server.jobs.recovery import Recovery
from server.jobs.rounds import RoundClock
from server.jobs.scheduler import Scheduler
from server.media import webrtc_available
from server.media.gateway import AudioGateway
from server.media.lease import LocalLease, MediaLease, RedisLease
from server.media.signalling import AudioSignalling
from server.ops.probes import Probes
from server.ops.webhooks import KINDS as WEBHOOK_KINDS
from server.ops.webhooks import Webhooks
from server.settings import Settings
from server.socket.attendance import Attendance
from server.socket.facilitation import Facilitation
from server.socket.fanout import ANNOUNCE, STORE_HOST_ID, HearthManager, frame
from server.socket.gate import GatedServer, handshake_gate, origin_check
from server.socket.hub import Hub
from server.socket.joining import Joining
from server.socket.meeting import Meeting
from server.socket.participation import Participation
from server.socket.relay import HearthRedisManager
from server.socket.script import Script
from server.socket.sessions import socket_room
from server.socket.support import Support
from server.socket.transport import write_once
from server.stores.memory import MemoryStore
from server.stores.redis import RedisStore
from server.stores.redis_client import connect
from server.verification import add_verification
from server.web import add_web_client

log = logging.getLogger(__name__)

CHANNEL = CONTROL
HUB = web.AppKey("hub", Hub)
STORE = web.AppKey("store", RoomStore)
PRESENCE = web.AppKey("presence", PresenceKeeper)
RECOVERY = web.AppKey("recovery", Recovery)
TASKS = web.AppKey("tasks", list[asyncio.Task[None]])
SETTINGS = web.AppKey("settings", Settings)
SCHEDULER = web.AppKey("scheduler", Scheduler)
AUDIO = web.AppKey("audio", AudioGateway)
DRAIN = web.AppKey("drain", Drain)
ROUNDS = web.AppKey("rounds", RoundClock)
WEBHOOKS = web.AppKey("webhooks", Webhooks)
COLLECTOR = web.AppKey("collector", Collector)


def _destinations(room_id: str, event: RoomEvent) -> list[str]:
    """The room's Socket.IO room, or each connection a private event goes to."""
    audience = wire.recipients(event)
    return [socket_room(room_id)] if audience is None else list(audience)


def frame_event(room_id: str, event: RoomEvent, announce: frozenset[str] = frozenset()) -> Framed:
    """The event as every process's manager reads it, from one dump: a frame for each
    destination and, for a public event, its log entry, the same bytes as its frame to
    the room (private events are not logged), and its announcement if its name is one
    of ``announce``."""
    name, payload = wire.dump_event(room_id, event)
    audience = wire.recipients(event)
    if audience is None:
        to_room = frame(socket_room(room_id), str(name), payload)
        told = None
        if str(name) in announce:
            told = frame(socket_room(room_id), str(name), payload, method=ANNOUNCE)
        return Framed((to_room,), (int(payload["seq"]), to_room), told)
    frames = [frame(to, str(name), payload) for to in audience]
    to = list(audience)
    if isinstance(event, Removed):
        # Closing the connection is published right after the notice, so the process
        # holding it delivers the notice first, wherever the facilitator is.
        frames += [_disconnect_frame(sid) for sid in event.audience]
        to += event.audience
    return Framed(tuple(frames), to=tuple(to))


def _disconnect_frame(sid: str) -> bytes:
    message = {"method": "disconnect", "sid": sid, "namespace": "/", "host_id": STORE_HOST_ID}
    return MsgpackJson.dumps(message)


def _channel(settings: Settings) -> str:
    return control_channel(settings.key_prefix)


MAX_REDIS_CONNECTIONS = 10_000


def redis_store(settings: Settings) -> RedisStore:
    """The shared store on ``REDIS_URL``; its events reach every process's clients."""
    assert settings.redis_url is not None
    redis = connect(
        settings.redis_url,
        health_check_interval=30,
        socket_timeout=settings.redis_timeout_ms / 1000,
        socket_connect_timeout=settings.redis_timeout_ms / 1000,
        # No retries: a resent commit script applied a chat twice (the store learns
        # what an unanswered commit did instead; see ``server.stores.redis_commit``).
        retry=Retry(NoBackoff(), retries=0),
        # redis-py keeps at most 100 connections (per node of a cluster) unless told, and
        # refuses a call beyond them at once ("Too many connections"): in a 500-guest join
        # storm that refused joins ``unavailable``. Calls in flight are bounded by the
        # budget instead; this is Redis's own default limit of clients.
        max_connections=MAX_REDIS_CONNECTIONS,
    )
    # The webhooks' events are announced to every process: the room's own channel reaches
    # only the processes with people of the room, and a room may close with nobody in it.
    announce = frozenset(WEBHOOK_KINDS) if settings.webhook_urls else frozenset()
    return RedisStore(
        redis,
        prefix=settings.key_prefix,
        channel=_channel(settings),
        frame=partial(frame_event, announce=announce),
        timeout_ms=settings.redis_timeout_ms,
    )


def create_app(settings: Settings, clock: Clock = SYSTEM_CLOCK) -> web.Application:
    """The app; ``clock`` is the one clock of the hub, presence, admin actions and the
    scheduler (tests pass their own)."""
    process_id = uuid.uuid4().hex[:12]
    store: RoomStore
    lease: MediaLease
    media_redis: Redis | None = None
    gateway: AudioGateway | None = None
    if settings.redis_url:
        manager = HearthRedisManager(
            settings.redis_url,
            channel=_channel(settings),
            prefix=settings.key_prefix,
            process_id=process_id,
        )
        sio = _socketio(settings, manager)
        shared = redis_store(settings)
        manager.room_log = shared
        manager.on_rewound.append(shared.rolled_back)
        manager.on_room_state.append(shared.learn)
        store = shared
        # Audio signalling and leases get their own connections: pub/sub holds one.
        media_redis = connect(
            settings.redis_url, socket_connect_timeout=settings.redis_timeout_ms / 1000
        )
        lease = RedisLease(media_redis, settings.key_prefix, process_id, settings.media_lease_ms)
    else:
        sio = _socketio(settings, None)

        async def deliver(room_id: str, event: RoomEvent) -> None:
            name, payload = wire.dump_event(room_id, event)
            for to in _destinations(room_id, event):
                await sio.emit(str(name), payload, to=to)
            if gateway is not None:
                gateway.room_changed(room_id)

        store = MemoryStore(deliver, frame_event)
        lease = LocalLease(process_id)

    app = web.Application()
    sio.attach(app)
    hub = Hub(sio, store, settings, process_id, clock)
    app[HUB] = hub
    app[DRAIN] = Drain(hub, settings.drain_timeout_ms)
    app.middlewares.append(app[DRAIN].middleware())
    app.middlewares.append(handshake_gate(settings, hub.blocked_for, hub.clock))
    Joining(hub)
    Participation(hub)
    Meeting(hub, Facilitation(hub))
    app[WEBHOOKS] = webhooks = Webhooks(settings, store, clock.ms)
    Support(hub, webhooks.support_requested)
    Script(hub)
    keys = AttendanceKeys(settings.attendance_keys)
    Attendance(hub, keys)
    app[ROUNDS] = RoundClock(store, hub.seats.rooms_in_use, clock, settings.round_tick_ms)

    async def notify(event: str, sid: str, payload: wire.Payload) -> None:
        await sio.emit(event, payload, to=sid)

    redis_manager = sio.manager if isinstance(sio.manager, HearthRedisManager) else None
    gateway = AudioGateway(
        store,
        settings,
        process_id,
        lease,
        notify,
        media_redis,
        redis_manager.host_media if redis_manager is not None else None,
    )
    if redis_manager is not None:
        # The room events the hub follows refresh the mixers: received and decoded once.
        redis_manager.on_room_event.append(lambda room_id, *_: gateway.room_changed(room_id))
        redis_manager.on_room_followed.append(gateway.room_changed)
    AudioSignalling(hub, gateway)
    app[AUDIO] = gateway
    app[STORE] = store
    app[RECOVERY] = recovery = Recovery(store, hub.seats)
    app[PRESENCE] = PresenceKeeper(
        store,
        process_id,
        settings.heartbeat_ms,
        settings.process_ttl_ms,
        recovery.after_lapse,
        clock,
        hub.settle_roll,
        hub.seats.away,
    )
    if webhooks.enabled:
        # With Redis, from the announcements every process hears (see ``redis_store``).
        hooks = redis_manager.on_announced if redis_manager else sio.manager.on_room_event
        hooks.append(webhooks.observe)
    empty = settings.close_when_empty_minutes
    app[SCHEDULER] = Scheduler(
        store,
        clock,
        settings.scheduler_tick_ms,
        timedelta(minutes=empty) if empty else None,
        webhooks.room_opened,
        webhooks.schedule_missed,
    )
    add_web_client(app, settings.trust_proxy)
    app.router.add_get("/healthz", _health)
    Probes(
        hub,
        app[DRAIN],
        app[PRESENCE],
        gateway,
        settings.redis_url,
        settings.redis_timeout_ms,
        settings.metrics_token,
    ).add_routes(app)
    api = admin_api(RoomAdmin(store, settings, clock, webhooks.room_opened))
    add_verification(app, api, keys)
    app.add_subapp(PREFIX, api)
    app.on_startup.append(_start)
    app.on_shutdown.append(_stop)
    log.info(
        "process %s starting on the %s store",
        process_id,
        "redis" if settings.redis_url else "embedded",
    )
    app[SETTINGS] = settings
    app[COLLECTOR] = Collector(settings.gc_thresholds, settings.gc_freeze)
    return app


def _socketio(settings: Settings, manager: HearthRedisManager | None) -> socketio.AsyncServer:
    sio = GatedServer(
        settings,
        async_mode="aiohttp",
        client_manager=manager or HearthManager(),
        cors_allowed_origins=origin_check(settings),
        cors_credentials=False,  # Hearth uses no cookies
        max_http_buffer_size=settings.max_payload_bytes,
        ping_interval=settings.ping_interval_ms / 1000,
        ping_timeout=settings.ping_timeout_ms / 1000,
        # Loggers, not False: False gives each its own stderr handler (every line twice);
        # server.logs caps their level.
        logger=logging.getLogger("socketio.server"),
        engineio_logger=logging.getLogger("engineio.server"),
    )
    write_once(sio, settings.send_buffer_bytes)
    return sio


async def _cancel_all(tasks: list[asyncio.Task[None]]) -> None:
    """Cancel our background tasks and wait for them. redis-py can turn a cancellation
    that lands mid-command into a timeout error the loop then survives, so cancel again
    until each task has really ended."""
    pending = [t for t in tasks if not t.done()]
    while pending:
        for task in pending:
            task.cancel()
        await asyncio.wait(pending, timeout=0.5)
        pending = [t for t in pending if not t.done()]
    for task in tasks:
        if not task.cancelled() and task.exception() is not None:
            log.error(
                "background task %s ended with an error", task.get_name(), exc_info=task.exception()
            )


async def _health(request: web.Request) -> web.Response:
    return web.json_response({"ok": True})


async def _start(app: web.Application) -> None:
    settings = app[SETTINGS]
    if settings.demo_room:
        demo = RoomInfo(
            settings.demo_room,
            "Demo room",
            allow_guests=True,
            # Audio only where this server can host it: `make run` installs no webrtc extra,
            # and a room offering audio it cannot give would only show an install hint.
            audio=webrtc_available(),
            guidelines="Be kind. What is shared here stays here.",
        )
        if await app[STORE].open_room(demo):
            app[WEBHOOKS].room_opened(demo.room_id)
    sio = app[HUB].sio
    if not sio.manager_initialized:
        # Listen for other processes' emits from the start, not from the first connection.
        sio.manager_initialized = True
        sio.manager.initialize()
    presence = app[PRESENCE]
    await app[RECOVERY].learn()
    await presence.beat()
    app[TASKS] = [
        asyncio.create_task(presence.run(), name="presence"),
        asyncio.create_task(app[SCHEDULER].run(), name="scheduler"),
        asyncio.create_task(app[HUB].seats.releases.run(), name="releases"),
        asyncio.create_task(app[ROUNDS].run(), name="rounds"),
    ]
    if app[WEBHOOKS].enabled:
        app[TASKS].append(asyncio.create_task(app[WEBHOOKS].run(), name="webhooks"))
    app[AUDIO].start()
    app[COLLECTOR].start()  # last: what start-up made is long-lived, frozen with the rest


async def _stop(app: web.Application) -> None:
    app[COLLECTOR].stop()  # first: what the collector saw while serving, not the teardown
    # A drain (``hearth serve`` on SIGTERM) has told our clients to move already; those
    # still here get a transport close, after which they reconnect by themselves.
    await app[DRAIN].close_transports()
    await _cancel_all(app[TASKS])
    await app[AUDIO].close()
    # No seat is freed here: a client coming back through another process takes its seat
    # over, and what nobody takes back is freed one TTL after our last heartbeat by the
    # other processes' reapers, as for a process that died (``server.jobs.drain``).
    await app[STORE].close()
    manager = app[HUB].sio.manager
    if isinstance(manager, HearthRedisManager):
        await manager.shutdown()
