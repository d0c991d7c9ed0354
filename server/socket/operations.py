"""A client's operation, applied at most once: the op id it chose and the answer it got.

The store keeps the answer (the ack, as msgpack) with the change in one atomic step; a
repeat of the op id by the same member of the same room is answered with that ack,
whatever the room has become since (the message deleted, the member muted since), and
changes nothing. Without an op id every event is a new operation.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from moderation.audit import Moderated
from moderation.ports import Decision, RoomStore
from rooms.ports import Done, Once, Ruling
from rooms.room import RoomInfo
from rooms.state import RoomState
from server.codec import MsgpackJson
from server.wire import Payload

T = TypeVar("T")
Answer = Callable[[T], Payload]


def _once(member_id: str, op: str | None, answer: Answer[T]) -> Once[T]:
    return Once(member_id, op, lambda value: MsgpackJson.dumps(answer(value)))


def _ack(done: Done[Any]) -> Payload:
    ack: Payload = MsgpackJson.loads(done.answer)
    return ack


async def apply(
    store: RoomStore,
    room_id: str,
    rule: Callable[[RoomState, RoomInfo], Ruling],
    member_id: str,
    op: str | None,
    answer: Answer[Ruling],
) -> Payload:
    """Apply ``rule`` once for this op id and answer with the ack of its first outcome."""
    return _ack(await store.apply_once(room_id, rule, _once(member_id, op, answer)))


async def moderate(
    store: RoomStore,
    room_id: str,
    decide: Decision,
    member_id: str,
    op: str | None,
    answer: Answer[Moderated],
    *,
    keep_ms: int,
    max_entries: int,
) -> tuple[Moderated | None, Payload]:
    """A facilitator's action once for this op id: the action when this call took it
    (None for a repeat), and the ack of its first outcome."""
    done = await store.moderate_once(
        room_id, decide, _once(member_id, op, answer), keep_ms=keep_ms, max_entries=max_entries
    )
    return done.value, _ack(done)
