"""The meeting over Socket.IO: hands and the floor, sharing rounds, service roles.

Each event is one rule from ``moderation`` (``floor``, ``rounds``, ``service``), which
decides who may act: a facilitator's (or timekeeper's) action goes through
``Facilitation.moderate`` with its audit entry in the same atomic step; a participant's
own (passing, giving the floor back) through ``operations.apply``. The round's clock is
``server.jobs.rounds``, on every process. Refusals become error acks through
``Hub.register``.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable

from moderation import floor, rounds, service
from moderation.audit import Moderated
from moderation.rate_limits import Activity
from rooms.change import Change
from rooms.room import RoomInfo
from rooms.state import RoomState
from server import wire
from server.socket import operations
from server.socket.facilitation import Facilitation
from server.socket.hub import Handler, Hub
from server.wire import (
    ClientEvent,
    ExtendRequest,
    MoveRequest,
    OpRequest,
    Payload,
    RoundStartRequest,
    ServiceRequest,
    TargetRequest,
)

Decide = Callable[[RoomState, RoomInfo, int], Moderated]
Own = Callable[[RoomState, str, int], Change]


def _answer(done: Moderated | Change) -> Payload:
    change = done.change if isinstance(done, Moderated) else done
    state = change.state
    return wire.ok(seq=state.seq, floor=state.floor, round=wire.dump_round(state.round))


class Meeting:
    def __init__(self, hub: Hub, facilitation: Facilitation) -> None:
        self.hub = hub
        self.facilitation = facilitation
        handlers: dict[ClientEvent, Handler] = {
            ClientEvent.LOWER_HAND: self.lower_hand,
            ClientEvent.LOWER_HANDS: self.lower_hands,
            ClientEvent.CALL_ON: self.call_on,
            ClientEvent.FLOOR_RELEASE: self.release_floor,
            ClientEvent.GIVE_SERVICE: self.give_service,
            ClientEvent.TAKE_SERVICE: self.take_service,
            ClientEvent.ROUND_START: self.start_round,
            ClientEvent.ROUND_PASS: self.pass_turn,
            ClientEvent.ROUND_SKIP: self.skip,
            ClientEvent.ROUND_EXTEND: self.extend,
            ClientEvent.ROUND_MOVE: self.move,
            ClientEvent.ROUND_END: self.end_round,
        }
        for event, handler in handlers.items():
            hub.register(event, handler)

    async def _act(self, sid: str, decide: Decide, op: str | None) -> Payload:
        _, ack = await self.facilitation.moderate(sid, decide, op, _answer)
        return ack

    async def _own(self, sid: str, rule: Own, op: str | None) -> Payload:
        room_id = await self.hub.require_room(sid)
        await self.hub.limit(sid, room_id, Activity.HAND)
        now = self.hub.clock()
        return await operations.apply(
            self.hub.store,
            room_id,
            lambda state, _: rule(state, sid, now),
            self.hub.member_id(sid, room_id),
            op,
            _answer,
        )

    async def lower_hand(self, sid: str, raw: object) -> Payload:
        r = TargetRequest.parse(raw)
        return await self._act(
            sid, lambda state, _, now: floor.lower_hand(state, sid, r.target, now), r.op
        )

    async def lower_hands(self, sid: str, raw: object) -> Payload:
        r = OpRequest.parse(raw)
        return await self._act(sid, lambda state, _, now: floor.lower_all(state, sid, now), r.op)

    async def call_on(self, sid: str, raw: object) -> Payload:
        r = TargetRequest.parse(raw)
        return await self._act(
            sid, lambda state, _, now: floor.call_on(state, sid, r.target, now), r.op
        )

    async def release_floor(self, sid: str, raw: object) -> Payload:
        r = OpRequest.parse(raw)
        return await self._own(sid, lambda state, sid, _: floor.release(state, sid), r.op)

    async def give_service(self, sid: str, raw: object) -> Payload:
        r = ServiceRequest.parse(raw)
        return await self._act(
            sid, lambda state, _, now: service.give(state, sid, r.target, r.duty, now), r.op
        )

    async def take_service(self, sid: str, raw: object) -> Payload:
        r = ServiceRequest.parse(raw)
        return await self._act(
            sid, lambda state, _, now: service.take(state, sid, r.target, r.duty, now), r.op
        )

    async def start_round(self, sid: str, raw: object) -> Payload:
        r = RoundStartRequest.parse(raw)
        seed = secrets.randbits(64)  # the shuffle's; the rule stays pure
        return await self._act(
            sid,
            lambda state, _, now: rounds.start(
                state,
                sid,
                order=r.order,
                share_ms=r.share_ms,
                warn_ms=r.warn_ms,
                members=r.members,
                seed=seed,
                now=now,
            ),
            r.op,
        )

    async def pass_turn(self, sid: str, raw: object) -> Payload:
        r = OpRequest.parse(raw)
        return await self._own(sid, rounds.pass_turn, r.op)

    async def skip(self, sid: str, raw: object) -> Payload:
        r = OpRequest.parse(raw)
        return await self._act(sid, lambda state, _, now: rounds.skip(state, sid, now), r.op)

    async def extend(self, sid: str, raw: object) -> Payload:
        r = ExtendRequest.parse(raw)
        return await self._act(
            sid, lambda state, _, now: rounds.extend(state, sid, r.ms, now), r.op
        )

    async def move(self, sid: str, raw: object) -> Payload:
        r = MoveRequest.parse(raw)
        return await self._act(
            sid, lambda state, _, now: rounds.move(state, sid, r.target, r.position, now), r.op
        )

    async def end_round(self, sid: str, raw: object) -> Payload:
        r = OpRequest.parse(raw)
        return await self._act(sid, lambda state, _, now: rounds.end(state, sid, now), r.op)
