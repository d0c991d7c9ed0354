"""Logs never hold a token, a display name, chat text, a reason, an address, or a
traceback a client caused: a whole session against a real ``hearth serve``, at DEBUG and
at INFO, with a hostile client along the way."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

import aiohttp
import pytest
import socketio

from rooms.identity import Role
from server.attendance import make_key
from tests.server.media.peers import Participant, offer_through
from tests.support import ADMIN_TOKEN, Client, ServerProcess, api, raw_http, token

pytestmark = pytest.mark.audio

FACILITATOR = "Marigold Quince"
INVITED = "Ivy Thistlewood"
GUEST = "Wren Ashdown"
CHAT = "my sponsor said chatsecret-7731"
MUTE_REASON = "reason-kept-interrupting"
BAN_REASON = "reason-ban-seven"
BAD_TOKEN = "badtoken-eyJhbGciOiJIUzI1NiJ9.e30.bogus"
QUERY_TOKEN = "querytoken-4471"
PRIVATE = "private-words-5521 I am not ok"
PRINTED = "Printed Name Ottoline"
ADDRESS = re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}\b|::1\b|\blocalhost:\d+|\[[0-9a-f:]+\]:\d+")


async def raw_websocket(url: str, frames: list[str | bytes]) -> None:
    """What an attacker sends: Engine.IO frames no client library would."""
    async with aiohttp.ClientSession() as session:
        for sent in frames:
            async with session.ws_connect(
                f"{url}/socket.io/?EIO=4&transport=websocket&token={QUERY_TOKEN}"
            ) as ws:
                await ws.receive()  # the open packet
                if isinstance(sent, bytes):
                    await ws.send_bytes(sent)
                else:
                    await ws.send_str(sent)
                await ws.send_str("40")  # then a Socket.IO connect without credentials
                # The server answers: a refusal (the packet was dropped) or a close.
                reply = await asyncio.wait_for(ws.receive(), 5)
                closed = {aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED}
                assert reply.type in {aiohttp.WSMsgType.TEXT, *closed}, reply


async def raw_polling(url: str, bodies: list[str]) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{url}/socket.io/?EIO=4&transport=polling") as response:
            sid = json.loads((await response.text())[1:])["sid"]  # "0{...}": the open packet
        for body in bodies:
            async with session.post(
                f"{url}/socket.io/?EIO=4&transport=polling&sid={sid}", data=body
            ) as response:
                assert response.status == 200


async def session(url: str) -> list[str]:
    """Everything a meeting does, and everything a hostile guest tries; returns every
    secret it used."""
    made = await api(
        url,
        "POST",
        "/api/v1/rooms",
        {"id": "circle", "name": "Circle", "allow_guests": True, "audio": True},
    )
    assert made.status == 201, made
    assert (await api(url, "POST", "/api/v1/rooms/circle/open")).status == 200
    invite = await api(url, "POST", "/api/v1/rooms/circle/invites", {"name": INVITED})
    assert invite.status == 201, invite
    invite_token = invite.body["token"]
    assert invite_token in invite.body["url"]
    facilitator_token = token(FACILITATOR, Role.FACILITATOR)
    secrets = [facilitator_token, invite_token, ADMIN_TOKEN, BAD_TOKEN, QUERY_TOKEN]

    # The invite link as a browser opens it (the fragment is the browser's), and as a
    # careless client sends it, fragment and all, with a token in the query string too.
    async with aiohttp.ClientSession() as http:
        async with http.get(invite.body["url"].replace("http://hearth.test", url)) as page:
            assert page.status == 200
        async with http.get(f"{url}/?room=circle&token={QUERY_TOKEN}") as page:
            assert page.status == 200
    await raw_http(
        url,
        f"GET /?room=circle#token={invite_token} HTTP/1.1\r\nHost: x\r\n"
        "Connection: close\r\n\r\n".encode(),
    )

    host = await Client(f"{url}?token={QUERY_TOKEN}", {"token": facilitator_token}).connect()
    ivy = await Client(url, {"token": invite_token}).connect()
    wren = await Client(url, {"name": GUEST, "key": "guest-key-0123456789"}).connect()
    peers: list[Participant] = []
    try:
        await host.join("circle")
        ivy_id = (await ivy.join("circle"))["you"]
        wren_id = (await wren.join("circle"))["you"]
        peers.append(await Participant.connect(440, offer_through(host)))
        peers.append(await Participant.connect(660, offer_through(ivy)))
        await peers[0].ear.hears({660})

        assert (await ivy.call("chat:send", {"text": CHAT}))["ok"]
        await wren.wait_for("chat:message")
        # Bad payloads, an unknown event: coded refusals.
        assert (await wren.call("chat:send", {"text": CHAT * 40}))["error"][
            "code"
        ] == "chat_too_long"
        assert (await wren.call("chat:send", [CHAT]))["error"]["code"] == "invalid_payload"
        assert (await wren.call("steal:everything", {"reason": BAN_REASON}))["error"][
            "code"
        ] == "unknown_event"

        # The crisis path and an attendance verification: a request, its acknowledgement,
        # a private conversation, the name to print and the signed token checked by URL.
        assert (await ivy.call("support:request"))["reached"] == 1
        assert (await host.call("support:acknowledge", {"target": ivy_id}))["ok"]
        assert (await host.call("private:send", {"to": ivy_id, "text": PRIVATE}))["ok"]
        host_id = (await ivy.wait_for("private:message"))["from"]["id"]
        assert (await ivy.call("private:send", {"to": host_id, "text": PRIVATE}))["ok"]
        verification = await ivy.call("attendance:request", {"name": PRINTED})
        assert verification["ok"], verification
        secrets.append(verification["token"])
        async with (
            aiohttp.ClientSession() as http,
            http.get(f"{url}/api/v1/attendance/verify?token={verification['token']}") as checked,
        ):
            assert (await checked.json())["valid"] is True

        mute = {"target": ivy_id, "chat": True, "reason": MUTE_REASON}
        assert (await host.call("moderation:mute", mute))["ok"]
        removal = await host.call("moderation:remove", {"target": ivy_id, "reason": MUTE_REASON})
        assert removal["ok"], removal
        ban = await host.call("moderation:ban", {"target": wren_id, "reason": BAN_REASON})
        assert ban["ok"], ban
        audit = await host.call("moderation:audit")
        assert {e["reason"] for e in audit["entries"]} >= {MUTE_REASON, BAN_REASON}

        # A bad token is refused at connect.
        with pytest.raises(socketio.exceptions.ConnectionError):
            await Client(url, {"token": BAD_TOKEN}).connect()
        await raw_websocket(url, ["", "x", "9abc", "4{", "4", "42[]", "423", "b!!!", b"\xff\xfe"])
        await raw_polling(url, ["9abc", "4{", "4", "42{}"])
        answer = await raw_http(
            url, f"GET /?token={QUERY_TOKEN} HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n".encode()
        )
        assert answer.startswith(b"HTTP/1.1 400") or answer.startswith(b"HTTP/1.0 400"), answer
        # The server still serves after all that: every earlier line is written by now.
        assert (await host.call("room:snapshot"))["ok"]
    finally:
        for peer in peers:
            await peer.close()
        for client in (host, ivy, wren):
            if client.sio.connected:
                await client.close()
    return secrets


@pytest.mark.parametrize(
    ("level", "form"), [("DEBUG", "json"), ("INFO", "json"), ("DEBUG", "text")]
)
async def test_a_whole_session_leaves_no_secret_address_or_client_traceback_in_the_logs(
    level: str, form: str, tmp_path: Path
) -> None:
    log_path = tmp_path / "hearth.log"
    key = tmp_path / "attendance.pem"
    make_key(key)
    env = {
        "HEARTH_LOG_LEVEL": level,
        "HEARTH_LOG_FORMAT": form,
        "HEARTH_ADMIN_TOKEN": ADMIN_TOKEN,
        "HEARTH_PUBLIC_URL": "http://hearth.test",
        "HEARTH_ATTENDANCE_KEYS": str(key),
        "HEARTH_ATTENDANCE_MIN_MINUTES": "0",
    }
    server = ServerProcess(None, env, log_path=log_path).start()
    try:
        secrets = await session(server.url)
    finally:
        server.stop()
    text = log_path.read_text()
    assert "aiohttp.access" in text  # the access log was on: the check below means something
    said = [FACILITATOR, INVITED, GUEST, CHAT, MUTE_REASON, BAN_REASON, PRIVATE, PRINTED]
    for secret in [*secrets, *said]:
        assert secret not in text, f"{secret!r} in the log:\n{text}"
    for line in text.splitlines():
        assert not ADDRESS.search(line), line
        assert "Traceback" not in line, line
        assert "?" not in line.split("aiohttp.access:")[-1], line
    assert "malformed" in text  # the hostile frames were seen, and told in one line each


async def test_the_access_log_names_addresses_only_when_the_operator_opts_in(
    tmp_path: Path,
) -> None:
    log_path = tmp_path / "hearth.log"
    # The human line, where the address leads (a JSON line has it as "client").
    env = {
        "HEARTH_LOG_LEVEL": "INFO",
        "HEARTH_ACCESS_LOG_ADDRESSES": "1",
        "HEARTH_LOG_FORMAT": "text",
    }
    server = ServerProcess(None, env, log_path=log_path).start()
    try:
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{server.url}/?token={QUERY_TOKEN}") as page:
                assert page.status == 200
                # Read to the end: on uvloop a page left unread is cut mid-send (the client
                # closes), and aiohttp logs no access line for a response it never finished.
                await page.read()
            async with http.get(f"{server.url}/healthz") as health:
                assert health.status == 200  # logged after the first, so the first is written
    finally:
        server.stop()
    lines = [line for line in log_path.read_text().splitlines() if "aiohttp.access" in line]
    assert any(line.endswith("s") and '127.0.0.1 "GET / HTTP/1.1" 200' in line for line in lines), (
        lines
    )
    assert not any(QUERY_TOKEN in line or "?" in line for line in lines), lines
