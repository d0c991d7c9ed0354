"""The OpenAPI 3.1 document of the admin API, written as data and served at
``/api/v1/openapi.json``. Tests check every route is here and responses match the schemas.
"""

from __future__ import annotations

from typing import Any

Json = dict[str, Any]


def _ref(name: str) -> Json:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: Json, description: str) -> Json:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _problems(*statuses: int) -> Json:
    problem = {"content": {"application/problem+json": {"schema": _ref("Problem")}}}
    texts = {
        400: "Bad request",
        401: "Missing or wrong admin token",
        404: "No such room or series",
        409: "It already exists, is in use, or (closing) is not open",
        422: "The input breaks a rule; `detail` says which",
        503: "The admin API is disabled (HEARTH_ADMIN_TOKEN is unset)",
    }
    return {str(s): {"description": texts[s], **problem} for s in (401, 503, *statuses)}


def _body(name: str) -> Json:
    return {"required": True, "content": {"application/json": {"schema": _ref(name)}}}


def _op(summary: str, responses: Json, body: str | None = None, secured: bool = True) -> Json:
    op: Json = {"summary": summary, "responses": responses}
    if body is not None:
        op["requestBody"] = _body(body)
    if not secured:
        op["security"] = []
    return op


def _path_param(name: str, description: str, schema: Json) -> Json:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": schema,
    }


_SLUG = {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]{0,63}$"}
_LOCAL = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$"}
_INSTANT = {"type": "string", "format": "date-time"}
_DATE = {"type": "string", "format": "date"}
_ROOM_SETTINGS: Json = {
    "name": {"type": "string", "minLength": 1, "pattern": "\\S"},
    "capacity": {"type": "integer", "minimum": 1, "maximum": 500},
    "allow_guests": {"type": "boolean"},
    "guidelines": {"type": "string"},
    "public": {"type": "boolean", "description": "listed in /api/v1/meetings.json"},
    "audio": {"type": "boolean", "description": "members may connect WebRTC audio"},
}
_SERIES_SETTINGS: Json = {
    "room": _SLUG,
    "starts": {
        **_LOCAL,
        "description": "local start of the first occurrence: from 2000-01-01, at most ~10 years on",
    },
    "ends": {**_LOCAL, "description": "local wall-clock end of the first occurrence"},
    "timezone": {"type": "string", "description": "IANA zone, e.g. America/New_York"},
    "rule": {
        "type": "string",
        "description": "RRULE subset: FREQ=DAILY|WEEKLY;INTERVAL (1-520);BYDAY;COUNT (1-10000)"
        ";UNTIL. Empty: once",
    },
    "lobby_minutes": {"type": "integer", "minimum": 0, "maximum": 120},
}
_MOVE = {
    "type": "object",
    "required": ["occurrence", "starts"],
    "additionalProperties": False,
    "properties": {"occurrence": _DATE, "starts": _LOCAL},
}

_PERSON = {
    "type": "object",
    "required": ["id", "name"],
    "additionalProperties": False,
    "properties": {"id": {"type": "string"}, "name": {"type": "string"}},
}

