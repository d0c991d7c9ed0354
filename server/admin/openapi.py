"""The OpenAPI 3.1 document of the admin API, written as data and served at
``/api/v1/openapi.json``: its paths here, its schemas in ``server.admin.schemas``. Tests
check every route is here and responses match the schemas.
"""

from __future__ import annotations

from server.admin.schemas import DATE, SCHEMAS, SLUG, Json, ref


def _json(schema: Json, description: str) -> Json:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _problems(*statuses: int) -> Json:
    problem = {"content": {"application/problem+json": {"schema": ref("Problem")}}}
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
    return {"required": True, "content": {"application/json": {"schema": ref(name)}}}


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


_ROOM_PARAM = _path_param("room", "room id", SLUG)
_SERIES_PARAM = _path_param("series", "series id", SLUG)
_DATE_PARAM = _path_param("date", "the occurrence's scheduled local date", DATE)

PATHS: Json = {
    "/api/v1/openapi.json": {
        "get": _op(
            "This document", {"200": _json({"type": "object"}, "OpenAPI 3.1")}, secured=False
        )
    },
    "/api/v1/meetings.json": {
        "get": _op(
            "Public scheduled rooms in the Meeting Guide format",
            {"200": _json(ref("Meetings"), "Meetings")},
            secured=False,
        )
    },
    "/api/v1/attendance/verify": {
        "get": {
            **_op(
                "Check an attendance verification (anyone; no admin token)",
                {
                    "200": _json(ref("Verification"), "Whether it is genuine, and what it states"),
                    "422": {
                        "description": "No token, or not one (over 4096 characters, not base64url)",
                        "content": {"application/problem+json": {"schema": ref("Problem")}},
                    },
                },
                secured=False,
            ),
            "parameters": [
                {
                    "name": "token",
                    "in": "query",
                    "required": True,
                    "description": "the signed token printed on the verification",
                    "schema": {
                        "type": "string",
                        "minLength": 1,
                        "maxLength": 4096,
                        "pattern": "^[A-Za-z0-9_.-]+$",
                    },
                }
            ],
        }
    },
    "/api/v1/rooms": {
        "get": _op(
            "Every room, with live participant counts",
            {"200": _json(ref("RoomList"), "Rooms"), **_problems()},
        ),
        "post": _op(
            "Define a room",
            {"201": _json(ref("Room"), "Created"), **_problems(400, 409, 422)},
            "RoomCreate",
        ),
    },
    "/api/v1/rooms/{room}": {
        "parameters": [_ROOM_PARAM],
        "get": _op("One room", {"200": _json(ref("Room"), "The room"), **_problems(404)}),
        "put": _op(
            "Change a room's settings (an open room takes them at once)",
            {"200": _json(ref("Room"), "Changed"), **_problems(400, 404, 422)},
            "RoomUpdate",
        ),
        "delete": _op(
            "Close and forget a room (refused while a series schedules it)",
            {"204": {"description": "Deleted"}, **_problems(404, 409)},
        ),
    },
    "/api/v1/rooms/{room}/open": {
        "parameters": [_ROOM_PARAM],
        "post": _op("Open the room now", {"200": _json(ref("Room"), "Open"), **_problems(404)}),
    },
    "/api/v1/rooms/{room}/close": {
        "parameters": [_ROOM_PARAM],
        "post": _op(
            "Close the room now: everyone is told, chat is deleted",
            {"200": _json(ref("Room"), "Closed"), **_problems(404, 409)},
        ),
    },
    "/api/v1/rooms/{room}/invites": {
        "parameters": [_ROOM_PARAM],
        "post": _op(
            "Issue an invite token and link for one room",
            {"201": _json(ref("Invite"), "Issued"), **_problems(400, 404, 422)},
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
            {"200": _json(ref("AuditLog"), "Entries"), **_problems(404, 422)},
        ),
    },
    "/api/v1/series": {
        "get": _op("Every series", {"200": _json(ref("SeriesList"), "Series"), **_problems()}),
        "post": _op(
            "Schedule a room: once, daily or weekly",
            {"201": _json(ref("Series"), "Created"), **_problems(400, 404, 409, 422)},
            "SeriesCreate",
        ),
    },
    "/api/v1/series/{series}": {
        "parameters": [_SERIES_PARAM],
        "get": _op(
            "One series and its next occurrences",
            {"200": _json(ref("Series"), "The series"), **_problems(404)},
        ),
        "put": _op(
            "Replace a series' schedule (its room stays)",
            {"200": _json(ref("Series"), "Changed"), **_problems(400, 404, 422)},
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
            {"200": _json(ref("Series"), "Skipped"), **_problems(404, 422)},
        ),
    },
    "/api/v1/series/{series}/occurrences/{date}/move": {
        "parameters": [_SERIES_PARAM, _DATE_PARAM],
        "post": _op(
            "Hold one occurrence at another local time",
            {"200": _json(ref("Series"), "Moved"), **_problems(400, 404, 422)},
            "MoveRequest",
        ),
    },
    "/api/v1/resources": {
        "get": _op(
            "The deployment's resources (a room or series with none of its own shows them)",
            {
                "200": _json(ref("DeploymentResources"), "The list, and where it is from"),
                **_problems(),
            },
        ),
        "put": _op(
            "Replace the deployment's resources for every process (over HEARTH_RESOURCES_FILE)",
            {"200": _json(ref("DeploymentResources"), "Replaced"), **_problems(400, 422)},
            "DeploymentResourcesUpdate",
        ),
        "delete": _op(
            "Forget the list set here: HEARTH_RESOURCES_FILE's counts again",
            {"200": _json(ref("DeploymentResources"), "What people see now"), **_problems()},
        ),
    },
}

DOCUMENT: Json = {
    "openapi": "3.1.0",
    "info": {
        "title": "Hearth admin API",
        "version": "1",
        "description": "Rooms, schedules, invites and resources. See docs/admin.md.",
    },
    "servers": [{"url": "/"}],
    "security": [{"admin": []}],
    "paths": PATHS,
    "components": {
        "schemas": SCHEMAS,
        "securitySchemes": {"admin": {"type": "http", "scheme": "bearer"}},
    },
}
