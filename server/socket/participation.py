"""What a participant does in a room, over Socket.IO: chat, reactions, hands, their own
audio and reports.

Each event is one rule from ``moderation`` (``messages``, ``mute``) that applies every
policy (mute, pause) in the same atomic step as the change; chat, reactions, hands and
reports are counted against the participant's and their address's limits first
(``Hub.limit``). Joining, leaving and snapshots are ``server.socket.joining``;
facilitators' controls are ``server.socket.facilitation``. Refusals become error acks
through ``Hub.register``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial

from moderation import floor, messages, mute
from moderation.rate_limits import Activity
from rooms.change import Change
from rooms.events import Reported
from rooms.state import RoomState
from server import wire
from server.socket import operations
from server.socket.hub import Handler, Hub
from server.wire import (
    ChatRequest,
    ClientEvent,
    OpRequest,
    Payload,
    ReactionRequest,
    ReportRequest,
)

Rule = Callable[[RoomState, str], Change]
Answer = Callable[[Change], Payload]


class Participation:
    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.store = hub.store
        handlers: dict[ClientEvent, Handler] = {
            ClientEvent.CHAT: self.chat,
            ClientEvent.HAND_RAISE: partial(self._hand, floor.raise_hand),
            ClientEvent.HAND_LOWER: partial(self._hand, floor.lower_own_hand),
            ClientEvent.REACT: self.react,
            ClientEvent.AUDIO_MUTE: partial(self._own_audio, mute.mute_self),
            ClientEvent.AUDIO_UNMUTE: partial(self._own_audio, mute.unmute_self),
            ClientEvent.AUDIO_STAY_MUTED: partial(self._own_audio, mute.stay_muted),
            ClientEvent.REPORT: self.report,
        }
        for event, handler in handlers.items():
            hub.register(event, handler)

    def _once(
        self, sid: str, room_id: str, rule: Rule, op: str | None, answer: Answer
    ) -> Awaitable[Payload]:
        """Apply ``rule`` once for the op id (``server.socket.operations``): a repeat gets the
        first ack back and changes nothing."""
        return operations.apply(
            self.store,
            room_id,
            lambda state, _: rule(state, sid),
            self.hub.member_id(sid, room_id),
            op,
            answer,
        )

    async def chat(self, sid: str, raw: object) -> Payload:
        request = ChatRequest.parse(raw)
        room_id = await self.hub.require_room(sid)
        await self.hub.limit(sid, room_id, Activity.CHAT)
        now = self.hub.clock()
        # The answer kept for a repeat of the op (``server.socket.operations``, in Redis for
        # minutes) holds no text: chat lives only in the room's state and goes with it (or
        # with a deletion). The ack's text is the request's own, trimmed as the rule trims
        # it, which a repeat sends again.
        ack = await self._once(
            sid,
            room_id,
            lambda state, sid: messages.post_chat(state, sid, request.text, now),
            request.op,
            lambda change: wire.ok(
                message={**wire.dump_message(change.state.chat[-1]), "text": ""}
            ),
        )
        if ack.get("ok"):
            ack["message"]["text"] = request.text.strip()
        return ack

    async def react(self, sid: str, raw: object) -> Payload:
        request = ReactionRequest.parse(raw)
        room_id = await self.hub.require_room(sid)
        await self.hub.limit(sid, room_id, Activity.REACTION)
        return await self._once(
            sid,
            room_id,
            lambda state, sid: messages.react(state, sid, request.reaction),
            request.op,
            lambda change: wire.ok(seq=change.state.seq),
        )

    async def _hand(self, rule: Rule, sid: str, raw: object) -> Payload:
        request = OpRequest.parse(raw)
        room_id = await self.hub.require_room(sid)
        await self.hub.limit(sid, room_id, Activity.HAND)
        return await self._once(
            sid,
            room_id,
            rule,
            request.op,
            lambda change: wire.ok(hands=list(change.state.hands), seq=change.state.seq),
        )

    async def _own_audio(self, rule: Rule, sid: str, raw: object) -> Payload:
        """Mute or unmute oneself, or stay muted when asked to unmute (``moderation.mute``)."""
        request = OpRequest.parse(raw)
        room_id = await self.hub.require_room(sid)

        def answer(change: Change) -> Payload:
            member = change.state.seated(sid)
            return wire.ok(audio_muted=member.audio_muted, seq=change.state.seq)

        return await self._once(sid, room_id, rule, request.op, answer)

    async def report(self, sid: str, raw: object) -> Payload:
        """A report reaches only the facilitators and co-facilitators present; the ack
        says how many."""
        r = ReportRequest.parse(raw)
        room_id = await self.hub.require_room(sid)
        await self.hub.limit(sid, room_id, Activity.REPORT)
        now = self.hub.clock()

        def answer(change: Change) -> Payload:
            reached = sum(len(e.audience) for e in change.events if isinstance(e, Reported))
            return wire.ok(delivered=reached)

        return await self._once(
            sid,
            room_id,
            lambda state, sid: messages.report(
                state, sid, message_id=r.message, member_id=r.participant, reason=r.reason, now=now
            ),
            r.op,
            answer,
        )
