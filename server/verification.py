"""Anyone can check an attendance verification: the ``/verify`` page, the admin-free
``GET /api/v1/attendance/verify?token=...`` and the public keys at
``/.well-known/jwks.json`` (``server.attendance`` signs and verifies).

The token travels in the query string, which the access log never writes; the answer is
``{"valid": true, "attendance": {...}, "key": kid}`` or ``{"valid": false, "reason"}``.
"""

from __future__ import annotations

import re

import jwt
from aiohttp import web

from rooms.errors import InvalidPayload
from server.attendance import MAX_TOKEN_LENGTH, AttendanceKeys
from server.web import ROOT

KEYS = web.AppKey("attendance_keys", AttendanceKeys)
VERIFY_PATH = "/attendance/verify"
_TOKEN = re.compile(r"[A-Za-z0-9_.-]+")  # a JWS in its compact form: base64url and dots


async def verify(request: web.Request) -> web.Response:
    token = request.query.get("token", "").strip()
    if len(token) > MAX_TOKEN_LENGTH or not _TOKEN.fullmatch(token):
        raise InvalidPayload(
            f"send ?token= with a verification's token (at most {MAX_TOKEN_LENGTH})"
        )
    try:
        found = request.app[KEYS].verify(token)
    except jwt.InvalidTokenError as error:
        return web.json_response({"valid": False, "reason": _reason(error)})
    return web.json_response({"valid": True, "attendance": found.attendance, "key": found.kid})


def _reason(error: jwt.InvalidTokenError) -> str:
    if isinstance(error, jwt.InvalidSignatureError):
        return "the signature does not match: the document was changed or is not genuine"
    if isinstance(error, jwt.DecodeError):
        return "this is not a verification token"
    return str(error) or "not a genuine verification"


async def _jwks(request: web.Request) -> web.Response:
    return web.json_response(request.app[KEYS].jwks())


async def _page(request: web.Request) -> web.FileResponse:
    return web.FileResponse(ROOT / "verify.html")


def add_verification(app: web.Application, api: web.Application, keys: AttendanceKeys) -> None:
    """The page and the keys on ``app``, the check on the API sub-application ``api``."""
    app[KEYS] = keys
    api[KEYS] = keys
    app.router.add_get("/verify", _page)
    app.router.add_get("/.well-known/jwks.json", _jwks)
    api.router.add_get(VERIFY_PATH, verify)
