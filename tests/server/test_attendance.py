"""Attendance verifications against a real server: asked for over Socket.IO, signed with
the deployment's Ed25519 key, checked by anyone at ``GET /api/v1/attendance/verify`` with
the keys at ``/.well-known/jwks.json``; a rotated-out key still verifies what it signed."""

from __future__ import annotations

import base64
import json
import os
import stat
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from cryptography.hazmat.primitives import serialization

from rooms.identity import Role
from server.attendance import make_key
from tests.server.cli_runs import hearth
from tests.support import (
    Client,
    RunningHub,
    after_everything_sent,
    running_app,
    settings,
    token,
)


@pytest.fixture
def keys(tmp_path: Path) -> tuple[str, str]:
    old, new = tmp_path / "old.pem", tmp_path / "new.pem"
    make_key(old)
    make_key(new)
    return str(old), str(new)


@pytest.fixture
async def server(keys: tuple[str, str]) -> AsyncIterator[RunningHub]:
    async with signing(keys[0]) as running:
        yield running


def signing(*paths: str, min_minutes: int = 0) -> Any:
    configured = settings(attendance_keys=paths, attendance_min_minutes=min_minutes)
    return _opened(configured)


class _opened:
    """A running app with the room 'circle' open (a context manager)."""

    def __init__(self, configured: Any) -> None:
        self.context = running_app(configured)

    async def __aenter__(self) -> RunningHub:
        from rooms.room import RoomInfo

        running = await self.context.__aenter__()
        await running.store.open_room(RoomInfo("circle", "Tuesday circle"))
        return running

    async def __aexit__(self, *exc: object) -> None:
        await self.context.__aexit__(*exc)


async def get(url: str, path: str) -> tuple[int, Any]:
    async with aiohttp.ClientSession() as session, session.get(f"{url}{path}") as response:
        return response.status, await response.json(content_type=None)


async def check(url: str, signed: str) -> dict[str, Any]:
    status, body = await get(url, f"/api/v1/attendance/verify?token={signed}")
    assert status == 200
    return body  # type: ignore[no-any-return]


async def seated(
    server: RunningHub, clients: Any, name: str, role: Role = Role.PARTICIPANT
) -> Client:
    client = await clients(server.url, {"token": token(name, role)})
    await client.join("circle")
    return client


async def test_a_verification_states_only_what_it_must_and_anyone_can_check_it(
    server: RunningHub, clients: Any
) -> None:
    fay = await seated(server, clients, "Fay", Role.FACILITATOR)
    sam = await seated(server, clients, "Sam")
    assert (await fay.call("chat:send", {"text": "a private share"}))["ok"]
    ack = await sam.call("attendance:request", {"name": "Samuel Q. Public"})
    assert ack["ok"], ack
    stated = ack["attendance"]
    assert stated["meeting"] == "Tuesday circle"
    assert stated["name"] == "Samuel Q. Public"
    assert stated["confirmed_by"] is None
    assert stated["minutes_present"] == 0
    assert set(stated) == {
        "iss", "iat", "jti", "meeting", "date", "timezone", "scheduled_start",
        "scheduled_end", "minutes_present", "name", "confirmed_by",
    }  # fmt: skip
    payload = ack["token"].split(".")[1]
    decoded = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).decode()
    assert "Fay" not in decoded  # nobody else, and no chat
    assert "a private share" not in decoded
    assert ack["token"] in ack["document"]
    assert "<svg" in ack["document"]  # the QR code
    assert "Samuel Q. Public" in ack["document"]

    checked = await check(server.url, ack["token"])
    assert checked["valid"] is True
    assert checked["attendance"]["name"] == "Samuel Q. Public"
    status, jwks = await get(server.url, "/.well-known/jwks.json")
    assert status == 200
    assert [k["kid"] for k in jwks["keys"]] == [checked["key"]]
    assert jwks["keys"][0]["kty"] == "OKP"
    assert jwks["keys"][0]["crv"] == "Ed25519"
    assert "d" not in jwks["keys"][0]  # public only

    # The printed name is never shown in the room.
    await after_everything_sent(sam, fay)
    assert "Samuel Q. Public" not in json.dumps(fay.received)


