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

from moderation import admission, messages, roles
from moderation.bans import ban_keys
from moderation.rate_limits import Activity, check, counter
from rooms import actions
from rooms.errors import ErrorCode, HearthError, RoomNotFound, Unauthorized
from rooms.events import LeaveReason
from rooms.identity import Identity, Role
from rooms.ports import RoomStore
from rooms.room import RoomInfo
from rooms.state import Connection, RoomState
from server import protocol, tokens
from server.protocol import (
    ChatRequest,
    ClientEvent,
    JoinRequest,
    Payload,
    ReactionRequest,
    ServerEvent,
)
from server.settings import Settings

log = logging.getLogger(__name__)

Handler = Callable[[str, object], Awaitable[Payload]]


def now_ms() -> int:
    return int(time.time() * 1000)


def socket_room(room_id: str) -> str:
    return f"room:{room_id}"


@dataclass(frozen=True, slots=True)
class Seating:
    """The outcome of taking a seat: the seat's id, the room's settings, the change."""

    seat_id: str
    room: RoomInfo
    change: actions.Change
    unattended: int | None


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
            ClientEvent.INFO: self.info,
            ClientEvent.JOIN: self.join,
            ClientEvent.LEAVE: self.leave,
            ClientEvent.SNAPSHOT: self.snapshot,
            ClientEvent.CHAT: self.chat,
            ClientEvent.HAND_RAISE: partial(self._hand, messages.raise_hand),
            ClientEvent.HAND_LOWER: partial(self._hand, messages.lower_hand),
            ClientEvent.REACT: self.react,
        }
        for event, handler in handlers.items():
            self.register(event, handler)

    def register(self, event: ClientEvent, handler: Handler) -> None:
        """Handle ``event``: its refusals and failures become acks in one place."""
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
                identity = tokens.guest(credentials["name"], credentials.get("key"), sid)
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
        now = self.clock()
        with contextlib.suppress(RoomNotFound):
            await self.store.apply(
                room_id, lambda state, _: admission.leave(state, sid, reason, now)
            )

    async def _seated_room(self, sid: str) -> str | None:
        """The room this connection holds a seat (or waits) in, if it still does."""
        room_id = self.sessions[sid].room_id
        if room_id is None:
            return None
        try:
            state = await self.store.snapshot(room_id)
        except RoomNotFound:
            state = None
        if state is None or (
            state.member_by_sid(sid) is None and state.waiting_by_sid(sid) is None
        ):
            # The room closed, or the seat was lost while the connection stayed up.
            await self._unseat(sid, room_id)
            return None
        return room_id

    async def info(self, sid: str, raw: object) -> Payload:
        """The room's name and guidelines, for someone about to join: shown before they
        consent and enter, so nobody sees them in the room before they have agreed."""
        request = JoinRequest.parse(raw)
        room = await self.store.room_info(request.room)
        await self.store.snapshot(request.room)  # raises RoomNotFound unless it is open
        if room is None:
            raise RoomNotFound(f"room {request.room!r} is not open")
        actions.check_invited(room, self.sessions[sid].identity)
        return protocol.ok(room=protocol.dump_room(room))

    async def join(self, sid: str, raw: object) -> Payload:
        request = JoinRequest.parse(raw)
        current = await self._seated_room(sid)
        if current is not None and current != request.room:
            raise HearthError("leave your current room first", ErrorCode.ALREADY_IN_ROOM)
        identity = self.sessions[sid].identity
        seat_id = tokens.member_id(self.settings, request.room, identity.subject)
        # In the Socket.IO room before the seat exists, so no event after the snapshot is
        # missed; the client drops events whose seq the snapshot already holds. Not if the
        # join will wait: waiting people see nothing of the room.
        with contextlib.suppress(RoomNotFound):
            ahead = await self.store.snapshot(request.room)
            if not admission.would_wait(ahead, identity, seat_id):
                await self.sio.enter_room(sid, socket_room(request.room))
        try:
            seating = await self._take_seat(sid, request.room)
        except BaseException:
            if current is None:
                await self.sio.leave_room(sid, socket_room(request.room))
            raise
        change = seating.change
        self.sessions[sid] = replace(self.sessions[sid], room_id=request.room)
        if change.replaced is not None:
            await self._replace(change.replaced.sid)
        place = admission.position(change.state, sid)
        if place is None:
            await self.sio.enter_room(sid, socket_room(request.room))  # if the room changed
        else:
            await self.sio.leave_room(sid, socket_room(request.room))
            return protocol.ok(
                you=seat_id, waiting={"room": request.room, "position": place[0], "of": place[1]}
            )
        snapshot = protocol.dump_snapshot(seating.room, change.state)
        audio = {}
        if seating.room.audio:
            servers = protocol.dump_ice_servers(self.settings.ice_servers)
            if self.settings.turn_secret is not None:
                servers.append(tokens.turn_credentials(self.settings, seat_id))
            audio = {"ice_servers": servers}
        return protocol.ok(
            you=seat_id,
            snapshot=snapshot,
            **audio,
            **self._view(change.state, sid, seating.unattended),
        )

    @staticmethod
    def _view(state: RoomState, sid: str, unattended_since: int | None = None) -> Payload:
        """The moderators' part of a snapshot, for a moderator."""
        member = state.member_by_sid(sid)
        if member is None or not roles.is_moderator(member):
            return {}
        since = unattended_since if member.role in {Role.FACILITATOR, Role.ADMIN} else None
        return {"moderation": protocol.dump_moderation(state, since or state.unattended_since)}

    async def _take_seat(self, sid: str, room_id: str) -> Seating:
        identity = self.sessions[sid].identity
        seat_id = tokens.member_id(self.settings, room_id, identity.subject)
        connection = Connection(self.process_id, sid)
        known = await self.store.room_info(room_id)
        bans = await self.store.bans(ban_keys(known)) if known else []
        banned_elsewhere = any(ban.subject == identity.subject for ban in bans)
        await self.store.hold(self.process_id, room_id)
        seen: list[tuple[RoomInfo, int | None]] = []  # what the rule saw, for the ack

        def seat(state: RoomState, room: RoomInfo) -> actions.Change:
            seen[:] = [(room, state.unattended_since)]
            return admission.join(
                state,
                room,
                identity,
                seat_id,
                connection,
                self.clock(),
                banned_elsewhere=banned_elsewhere,
            )

        change = await self.store.apply(room_id, seat)
        return Seating(seat_id, seen[0][0], change, seen[0][1])

    async def reseat_lost_members(self) -> None:
        """After this process's heartbeat lapsed, other processes may have freed the seats
        of people who are in fact still connected here: seat them again. The room saw
        them leave and sees them join; their clients follow along by sequence number.
        Where the room no longer admits them (closed, full), they stay out."""
        for sid, session in list(self.sessions.items()):
            if session.room_id is None:
                continue
            try:
                state = await self.store.snapshot(session.room_id)
                if state.member_by_sid(sid) is None and admission.position(state, sid) is None:
                    await self._take_seat(sid, session.room_id)
            except RoomNotFound:
                await self._unseat(sid, session.room_id)
            except HearthError as refusal:
                log.info("could not seat a member again: %s", refusal.code)
                await self._unseat(sid, session.room_id)

    async def _unseat(self, sid: str, room_id: str) -> None:
        if sid in self.sessions:
            self.sessions[sid] = replace(self.sessions[sid], room_id=None)
        await self.sio.leave_room(sid, socket_room(room_id))

    async def _replace(self, old_sid: str) -> None:
        message = "you joined from another window or device; this one has left the room"
        await self.sio.emit(str(ServerEvent.SESSION_REPLACED), {"message": message}, to=old_sid)
        await self.sio.disconnect(old_sid)

    async def require_room(self, sid: str) -> str:
        room_id = self.sessions[sid].room_id
        if room_id is None:
            raise HearthError("join a room first", ErrorCode.NOT_IN_ROOM)
        return room_id

    async def leave(self, sid: str, raw: object) -> Payload:
        protocol.expect_nothing(raw)
        room_id = await self.require_room(sid)
        await self._vacate(room_id, sid, LeaveReason.LEFT)
        await self._unseat(sid, room_id)
        return protocol.ok()

    async def snapshot(self, sid: str, raw: object) -> Payload:
        protocol.expect_nothing(raw)
        room_id = await self.require_room(sid)
        state = await self.store.snapshot(room_id)
        info = await self.store.room_info(room_id)
        if info is None or state.member_by_sid(sid) is None:
            raise HearthError("you are not in this room", ErrorCode.NOT_IN_ROOM)
        return protocol.ok(snapshot=protocol.dump_snapshot(info, state), **self._view(state, sid))

    async def limit(self, sid: str, room_id: str, activity: Activity) -> None:
        """Count one ``activity`` of this participant; refused beyond the room's limit.
        Facilitators and admins are never limited."""
        identity = self.sessions[sid].identity
        if identity.role in {Role.FACILITATOR, Role.ADMIN}:
            return
        limit = self.settings.limit(activity)
        member_id = tokens.member_id(self.settings, room_id, identity.subject)
        place = counter(room_id, member_id, activity, limit, self.clock())
        check(await self.store.count(place.key, place.expires_in_ms), limit, activity)

    async def chat(self, sid: str, raw: object) -> Payload:
        request = ChatRequest.parse(raw)
        room_id = await self.require_room(sid)
        await self.limit(sid, room_id, Activity.CHAT)
        now = self.clock()
        change = await self.store.apply(
            room_id, lambda state, _: messages.post_chat(state, sid, request.text, now)
        )
        return protocol.ok(message=protocol.dump_message(change.state.chat[-1]))

    async def react(self, sid: str, raw: object) -> Payload:
        request = ReactionRequest.parse(raw)
        room_id = await self.require_room(sid)
        await self.limit(sid, room_id, Activity.REACTION)
        change = await self.store.apply(
            room_id, lambda state, _: messages.react(state, sid, request.reaction)
        )
        return protocol.ok(seq=change.state.seq)

    async def _hand(
        self, rule: Callable[[RoomState, str], actions.Change], sid: str, raw: object
    ) -> Payload:
        protocol.expect_nothing(raw)
        room_id = await self.require_room(sid)
        await self.limit(sid, room_id, Activity.HAND)
        change = await self.store.apply(room_id, lambda state, _: rule(state, sid))
        return protocol.ok(hands=list(change.state.hands), seq=change.state.seq)
