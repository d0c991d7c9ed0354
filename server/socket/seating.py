"""Where this process's connections sit: taking a seat (or a waiting place) and entering
the room's broadcast in the same step, keeping a dropped connection's seat away, giving
seats up, seating people again after a lapse or an empty Redis restart, and letting go
when a room closes.

The handlers that call these (``room:join``, ``room:leave``, …) are
``server.socket.joining``; the connections themselves are the hub's
(``server.socket.hub``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine
from dataclasses import dataclass, replace
from typing import Any, TypeVar

import socketio

from moderation import admission, roles, service
from moderation.bans import ban_keys
from moderation.ports import RoomStore
from rooms.change import Change, Decided
from rooms.clock import Clock
from rooms.errors import HearthError, RoomNotFound, Unauthorized
from rooms.events import LeaveReason
from rooms.identity import Identity
from rooms.meeting import Duty
from rooms.room import RoomInfo
from rooms.state import Connection, RoomState
from server import tokens, wire
from server.jobs.away import AwaySeats
from server.settings import Settings
from server.socket.claims import RoomClaims
from server.socket.fanout import send_here
from server.socket.releases import PendingReleases, Release
from server.socket.sessions import Session, enter_broadcast, leave_broadcast
from server.wire import Payload, RoomReset, SessionReplaced

log = logging.getLogger(__name__)

T = TypeVar("T")


class _BansElsewhere(Exception):
    """The room's settings name other ban keys than the join looked up."""

    def __init__(self, room: RoomInfo) -> None:
        super().__init__(room.room_id)
        self.room = room


@dataclass(frozen=True, slots=True)
class Seated:
    """The outcome of taking a seat: the seat's id, the room's settings, the change."""

    seat_id: str
    room: RoomInfo
    change: Change
    unattended: int | None


async def _counted_with(limit: Coroutine[Any, Any, None] | None, read: Coroutine[Any, Any, T]) -> T:
    """``read`` sent together with the join limit's count: one round trip, not two. The
    limit's refusal comes first, as when the count went alone before the read."""
    if limit is None:
        return await read
    both: tuple[BaseException | None, T | BaseException]
    both = await asyncio.gather(limit, read, return_exceptions=True)
    counted, found = both
    if isinstance(counted, BaseException):
        raise counted
    if isinstance(found, BaseException):
        raise found
    return found


def moderator_view(state: RoomState, sid: str, unattended_since: int | None = None) -> Payload:
    """The moderators' part of a snapshot, for a moderator or the greeter."""
    member = state.member_by_sid(sid)
    if member is None or not service.serves(state, member, Duty.GREETER):
        return {}
    since = unattended_since if member.role.keeps_room_safe else None
    return {"moderation": wire.dump_moderation(state, since or state.unattended_since)}


