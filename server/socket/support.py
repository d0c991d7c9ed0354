"""The crisis path over Socket.IO: "I need support now", its acknowledgement, and private
messages (the rules are ``moderation.support``).

A request and its acknowledgement are committed with their audit line in one atomic step
(``store.moderate``), like a facilitator's action; their private events reach the
moderators' connections on every process through the store's publish. A private message
is a rule with no state of its own to keep (beyond the conversation it may open): its
event goes to its two connections and is never in the room's log.

A request that reached no moderator is told to ``on_unanswered`` (the ``support.requested``
webhook) by the process that took it, once: a repeat of its op id applies nothing.
"""

from __future__ import annotations

from collections.abc import Callable

from moderation import support
from moderation.audit import Moderated
from moderation.ports import Decision
from moderation.rate_limits import Activity
from rooms.change import Change
from rooms.errors import RoomNotFound
from rooms.resources import Resource, crisis, deployment_list, shown
from rooms.room import RoomInfo, check_invited
from server import wire
from server.socket import operations
from server.socket.hub import Handler, Hub
from server.wire import ClientEvent, JoinRequest, OpRequest, Payload
from server.wire.support import (
    PrivateRequest,
    SupportSeenRequest,
    dump_request,
    dump_resource,
)

# Told (room id, whether the room is public, the asker's member id, when they asked).
Unanswered = Callable[[str, bool, str, int], None]


class Support:
    def __init__(self, hub: Hub, on_unanswered: Unanswered | None = None) -> None:
        self.hub = hub
        self.store = hub.store
        self.on_unanswered = on_unanswered
        handlers: dict[ClientEvent, Handler] = {
            ClientEvent.SUPPORT_REQUEST: self.request,
            ClientEvent.SUPPORT_ACKNOWLEDGE: self.acknowledge,
            ClientEvent.PRIVATE_SEND: self.private,
            ClientEvent.RESOURCES: self.list_resources,
        }
        for event, handler in handlers.items():
            hub.register(event, handler)

    async def _lists(self, info: RoomInfo | None) -> list[tuple[Resource, ...]]:
        """The room's resources, its series', the deployment's: most specific first."""
        kept = await self.store.deployment_resources()
        deployment = deployment_list(kept, self.hub.settings.resources)
        if info is None:
            return [deployment]
        series = await self.store.series(info.series_id) if info.series_id else None
        return [info.resources, series.resources if series else (), deployment]

    async def resources(self, info: RoomInfo | None) -> tuple[Resource, ...]:
        """The resources people in this room see (``rooms.resources.shown``)."""
        return shown(*await self._lists(info))

    async def list_resources(self, sid: str, raw: object) -> Payload:
        """The room's resources, for someone in it or about to join (like ``room:info``)."""
        request = JoinRequest.parse(raw)
        info = await self.store.room_info(request.room)
        await self.store.snapshot(request.room)  # RoomNotFound unless it is open
        if info is None:
            raise RoomNotFound(f"room {request.room!r} is not open")
        check_invited(info, self.hub.sessions[sid].identity)
        return wire.ok(resources=[dump_resource(r) for r in await self.resources(info)])

    async def request(self, sid: str, raw: object) -> Payload:
        """Ask for support: the ack says how many moderators it reached (0: none is here)
        and carries the crisis resources to show at once."""
        request = OpRequest.parse(raw)
        room_id = await self.hub.require_room(sid)
        await self.hub.limit(sid, room_id, Activity.REPORT)
        now = self.hub.clock()
        settings = self.hub.settings
        done, ack = await operations.moderate(
            self.store,
            room_id,
            lambda state, _: support.request_support(state, sid, now),
            self.hub.member_id(sid, room_id),
            request.op,
            lambda done: wire.ok(reached=support.reached(done.change)),
            keep_ms=settings.audit_retention_ms,
            max_entries=settings.audit_max_entries,
        )
        if not ack.get("ok"):
            return ack
        info = await self.store.room_info(room_id)
        if done is not None and not support.reached(done.change) and self.on_unanswered:
            asked = support.open_request(done.change.state, done.entry.actor_id)
            if asked is not None:
                public = info is not None and info.public
                self.on_unanswered(room_id, public, asked.member_id, asked.asked_at)
        found = crisis(*await self._lists(info))
        return {**ack, "resources": [dump_resource(r) for r in found]}

    async def acknowledge(self, sid: str, raw: object) -> Payload:
        r = SupportSeenRequest.parse(raw)
        room_id = await self.hub.require_room(sid)
        now = self.hub.clock()

        def answer(done: Moderated) -> Payload:
            request = support.open_request(done.change.state, r.target)
            assert request is not None  # the rule refuses an unknown request
            return wire.ok(request=dump_request(request))

        return await audited(
            self.hub,
            sid,
            room_id,
            lambda state, _: support.acknowledge(state, sid, r.target, now),
            r.op,
            answer,
        )

    async def private(self, sid: str, raw: object) -> Payload:
        r = PrivateRequest.parse(raw)
        room_id = await self.hub.require_room(sid)
        await self.hub.limit(sid, room_id, Activity.CHAT)
        now = self.hub.clock()

        def answer(change: Change) -> Payload:
            return wire.ok(sent_at=now)

        return await operations.apply(
            self.store,
            room_id,
            lambda state, room: support.send_private(state, room, sid, r.to, r.text, now),
            self.hub.member_id(sid, room_id),
            r.op,
            answer,
        )


Answer = Callable[[Moderated], Payload]


async def audited(
    hub: Hub, sid: str, room_id: str, decide: Decision, op: str | None, answer: Answer
) -> Payload:
    """An action of someone seated, applied once for its op id with its audit line (a
    support request, a confirmation, a pinned script); its ack."""
    settings = hub.settings
    _, ack = await operations.moderate(
        hub.store,
        room_id,
        decide,
        hub.member_id(sid, room_id),
        op,
        answer,
        keep_ms=settings.audit_retention_ms,
        max_entries=settings.audit_max_entries,
    )
    return ack
