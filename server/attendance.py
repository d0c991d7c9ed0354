"""Attendance verifications: signed with the deployment's Ed25519 key, verified by anyone.

A verification is a JWT (RFC 7519) signed with EdDSA (RFC 8037) by PyJWT on
``cryptography``: no hand-written crypto. Its claims are what ``rooms.attendance.Attendance``
states and nothing more; Hearth keeps no copy. Each key is named by its ``kid`` (the
first 16 characters of the base64url SHA-256 of its public key), and every key in
``HEARTH_ATTENDANCE_KEYS`` verifies: the first signs, the others are kept so that
documents signed before a rotation stay verifiable (a retired key may be given as its
public key alone). The public keys are the JWKS served at ``/.well-known/jwks.json``.
"""

from __future__ import annotations

import base64
import hashlib
import html
import os
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jwt
import segno
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from jwt.algorithms import OKPAlgorithm

from rooms.attendance import Attendance
from server.errors import ServerCode, ServerError
from server.settings import SettingsError

TOKEN_TYPE = "hearth-attendance"
MAX_TOKEN_LENGTH = 4096
_REQUIRED = ["iss", "iat", "jti", "meeting", "minutes_present", "name"]


class AttendanceOff(ServerError):
    code = ServerCode.ATTENDANCE_OFF

    def __init__(self) -> None:
        super().__init__("this server has no signing key for attendance verifications")


def key_id(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.urlsafe_b64encode(hashlib.sha256(raw).digest()).decode()[:16]


def make_key(path: Path) -> str:
    """Write a new Ed25519 private key (PEM, readable by its owner only); its kid."""
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(pem)
    return key_id(key.public_key())


def _load(path: str) -> tuple[Ed25519PrivateKey | None, Ed25519PublicKey]:
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise SettingsError(f"HEARTH_ATTENDANCE_KEYS: cannot read a key ({exc.strerror})") from None
    try:
        if b"PRIVATE KEY" in data:
            private = serialization.load_pem_private_key(data, password=None)
            if isinstance(private, Ed25519PrivateKey):
                return private, private.public_key()
        else:
            public = serialization.load_pem_public_key(data)
            if isinstance(public, Ed25519PublicKey):
                return None, public
    except ValueError:
        pass
    raise SettingsError("HEARTH_ATTENDANCE_KEYS: each file must be an Ed25519 key in PEM")


@dataclass(frozen=True, slots=True)
class Verified:
    attendance: dict[str, Any]
    kid: str


class AttendanceKeys:
    """The deployment's attendance keys: one that signs (if any), all that verify."""

    def __init__(self, paths: tuple[str, ...]) -> None:
        loaded = [_load(path) for path in paths]
        if loaded and loaded[0][0] is None:
            raise SettingsError("HEARTH_ATTENDANCE_KEYS: the first key signs: give a private key")
        self._signing = loaded[0][0] if loaded else None
        self._public = {key_id(public): public for _, public in loaded}

    @property
    def enabled(self) -> bool:
        return self._signing is not None

    def sign(self, attendance: Attendance, issuer: str, timezone: str | None) -> str:
        if self._signing is None:
            raise AttendanceOff()
        zone = ZoneInfo(timezone) if timezone else UTC
        day = attendance.scheduled_start or attendance.first_seen
        claims = {
            "typ": TOKEN_TYPE,
            "iss": issuer,
            "iat": attendance.issued_at // 1000,
            "jti": uuid.uuid4().hex,
            "meeting": attendance.meeting,
            "date": _instant(day).astimezone(zone).date().isoformat(),
            "timezone": timezone,
            "scheduled_start": _iso(attendance.scheduled_start),
            "scheduled_end": _iso(attendance.scheduled_end),
            "minutes_present": attendance.minutes_present,
            "name": attendance.name,
            "confirmed_by": attendance.confirmed_by,
        }
        kid = key_id(self._signing.public_key())
        return jwt.encode(claims, self._signing, algorithm="EdDSA", headers={"kid": kid})

    def verify(self, token: str) -> Verified:
        """The claims of a genuine verification; ``jwt.InvalidTokenError`` otherwise."""
        if len(token) > MAX_TOKEN_LENGTH:
            raise jwt.InvalidTokenError("the token is too long")
        kid = jwt.get_unverified_header(token).get("kid")
        public = self._public.get(kid) if isinstance(kid, str) else None
        if public is None:
            raise jwt.InvalidTokenError("it was not signed with any key of this server")
        claims = jwt.decode(
            token, public, algorithms=["EdDSA"], options={"require": _REQUIRED, "verify_aud": False}
        )
        if claims.get("typ") != TOKEN_TYPE:
            raise jwt.InvalidTokenError("it is not an attendance verification")
        claims.pop("typ")
        return Verified(claims, kid)  # type: ignore[arg-type]

    def jwks(self) -> dict[str, Any]:
        keys = []
        for kid, public in self._public.items():
            jwk = OKPAlgorithm.to_jwk(public, as_dict=True)
            keys.append({**jwk, "kid": kid, "use": "sig", "alg": "EdDSA"})
        return {"keys": keys}


def _instant(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


def _iso(ms: int | None) -> str | None:
    return None if ms is None else _instant(ms).isoformat().replace("+00:00", "Z")


def document(token: str, claims: dict[str, Any], verify_url: str | None) -> str:
    """The printable page: what the verification states, its QR code and the token."""
    target = f"{verify_url}#token={token}" if verify_url else token
    qr = segno.make(target, error="m").svg_inline(scale=3, title="QR code of this verification")
    rows = [
        ("Meeting", claims["meeting"]),
        ("Date", claims["date"]),
        ("Scheduled", _span(claims)),
        ("Minutes present", str(claims["minutes_present"])),
        ("Name", claims["name"]),
        ("Confirmed by facilitator", claims["confirmed_by"] or "not confirmed"),
    ]
    table = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in rows)
    where = html.escape(verify_url or "the /verify page of the server that issued it")
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        "<title>Attendance verification</title>"
        "<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:2rem auto}"
        "th{text-align:left;padding-right:1rem}pre{white-space:pre-wrap;word-break:break-all;"
        "font-size:11px}</style></head><body>"
        f"<h1>Attendance verification</h1><table>{table}</table>"
        f"<p>To check it, scan the code or paste the token below at {where}.</p>{qr}"
        f"<h2>Signed token</h2><pre>{html.escape(token)}</pre></body></html>"
    )


def _span(claims: dict[str, Any]) -> str:
    start, end = claims.get("scheduled_start"), claims.get("scheduled_end")
    if not start and not end:
        return "not scheduled"
    return f"{start or '?'} to {end or '?'} (UTC)"
