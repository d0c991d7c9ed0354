"""Signed invite tokens (JWT, HS256) and the room-scoped ids other people see.

Claims: ``sub`` (stable opaque subject), ``name`` (display name), ``role``, ``rooms``
(room ids, or ``"*"``) and ``exp``. The subject never leaves the server: in a room a
person is known by ``member_id``, an HMAC of room and subject, so ids cannot be linked
across rooms by other participants.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import time
from typing import Any

import jwt

from moderation.names import check_guest_name
from rooms.errors import ErrorCode, InvalidPayload, Unauthorized
from rooms.identity import Identity, Role, clean_display_name, clean_guest_name
from server.settings import Settings

Payload = dict[str, Any]
ALGORITHM = "HS256"
REQUIRED_CLAIMS = ["sub", "name", "role", "rooms", "exp"]


def mint(
    settings: Settings,
    *,
    subject: str,
    name: str,
    role: Role,
    rooms: list[str],
    ttl_s: int | None = None,
    now: float | None = None,
) -> str:
    issued = int(now if now is not None else time.time())
    claims: dict[str, Any] = {
        "sub": subject,
        "name": clean_display_name(name),
        "role": str(role),
        "rooms": rooms,
        "iat": issued,
        "exp": issued + (ttl_s if ttl_s is not None else settings.token_ttl_s),
    }
    return jwt.encode(claims, settings.secret, algorithm=ALGORITHM)


def verify(settings: Settings, token: object) -> Identity:
    if not isinstance(token, str) or not token:
        raise Unauthorized("a token is required")
    try:
        claims = jwt.decode(
            token,
            settings.secret,
            algorithms=[ALGORITHM],
            options={"require": REQUIRED_CLAIMS},
            leeway=5,
        )
    except jwt.ExpiredSignatureError:
        raise Unauthorized("the token has expired", ErrorCode.TOKEN_EXPIRED) from None
    except jwt.InvalidSignatureError:
        raise Unauthorized("the token's signature is not valid") from None
    except jwt.PyJWTError as exc:
        raise Unauthorized(f"the token is malformed: {exc}") from None
    try:
        rooms = claims["rooms"]
        if not isinstance(rooms, list) or not all(isinstance(r, str) for r in rooms):
            raise ValueError("rooms must be a list of room ids")
        if not isinstance(claims["sub"], str) or not isinstance(claims["name"], str):
            raise ValueError("sub and name must be strings")
        return Identity(
            subject=claims["sub"],
            display_name=clean_display_name(claims["name"]),
            role=Role(claims["role"]),
            rooms=frozenset(rooms),
        )
    except (ValueError, InvalidPayload) as exc:
        raise Unauthorized(f"the token's claims are not valid: {exc}") from None


GUEST_KEY = re.compile(r"[A-Za-z0-9_-]{16,128}")


def guest(name: object, resume_key: object, connection_id: str) -> Identity:
    """A guest: a display name only. A client may send a random ``key`` it keeps for the
    tab, so that a reconnect takes the same seat instead of leaving a ghost; without one,
    every connection is a new guest. The key is hashed: it is never stored or shown."""
    if not isinstance(name, str):
        raise Unauthorized("a guest needs a display name")
    if resume_key is None:
        subject = f"guest:{connection_id}"
    elif isinstance(resume_key, str) and GUEST_KEY.fullmatch(resume_key):
        subject = "guest-key:" + hashlib.sha256(resume_key.encode()).hexdigest()[:32]
    else:
        raise InvalidPayload("a guest key is 16 to 128 letters, digits, '-' or '_'")
    display_name = clean_guest_name(name)
    check_guest_name(display_name)  # roles now; hosts' names when joining a room
    return Identity(
        subject=subject,
        display_name=display_name,
        role=Role.PARTICIPANT,
        rooms=frozenset(),
        guest=True,
    )


def member_id(settings: Settings, room_id: str, subject: str) -> str:
    digest = hmac.new(settings.secret.encode(), f"{room_id}\0{subject}".encode(), hashlib.sha256)
    return digest.hexdigest()[:16]


def turn_credentials(settings: Settings, member_id: str, now: float | None = None) -> Payload:
    """Short-lived TURN credentials in the TURN REST API scheme that coturn's
    ``use-auth-secret`` checks: the username carries its expiry, the credential is an
    HMAC-SHA1 of it under the shared secret. Only the room-scoped member id is in it."""
    assert settings.turn_secret is not None
    expires = int(now if now is not None else time.time()) + settings.turn_ttl_s
    username = f"{expires}:{member_id}"
    digest = hmac.new(settings.turn_secret.encode(), username.encode(), hashlib.sha1).digest()
    return {
        "urls": list(settings.turn_urls),
        "username": username,
        "credential": base64.b64encode(digest).decode(),
    }
