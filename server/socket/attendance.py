"""Attendance verifications over Socket.IO: a person asks for one, a facilitator confirms
someone's attendance (the rules are ``rooms.attendance`` and ``moderation.attendance``,
the signing ``server.attendance``).

A verification is made from the room's state as this process reads it and signed here; it
changes nothing and is not kept: the ack carries the token, what it states and the
printable page, and nothing of it is logged.
"""

from __future__ import annotations

from moderation import attendance as confirmations
from moderation.rate_limits import Activity
from rooms import attendance
from rooms.errors import NotInRoom
from server import wire
from server.attendance import AttendanceKeys, AttendanceOff, document
from server.socket.hub import Handler, Hub
from server.socket.support import audited
from server.wire import ClientEvent, Payload, TargetRequest
from server.wire.attendance import AttendanceRequest


class Attendance:
    def __init__(self, hub: Hub, keys: AttendanceKeys) -> None:
        self.hub = hub
        self.store = hub.store
        self.keys = keys
        handlers: dict[ClientEvent, Handler] = {
            ClientEvent.ATTENDANCE_REQUEST: self.request,
            ClientEvent.ATTENDANCE_CONFIRM: self.confirm,
        }
        for event, handler in handlers.items():
            hub.register(event, handler)

    async def request(self, sid: str, raw: object) -> Payload:
        r = AttendanceRequest.parse(raw)
        room_id = await self.hub.require_room(sid)
        if not self.keys.enabled:
            raise AttendanceOff()
        # Signing and drawing the QR code cost CPU: counted like reports.
        await self.hub.limit(sid, room_id, Activity.REPORT)
        state = await self.store.snapshot(room_id)
        info = await self.store.room_info(room_id)
        if info is None:
            raise NotInRoom()
        settings = self.hub.settings
        stated = attendance.attest(
            state,
            info.name,
            sid,
            r.name,
            self.hub.clock(),
            min_minutes=settings.attendance_min_minutes,
        )
        series = await self.store.series(info.series_id) if info.series_id else None
        zone = series.timezone if series else None
        token = self.keys.sign(stated, settings.public_url or "hearth", zone)
        claims = self.keys.verify(token).attendance
        verify_url = f"{settings.public_url}/verify" if settings.public_url else None
        return wire.ok(token=token, attendance=claims, document=document(token, claims, verify_url))

    async def confirm(self, sid: str, raw: object) -> Payload:
        r = TargetRequest.parse(raw)
        room_id = await self.hub.require_room(sid)
        now = self.hub.clock()
        return await audited(
            self.hub,
            sid,
            room_id,
            lambda state, _: confirmations.confirm(state, sid, r.target, now),
            r.op,
            lambda done: wire.ok(confirmed=r.target),
        )