async def test_a_changed_or_foreign_token_is_not_genuine(server: RunningHub, clients: Any) -> None:
    sam = await seated(server, clients, "Sam")
    signed = (await sam.call("attendance:request", {"name": "Sam"}))["token"]
    head, payload, signature = signed.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["minutes_present"] = 600
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    assert (await check(server.url, f"{head}.{forged}.{signature}"))["valid"] is False
    assert (await check(server.url, "not-a-token"))["valid"] is False
    status, problem = await get(server.url, "/api/v1/attendance/verify")
    assert status == 422
    assert problem["code"] == "invalid_payload"


async def test_after_a_key_rotation_old_documents_still_verify(
    keys: tuple[str, str], tmp_path: Path, clients: Any
) -> None:
    old, new = keys
    async with signing(old) as before:
        sam = await seated(before, clients, "Sam")
        signed = (await sam.call("attendance:request", {"name": "Sam"}))["token"]
        await sam.close()
    retired = tmp_path / "old.pub"
    _write_public_key(Path(old), retired)
    for kept in (old, str(retired)):  # the old key in full, or its public key alone
        async with signing(new, kept) as after:
            assert (await check(after.url, signed))["valid"] is True
            sam = await seated(after, clients, "Sam")
            fresh = (await sam.call("attendance:request", {"name": "Sam"}))["token"]
            kids = {k["kid"] for k in (await get(after.url, "/.well-known/jwks.json"))[1]["keys"]}
            assert len(kids) == 2
            assert (await check(after.url, fresh))["key"] != (await check(after.url, signed))["key"]
            await sam.close()
    async with signing(new) as forgotten:
        assert (await check(forgotten.url, signed))["valid"] is False


def _write_public_key(private_pem: Path, out: Path) -> None:
    private = serialization.load_pem_private_key(private_pem.read_bytes(), password=None)
    public = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    out.write_bytes(public)


async def test_a_facilitators_confirmation_is_on_the_verification(
    server: RunningHub, clients: Any
) -> None:
    fay = await seated(server, clients, "Fay", Role.FACILITATOR)
    sam = await seated(server, clients, "Sam")
    ann = await seated(server, clients, "Ann")
    sam_id = (await sam.call("room:snapshot"))["snapshot"]["participants"][1]["id"]
    refused = await ann.call("attendance:confirm", {"target": sam_id})
    assert refused["error"]["code"] == "not_a_facilitator"
    assert (await fay.call("attendance:confirm", {"target": sam_id}))["ok"]
    told = await sam.wait_for("attendance:confirmed")
    assert told["by"] == "Fay"
    stated = (await sam.call("attendance:request", {"name": "Sam"}))["attendance"]
    assert stated["confirmed_by"] == "Fay"
    await after_everything_sent(fay, ann)
    assert not ann.events("attendance:confirmed")


async def test_refused_without_keys_too_soon_or_with_a_bad_name(
    keys: tuple[str, str], clients: Any
) -> None:
    async with signing() as unsigned:
        sam = await seated(unsigned, clients, "Sam")
        off = await sam.call("attendance:request", {"name": "Sam"})
        assert off["error"]["code"] == "attendance_off"
        await sam.close()
    async with signing(keys[0], min_minutes=30) as strict:
        sam = await seated(strict, clients, "Sam")
        soon = await sam.call("attendance:request", {"name": "Sam"})
        assert soon["error"]["code"] == "attendance_too_soon"
        for bad in ({"name": ""}, {"name": "x" * 81}, {}, {"name": "Sam", "extra": 1}):
            refused = await sam.call("attendance:request", bad)
            assert refused["error"]["code"] == "invalid_payload", bad


async def test_hearth_attendance_key_writes_a_private_key_only_its_owner_reads(
    tmp_path: Path,
) -> None:
    out = tmp_path / "signing.pem"
    made = await hearth(None, "attendance-key", str(out))
    assert made.returncode == 0, made.stderr
    assert "kid" in made.stdout
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    again = await hearth(None, "attendance-key", str(out))
    assert again.returncode != 0
