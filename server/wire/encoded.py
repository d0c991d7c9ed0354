"""Payload parts encoded to JSON once and written as they are.

A join acks a snapshot of everyone in the room: at 500 people, dumping each seat and
encoding the list was most of a join's own CPU, and in a storm of 500 joins it was done
for seats that had not changed since the join before. ``Rosters`` keeps each room's seats
as JSON text and encodes only a seat that changed (or whose hand did); a snapshot's
``participants`` is then an ``Encoded`` list joined from those texts, in a ``Spliced``
payload that ``dumps`` (the JSON of Hearth's Socket.IO packets, ``server.socket.frames``)
writes part by part. What reaches the client is the same JSON.
"""

from __future__ import annotations

import json
from typing import Any

from rooms.state import Member, RoomState
from server.wire.values import dump_member

_SEPARATORS = (",", ":")  # python-socketio's, for every packet
_MAX_ROOMS = 1000  # rooms whose seats are kept; the least recently asked is dropped


class Encoded:
    """JSON text, written into a payload as it is."""

    __slots__ = ("json",)

    def __init__(self, text: str) -> None:
        self.json = text

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Encoded) and other.json == self.json

    __hash__ = None  # type: ignore[assignment]


class Spliced(dict[str, Any]):
    """A payload some of whose values are ``Encoded`` (or ``Spliced`` themselves)."""


def _dump(value: Any) -> str:
    if isinstance(value, Encoded):
        return value.json
    if isinstance(value, Spliced):
        fields = (f"{json.dumps(key)}:{_dump(item)}" for key, item in value.items())
        return "{" + ",".join(fields) + "}"
    if isinstance(value, list) and any(isinstance(item, Spliced | Encoded) for item in value):
        return "[" + ",".join(_dump(item) for item in value) + "]"
    return json.dumps(value, separators=_SEPARATORS)


def dumps(value: Any, **_options: Any) -> str:
    """``json.dumps`` (compact, as python-socketio asks) for packets that may carry
    ``Encoded`` parts; a packet's data is a list (an event's name and payload, or an
    ack's payload), so ``Spliced`` payloads are found at its top."""
    return _dump(value)


loads = json.loads


def payload(fields: dict[str, Any]) -> dict[str, Any]:
    """``fields`` as a payload, ``Spliced`` if any of its values is encoded already."""
    if any(isinstance(v, Spliced | Encoded) for v in fields.values()):
        return Spliced(fields)
    return fields


class Rosters:
    """Each room's seats as JSON, kept from one snapshot to the next: a seat is encoded
    again only when its ``Member`` or its hand changed."""

    def __init__(self) -> None:
        # room id -> member id -> (the seat encoded, its hand then, its JSON)
        self._rooms: dict[str, dict[str, tuple[Member, bool, str]]] = {}

    def participants(self, state: RoomState) -> Encoded:
        seats = self._rooms.pop(state.room_id, None) or {}
        self._rooms[state.room_id] = seats  # now the most recently asked
        if len(self._rooms) > _MAX_ROOMS:
            del self._rooms[next(iter(self._rooms))]
        hands = set(state.hands)
        texts = []
        for member in state.members:
            hand = member.member_id in hands
            kept = seats.get(member.member_id)
            if kept is None or kept[1] != hand or (kept[0] is not member and kept[0] != member):
                text = json.dumps(dump_member(member, state), separators=_SEPARATORS)
                kept = seats[member.member_id] = (member, hand, text)
            texts.append(kept[2])
        if len(seats) > 2 * len(state.members) + 16:  # people who left
            here = {member.member_id for member in state.members}
            for gone in [m for m in seats if m not in here]:
                del seats[gone]
        return Encoded("[" + ",".join(texts) + "]")
