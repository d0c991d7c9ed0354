"""The admin REST API under ``/api/v1``: JSON in, ``RoomAdmin`` calls, JSON out.

Every request but the OpenAPI document and the public meeting feed needs
``Authorization: Bearer $HEARTH_ADMIN_TOKEN``; with no token configured the API answers 503.
Every error is ``application/problem+json`` (RFC 9457) with a ``detail`` for people and a
stable ``code``; its status comes from the one error map (``server.errors``), applied in
``_problems``. ``server/admin/openapi.py`` describes it all.
"""

from __future__ import annotations

import hmac
import json
import logging
import re
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from typing import Any

from aiohttp import web

from rooms.errors import HearthError, InvalidPayload, Unauthorized
from rooms.identity import Role
from rooms.resources import parse_resources
from rooms.schedule import Series
from server import errors, wire
from server.admin import feed
from server.admin.bodies import (
    ROOM_FIELDS,
    dump_deployment_resources,
    dump_invite,
    dump_room,
    dump_series,
    field,
    parse_room,
    parse_series,
)
from server.admin.openapi import DOCUMENT
from server.admin.room_admin import RoomAdmin, link_base

log = logging.getLogger(__name__)

ADMIN = web.AppKey("admin", RoomAdmin)
PREFIX = "/api/v1"
# The attendance check (``server.verification``) is for anyone, like the feed.
PUBLIC_PATHS = {
    f"{PREFIX}/openapi.json",
    f"{PREFIX}/meetings.json",
    f"{PREFIX}/attendance/verify",
}
PROBLEM_TYPE = "application/problem+json"
MAX_BODY_BYTES = 64 * 1024
Json = dict[str, Any]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def problem(status: int, detail: str, code: str, allow: str | None = None) -> web.Response:
    body = {
        "type": "about:blank",
        "title": _title(status),
        "status": status,
        "detail": detail,
        "code": code,
    }
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else {}
    if allow is not None:
        headers["Allow"] = allow
    return web.Response(
        status=status, text=json.dumps(body), content_type=PROBLEM_TYPE, headers=headers
    )


def _title(status: int) -> str:
    return HTTPStatus(status).phrase


@web.middleware
async def _problems(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        if request.path not in PUBLIC_PATHS:
            _authorize(request)
        return await handler(request)
    except HearthError as error:
        return problem(errors.http_status(error), error.message, str(error.code))
    except web.HTTPException as error:
        if error.status < 400:
            raise
        allow = error.headers.get("Allow")
        return problem(error.status, error.reason, f"http_{error.status}", allow)
    except Exception:
        log.exception("admin API %s %s failed", request.method, request.path)
        failure = errors.internal()
        return problem(errors.http_status(failure), failure.message, str(failure.code))


def _authorize(request: web.Request) -> None:
    expected = request.app[ADMIN].settings.admin_token
    if expected is None:
        raise web.HTTPServiceUnavailable(
            reason="the admin API is disabled: set HEARTH_ADMIN_TOKEN to enable it"
        )
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    # aiohttp keeps header bytes that are not UTF-8 as surrogates; encode them back the
    # same way, so a garbled token is a wrong token rather than an UnicodeEncodeError.
    given_bytes = given.encode("utf-8", "surrogateescape")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given_bytes, expected.encode()):
        raise Unauthorized("send Authorization: Bearer <admin token>")


async def _body(request: web.Request, *allowed: str, required: tuple[str, ...] = ()) -> Json:
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        raise InvalidPayload("the request body is too large")
    try:
        text = (await request.read()).decode("utf-8")
        data = json.loads(text) if text.strip() else {}
    except ValueError:  # not UTF-8, or not JSON
        raise web.HTTPBadRequest(reason="the request body is not valid JSON") from None
    if not isinstance(data, dict):
        raise InvalidPayload("the request body must be a JSON object")
    extra = set(data) - set(allowed)
    if extra:
        raise InvalidPayload(f"unexpected fields: {', '.join(sorted(map(str, extra)))}")
    missing = [name for name in required if name not in data]
    if missing:
        raise InvalidPayload(f"missing fields: {', '.join(missing)}")
    return data


_LIMIT = re.compile(r"[0-9]{1,4}")


def _admin(request: web.Request) -> RoomAdmin:
    return request.app[ADMIN]


def _base_url(request: web.Request) -> str | None:
    """HEARTH_PUBLIC_URL; the request's own origin only in dev mode (``link_base``)."""
    return link_base(_admin(request).settings, str(request.url.origin()))


async def _series_json(request: web.Request, series: Series, status: int = 200) -> web.Response:
    return web.json_response(dump_series(series, _admin(request).upcoming(series)), status=status)


async def list_rooms(request: web.Request) -> web.Response:
    views = await _admin(request).list_rooms()
    return web.json_response({"rooms": [dump_room(v) for v in views]})


async def create_room(request: web.Request) -> web.Response:
    data = await _body(request, "id", *ROOM_FIELDS, required=("id", "name"))
    room_id = field(data, "id", str, "")
    view = await _admin(request).create_room(parse_room(data, room_id))
    return web.json_response(dump_room(view), status=201)


async def read_room(request: web.Request) -> web.Response:
    return web.json_response(dump_room(await _admin(request).room(request.match_info["room"])))


async def update_room(request: web.Request) -> web.Response:
    data = await _body(request, *ROOM_FIELDS, required=("name",))
    view = await _admin(request).update_room(parse_room(data, request.match_info["room"]))
    return web.json_response(dump_room(view))


async def delete_room(request: web.Request) -> web.Response:
    await _admin(request).delete_room(request.match_info["room"])
    return web.Response(status=204)


