"""The wire form of the meeting's controls: the floor, sharing rounds and service roles.

Requests are parsed here like every other (``server.wire.requests``: unknown fields
refused, an optional ``op``); ``dump_round`` and ``dump_service`` are the one JSON form
of a round and of the room's service roles, in snapshots and in events alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

from rooms.errors import InvalidPayload
from rooms.meeting import MAX_ROUND, Duty, RoundOrder, Service, SharingRound
from server.wire.events import Payload
from server.wire.requests import _mapping, _op, _target, _text

MAX_SHARE_SECONDS = 3600
Choice = TypeVar("Choice", RoundOrder, Duty)


def _whole(data: Payload, key: str, low: int, high: int, default: int | None = None) -> int:
    value = data.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise InvalidPayload(f"'{key}' must be a whole number from {low} to {high}")
    return value


def _choice(data: Payload, key: str, kind: type[Choice]) -> Choice:
    value = _text(data, key)
    allowed = {str(v): v for v in kind}
    if value not in allowed:
        raise InvalidPayload(f"'{key}' must be one of: {', '.join(allowed)}")
    return allowed[value]


@dataclass(frozen=True, slots=True)
class RoundStartRequest:
    """``round:start``: where the order comes from, the share's length and warning point."""

    order: RoundOrder
    share_ms: int
    warn_ms: int
    members: tuple[str, ...] = ()
    op: str | None = None

    @classmethod
    def parse(cls, raw: object) -> RoundStartRequest:
        data = _mapping(raw, "order", "share_seconds", "warn_seconds", "members", "op")
        order = _choice(data, "order", RoundOrder)
        share = _whole(data, "share_seconds", 1, MAX_SHARE_SECONDS)
        warn = _whole(data, "warn_seconds", 0, share - 1, default=0)
        members = data.get("members", [])
        if order is RoundOrder.LIST:
            if not isinstance(members, list) or not 1 <= len(members) <= MAX_ROUND:
                raise InvalidPayload(f"'members' must list 1 to {MAX_ROUND} people")
            named = tuple(_target({"member": m}, "member") for m in members)
        elif "members" in data:
            raise InvalidPayload("'members' goes only with the order 'list'")
        else:
            named = ()
        return cls(order, share * 1000, warn * 1000, named, _op(data))


@dataclass(frozen=True, slots=True)
class ExtendRequest:
    ms: int
    op: str | None = None

    @classmethod
    def parse(cls, raw: object) -> ExtendRequest:
        data = _mapping(raw, "seconds", "op")
        return cls(_whole(data, "seconds", 1, MAX_SHARE_SECONDS) * 1000, _op(data))


@dataclass(frozen=True, slots=True)
class MoveRequest:
    """Put ``target`` at ``position`` in the round's line (0 is next)."""

    target: str
    position: int
    op: str | None = None

    @classmethod
    def parse(cls, raw: object) -> MoveRequest:
        data = _mapping(raw, "target", "position", "op")
        return cls(_target(data), _whole(data, "position", 0, MAX_ROUND), _op(data))


@dataclass(frozen=True, slots=True)
class ServiceRequest:
    """Give or take back one service role."""

    target: str
    duty: Duty
    op: str | None = None

    @classmethod
    def parse(cls, raw: object) -> ServiceRequest:
        data = _mapping(raw, "target", "role", "op")
        return cls(_target(data), _choice(data, "role", Duty), _op(data))


def dump_round(rnd: SharingRound | None) -> Payload | None:
    if rnd is None:
        return None
    return {
        "order": str(rnd.order),
        "share_ms": rnd.share_ms,
        "warn_ms": rnd.warn_ms,
        "round_started_at": rnd.round_started_at,
        "share": rnd.share,
        "sharer": rnd.sharer,
        "next": rnd.next,
        "queue": list(rnd.queue),
        "shared": list(rnd.shared),
        "passed": list(rnd.passed),
        "started_at": rnd.started_at,
        "ends_at": rnd.ends_at,
        "warned": rnd.warned,
        "time_up": rnd.time_up,
    }


def dump_service(service: tuple[Service, ...]) -> list[Payload]:
    """Each member's service roles: ``[{"id", "roles": [...]}]``, first given first."""
    by_member: dict[str, list[str]] = {}
    for role in service:
        by_member.setdefault(role.member_id, []).append(str(role.duty))
    return [{"id": member_id, "roles": duties} for member_id, duties in by_member.items()]
