"""The Socket.IO hub: connections (signing in, closing, a connection that keeps sending
after ``rate_limited``) and the registry every client event's handler goes through.
Entering and leaving rooms is ``server.socket.joining`` over the seats of
``server.socket.seating``; a participant's own events are ``server.socket.participation``,
facilitators' ``server.socket.facilitation``, limits per address ``server.socket.abuse``.

Every client event is acknowledged: its refusals become acks in ``_acknowledged``, a
refused connection in ``connect``, both through the one error map (``server.errors``).
Unexpected failures are logged with the event name and never shown to the client beyond
an ``internal_error`` code.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from functools import partial
from typing import Any

import socketio

from moderation.ports import RoomStore
from moderation.rate_limits import Activity
from rooms.clock import Clock
from rooms.errors import ErrorCode, HearthError, NotInRoom, Unauthorized
from rooms.events import LeaveReason
from rooms.identity import tile_colour
from server import errors, tokens
from server.clock import SYSTEM_CLOCK
from server.errors import ServerCode, ServerError
from server.ops import metrics
from server.settings import Settings
from server.socket.abuse import AbuseLimits
from server.socket.addresses import address_tag
from server.socket.claims import RoomClaims
from server.socket.seating import Seats
from server.socket.sessions import Session, leave_broadcast
from server.wire import ClientEvent, Payload, SessionEnded

log = logging.getLogger(__name__)

Handler = Callable[[str, object], Awaitable[Payload]]


class Hub:
    def __init__(
        self,
        sio: socketio.AsyncServer,
        store: RoomStore,
        settings: Settings,
        process_id: str,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self.sio = sio
        self.store = store
        self.settings = settings
        self.process_id = process_id
        self.clock = clock.ms  # every rule here takes ``now`` in epoch ms
        self.sessions: dict[str, Session] = {}
        self.on_disconnect: list[Callable[[str], None]] = []
        # The events of each connection being handled now (python-socketio runs each as a
        # task of its own), so its disconnect can wait for what it sent before going.
        self._handling: dict[str, set[asyncio.Task[Any]]] = {}
        if hasattr(sio, "settling"):
            sio.settling = self.settle
        # Set while this process drains (``server.jobs.drain``): a closed connection's
        # seat stays, for its person to take back from another process.
        self.keeping_seats = False
        self.abuse = AbuseLimits(settings, store, self.clock)
        claims = RoomClaims(store, process_id)
        self.seats = Seats(sio, store, settings, process_id, clock, self.sessions, claims)
        # What the handshake gate and the heartbeat call (``server.app``).
        self.blocked_for = self.abuse.blocked_for
        self.settle_roll = claims.settle
        getattr(sio.manager, "on_room_closed", []).append(self.seats.room_closed)
        sio.on("connect", self.connect)
        sio.on("disconnect", self.disconnect)
        sio.on("*", self.unknown_event)

    def register(self, event: ClientEvent, handler: Handler) -> None:
        """Handle ``event``: its refusals and failures become acks in one place."""
        self.sio.on(str(event), partial(self._acknowledged, event, handler))

    async def _acknowledged(
        self, event: ClientEvent, handler: Handler, sid: str, *args: Any
    ) -> Payload:
        task = asyncio.current_task()
        assert task is not None
        self._handling.setdefault(sid, set()).add(task)
        try:
            return await self._answer(event, handler, sid, *args)
        finally:
            handling = self._handling.get(sid)
            if handling is not None:
                handling.discard(task)
                if not handling:
                    del self._handling[sid]

    async def settle(self, sid: str) -> None:
        """Let the events this connection sent before going start, and finish (bounded by
        the store's budget), so a leave sent just before a close is a leave."""
        await asyncio.sleep(0)  # the tasks python-socketio made for them start
        pending = self._handling.get(sid, set()) - {asyncio.current_task()}
        if pending:
            await asyncio.wait(pending, timeout=self.settings.redis_timeout_ms / 1000)

    async def _answer(self, event: ClientEvent, handler: Handler, sid: str, *args: Any) -> Payload:
        try:
            if len(args) > 1:
                raise HearthError("send one payload object", ErrorCode.INVALID_PAYLOAD)
            if sid not in self.sessions:
                raise Unauthorized("this connection is not signed in")
            answer = await handler(sid, args[0] if args else None)
        except HearthError as error:
            metrics.CLIENT_EVENTS.labels(event, "refused").inc()
            if error.code == ErrorCode.RATE_LIMITED:
                await self._strike(sid)
            return errors.ack(error)
        except Exception:
            metrics.CLIENT_EVENTS.labels(event, "failed").inc()
            log.exception(
                "event %s failed", event, extra={"event": str(event), "code": "internal_error"}
            )
            return errors.ack(errors.internal())
        metrics.CLIENT_EVENTS.labels(event, "ok").inc()
        return answer

    async def unknown_event(self, event: str, sid: str, *args: Any) -> Payload:
        log.info("refused unknown event %.40r", event)
        metrics.CLIENT_EVENTS.labels("unknown", "refused").inc()
        return errors.ack(ServerError("unknown event", ServerCode.UNKNOWN_EVENT))

    async def connect(self, sid: str, environ: dict[str, Any], auth: object = None) -> None:
        credentials = auth if isinstance(auth, dict) else {}
        address = address_tag(self.settings, environ)
        try:
            if "token" in credentials:
                identity = tokens.verify(self.settings, credentials["token"])
            elif "name" in credentials:
                identity = tokens.guest(credentials["name"], credentials.get("key"), sid)
            else:
                raise Unauthorized("send a token, or a display name to join as a guest")
            identity = replace(identity, colour=tile_colour(credentials.get("colour")))
            self.abuse.connect(identity, address)
        except HearthError as error:
            raise errors.connection_refused(error) from None
        # No await from the count to here: two connects cannot both take the last place.
        self.sessions[sid] = Session(identity, address)

    async def _strike(self, sid: str) -> None:
        """A connection that keeps sending after ``rate_limited`` refusals is told why and
        closed (``AbuseLimits.strike``)."""
        session = self.sessions.get(sid)
        if session is None:
            return
        if not self.abuse.strike(sid, session.address):
            if held_ms := self.abuse.hold_ms(sid):
                await asyncio.sleep(held_ms / 1000)
            return
        log.info("closed a connection that kept sending after rate_limited refusals")
        message = "this connection kept sending after being asked to slow down; wait a few seconds"
        name, payload = SessionEnded(str(ErrorCode.RATE_LIMITED), message).dump()
        await self.sio.emit(
            str(name),
            payload,
            to=sid,
        )
        if session.room_id is not None:
            # Ended on purpose, not dropped: the seat is not kept away for it.
            await self.seats.vacate(session.room_id, sid, LeaveReason.DISCONNECTED)
        await self.sio.disconnect(sid)

    async def disconnect(self, sid: str, reason: object = None) -> None:
        self.abuse.forget(sid)
        session = self.sessions.pop(sid, None)
        for departed in self.on_disconnect:
            departed(sid)
        if session is None:
            return
        self.abuse.disconnect(session.identity, session.address)
        if session.room_id is not None:
            # Out of the broadcast in the same step as the seat starts to go.
            leave_broadcast(self.sio, sid, session.room_id)
            if not self.keeping_seats:
                await self.seats.release(session.identity, session.room_id, sid)

    async def require_room(self, sid: str) -> str:
        room_id = self.sessions[sid].room_id
        if room_id is None:
            raise NotInRoom("join a room first")
        return room_id

    async def limit(self, sid: str, room_id: str, activity: Activity) -> None:
        """Count one ``activity`` of this participant and their address; refused beyond
        either limit (``AbuseLimits.limit``). Facilitators and admins are never limited."""
        session = self.sessions[sid]
        await self.abuse.limit(session.identity, session.address, room_id, activity)

    def member_id(self, sid: str, room_id: str) -> str:
        """This connection's seat id in the room (whose operation ids are its own)."""
        return tokens.member_id(self.settings, room_id, self.sessions[sid].identity.subject)