SCHEMAS: Json = {
    "AuditLog": {
        "type": "object",
        "required": ["entries"],
        "additionalProperties": False,
        "properties": {
            "entries": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["at", "actor", "action", "target", "reason", "detail"],
                    "additionalProperties": False,
                    "properties": {
                        "at": {"type": "integer", "description": "ms since the epoch"},
                        "actor": _PERSON,
                        "action": {"type": "string"},
                        "target": {"oneOf": [_PERSON, {"type": "null"}]},
                        "reason": {"type": "string"},
                        "detail": {"type": "string"},
                    },
                },
            }
        },
    },
    "Problem": {
        "type": "object",
        "required": ["type", "title", "status", "detail", "code"],
        "properties": {
            "type": {"type": "string"},
            "title": {"type": "string"},
            "status": {"type": "integer"},
            "detail": {"type": "string"},
            "code": {"type": "string"},
        },
    },
    "Room": {
        "type": "object",
        "required": ["id", *_ROOM_SETTINGS, "series", "open", "participants"],
        "additionalProperties": False,
        "properties": {
            "id": _SLUG,
            **_ROOM_SETTINGS,
            "series": {"type": ["string", "null"]},
            "open": {"type": "boolean"},
            "participants": {"type": "integer", "minimum": 0, "description": "live, all processes"},
        },
    },
    "RoomList": {
        "type": "object",
        "required": ["rooms"],
        "properties": {"rooms": {"type": "array", "items": _ref("Room")}},
    },
    "RoomCreate": {
        "type": "object",
        "required": ["id", "name"],
        "additionalProperties": False,
        "properties": {"id": _SLUG, **_ROOM_SETTINGS},
    },
    "RoomUpdate": {
        "type": "object",
        "required": ["name"],
        "additionalProperties": False,
        "properties": _ROOM_SETTINGS,
    },
    "InviteRequest": {
        "type": "object",
        "required": ["name"],
        "additionalProperties": False,
        "properties": {
            "name": {
                "type": "string",
                "minLength": 1,
                "maxLength": 40,
                "description": "display name the invitee is shown by",
            },
            "role": {"enum": ["participant", "facilitator"]},
            "ttl_s": {
                "type": ["integer", "null"],
                "minimum": 1,
                "description": "seconds until it expires; null or absent: HEARTH_TOKEN_TTL_S",
            },
        },
    },
    "Invite": {
        "type": "object",
        "required": ["room", "role", "token", "expires_at", "url"],
        "additionalProperties": False,
        "properties": {
            "room": _SLUG,
            "role": {"enum": ["participant", "facilitator"]},
            "token": {"type": "string"},
            "expires_at": _INSTANT,
            "url": {
                "type": "string",
                "description": "absolute with HEARTH_PUBLIC_URL (or in dev mode), else relative",
            },
        },
    },
    "Occurrence": {
        "type": "object",
        "required": ["occurrence", "lobby_opens", "starts", "warns", "ends"],
        "additionalProperties": False,
        "properties": {
            "occurrence": _DATE,
            "lobby_opens": _INSTANT,
            "starts": _INSTANT,
            "warns": _INSTANT,
            "ends": _INSTANT,
        },
    },
    "Series": {
        "type": "object",
        "required": ["id", *_SERIES_SETTINGS, "skipped", "moved", "upcoming"],
        "additionalProperties": False,
        "properties": {
            "id": _SLUG,
            **_SERIES_SETTINGS,
            "skipped": {"type": "array", "items": _DATE},
            "moved": {"type": "array", "items": _MOVE},
            "upcoming": {"type": "array", "items": _ref("Occurrence")},
        },
    },
    "SeriesList": {
        "type": "object",
        "required": ["series"],
        "properties": {"series": {"type": "array", "items": _ref("Series")}},
    },
    "SeriesCreate": {
        "type": "object",
        "required": ["id", "room", "starts", "ends", "timezone"],
        "additionalProperties": False,
        "properties": {"id": _SLUG, **_SERIES_SETTINGS},
    },
    "SeriesUpdate": {
        "type": "object",
        "required": ["room", "starts", "ends", "timezone"],
        "additionalProperties": False,
        "properties": {
            **_SERIES_SETTINGS,
            "skipped": {"type": "array", "items": _DATE},
            "moved": {"type": "array", "items": _MOVE},
        },
    },
    "MoveRequest": {
        "type": "object",
        "required": ["starts"],
        "additionalProperties": False,
        "properties": {"starts": _LOCAL},
    },
    "Meeting": {
        "type": "object",
        "required": [
            "name",
            "slug",
            "day",
            "time",
            "end_time",
            "timezone",
            "types",
            "notes",
        ],
        "properties": {
            "name": {"type": "string"},
            "slug": {"type": "string"},
            "day": {
                "oneOf": [
                    {"type": "integer", "minimum": 0, "maximum": 6},
                    {"type": "array", "items": {"type": "integer", "minimum": 0, "maximum": 6}},
                ],
                "description": "0 is Sunday",
            },
            "time": {"type": "string", "pattern": "^[0-2][0-9]:[0-5][0-9]$"},
            "end_time": {"type": "string", "pattern": "^[0-2][0-9]:[0-5][0-9]$"},
            "timezone": {"type": "string"},
            "conference_url": {
                "type": "string",
                "description": "absent unless HEARTH_PUBLIC_URL is set (or in dev mode)",
            },
            "types": {"type": "array", "items": {"type": "string"}},
            "notes": {"type": "string"},
        },
    },
    "Meetings": {"type": "array", "items": _ref("Meeting")},
}

_ROOM_PARAM = _path_param("room", "room id", _SLUG)
_SERIES_PARAM = _path_param("series", "series id", _SLUG)
_DATE_PARAM = _path_param("date", "the occurrence's scheduled local date", _DATE)

