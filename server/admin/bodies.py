"""The admin API's JSON bodies: a room's or a series' settings read from a request body
(refused ``invalid_payload`` field by field), and the JSON of rooms, series, occurrences,
invites and the deployment's resources the API answers with (``server.admin.schemas``
describes both)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from moderation.script import check_script
from rooms.errors import InvalidPayload
from rooms.resources import parse_resources
from rooms.room import DEFAULT_CAPACITY, History, RoomInfo
from rooms.schedule import Move, Occurrence, Series
from server import wire
from server.admin.room_admin import DeploymentResources, Invite, RoomView, room_link
from server.wire.support import dump_resource

Json = dict[str, Any]


def field(data: Json, name: str, kind: type, default: Any) -> Any:
    value = data.get(name, default)
    if kind is int and isinstance(value, float) and value.is_integer():
        value = int(value)  # JSON has one number type: 8.0 is the whole number 8
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise InvalidPayload(f"'{name}' must be {_KINDS[kind]}")
    return value


_KINDS = {str: "a string", int: "a whole number", bool: "true or false", list: "a list"}
ROOM_FIELDS = (
    "name",
    "capacity",
    "allow_guests",
    "guidelines",
    "public",
    "audio",
    "private_messages",
    "resources",
    "history",
    "script",
)


def parse_room(data: Json, room_id: str) -> RoomInfo:
    return RoomInfo(
        room_id=room_id,
        name=field(data, "name", str, ""),
        capacity=field(data, "capacity", int, DEFAULT_CAPACITY),
        allow_guests=field(data, "allow_guests", bool, False),
        guidelines=field(data, "guidelines", str, ""),
        public=field(data, "public", bool, False),
        audio=field(data, "audio", bool, False),
        private_messages=field(data, "private_messages", bool, False),
        resources=parse_resources(data.get("resources", [])),
        history=_history(data),
        script=check_script(field(data, "script", str, "")),
    )


def _history(data: Json) -> History:
    value = field(data, "history", str, str(History.SINCE_JOINED))
    try:
        return History(value)
    except ValueError:
        raise InvalidPayload("'history' must be since_joined or recent") from None


def parse_series(data: Json, series_id: str) -> Series:
    skipped = field(data, "skipped", list, [])
    moved = field(data, "moved", list, [])
    if not all(isinstance(k, str) for k in skipped):
        raise InvalidPayload("'skipped' must be a list of dates")
    if not all(isinstance(m, dict) and set(m) == {"occurrence", "starts"} for m in moved):
        raise InvalidPayload("'moved' must be a list of {occurrence, starts}")
    return Series(
        series_id=series_id,
        room_id=field(data, "room", str, ""),
        starts=field(data, "starts", str, ""),
        ends=field(data, "ends", str, ""),
        timezone=field(data, "timezone", str, ""),
        rule=field(data, "rule", str, ""),
        lobby_minutes=field(data, "lobby_minutes", int, 0),
        skipped=frozenset(skipped),
        moved=tuple(Move(_str(m["occurrence"]), _str(m["starts"])) for m in moved),
        resources=parse_resources(data.get("resources", [])),
        script=check_script(field(data, "script", str, "")),
    )


def _str(value: object) -> str:
    if not isinstance(value, str):
        raise InvalidPayload("occurrence and starts must be strings")
    return value


def iso_instant(instant: datetime) -> str:
    """An instant in UTC as the API writes it: ``2026-01-07T00:00:00Z``."""
    return instant.astimezone(UTC).isoformat().replace("+00:00", "Z")


def dump_room(view: RoomView) -> Json:
    info = view.info
    return {
        **wire.dump_room(info),
        "public": info.public,
        "private_messages": info.private_messages,
        "resources": [dump_resource(r) for r in info.resources],
        "script": info.script,
        "series": info.series_id,
        "open": view.open,
        "participants": view.participants,
    }


def dump_occurrence(occ: Occurrence) -> Json:
    return {
        "occurrence": occ.key,
        "lobby_opens": iso_instant(occ.opens_at),
        "starts": iso_instant(occ.start),
        "warns": iso_instant(occ.warns_at),
        "ends": iso_instant(occ.end),
    }


def dump_series(series: Series, upcoming: list[Occurrence]) -> Json:
    return {
        "id": series.series_id,
        "room": series.room_id,
        "starts": series.starts,
        "ends": series.ends,
        "timezone": series.timezone,
        "rule": series.rule,
        "lobby_minutes": series.lobby_minutes,
        "skipped": sorted(series.skipped),
        "moved": [{"occurrence": m.occurrence, "starts": m.starts} for m in series.moved],
        "upcoming": [dump_occurrence(o) for o in upcoming],
        "resources": [dump_resource(r) for r in series.resources],
        "script": series.script,
    }


def dump_deployment_resources(found: DeploymentResources) -> Json:
    return {
        "resources": [dump_resource(r) for r in found.resources],
        "source": "admin" if found.set_by_admin else "settings",
    }


def dump_invite(invite: Invite, base_url: str | None) -> Json:
    return {
        "room": invite.room_id,
        "role": str(invite.role),
        "token": invite.token,
        "expires_at": iso_instant(invite.expires_at),
        "url": room_link(invite.room_id, base_url, invite.token),
    }