async def open_room(request: web.Request) -> web.Response:
    await _body(request)
    return web.json_response(dump_room(await _admin(request).open_room(request.match_info["room"])))


async def close_room(request: web.Request) -> web.Response:
    await _body(request)
    admin = _admin(request)
    await admin.close_room(request.match_info["room"])
    return web.json_response(dump_room(await admin.room(request.match_info["room"])))


async def audit(request: web.Request) -> web.Response:
    raw = request.query.get("limit", "100")
    # ASCII digits only: str.isdigit() takes "²", which int() then refuses.
    if not _LIMIT.fullmatch(raw) or not 1 <= int(raw) <= wire.MAX_AUDIT_ENTRIES:
        raise InvalidPayload(f"'limit' is a whole number from 1 to {wire.MAX_AUDIT_ENTRIES}")
    entries = await _admin(request).audit(request.match_info["room"], int(raw))
    return web.json_response({"entries": [wire.dump_audit(e) for e in entries]})


async def invite(request: web.Request) -> web.Response:
    data = await _body(request, "role", "name", "ttl_s", required=("name",))
    try:
        role = Role(field(data, "role", str, str(Role.PARTICIPANT)))
    except ValueError:
        raise InvalidPayload("'role' must be participant or facilitator") from None
    ttl = data.get("ttl_s")
    if ttl is not None:
        ttl = field(data, "ttl_s", int, 0)
    made = await _admin(request).invite(
        request.match_info["room"], role, field(data, "name", str, ""), ttl
    )
    return web.json_response(dump_invite(made, _base_url(request)), status=201)


_SERIES_FIELDS = (
    "room",
    "starts",
    "ends",
    "timezone",
    "rule",
    "lobby_minutes",
    "resources",
    "script",
)
_SERIES_REQUIRED = ("room", "starts", "ends", "timezone")


async def list_series(request: web.Request) -> web.Response:
    admin = _admin(request)
    found = await admin.list_series()
    return web.json_response({"series": [dump_series(s, admin.upcoming(s, 1)) for s in found]})


async def create_series(request: web.Request) -> web.Response:
    data = await _body(request, "id", *_SERIES_FIELDS, required=("id", *_SERIES_REQUIRED))
    series = parse_series(data, field(data, "id", str, ""))
    return await _series_json(request, await _admin(request).create_series(series), 201)


async def read_series(request: web.Request) -> web.Response:
    return await _series_json(request, await _admin(request).series(request.match_info["series"]))


async def update_series(request: web.Request) -> web.Response:
    data = await _body(request, *_SERIES_FIELDS, "skipped", "moved", required=_SERIES_REQUIRED)
    series = parse_series(data, request.match_info["series"])
    return await _series_json(request, await _admin(request).update_series(series))


async def delete_series(request: web.Request) -> web.Response:
    await _admin(request).delete_series(request.match_info["series"])
    return web.Response(status=204)


async def skip_occurrence(request: web.Request) -> web.Response:
    await _body(request)
    info = request.match_info
    return await _series_json(request, await _admin(request).skip(info["series"], info["date"]))


async def move_occurrence(request: web.Request) -> web.Response:
    data = await _body(request, "starts", required=("starts",))
    info = request.match_info
    series = await _admin(request).move(
        info["series"], info["date"], field(data, "starts", str, "")
    )
    return await _series_json(request, series)


async def read_resources(request: web.Request) -> web.Response:
    found = await _admin(request).deployment_resources()
    return web.json_response(dump_deployment_resources(found))


async def replace_resources(request: web.Request) -> web.Response:
    data = await _body(request, "resources", required=("resources",))
    found = await _admin(request).set_deployment_resources(parse_resources(data["resources"]))
    return web.json_response(dump_deployment_resources(found))


async def forget_resources(request: web.Request) -> web.Response:
    found = await _admin(request).set_deployment_resources(None)
    return web.json_response(dump_deployment_resources(found))


async def meetings(request: web.Request) -> web.Response:
    admin = _admin(request)
    found = await feed.meetings(admin, _base_url(request))
    return web.json_response(found)


async def openapi(request: web.Request) -> web.Response:
    return web.json_response(DOCUMENT)


def admin_api(admin: RoomAdmin) -> web.Application:
    """The API as a sub-application, mounted at ``PREFIX``."""
    api = web.Application(middlewares=[_problems])
    api[ADMIN] = admin
    routes = api.router
    routes.add_get("/openapi.json", openapi)
    routes.add_get("/meetings.json", meetings)
    routes.add_get("/rooms", list_rooms)
    routes.add_post("/rooms", create_room)
    routes.add_get("/rooms/{room}", read_room)
    routes.add_put("/rooms/{room}", update_room)
    routes.add_delete("/rooms/{room}", delete_room)
    routes.add_post("/rooms/{room}/open", open_room)
    routes.add_post("/rooms/{room}/close", close_room)
    routes.add_post("/rooms/{room}/invites", invite)
    routes.add_get("/rooms/{room}/audit", audit)
    routes.add_get("/series", list_series)
    routes.add_post("/series", create_series)
    routes.add_get("/series/{series}", read_series)
    routes.add_put("/series/{series}", update_series)
    routes.add_delete("/series/{series}", delete_series)
    routes.add_post("/series/{series}/occurrences/{date}/skip", skip_occurrence)
    routes.add_post("/series/{series}/occurrences/{date}/move", move_occurrence)
    routes.add_get("/resources", read_resources)
    routes.add_put("/resources", replace_resources)
    routes.add_delete("/resources", forget_resources)
    return api
