"""Facilitators' controls over Socket.IO.

Each facilitator action is one pure rule from ``moderation`` applied through
``store.moderate``: the room's change, its line in the audit log and any ban record are
committed as one atomic step (so it holds on every process at once, and no action is
ever taken without its audit entry). The rules decide who may act; this module only
parses, applies and answers.
Refusals become error acks through ``Hub.register``, like every other event.
"""

from __future__ import annotations

from collections.abc import Callable

from moderation import admission, bans, controls, messages, mute, pause, roles
from moderation.audit import Moderated
from rooms.errors import ErrorCode, Refused
from rooms.events import Removed
from rooms.room import RoomInfo
from rooms.state import RoomState
from server import wire
from server.socket import operations
from server.socket.hub import Hub
from server.wire import (
    AuditRequest,
    BanRequest,
    ClientEvent,
    ControlsRequest,
    DeleteMessageRequest,
    MuteAllRequest,
    MuteRequest,
    Payload,
    ReasonRequest,
    TargetRequest,
    UnbanRequest,
    UnmuteAllRequest,
    WaitingRequest,
)

Decide = Callable[[RoomState, RoomInfo, int], Moderated]


class Facilitation:
    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.store = hub.store
        handlers = {
            ClientEvent.PROMOTE: self.promote,
            ClientEvent.DEMOTE: self.demote,
            ClientEvent.MUTE: self.mute,
            ClientEvent.UNMUTE: self.unmute,
            ClientEvent.MUTE_ALL: self.mute_all,
            ClientEvent.UNMUTE_ALL: self.unmute_all,
            ClientEvent.PAUSE: self.pause,
            ClientEvent.RESUME: self.resume,
            ClientEvent.REMOVE: self.remove,
            ClientEvent.BAN: self.ban,
            ClientEvent.UNBAN: self.unban,
            ClientEvent.BANS: self.list_bans,
            ClientEvent.CONTROLS: self.controls,
            ClientEvent.ADMIT: self.admit,
            ClientEvent.DENY: self.deny,
            ClientEvent.DELETE_MESSAGE: self.delete_message,
            ClientEvent.AUDIT: self.audit,
        }
        for event, handler in handlers.items():
            hub.register(event, handler)

    async def moderate(
        self,
        sid: str,
        decide: Decide,
        op: str | None,
        answer: Callable[[Moderated], Payload] | None = None,
    ) -> tuple[Moderated | None, Payload]:
        """Apply a facilitator's action and its audit entry (and ban) atomically, once
        for the op id: the action (None when it repeats one) and the ack."""
        room_id = await self.hub.require_room(sid)
        now = self.hub.clock()
        settings = self.hub.settings
        return await operations.moderate(
            self.store,
            room_id,
            lambda state, room: decide(state, room, now),
            self.hub.member_id(sid, room_id),
            op,
            answer or self._answer,
            keep_ms=settings.audit_retention_ms,
            max_entries=settings.audit_max_entries,
        )

    async def _acting(self, sid: str, at_least: roles.Rank) -> tuple[str, RoomState]:
        room_id = await self.hub.require_room(sid)
        state = await self.store.snapshot(room_id)
        roles.acting(state, sid, at_least)
        return room_id, state

    @staticmethod
    def _answer(done: Moderated) -> Payload:
        return wire.ok(seq=done.change.state.seq)

    async def promote(self, sid: str, raw: object) -> Payload:
        request = TargetRequest.parse(raw)
        _, ack = await self.moderate(
            sid,
            lambda state, _, now: roles.promote(state, sid, request.target, now),
            request.op,
        )
        return ack

    async def demote(self, sid: str, raw: object) -> Payload:
        request = TargetRequest.parse(raw)
        _, ack = await self.moderate(
            sid,
            lambda state, _, now: roles.demote(state, sid, request.target, now),
            request.op,
        )
        return ack

    async def mute(self, sid: str, raw: object) -> Payload:
        r = MuteRequest.parse(raw)
        _, ack = await self.moderate(
            sid,
            lambda state, _, now: mute.mute(
                state, sid, r.target, chat=r.chat, audio=r.audio, now=now, reason=r.reason
            ),
            r.op,
        )
        return ack

    async def unmute(self, sid: str, raw: object) -> Payload:
        r = MuteRequest.parse(raw)
        _, ack = await self.moderate(
            sid,
            lambda state, _, now: mute.unmute(
                state, sid, r.target, chat=r.chat, audio=r.audio, now=now, reason=r.reason
            ),
            r.op,
        )
        return ack

    async def mute_all(self, sid: str, raw: object) -> Payload:
        r = MuteAllRequest.parse(raw)
        _, ack = await self.moderate(
            sid,
            lambda state, _, now: mute.mute_all(
                state,
                sid,
                chat=r.chat,
                audio=r.audio,
                allow_self_unmute=r.allow_self_unmute,
                now=now,
                reason=r.reason,
            ),
            r.op,
        )
        return ack

    async def unmute_all(self, sid: str, raw: object) -> Payload:
        r = UnmuteAllRequest.parse(raw)
        _, ack = await self.moderate(
            sid,
            lambda state, _, now: mute.unmute_all(
                state, sid, chat=r.chat, audio=r.audio, now=now, reason=r.reason
            ),
            r.op,
        )
        return ack

    async def pause(self, sid: str, raw: object) -> Payload:
        r = ReasonRequest.parse(raw)
        _, ack = await self.moderate(
            sid,
            lambda state, _, now: pause.pause(state, sid, now, r.reason),
            r.op,
        )
        return ack

    async def resume(self, sid: str, raw: object) -> Payload:
        r = ReasonRequest.parse(raw)
        _, ack = await self.moderate(
            sid,
            lambda state, _, now: pause.resume(state, sid, now, r.reason),
            r.op,
        )
        return ack

    async def remove(self, sid: str, raw: object) -> Payload:
        r = TargetRequest.parse(raw)
        done, ack = await self.moderate(
            sid, lambda state, _, now: bans.remove(state, sid, r.target, now, r.reason), r.op
        )
        await self._close_removed(done)
        return ack

    async def ban(self, sid: str, raw: object) -> Payload:
        r = BanRequest.parse(raw)

        def answer(done: Moderated) -> Payload:
            assert done.keeps is not None  # a ban always keeps its record
            return wire.ok(seq=done.change.state.seq, ban=wire.dump_ban(done.keeps))

        done, ack = await self.moderate(
            sid,
            lambda state, room, now: bans.ban(state, room, sid, r.target, r.scope, now, r.reason),
            r.op,
            answer,
        )
        await self._close_removed(done)
        return ack

    async def _close_removed(self, done: Moderated | None) -> None:
        """With Redis the store publishes the disconnect right after the notice (see
        ``server.app``); the embedded store has delivered the notice by now. A repeated
        action (``None``) closed its connections the first time."""
        if self.hub.settings.redis_url or done is None:
            return
        for event in done.change.events:
            if isinstance(event, Removed):
                for target in event.audience:
                    await self.hub.sio.disconnect(target)

    async def unban(self, sid: str, raw: object) -> Payload:
        r = UnbanRequest.parse(raw)
        room_id, _ = await self._acting(sid, roles.Rank.CO_FACILITATOR)
        info = await self.store.room_info(room_id)
        kept = await self.store.bans(bans.ban_keys(info)) if info else []
        found = next((ban for ban in kept if ban.ban_id == r.ban), None)
        if found is None:
            raise Refused("there is no such ban for this room", ErrorCode.BAN_NOT_FOUND)
        _, ack = await self.moderate(
            sid,
            lambda state, _, now: bans.unban(state, sid, found, now, r.reason),
            r.op,
        )
        return ack

    async def list_bans(self, sid: str, raw: object) -> Payload:
        wire.expect_nothing(raw)
        room_id, _ = await self._acting(sid, roles.Rank.CO_FACILITATOR)
        info = await self.store.room_info(room_id)
        kept = await self.store.bans(bans.ban_keys(info)) if info else []
        return wire.ok(bans=[wire.dump_ban(b) for b in sorted(kept, key=lambda b: b.at)])

    async def controls(self, sid: str, raw: object) -> Payload:
        r = ControlsRequest.parse(raw)
        _, ack = await self.moderate(
            sid,
            lambda state, _, now: controls.set_controls(state, sid, dict(r.changes), now),
            r.op,
            lambda done: wire.ok(
                seq=done.change.state.seq, controls=controls.dump(done.change.state.controls)
            ),
        )
        return ack

    async def admit(self, sid: str, raw: object) -> Payload:
        r = WaitingRequest.parse(raw)
        _, ack = await self.moderate(
            sid,
            lambda state, room, now: admission.admit(state, room, sid, r.target, now),
            r.op,
        )
        return ack

    async def deny(self, sid: str, raw: object) -> Payload:
        r = WaitingRequest.parse(raw)
        _, ack = await self.moderate(
            sid,
            lambda state, _, now: admission.deny(state, sid, r.target, now),
            r.op,
        )
        return ack

    async def delete_message(self, sid: str, raw: object) -> Payload:
        r = DeleteMessageRequest.parse(raw)
        _, ack = await self.moderate(
            sid,
            lambda state, _, now: messages.delete_message(state, sid, r.message, now, r.reason),
            r.op,
        )
        return ack

    async def audit(self, sid: str, raw: object) -> Payload:
        """Facilitators and admins read the room's log (co-facilitators do not)."""
        r = AuditRequest.parse(raw)
        room_id, _ = await self._acting(sid, roles.Rank.FACILITATOR)
        since = self.hub.clock() - self.hub.settings.audit_retention_ms
        entries = await self.store.audit_log(room_id, since=since, limit=r.limit)
        return wire.ok(entries=[wire.dump_audit(e) for e in entries])