class Seats:
    def __init__(
        self,
        sio: socketio.AsyncServer,
        store: RoomStore,
        settings: Settings,
        process_id: str,
        clock: Clock,
        sessions: dict[str, Session],
        claims: RoomClaims,
    ) -> None:
        self.sio = sio
        self.store = store
        self.settings = settings
        self.process_id = process_id
        self.clock = clock.ms
        self.sessions = sessions  # the hub's, shared
        self.claims = claims
        # Seats of closed connections the store could not free yet; their rooms stay
        # claimed (on the roll) until each lands.
        self.releases = PendingReleases(store, clock, self._released)
        # Seats of dropped connections, kept away for the grace, then freed by the sweep.
        self.away = AwaySeats(store, claims, clock, settings.away_grace_ms)

    def seat_id(self, sid: str, room_id: str) -> str:
        return tokens.member_id(self.settings, room_id, self.sessions[sid].identity.subject)

    async def take(
        self, sid: str, room_id: str, limit: Coroutine[Any, Any, None] | None = None
    ) -> Seated:
        """Take a seat (or a place in the waiting room) and, once it is granted, enter
        the room's broadcast in the same step.

        Why no event is missed or leaked: the connection enters the broadcast only after
        the commit that seats it returns, and nothing between that return and
        ``enter_broadcast`` awaits. With Redis, other processes' events (and our own,
        which the commit script publishes) are delivered by the manager's listener task,
        which runs only while this task is suspended: if this process already follows
        the room's channel, every event committed after ours is dispatched after we are
        in the broadcast; if it does not yet, it subscribes now and, once Redis confirms,
        reads every event after our commit's seq from the room's log before the live
        ones (``server.socket.relay``). The snapshot in the ack is the state our commit
        wrote. Events from before ours that the listener had not yet dispatched may
        arrive too; the client drops seq its snapshot holds. With the
        embedded store, events are delivered inside ``apply`` under the room's lock;
        the next change to the room runs only once this task suspends. A refused or
        waiting join never enters, so it receives nothing of the room.

        ``limit`` is the join limit's count (``AbuseLimits.count_join``), sent together
        with the first read: a join it refuses is refused, whatever the read found.

        With Redis, a join into a room this process holds is two round trips: the join
        limit and the room's bans, sent together, then the commit (the settings are the
        ones this process last saw, the roster is never read: the ack's snapshot is the
        committed state). The first join here of a room also reads it, to refuse before
        the hold.
        """
        identity = self.sessions[sid].identity
        seat_id = self.seat_id(sid, room_id)
        connection = Connection(self.process_id, sid)
        # The settings this process last saw (no read): they name where the bans are
        # kept, and the rule below refuses to seat on bans looked up elsewhere.
        known = self.store.remembered_room(room_id)
        if known is None:
            known = await _counted_with(limit, self.store.room_info(room_id))
            limit = None
            if known is None:
                raise RoomNotFound(f"room {room_id!r} is not open")
        keys = ban_keys(known)
        bans = await _counted_with(limit, self.store.bans(keys))
        banned_elsewhere = any(ban.subject == identity.subject for ban in bans)
        if not self.claims.holds(room_id):
            # Refused as the room is now, before anything about this join is kept (the
            # roll). Once the room is held here, the rule's own refusal is as early.
            ahead = await self.store.snapshot(room_id)
            admission.join(
                ahead, known, identity, seat_id, connection, self.clock(),
                banned_elsewhere=banned_elsewhere,
            )  # fmt: skip
        self.claims.claim(room_id, sid)

        def seat(state: RoomState, room: RoomInfo) -> Decided[admission.Entry]:
            if ban_keys(room) != keys:
                raise _BansElsewhere(room)
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
            try:
                entered = await self.store.apply(room_id, seat)
            except _BansElsewhere as moved:
                # The room's series changed since we last saw it: its bans are looked up
                # where they are kept now, and the seat taken on them.
                keys = ban_keys(moved.room)
                bans = await self.store.bans(keys)
                banned_elsewhere = any(ban.subject == identity.subject for ban in bans)
                entered = await self.store.apply(room_id, seat)
            change = entered.change
        except BaseException:
            session = self.sessions.get(sid)
            if session is None or session.room_id != room_id:
                self.claims.unclaim(room_id, sid)
            raise
        if sid not in self.sessions:
            # The connection closed while its seat was being taken: give the seat back.
            await self.release(identity, room_id, sid)
            raise Unauthorized("this connection has closed")
        self.releases.supersede(room_id, seat_id)  # this join took over the old seat
        if change.state.member_by_sid(sid) is not None:
            enter_broadcast(self.sio, sid, room_id, change.state.seq)
        else:  # waiting: waiting people see nothing of the room
            leave_broadcast(self.sio, sid, room_id)
        return Seated(seat_id, entered.result.room, change, entered.result.unattended_since)

    async def seated_room(self, sid: str) -> str | None:
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
            await self.unseat(sid, room_id)
            return None
        return room_id

    async def release(self, identity: Identity, room_id: str, sid: str) -> None:
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

    async def vacate(self, room_id: str, sid: str, reason: LeaveReason) -> None:
        """Give the seat up now (left, or ended on purpose): no away grace."""
        now = self.clock()
        with contextlib.suppress(RoomNotFound):
            await self.store.apply(
                room_id, lambda state, _: admission.leave(state, sid, reason, now)
            )

    async def unseat(self, sid: str, room_id: str) -> None:
        """Forget the connection's room here: out of its broadcast, off the roll."""
        if sid in self.sessions:
            self.sessions[sid] = replace(self.sessions[sid], room_id=None)
        leave_broadcast(self.sio, sid, room_id)
        self.claims.unclaim(room_id, sid)

    async def replace(self, old_sid: str) -> None:
        """The same identity took its seat from another connection: the old one is told
        and closed."""
        name, payload = SessionReplaced().dump()
        await self.sio.emit(str(name), payload, to=old_sid)
        await self.sio.disconnect(old_sid)

    def room_closed(self, room_id: str, sids: list[str]) -> None:
        """The room's close reached our connections in it: they hold no seat now. Called
        by the manager as it delivers ``room:closed``, in the same step as it empties
        the broadcast."""
        for sid in sids:
            session = self.sessions.get(sid)
            if session is not None and session.room_id == room_id:
                self.sessions[sid] = replace(session, room_id=None)
            self.claims.unclaim(room_id, sid)

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
                    await self.take(sid, session.room_id)
            except RoomNotFound:
                await self.unseat(sid, session.room_id)
            except HearthError as refusal:
                log.info("could not seat a member again: %s", refusal.code)
                await self.unseat(sid, session.room_id)

    async def _seat_anew(self, sid: str, room_id: str) -> None:
        # Out of the broadcast first: the fresh room's seq starts again from 1, which the
        # client would take for events it has seen; it follows the room again from the
        # reset's snapshot, which is the state the seating commit wrote.
        leave_broadcast(self.sio, sid, room_id)
        seated = await self.take(sid, room_id)
        state = seated.change.state
        if state.member_by_sid(sid) is None:
            return  # waiting: its place in the queue is its own private event
        snapshot = wire.dump_snapshot(
            seated.room,
            state,
            facilitator_present=roles.facilitator_present(state),
            viewer=seated.seat_id,
        )
        view = moderator_view(state, sid, seated.unattended).get("moderation")
        name, payload = RoomReset(room_id, seated.seat_id, snapshot, view).dump()
        # No await since ``take`` entered the broadcast: every event committed after
        # the seating reaches this connection after its reset (the join's argument).
        send_here(self.sio.manager, str(name), payload, sid)
