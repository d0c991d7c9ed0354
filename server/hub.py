"""The Socket.IO adapter: connections, and client events turned into room rules.

Every client event is acknowledged, and every refusal is mapped to an ack here, in one
place (``_acknowledged``). Unexpected failures are logged with the event name and never
shown to the client beyond an ``internal_error`` code.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

import socketio

from rooms import actions
from rooms.errors import ErrorCode, HearthError, RoomNotFound, Unauthorized
from rooms.events import LeaveReason
from rooms.identity import Identity
from rooms.ports import RoomStore
from rooms.room import RoomInfo
from rooms.state import Connection, RoomState
from server import protocol, tokens
from server.protocol import ChatRequest, ClientEvent, JoinRequest, Payload, ServerEvent
from server.settings import Settings

log = logging.getLogger(__name__)

Handler = Callable[[str, object], Awaitable[Payload]]


def now_ms() -> int:
    return int(time.time() * 1000)


def socket_room(room_id: str) -> str:
    return f"room:{room_id}"


@dataclass(frozen=True, slots=True)
class Session:
    identity: Identity
    room_id: str | None = None


class Hub:
    def __init__(
        self,
        sio: socketio.AsyncServer,
        store: RoomStore,
        settings: Settings,
        process_id: str,
        clock: Callable[[], int] = now_ms,
    ) -> None:
        self.sio = sio
        self.store = store
        self.settings = settings
        self.process_id = process_id
        self.clock = clock
        self.sessions: dict[str, Session] = {}
        self.on_disconnect: list[Callable[[str], None]] = []
        sio.on("connect", self.connect)
        sio.on("disconnect", self.disconnect)
        sio.on("*", self.unknown_event)
        handlers: dict[ClientEvent, Handler] = {
            ClientEvent.JOIN: self.join,
            ClientEvent.LEAVE: self.leave,
            ClientEvent.SNAPSHOT: self.snapshot,
            ClientEvent.CHAT: self.chat,
            ClientEvent.HAND_RAISE: partial(self._hand, actions.raise_hand),
            ClientEvent.HAND_LOWER: partial(self._hand, actions.lower_hand),
        }
        for event, handler in handlers.items():
            self.handle(event, handler)

    def handle(self, event: ClientEvent, handler: Handler) -> None:
        """Serve a client event, acknowledged and with refusals mapped in one place."""
        self.sio.on(str(event), partial(self._acknowledged, event, handler))

    async def _acknowledged(
        self, event: ClientEvent, handler: Handler, sid: str, *args: Any
    ) -> Payload:
        try:
            if len(args) > 1:
                raise HearthError("send one payload object", ErrorCode.INVALID_PAYLOAD)
            if sid not in self.sessions:
                raise Unauthorized("this connection is not signed in")
            return await handler(sid, args[0] if args else None)
        except HearthError as error:
            return protocol.refusal(error)
        except Exception:
            log.exception("event %s failed", event)
            return protocol.refusal(HearthError("something went wrong on our side"))

    async def unknown_event(self, event: str, sid: str, *args: Any) -> Payload:
        log.info("refused unknown event %.40r", event)
        return protocol.refusal(HearthError("unknown event", ErrorCode.UNKNOWN_EVENT))

    async def connect(self, sid: str, environ: dict[str, Any], auth: object = None) -> None:
        credentials = auth if isinstance(auth, dict) else {}
        try:
            if "token" in credentials:
                identity = tokens.verify(self.settings, credentials["token"])
            elif "name" in credentials:
                identity = tokens.guest(credentials["name"], sid)
            else:
                raise Unauthorized("send a token, or a display name to join as a guest")
        except HearthError as error:
            detail = protocol.refusal(error)["error"]
            raise socketio.exceptions.ConnectionRefusedError(error.message, detail) from None
        self.sessions[sid] = Session(identity)

    async def disconnect(self, sid: str, reason: object = None) -> None:
        session = self.sessions.pop(sid, None)
        for departed in self.on_disconnect:
            departed(sid)
        if session is not None and session.room_id is not None:
            await self._vacate(session.room_id, sid, LeaveReason.DISCONNECTED)

    async def _vacate(self, room_id: str, sid: str, reason: LeaveReason) -> None:
        with contextlib.suppress(RoomNotFound):
            await self.store.apply(room_id, lambda state, _: actions.leave(state, sid, reason))

    async def _seated_room(self, sid: str) -> str | None:
        """The room this connection holds a seat in, if it still does."""
        room_id = self.sessions[sid].room_id
        if room_id is None:
            return None
        try:
            state = await self.store.snapshot(room_id)
        except RoomNotFound:
            state = None
        if state is None or state.member_by_sid(sid) is None:
            # The room closed, or the seat was lost while the connection stayed up.
            self.sessions[sid] = replace(self.sessions[sid], room_id=None)
            await self.sio.leave_room(sid, socket_room(room_id))
            return None
        return room_id

    async def join(self, sid: str, raw: object) -> Payload:
        request = JoinRequest.parse(raw)
        current = await self._seated_room(sid)
        if current is not None and current != request.room:
            raise HearthError("leave your current room first", ErrorCode.ALREADY_IN_ROOM)
        identity = self.sessions[sid].identity
        seat_id = tokens.member_id(self.settings, request.room, identity.subject)
        connection = Connection(self.process_id, sid)
        # In the Socket.IO room before the seat exists, so no event after the snapshot is
        # missed; the client drops events whose seq the snapshot already holds.
        await self.sio.enter_room(sid, socket_room(request.room))
        await self.store.hold(self.process_id, request.room)
        try:
            info: list[RoomInfo] = []

            def seat(state: RoomState, room: RoomInfo) -> actions.Change:
                info[:] = [room]
                return actions.join(state, room, identity, seat_id, connection, self.clock())

            change = await self.store.apply(request.room, seat)
        except BaseException:
            if current is None:
                await self.sio.leave_room(sid, socket_room(request.room))
            raise
        self.sessions[sid] = replace(self.sessions[sid], room_id=request.room)
        if change.replaced is not None:
            await self._replace(change.replaced.sid)
        return protocol.ok(you=seat_id, snapshot=protocol.dump_snapshot(info[0], change.state))

    async def _replace(self, old_sid: str) -> None:
        message = "you joined from another window or device; this one has left the room"
        await self.sio.emit(str(ServerEvent.SESSION_REPLACED), {"message": message}, to=old_sid)
        await self.sio.disconnect(old_sid)

    async def drop_lost_seats(self) -> None:
        """Close connections whose seat was freed while they stayed connected."""
        for sid, session in list(self.sessions.items()):
            if session.room_id is None:
                continue
            try:
                state = await self.store.snapshot(session.room_id)
            except RoomNotFound:
                state = None
            if state is None or state.member_by_sid(sid) is None:
                await self.sio.disconnect(sid)

    async def _require_room(self, sid: str) -> str:
        room_id = self.sessions[sid].room_id
        if room_id is None:
            raise HearthError("join a room first", ErrorCode.NOT_IN_ROOM)
        return room_id

    async def leave(self, sid: str, raw: object) -> Payload:
        protocol.expect_nothing(raw)
        room_id = await self._require_room(sid)
        await self._vacate(room_id, sid, LeaveReason.LEFT)
        self.sessions[sid] = replace(self.sessions[sid], room_id=None)
        await self.sio.leave_room(sid, socket_room(room_id))
        return protocol.ok()

    async def snapshot(self, sid: str, raw: object) -> Payload:
        protocol.expect_nothing(raw)
        room_id = await self._require_room(sid)
        state = await self.store.snapshot(room_id)
        info = await self.store.room_info(room_id)
        if info is None or state.member_by_sid(sid) is None:
            raise HearthError("you are not in this room", ErrorCode.NOT_IN_ROOM)
        return protocol.ok(snapshot=protocol.dump_snapshot(info, state))

    async def chat(self, sid: str, raw: object) -> Payload:
        request = ChatRequest.parse(raw)
        room_id = await self._require_room(sid)
        now = self.clock()
        change = await self.store.apply(
            room_id, lambda state, _: actions.post_chat(state, sid, request.text, now)
        )
        return protocol.ok(message=protocol.dump_message(change.state.chat[-1]))

    async def _hand(
        self, rule: Callable[[RoomState, str], actions.Change], sid: str, raw: object
    ) -> Payload:
        protocol.expect_nothing(raw)
        room_id = await self._require_room(sid)
        change = await self.store.apply(room_id, lambda state, _: rule(state, sid))
        return protocol.ok(hands=list(change.state.hands), seq=change.state.seq)
