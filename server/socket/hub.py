"""The Socket.IO hub: connections and seating (signing in, room info, joining, leaving,
snapshots), and the registry every client event's handler goes through. A participant's
own events are ``server.socket.participation``, facilitators' ``server.socket.facilitation``,
limits per address ``server.socket.abuse``.

Every client event is acknowledged: its refusals become acks in ``_acknowledged``, a
refused connection in ``connect``, both through the one error map (``server.errors``).
Unexpected failures are logged with the event name and never shown to the client beyond
an ``internal_error`` code.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

import socketio

from moderation import admission, roles
from moderation.bans import ban_keys
from moderation.ports import RoomStore
from moderation.rate_limits import Activity
from moderation.script import shown as shown_script
from rooms.change import Change, Decided
from rooms.clock import Clock
from rooms.errors import (
    ErrorCode,
    HearthError,
    NotInRoom,
    RoomNotFound,
    Unauthorized,
)
from rooms.events import LeaveReason
from rooms.history import may_replay
from rooms.identity import Identity
from rooms.room import RoomInfo, check_invited
from rooms.state import Connection, RoomState
from server import errors, tokens, wire
from server.clock import SYSTEM_CLOCK
from server.errors import ServerCode, ServerError, StoreUnavailable
from server.jobs.away import AwaySeats
from server.settings import Settings
from server.socket.abuse import AbuseLimits
from server.socket.addresses import address_tag
from server.socket.claims import RoomClaims
from server.socket.fanout import ROOM_PREFIX, send_here
from server.socket.releases import PendingReleases, Release
from server.socket.resume import missed_events
from server.wire import (
    ClientEvent,
    JoinRequest,
    Payload,
    RoomReset,
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
        # Set while this process drains (``server.jobs.drain``): a closed connection's
        # seat stays, for its person to take back from another process.
        self.keeping_seats = False
        self.abuse = AbuseLimits(settings, store, self.clock)
        self.claims = RoomClaims(store, process_id)
        # What the handshake gate and the heartbeat call (``server.app``).
        self.blocked_for = self.abuse.blocked_for
        self.settle_roll = self.claims.settle
        # Seats of closed connections the store could not free yet; their rooms stay
        # claimed (on the roll) until each lands.
        self.releases = PendingReleases(store, clock, self._released)
        # Seats of dropped connections, kept away for the grace, then freed by the sweep.
        self.away = AwaySeats(store, self.claims, clock, settings.away_grace_ms)
        getattr(sio.manager, "on_room_closed", []).append(self.room_closed)
        sio.on("connect", self.connect)
        sio.on("disconnect", self.disconnect)
        sio.on("*", self.unknown_event)
        handlers: dict[ClientEvent, Handler] = {
            ClientEvent.INFO: self.info,
            ClientEvent.JOIN: self.join,
            ClientEvent.LEAVE: self.leave,
            ClientEvent.SNAPSHOT: self.snapshot,
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
            self.abuse.connect(identity, address)
        except HearthError as error:
            raise errors.connection_refused(error) from None
        # No await from the count to here: two connects cannot both take the last place.
        self.sessions[sid] = Session(identity, address)

    async def _strike(self, sid: str) -> None:
        """A connection that keeps sending after ``rate_limited`` refusals is told why and
        closed (``AbuseLimits.strike``)."""
        session = self.sessions.get(sid)
        if session is None or not self.abuse.strike(sid, session.address):
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
            await self._vacate(session.room_id, sid, LeaveReason.DISCONNECTED)
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
            self._leave_broadcast(sid, session.room_id)
            if not self.keeping_seats:
                await self._release(session.identity, session.room_id, sid)

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
            self.claims.unclaim(room_id, sid)

    async def _release(self, identity: Identity, room_id: str, sid: str) -> None:
        """Keep a dropped connection's seat away for the grace (a waiting place is freed),
        now or, if the store is out of reach, later."""
        seat_id = tokens.member_id(self.settings, room_id, identity.subject)
        until = self.away.deadline()
        await self.releases.release(
            Release(room_id, sid, seat_id, LeaveReason.DISCONNECTED, away_until=until)
        )

    def _released(self, release: Release) -> None:
        """A release landed (or was superseded): an away seat keeps the room claimed
        until its sweep; anything else lets go of it."""
        until = release.away_until
        if until is not None and until > self.clock():
            self.away.note(release.room_id, release.sid, until)
        else:
            self.claims.unclaim(release.room_id, release.sid)

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
        state = await self.store.snapshot(request.room)  # RoomNotFound unless it is open
        if room is None:
            raise RoomNotFound(f"room {request.room!r} is not open")
        check_invited(room, self.sessions[sid].identity)
        return wire.ok(room=wire.dump_room(room), script=shown_script(state, room))

    async def join(self, sid: str, raw: object) -> Payload:
        request = JoinRequest.parse(raw)
        session = self.sessions[sid]
        await self.abuse.count_join(session.identity, session.address)
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
        missed = None
        if request.since is not None and may_replay(
            change.state, seating.room, seat_id, request.since
        ):
            with contextlib.suppress(StoreUnavailable):  # then a snapshot will do
                missed = await missed_events(
                    self.store, request.room, request.since, change.state.seq
                )
        snapshot = wire.dump_snapshot(
            seating.room,
            change.state,
            facilitator_present=roles.facilitator_present(change.state),
            viewer=seat_id,
        )
        resumed = {"snapshot": snapshot} if missed is None else {"missed": missed}
        audio = {}
        if seating.room.audio:
            servers = wire.dump_ice_servers(self.settings.ice_servers)
            if self.settings.turn_secret is not None:
                servers.append(tokens.turn_credentials(self.settings, seat_id))
            audio = {"ice_servers": servers}
        return wire.ok(
            you=seat_id,
            seq=change.state.seq,
            **resumed,
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
        self.claims.claim(room_id, sid)

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
            await self.claims.hold(room_id)
            entered = await self.store.apply(room_id, seat)
            change = entered.change
        except BaseException:
            session = self.sessions.get(sid)
            if session is None or session.room_id != room_id:
                self.claims.unclaim(room_id, sid)
            raise
        if sid not in self.sessions:
            # The connection closed while its seat was being taken: give the seat back.
            await self._release(identity, room_id, sid)
            raise Unauthorized("this connection has closed")
        self.releases.supersede(room_id, seat_id)  # this join took over the old seat
        if change.state.member_by_sid(sid) is not None:
            self._enter_broadcast(sid, room_id)
        else:  # waiting: waiting people see nothing of the room
            self._leave_broadcast(sid, room_id)
        return Seating(seat_id, entered.result.room, change, entered.result.unattended_since)

    def rooms_in_use(self) -> set[str]:
        """The rooms this process's connections are in (or waiting for)."""
        return {s.room_id for s in self.sessions.values() if s.room_id is not None}

    async def reseat_lost_members(self, *, store_lost: bool = False) -> None:
        """After this process's heartbeat lapsed, other processes may have freed the seats
        of people who are in fact still connected here, or marked them away: seat them
        again. The room sees them back (or, if the seat went, join); their clients follow
        along by sequence number.
        Where the room no longer admits them (closed, full), they stay out.

        ``store_lost``: the store lost everything (an empty Redis restart) and
        ``server.jobs.recovery`` opened the rooms again, fresh: each is seated anew and
        told so with the new state (``room:reset``)."""
        if store_lost:
            self.claims.forget_holds()
        for sid, session in list(self.sessions.items()):
            if session.room_id is None:
                continue
            try:
                if store_lost:
                    await self._seat_anew(sid, session.room_id)
                    continue
                state = await self.store.snapshot(session.room_id)
                seat = state.member_by_sid(sid)
                lost = seat is None and admission.position(state, sid) is None
                if lost or (seat is not None and seat.away):
                    await self._take_seat(sid, session.room_id)
            except RoomNotFound:
                await self._unseat(sid, session.room_id)
            except HearthError as refusal:
                log.info("could not seat a member again: %s", refusal.code)
                await self._unseat(sid, session.room_id)

    async def _seat_anew(self, sid: str, room_id: str) -> None:
        # Out of the broadcast first: the fresh room's seq starts again from 1, which the
        # client would take for events it has seen; it follows the room again from the
        # reset's snapshot, which is the state the seating commit wrote.
        self._leave_broadcast(sid, room_id)
        seating = await self._take_seat(sid, room_id)
        state = seating.change.state
        if state.member_by_sid(sid) is None:
            return  # waiting: its place in the queue is its own private event
        snapshot = wire.dump_snapshot(
            seating.room,
            state,
            facilitator_present=roles.facilitator_present(state),
            viewer=seating.seat_id,
        )
        view = self._view(state, sid, seating.unattended).get("moderation")
        name, payload = RoomReset(room_id, seating.seat_id, snapshot, view).dump()
        # No await since ``_take_seat`` entered the broadcast: every event committed after
        # the seating reaches this connection after its reset (the join's argument).
        send_here(self.sio.manager, str(name), payload, sid)

    async def _unseat(self, sid: str, room_id: str) -> None:
        if sid in self.sessions:
            self.sessions[sid] = replace(self.sessions[sid], room_id=None)
        self._leave_broadcast(sid, room_id)
        self.claims.unclaim(room_id, sid)

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
        seat = state.seated(sid)
        return wire.ok(
            snapshot=wire.dump_snapshot(
                info,
                state,
                facilitator_present=roles.facilitator_present(state),
                viewer=seat.member_id,
            ),
            **self._view(state, sid),
        )

    async def limit(self, sid: str, room_id: str, activity: Activity) -> None:
        """Count one ``activity`` of this participant and their address; refused beyond
        either limit (``AbuseLimits.limit``). Facilitators and admins are never limited."""
        session = self.sessions[sid]
        await self.abuse.limit(session.identity, session.address, room_id, activity)

    def member_id(self, sid: str, room_id: str) -> str:
        """This connection's seat id in the room (whose operation ids are its own)."""
        return tokens.member_id(self.settings, room_id, self.sessions[sid].identity.subject)