PATHS: Json = {
    "/api/v1/openapi.json": {
        "get": _op(
            "This document", {"200": _json({"type": "object"}, "OpenAPI 3.1")}, secured=False
        )
    },
    "/api/v1/meetings.json": {
        "get": _op(
            "Public scheduled rooms in the Meeting Guide format",
            {"200": _json(_ref("Meetings"), "Meetings")},
            secured=False,
        )
    },
    "/api/v1/rooms": {
        "get": _op(
            "Every room, with live participant counts",
            {"200": _json(_ref("RoomList"), "Rooms"), **_problems()},
        ),
        "post": _op(
            "Define a room",
            {"201": _json(_ref("Room"), "Created"), **_problems(400, 409, 422)},
            "RoomCreate",
        ),
    },
    "/api/v1/rooms/{room}": {
        "parameters": [_ROOM_PARAM],
        "get": _op("One room", {"200": _json(_ref("Room"), "The room"), **_problems(404)}),
        "put": _op(
            "Change a room's settings (an open room takes them at once)",
            {"200": _json(_ref("Room"), "Changed"), **_problems(400, 404, 422)},
            "RoomUpdate",
        ),
        "delete": _op(
            "Close and forget a room (refused while a series schedules it)",
            {"204": {"description": "Deleted"}, **_problems(404, 409)},
        ),
    },
    "/api/v1/rooms/{room}/open": {
        "parameters": [_ROOM_PARAM],
        "post": _op("Open the room now", {"200": _json(_ref("Room"), "Open"), **_problems(404)}),
    },
    "/api/v1/rooms/{room}/close": {
        "parameters": [_ROOM_PARAM],
        "post": _op(
            "Close the room now: everyone is told, chat is deleted",
            {"200": _json(_ref("Room"), "Closed"), **_problems(404, 409)},
        ),
    },
    "/api/v1/rooms/{room}/invites": {
        "parameters": [_ROOM_PARAM],
        "post": _op(
            "Issue an invite token and link for one room",
            {"201": _json(_ref("Invite"), "Issued"), **_problems(400, 404, 422)},
            "InviteRequest",
        ),
    },
    "/api/v1/rooms/{room}/audit": {
        "parameters": [
            _ROOM_PARAM,
            {
                "name": "limit",
                "in": "query",
                "required": False,
                "description": "At most this many entries (1 to 500, default 100)",
                "schema": {"type": "integer", "minimum": 1, "maximum": 500},
            },
        ],
        "get": _op(
            "The room's audit log, newest first: who did what to whom, and why (no chat text)",
            {"200": _json(_ref("AuditLog"), "Entries"), **_problems(404, 422)},
        ),
    },
    "/api/v1/series": {
        "get": _op("Every series", {"200": _json(_ref("SeriesList"), "Series"), **_problems()}),
        "post": _op(
            "Schedule a room: once, daily or weekly",
            {"201": _json(_ref("Series"), "Created"), **_problems(400, 404, 409, 422)},
            "SeriesCreate",
        ),
    },
    "/api/v1/series/{series}": {
        "parameters": [_SERIES_PARAM],
        "get": _op(
            "One series and its next occurrences",
            {"200": _json(_ref("Series"), "The series"), **_problems(404)},
        ),
        "put": _op(
            "Replace a series' schedule (its room stays)",
            {"200": _json(_ref("Series"), "Changed"), **_problems(400, 404, 422)},
            "SeriesUpdate",
        ),
        "delete": _op(
            "Stop scheduling (an open room stays open)",
            {"204": {"description": "Deleted"}, **_problems(404)},
        ),
    },
    "/api/v1/series/{series}/occurrences/{date}/skip": {
        "parameters": [_SERIES_PARAM, _DATE_PARAM],
        "post": _op(
            "Skip one occurrence",
            {"200": _json(_ref("Series"), "Skipped"), **_problems(404, 422)},
        ),
    },
    "/api/v1/series/{series}/occurrences/{date}/move": {
        "parameters": [_SERIES_PARAM, _DATE_PARAM],
        "post": _op(
            "Hold one occurrence at another local time",
            {"200": _json(_ref("Series"), "Moved"), **_problems(400, 404, 422)},
            "MoveRequest",
        ),
    },
}

DOCUMENT: Json = {
    "openapi": "3.1.0",
    "info": {
        "title": "Hearth admin API",
        "version": "1",
        "description": "Rooms, schedules and invites. See docs/admin.md.",
    },
    "servers": [{"url": "/"}],
    "security": [{"admin": []}],
    "paths": PATHS,
    "components": {
        "schemas": SCHEMAS,
        "securitySchemes": {"admin": {"type": "http", "scheme": "bearer"}},
    },
}
