"""The Socket.IO adapter: connections, and client events turned into room rules.

Every client event is acknowledged: its refusals become acks in ``_acknowledged``, a
refused connection in ``connect``, both through the one error map (``server.errors``).
Unexpected failures are logged with the event name and never shown to the client beyond
an ``internal_error`` code.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

import socketio

from moderation import admission, messages, rate_limits, roles
from moderation.bans import ban_keys
from moderation.ports import RoomStore
from moderation.rate_limits import Activity, Limit, check, counter
from rooms.change import Change, Decided
from rooms.clock import Clock
from rooms.errors import (
    ErrorCode,
    HearthError,
    NotInRoom,
    Refused,
    RoomNotFound,
    Unauthorized,
)
from rooms.events import LeaveReason
from rooms.identity import Identity
from rooms.room import RoomInfo, check_invited
from rooms.state import Connection, RoomState
from server import errors, operations, tokens, wire
from server.addresses import KnownOverLimit, address_counter, address_tag
from server.clock import SYSTEM_CLOCK
from server.errors import ServerCode, ServerError
from server.manager import ROOM_PREFIX
from server.settings import Settings
from server.wire import (
    ChatRequest,
    ClientEvent,
    JoinRequest,
    OpRequest,
    Payload,
    ReactionRequest,
    SessionEnded,
    SessionReplaced,
)

log = logging.getLogger(__name__)

Handler = Callable[[str, object], Awaitable[Payload]]


def socket_room(room_id: str) -> str:
    return f"{ROOM_PREFIX}{room_id}"


@dataclass(frozen=True, slots=True)
class Seating:
    """The outcome of taking a seat: the seat's id, the room's settings, the change."""

    seat_id: str
    room: RoomInfo
    change: Change
    unattended: int | None


@dataclass(frozen=True, slots=True)
class Session:
    identity: Identity
    address: str  # the HMAC tag of the client's address, never the address
    room_id: str | None = None


def _unlimited(identity: Identity) -> bool:
    """Facilitators and admins must always be able to reach and keep a room safe."""
    return identity.role.keeps_room_safe


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
        self._connections: Counter[str] = Counter()  # per address tag, on this process
        self._over = KnownOverLimit()
        # Per connection: (window, rate_limited refusals in it), to end connections that
        # keep sending after being told to slow down.
        self._strikes: dict[str, tuple[int, int]] = {}
        # The process roll: rooms this process has told the store it seats people in,
        # and the connections here that hold (or are taking) a seat or a place in each.
        # A room is held before its first seat is taken and dropped by ``settle_roll``
        # once nobody here claims it, one roll write at a time so a drop never overtakes
        # a hold.
        self._claims: dict[str, set[str]] = {}
        self._held: set[str] = set()
        self._roll = asyncio.Lock()
        getattr(sio.manager, "on_room_closed", []).append(self.room_closed)
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
            if error.code == ErrorCode.RATE_LIMITED:
                await self._strike(sid)
            return errors.ack(error)
        except Exception:
            log.exception("event %s failed", event)
            return errors.ack(errors.internal())

    async def unknown_event(self, event: str, sid: str, *args: Any) -> Payload:
        log.info("refused unknown event %.40r", event)
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
            if not _unlimited(identity):
                self._admit_address(address)
        except HearthError as error:
            raise errors.connection_refused(error) from None
        # No await from the count to here: two connects cannot both take the last place.
        if not _unlimited(identity):
            self._connections[address] += 1
        self.sessions[sid] = Session(identity, address)

    def blocked_for(self, address: str, now: int) -> int:
        """How long (ms) this process refuses new connections from an address over a
        limit: one over its join attempts (a new connection could not join anyway) or that
        had a connection ended for ignoring refusals, until that window ends; 0 if not.
        A dict lookup: the handshake gate (``server.gate``) asks it of every handshake."""
        joins = address_counter(address, "join", self.settings.join_limit, now)
        return max(self._over.left(joins, now), self._over.left(self._ended(address, now), now))

    def _admit_address(self, address: str) -> None:
        """Refuse a new connection from an address over a limit, in-process: its
        handshake passed the gate before the address was blocked."""
        if self.blocked_for(address, self.clock()):
            raise Refused(
                "too many requests from your network; wait a few seconds", ErrorCode.RATE_LIMITED
            )
        if self._connections[address] >= self.settings.connections_per_address:
            raise ServerError(
                "too many connections from your network; close some and try again",
                ServerCode.TOO_MANY_CONNECTIONS,
            )

    def _ended(self, address: str, now: int) -> rate_limits.Counter:
        return address_counter(address, "ended", Limit(1, self.settings.rate_window_ms), now)

    async def _strike(self, sid: str) -> None:
        """Count a ``rate_limited`` refusal; a connection refused more than
        ``refusals_before_disconnect`` times in one window is told why and closed, and its
        address may not connect again until the window ends."""
        session = self.sessions.get(sid)
        if session is None:
            return
        now = self.clock()
        window = now // self.settings.rate_window_ms
        seen, strikes = self._strikes.get(sid, (window, 0))
        strikes = strikes + 1 if seen == window else 1
        self._strikes[sid] = (window, strikes)
        if strikes <= self.settings.refusals_before_disconnect:
            return
        self._over.remember(self._ended(session.address, now), now)
        log.info("closed a connection that kept sending after rate_limited refusals")
        message = "this connection kept sending after being asked to slow down; wait a few seconds"
        name, payload = SessionEnded(str(ErrorCode.RATE_LIMITED), message).dump()
        await self.sio.emit(
            str(name),
            payload,
            to=sid,
        )
        await self.sio.disconnect(sid)

    async def disconnect(self, sid: str, reason: object = None) -> None:
        self._strikes.pop(sid, None)
        session = self.sessions.pop(sid, None)
        for departed in self.on_disconnect:
            departed(sid)
        if session is None:
            return
        if not _unlimited(session.identity):
            self._connections[session.address] -= 1
            if self._connections[session.address] <= 0:
                del self._connections[session.address]
        if session.room_id is not None:
            # Out of the broadcast in the same step as the seat starts to go.
            self._leave_broadcast(sid, session.room_id)
            await self._vacate(session.room_id, sid, LeaveReason.DISCONNECTED)
            self._unclaim(session.room_id, sid)

    def _enter_broadcast(self, sid: str, room_id: str) -> None:
        # The manager's own bookkeeping, not ``sio.enter_room``: a plain call cannot
        # suspend, which the no-gap argument in ``join`` relies on.
        self.sio.manager.basic_enter_room(sid, "/", socket_room(room_id))

    def _leave_broadcast(self, sid: str, room_id: str) -> None:
        self.sio.manager.basic_leave_room(sid, "/", socket_room(room_id))

    def room_closed(self, room_id: str, sids: list[str]) -> None:
        """The room's close reached our connections in it: they hold no seat now. Called
        by the manager as it delivers ``room:closed``, in the same step as it empties
        the broadcast."""
        for sid in sids:
            session = self.sessions.get(sid)
            if session is not None and session.room_id == room_id:
                self.sessions[sid] = replace(session, room_id=None)
            self._unclaim(room_id, sid)

    def _claim(self, room_id: str, sid: str) -> None:
        self._claims.setdefault(room_id, set()).add(sid)

    def _unclaim(self, room_id: str, sid: str) -> None:
        claims = self._claims.get(room_id)
        if claims is not None:
            claims.discard(sid)
            if not claims:
                del self._claims[room_id]

    async def _hold(self, room_id: str) -> None:
        """Put the room on this process's roll before its first seat here is taken, so a
        reaper always finds every seat of ours if this process dies."""
        if room_id in self._held:
            return
        async with self._roll:
            if room_id not in self._held and room_id in self._claims:
                await self.store.hold(self.process_id, room_id)
                self._held.add(room_id)

    async def settle_roll(self) -> None:
        """Take off the roll each room where nobody here holds or is taking a seat (the
        last seat left, or every join was refused). Runs with the heartbeat."""
        for room_id in sorted(self._held - set(self._claims)):
            async with self._roll:
                if room_id in self._held and room_id not in self._claims:
                    await self.store.drop_hold(self.process_id, room_id)
                    self._held.discard(room_id)

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
        check_invited(room, self.sessions[sid].identity)
        return wire.ok(room=wire.dump_room(room))

    async def _count_join(self, sid: str) -> None:
        """Join attempts per address (every process alike): refused joins cost reads, so
        one address may not make them without end."""
        session = self.sessions[sid]
        if _unlimited(session.identity):
            return
        limit = self.settings.join_limit
        now = self.clock()
        place = address_counter(session.address, "join", limit, now)
        if self._over.known(place, now):
            raise Refused(
                "too many joins from your network; wait a few seconds", ErrorCode.RATE_LIMITED
            )
        if await self.store.count(place.key, place.expires_in_ms) > limit.count:
            self._over.remember(place, now)
            raise Refused(
                "too many joins from your network; wait a few seconds", ErrorCode.RATE_LIMITED
            )

    async def join(self, sid: str, raw: object) -> Payload:
        request = JoinRequest.parse(raw)
        await self._count_join(sid)
        current = await self._seated_room(sid)
        if current is not None and current != request.room:
            raise HearthError("leave your current room first", ErrorCode.ALREADY_IN_ROOM)
        identity = self.sessions[sid].identity
        seat_id = tokens.member_id(self.settings, request.room, identity.subject)
        seating = await self._take_seat(sid, request.room)
        change = seating.change
        self.sessions[sid] = replace(self.sessions[sid], room_id=request.room)
        if change.replaced is not None:
            await self._replace(change.replaced.sid)
        place = admission.position(change.state, sid)
        if place is not None:
            return wire.ok(you=seat_id, waiting=wire.dump_waiting_place(request.room, *place))
        snapshot = wire.dump_snapshot(
            seating.room, change.state, facilitator_present=roles.facilitator_present(change.state)
        )
        audio = {}
        if seating.room.audio:
            servers = wire.dump_ice_servers(self.settings.ice_servers)
            if self.settings.turn_secret is not None:
                servers.append(tokens.turn_credentials(self.settings, seat_id))
            audio = {"ice_servers": servers}
        return wire.ok(
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
        since = unattended_since if member.role.keeps_room_safe else None
        return {"moderation": wire.dump_moderation(state, since or state.unattended_since)}

    async def _take_seat(self, sid: str, room_id: str) -> Seating:
        """Take a seat (or a place in the waiting room) and, once it is granted, enter
        the room's broadcast in the same step.

        Why no event is missed or leaked: the connection enters the broadcast only after
        the commit that seats it returns, and nothing between that return and
        ``_enter_broadcast`` awaits. With Redis, other processes' events (and our own,
        which the commit script publishes) are delivered by the manager's listener task,
        which runs only while this task is suspended: every event committed after ours
        is dispatched after we are in the broadcast, and the snapshot in the ack is the
        state our commit wrote. Events from before ours that the listener had not yet
        dispatched may arrive too; the client drops seq its snapshot holds. With the
        embedded store, events are delivered inside ``apply`` under the room's lock;
        the next change to the room runs only once this task suspends. A refused or
        waiting join never enters, so it receives nothing of the room.
        """
        identity = self.sessions[sid].identity
        seat_id = tokens.member_id(self.settings, room_id, identity.subject)
        connection = Connection(self.process_id, sid)
        known = await self.store.room_info(room_id)
        if known is None:
            raise RoomNotFound(f"room {room_id!r} is not open")
        bans = await self.store.bans(ban_keys(known))
        banned_elsewhere = any(ban.subject == identity.subject for ban in bans)
        # Refused as the room is now, before anything about this join is kept (the roll).
        ahead = await self.store.snapshot(room_id)
        admission.join(
            ahead, known, identity, seat_id, connection, self.clock(),
            banned_elsewhere=banned_elsewhere,
        )  # fmt: skip
        self._claim(room_id, sid)

        def seat(state: RoomState, room: RoomInfo) -> Decided[admission.Entry]:
            return admission.join(
                state,
                room,
                identity,
                seat_id,
                connection,
                self.clock(),
                banned_elsewhere=banned_elsewhere,
            )

        try:
            await self._hold(room_id)
            entered = await self.store.apply(room_id, seat)
            change = entered.change
        except BaseException:
            session = self.sessions.get(sid)
            if session is None or session.room_id != room_id:
                self._unclaim(room_id, sid)
            raise
        if sid not in self.sessions:
            # The connection closed while its seat was being taken: give the seat back.
            self._unclaim(room_id, sid)
            await self._vacate(room_id, sid, LeaveReason.DISCONNECTED)
            raise Unauthorized("this connection has closed")
        if change.state.member_by_sid(sid) is not None:
            self._enter_broadcast(sid, room_id)
        else:  # waiting: waiting people see nothing of the room
            self._leave_broadcast(sid, room_id)
        return Seating(seat_id, entered.result.room, change, entered.result.unattended_since)

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
        self._leave_broadcast(sid, room_id)
        self._unclaim(room_id, sid)

    async def _replace(self, old_sid: str) -> None:
        name, payload = SessionReplaced().dump()
        await self.sio.emit(str(name), payload, to=old_sid)
        await self.sio.disconnect(old_sid)

    async def require_room(self, sid: str) -> str:
        room_id = self.sessions[sid].room_id
        if room_id is None:
            raise NotInRoom("join a room first")
        return room_id

    async def leave(self, sid: str, raw: object) -> Payload:
        wire.expect_nothing(raw)
        room_id = await self.require_room(sid)
        self._leave_broadcast(sid, room_id)
        await self._vacate(room_id, sid, LeaveReason.LEFT)
        await self._unseat(sid, room_id)
        return wire.ok()

    async def snapshot(self, sid: str, raw: object) -> Payload:
        wire.expect_nothing(raw)
        room_id = await self.require_room(sid)
        state = await self.store.snapshot(room_id)
        info = await self.store.room_info(room_id)
        if info is None:
            raise NotInRoom()
        state.seated(sid)
        return wire.ok(
            snapshot=wire.dump_snapshot(
                info, state, facilitator_present=roles.facilitator_present(state)
            ),
            **self._view(state, sid),
        )

    async def limit(self, sid: str, room_id: str, activity: Activity) -> None:
        """Count one ``activity`` of this participant and of their address (so many
        keyless guests from one address share a limit too), in one store round trip;
        refused beyond either, and without the round trip once this process knows either
        counter is over for its window. Facilitators and admins are never limited."""
        session = self.sessions[sid]
        if _unlimited(session.identity):
            return
        now = self.clock()
        limit = self.settings.limit(activity)
        shared = self.settings.address_limit(activity)
        member_id = self.member_id(sid, room_id)
        mine = counter(room_id, member_id, activity, limit, now)
        ours = address_counter(session.address, str(activity), shared, now)
        places = ((mine, limit), (ours, shared))
        for place, bound in places:
            if self._over.known(place, now):
                check(bound.count + 1, bound, activity)
        counts = await self.store.count_many(
            [(mine.key, mine.expires_in_ms), (ours.key, ours.expires_in_ms)]
        )
        for count, (place, bound) in zip(counts, places, strict=True):
            if count > bound.count:
                self._over.remember(place, now)
                check(count, bound, activity)

    def member_id(self, sid: str, room_id: str) -> str:
        """This connection's seat id in the room (whose operation ids are its own)."""
        return tokens.member_id(self.settings, room_id, self.sessions[sid].identity.subject)

    async def chat(self, sid: str, raw: object) -> Payload:
        request = ChatRequest.parse(raw)
        room_id = await self.require_room(sid)
        await self.limit(sid, room_id, Activity.CHAT)
        now = self.clock()
        return await operations.apply(
            self.store,
            room_id,
            lambda state, _: messages.post_chat(state, sid, request.text, now),
            self.member_id(sid, room_id),
            request.op,
            lambda change: wire.ok(message=wire.dump_message(change.state.chat[-1])),
        )

    async def react(self, sid: str, raw: object) -> Payload:
        request = ReactionRequest.parse(raw)
        room_id = await self.require_room(sid)
        await self.limit(sid, room_id, Activity.REACTION)
        return await operations.apply(
            self.store,
            room_id,
            lambda state, _: messages.react(state, sid, request.reaction),
            self.member_id(sid, room_id),
            request.op,
            lambda change: wire.ok(seq=change.state.seq),
        )

    async def _hand(
        self, rule: Callable[[RoomState, str], Change], sid: str, raw: object
    ) -> Payload:
        request = OpRequest.parse(raw)
        room_id = await self.require_room(sid)
        await self.limit(sid, room_id, Activity.HAND)
        return await operations.apply(
            self.store,
            room_id,
            lambda state, _: rule(state, sid),
            self.member_id(sid, room_id),
            request.op,
            lambda change: wire.ok(hands=list(change.state.hands), seq=change.state.seq),
        )
