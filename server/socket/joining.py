"""Entering and leaving a room over Socket.IO: ``room:info`` (what someone sees before
they consent), ``room:join`` (a seat or a waiting place, and on a rejoin exactly the
events missed, ``server.socket.resume``), ``room:leave`` and ``room:snapshot``.

The seats themselves are ``server.socket.seating``; refusals become error acks through
``Hub.register``, like every other event.
"""

from __future__ import annotations

import contextlib
from dataclasses import replace
from datetime import UTC, datetime

from moderation import admission, roles
from moderation.script import shown as shown_script
from rooms.errors import ErrorCode, HearthError, NotInRoom, RoomNotFound
from rooms.events import LeaveReason
from rooms.history import may_replay
from rooms.identity import Identity
from rooms.room import check_invited
from server import tokens, wire
from server.errors import NotOpenYet, StoreUnavailable
from server.socket.hub import Handler, Hub
from server.socket.resume import missed_by
from server.socket.seating import moderator_view
from server.socket.sessions import leave_broadcast
from server.wire import ClientEvent, JoinRequest, Payload, encoded


class Joining:
    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.store = hub.store
        self.seats = hub.seats
        self.rosters = encoded.Rosters()  # each room's seats as JSON, for snapshots
        handlers: dict[ClientEvent, Handler] = {
            ClientEvent.INFO: self.info,
            ClientEvent.JOIN: self.join,
            ClientEvent.LEAVE: self.leave,
            ClientEvent.SNAPSHOT: self.snapshot,
        }
        for event, handler in handlers.items():
            hub.register(event, handler)

    async def info(self, sid: str, raw: object) -> Payload:
        """The room's name and guidelines, for someone about to join: shown before they
        consent and enter, so nobody sees them in the room before they have agreed."""
        request = JoinRequest.parse(raw)
        identity = self.hub.sessions[sid].identity
        room = await self.store.room_info(request.room)
        try:
            state = await self.store.snapshot(request.room)  # RoomNotFound unless it is open
        except RoomNotFound:
            room = None
        if room is None:
            raise await self._not_open(request.room, identity)
        check_invited(room, identity)
        return wire.ok(room=wire.dump_room(room), script=shown_script(state, room))

    async def join(self, sid: str, raw: object) -> Payload:
        request = JoinRequest.parse(raw)
        session = self.hub.sessions[sid]
        seat_id = self.seats.seat_id(sid, request.room)
        limit = self.hub.abuse.count_join(session.identity, session.address)
        if session.room_id is not None:
            # Seated somewhere already: counted first, then whether that seat still
            # stands (a read). A first join sends its count with the room's bans.
            if limit is not None:
                await limit
                limit = None
            current = await self.seats.seated_room(sid)
            if current is not None and current != request.room:
                raise HearthError("leave your current room first", ErrorCode.ALREADY_IN_ROOM)
        try:
            seated = await self.seats.take(sid, request.room, limit)
        except RoomNotFound:
            raise await self._not_open(request.room, session.identity) from None
        change = seated.change
        self.hub.sessions[sid] = replace(self.hub.sessions[sid], room_id=request.room)
        if change.replaced is not None:
            await self.seats.replace(change.replaced.sid)
        place = admission.position(change.state, sid)
        if place is not None:
            return wire.ok(you=seat_id, waiting=wire.dump_waiting_place(request.room, *place))
        missed = None
        if request.since is not None and may_replay(
            change.state, seated.room, seat_id, request.since
        ):
            with contextlib.suppress(StoreUnavailable):  # then a snapshot will do
                missed = await missed_by(self.store, request, change.state)
        snapshot = encoded.payload(
            wire.dump_snapshot(
                seated.room,
                change.state,
                facilitator_present=roles.facilitator_present(change.state),
                viewer=seat_id,
                participants=self.rosters.participants(change.state),
            )
        )
        resumed = {"snapshot": snapshot} if missed is None else {"missed": missed}
        audio = {}
        settings = self.hub.settings
        if seated.room.audio:
            servers = wire.dump_ice_servers(settings.ice_servers)
            if settings.turn_secret is not None:
                servers.append(tokens.turn_credentials(settings, seat_id))
            audio = {"ice_servers": servers}
        return encoded.payload(
            wire.ok(
                you=seat_id,
                seq=change.state.seq,
                opening=change.state.opening,
                now=self.hub.clock(),  # the server's clock: a page shows a round's time left
                **resumed,
                **audio,
                **moderator_view(change.state, sid, seated.unattended),
            )
        )

    async def _not_open(self, room_id: str, identity: Identity) -> HearthError:
        """Why there is no open room by this id: for a scheduled room the visitor may
        enter, when its next meeting opens (``room_not_open`` with ``opens_at``); else
        ``room_not_found``. Nobody learns a room's schedule their token does not admit."""
        gone = RoomNotFound(f"room {room_id!r} is not open")
        defined = next((r for r in await self.store.rooms() if r.room_id == room_id), None)
        try:
            if defined is not None:
                check_invited(defined, identity)
        except HearthError:
            defined = None  # not theirs to know about, not even that it exists
        if defined is None:
            return gone
        now = datetime.fromtimestamp(self.hub.clock() / 1000, UTC)
        for series in await self.store.all_series():
            if series.room_id != room_id:
                continue
            for meeting in series.upcoming(now, 1):
                opens_at = int(meeting.opens_at.timestamp() * 1000)
                return NotOpenYet(f"room {room_id!r} opens later", opens_at)
        return gone

    async def leave(self, sid: str, raw: object) -> Payload:
        wire.expect_nothing(raw)
        room_id = await self.hub.require_room(sid)
        leave_broadcast(self.hub.sio, sid, room_id)
        await self.seats.vacate(room_id, sid, LeaveReason.LEFT)
        await self.seats.unseat(sid, room_id)
        return wire.ok()

    async def snapshot(self, sid: str, raw: object) -> Payload:
        wire.expect_nothing(raw)
        room_id = await self.hub.require_room(sid)
        state = await self.store.snapshot(room_id)
        info = await self.store.room_info(room_id)
        if info is None:
            raise NotInRoom()
        seat = state.seated(sid)
        snapshot = wire.dump_snapshot(
            info,
            state,
            facilitator_present=roles.facilitator_present(state),
            viewer=seat.member_id,
            participants=self.rosters.participants(state),
        )
        return encoded.payload(
            wire.ok(
                snapshot=encoded.payload(snapshot),
                now=self.hub.clock(),
                **moderator_view(state, sid),
            )
        )
