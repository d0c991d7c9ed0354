"""The JSON Schemas of the admin API's bodies, ``components.schemas`` of its OpenAPI
document (``server.admin.openapi``). Tests validate every response against them.
"""

from __future__ import annotations

from typing import Any

Json = dict[str, Any]


def ref(name: str) -> Json:
    return {"$ref": f"#/components/schemas/{name}"}


SLUG = {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]{0,63}$"}
_LOCAL = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$"}
_INSTANT = {"type": "string", "format": "date-time"}
DATE = {"type": "string", "format": "date"}
_RESOURCE: Json = {
    "type": "object",
    "required": ["title"],
    "additionalProperties": False,
    "properties": {
        "title": {"type": "string", "minLength": 1, "maxLength": 120},
        "category": {"enum": ["crisis", "local", "reading", "coping"]},
        "description": {"type": "string", "maxLength": 500},
        "link": {"type": "string", "maxLength": 500, "description": "http(s) only"},
        "phone": {"type": "string", "maxLength": 32, "description": "digits, spaces, +-()"},
        "language": {"type": "string", "description": "a BCP 47 tag such as en or pt-BR"},
    },
}
RESOURCES: Json = {
    "type": "array",
    "maxItems": 30,
    "description": "this room's (or series') resources, replacing the wider list when not empty",
    "items": _RESOURCE,
}
_DEPLOYMENT_RESOURCES: Json = {
    "type": "array",
    "maxItems": 30,
    "description": "the deployment's resources: what a room or series with none of its own shows",
    "items": _RESOURCE,
}
_ROOM_SETTINGS: Json = {
    "name": {"type": "string", "minLength": 1, "pattern": "\\S"},
    "capacity": {"type": "integer", "minimum": 1, "maximum": 500},
    "allow_guests": {"type": "boolean"},
    "guidelines": {"type": "string"},
    "public": {"type": "boolean", "description": "listed in /api/v1/meetings.json"},
    "audio": {"type": "boolean", "description": "members may connect WebRTC audio"},
    "private_messages": {
        "type": "boolean",
        "description": "participants may write privately to each other (facilitators: always)",
    },
    "resources": RESOURCES,
    "script": {
        "type": "string",
        "maxLength": 4000,
        "description": "the meeting script (a welcome, readings, the format) shown in the room",
    },
    "history": {
        "enum": ["since_joined", "recent"],
        "description": "what latecomers see of the chat: since they joined (default) or recent",
    },
}
_SERIES_SETTINGS: Json = {
    "room": SLUG,
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
    "resources": RESOURCES,
    "script": {
        "type": "string",
        "maxLength": 4000,
        "description": "its meetings' script, unless the room has its own",
    },
}
_MOVE = {
    "type": "object",
    "required": ["occurrence", "starts"],
    "additionalProperties": False,
    "properties": {"occurrence": DATE, "starts": _LOCAL},
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
            "id": SLUG,
            **_ROOM_SETTINGS,
            "series": {"type": ["string", "null"]},
            "open": {"type": "boolean"},
            "participants": {"type": "integer", "minimum": 0, "description": "live, all processes"},
        },
    },
    "RoomList": {
        "type": "object",
        "required": ["rooms"],
        "properties": {"rooms": {"type": "array", "items": ref("Room")}},
    },
    "RoomCreate": {
        "type": "object",
        "required": ["id", "name"],
        "additionalProperties": False,
        "properties": {"id": SLUG, **_ROOM_SETTINGS},
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
            "room": SLUG,
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
            "occurrence": DATE,
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
            "id": SLUG,
            **_SERIES_SETTINGS,
            "skipped": {"type": "array", "items": DATE},
            "moved": {"type": "array", "items": _MOVE},
            "upcoming": {"type": "array", "items": ref("Occurrence")},
        },
    },
    "SeriesList": {
        "type": "object",
        "required": ["series"],
        "properties": {"series": {"type": "array", "items": ref("Series")}},
    },
    "SeriesCreate": {
        "type": "object",
        "required": ["id", "room", "starts", "ends", "timezone"],
        "additionalProperties": False,
        "properties": {"id": SLUG, **_SERIES_SETTINGS},
    },
    "SeriesUpdate": {
        "type": "object",
        "required": ["room", "starts", "ends", "timezone"],
        "additionalProperties": False,
        "properties": {
            **_SERIES_SETTINGS,
            "skipped": {"type": "array", "items": DATE},
            "moved": {"type": "array", "items": _MOVE},
        },
    },
    "DeploymentResources": {
        "type": "object",
        "required": ["resources", "source"],
        "additionalProperties": False,
        "properties": {
            "resources": _DEPLOYMENT_RESOURCES,
            "source": {
                "enum": ["admin", "settings"],
                "description": "set through this API, or HEARTH_RESOURCES_FILE's (or none)",
            },
        },
    },
    "DeploymentResourcesUpdate": {
        "type": "object",
        "required": ["resources"],
        "additionalProperties": False,
        "properties": {"resources": _DEPLOYMENT_RESOURCES},
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
            "next_start",
            "next_end",
            "audio",
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
            "next_start": {
                "type": "string",
                "format": "date-time",
                "description": "the next meeting not yet ended, in UTC (beyond Meeting Guide)",
            },
            "next_end": {"type": "string", "format": "date-time"},
            "audio": {
                "type": "boolean",
                "description": "people may join by voice; false: text chat only (beyond Meeting"
                " Guide)",
            },
        },
    },
    "Meetings": {"type": "array", "items": ref("Meeting")},
    "Verification": {
        "type": "object",
        "required": ["valid"],
        "properties": {
            "valid": {"type": "boolean"},
            "reason": {"type": "string", "description": "why it is not genuine"},
            "key": {"type": "string", "description": "the kid of the key that signed it"},
            "attendance": {
                "type": "object",
                "description": "what it states (see docs/admin.md#attendance-verifications)",
                "required": ["meeting", "date", "minutes_present", "name", "iss", "iat"],
                "properties": {
                    "meeting": {"type": "string"},
                    "date": DATE,
                    "timezone": {"type": ["string", "null"]},
                    "scheduled_start": {"type": ["string", "null"], "format": "date-time"},
                    "scheduled_end": {"type": ["string", "null"], "format": "date-time"},
                    "minutes_present": {"type": "integer", "minimum": 0},
                    "name": {"type": "string"},
                    "confirmed_by": {"type": ["string", "null"]},
                    "iss": {"type": "string"},
                    "iat": {"type": "integer"},
                    "jti": {"type": "string"},
                },
            },
        },
    },
}
