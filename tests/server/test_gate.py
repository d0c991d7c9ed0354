"""The connection gate against a hostile client: refused joins hear nothing, reserved
event names reach no handler, binary packets close the connection, foreign origins are
refused. Real servers, real Socket.IO clients, and raw WebSockets where an attacker
would speak Engine.IO by hand."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
import pytest
from socketio import packet as sio_packet

from rooms.identity import Role
from server.app import HUB
from server.socket.frames import CheckedPacket
from tests.support import RunningHub, running_app, settings, token


async def test_a_refused_join_never_hears_the_room(hub: RunningHub, clients: Any) -> None:
    sam = await clients(hub.url, {"token": token("Sam", Role.FACILITATOR)})  # never limited
    await sam.join("circle")
    ghost = await clients(hub.url, {"name": "Ghost"})  # guests are not allowed in circle

    async def chatter() -> None:
        for n in range(40):
            assert (await sam.call("chat:send", {"text": f"private {n}"}))["ok"]

    async def knock() -> None:
        for _ in range(25):
            ack = await ghost.call("room:join", {"room": "circle"})
            assert ack["error"]["code"] == "guests_not_allowed"

    await asyncio.gather(chatter(), knock())
    # Everything Sam said has gone out; an ack sent to Ghost after it follows any
    # delivery to Ghost on the same connection.
    await sam.wait_for("chat:message", lambda m: m["message"]["text"] == "private 39")
    assert (await ghost.call("room:join", {"room": "circle"}))["ok"] is False
    assert [event for event, _ in ghost.received] == []


async def test_a_waiting_join_hears_nothing_until_admitted(hub: RunningHub, clients: Any) -> None:
    kim = await clients(hub.url, {"token": token("Kim", Role.FACILITATOR)})
    await kim.join("open")
    assert (await kim.call("moderation:controls", {"waiting_room": True}))["ok"]
    guest = await clients(hub.url, {"name": "River"})
    ack = await guest.call("room:join", {"room": "open"})
    assert "waiting" in ack
    await kim.call("chat:send", {"text": "before you come in"})
    await kim.wait_for("chat:message")
    assert (await guest.call("room:snapshot"))["ok"] is False  # an ack after the chat
    assert guest.events("chat:message") == []


async def test_a_client_sent_disconnect_event_is_refused_and_changes_nothing(
    hub: RunningHub, clients: Any
) -> None:
    sam = await clients(hub.url, {"token": token("Sam")})
    await sam.join("circle")
    kim = await clients(hub.url, {"token": token("Kim")})
    kim_id = (await kim.join("circle"))["you"]
    ack = await kim.sio.call("disconnect", timeout=5)
    assert ack["error"]["code"] == "unknown_event"
    # Kim still holds her seat, and is still heard: nobody listens unseen.
    names = [p["id"] for p in (await sam.call("room:snapshot"))["snapshot"]["participants"]]
    assert kim_id in names
    assert (await kim.call("chat:send", {"text": "still here"}))["ok"]
    assert not sam.events("participant:left")


@pytest.mark.parametrize(
    "name", ["connect", "connect_error", "disconnecting", "message", "*", "newListener"]
)
async def test_reserved_event_names_get_unknown_event(
    hub: RunningHub, clients: Any, name: str
) -> None:
    guest = await clients(hub.url, {"name": "River"})
    ack = await guest.sio.call(name, ({}, {"name": "Ghost", "key": "k" * 20}), timeout=5)
    assert ack["error"]["code"] == "unknown_event"


async def test_a_client_sent_connect_event_gives_no_second_seat(
    hub: RunningHub, clients: Any
) -> None:
    guest = await clients(hub.url, {"name": "River"})
    await guest.join("open")
    for n in range(3):
        auth = {"name": f"Ghost{n}", "key": f"ghost-key-{n:02d}-abcdefgh"}
        ack = await guest.sio.call("connect", ({}, auth), timeout=5)
        assert ack["error"]["code"] == "unknown_event"
        await guest.call("room:join", {"room": "open"})
    snapshot = (await guest.call("room:snapshot"))["snapshot"]
    assert [p["name"] for p in snapshot["participants"]] == ["River"]


async def _engineio(url: str, session: aiohttp.ClientSession) -> aiohttp.ClientWebSocketResponse:
    """A raw Engine.IO v4 WebSocket signed in to Socket.IO as a guest."""
    ws = await session.ws_connect(f"{url}/socket.io/?EIO=4&transport=websocket")
    opened = await ws.receive_str(timeout=5)
    assert opened.startswith("0")
    await ws.send_str("40" + json.dumps({"name": "Ghost"}))
    connected = await ws.receive_str(timeout=5)
    assert connected.startswith("40{"), connected
    return ws


async def _closed(ws: aiohttp.ClientWebSocketResponse) -> bool:
    """Whether the server closes the WebSocket (within the wait); pings are answered."""
    while True:
        message = await ws.receive(timeout=5)
        if message.type in {
            aiohttp.WSMsgType.CLOSE,
            aiohttp.WSMsgType.CLOSING,
            aiohttp.WSMsgType.CLOSED,
        }:
            return True
        if message.type == aiohttp.WSMsgType.TEXT and message.data == "2":
            await ws.send_str("3")


@pytest.mark.parametrize(
    "header",
    [
        '5999999-["chat:send",{"_placeholder":true,"num":0}]',
        '51-0["chat:send",{"_placeholder":true,"num":0}]',
        '61-0[{"_placeholder":true,"num":0}]',
    ],
)
async def test_a_binary_packet_closes_the_connection_before_anything_is_kept(
    header: str,
) -> None:
    async with running_app(settings()) as running, aiohttp.ClientSession() as session:
        sio = running.app[HUB].sio
        ws = await _engineio(running.url, session)
        await ws.send_str("4" + header)
        for _ in range(5):
            if ws.closed:
                break
            await ws.send_bytes(b"\x00" * 60_000)
        assert await _closed(ws)
        assert sio._binary_packet == {}
        assert running.app[HUB].sessions == {}


async def test_a_raw_binary_message_closes_the_connection() -> None:
    async with running_app(settings()) as running, aiohttp.ClientSession() as session:
        ws = await _engineio(running.url, session)
        await ws.send_bytes(b"\x04" + b"\x00" * 1000)
        assert await _closed(ws)


async def _handshake(url: str, origin: str | None, transport: str) -> int:
    headers = {"Origin": origin} if origin else {}
    async with aiohttp.ClientSession() as session:
        if transport == "polling":
            path = f"{url}/socket.io/?EIO=4&transport=polling"
            async with session.get(path, headers=headers) as response:
                return response.status
        try:
            ws = await session.ws_connect(
                f"{url}/socket.io/?EIO=4&transport=websocket", headers=headers
            )
        except aiohttp.WSServerHandshakeError as refused:
            return refused.status
        await ws.close()
        return 101


@pytest.mark.parametrize("transport", ["polling", "websocket"])
async def test_a_page_on_another_origin_cannot_connect(transport: str) -> None:
    accepted = 200 if transport == "polling" else 101
    app_settings = settings(
        public_url="https://hearth.example.org", allowed_origins=("https://partner.example.org",)
    )
    async with running_app(app_settings) as running:
        assert await _handshake(running.url, "https://evil.example", transport) == 400
        assert await _handshake(running.url, "http://localhost:5173", transport) == 400
        assert await _handshake(running.url, running.url, transport) == accepted  # same origin
        assert await _handshake(running.url, None, transport) == accepted  # not a browser
        for origin in ("https://hearth.example.org", "https://partner.example.org"):
            assert await _handshake(running.url, origin, transport) == accepted


async def test_dev_mode_also_allows_local_pages() -> None:
    async with running_app(settings(dev=True)) as running:
        assert await _handshake(running.url, "http://localhost:5173", "polling") == 200
        assert await _handshake(running.url, "http://127.0.0.1:3000", "polling") == 200
        assert await _handshake(running.url, "https://evil.example", "polling") == 400


def test_allowed_origin_compares_scheme_and_host() -> None:
    from server.socket.gate import allowed_origin

    plain = settings()
    assert allowed_origin(plain, "https://h.example", "https", "h.example")
    assert not allowed_origin(plain, "http://h.example", "https", "h.example")
    assert not allowed_origin(plain, "https://h.example.evil", "https", "h.example")
    assert not allowed_origin(plain, "https://h.example", "https", None)
    assert not allowed_origin(plain, "http://localhost:8080", "https", "h.example")


def test_a_sent_packet_is_never_searched_for_binary_data() -> None:
    """The server's packets are JSON: a payload is not walked to choose a binary packet
    type (python-socketio's walk cost 2 ms per 500-person snapshot), so bytes in one fail
    to encode, loudly, instead of going out as attachments."""
    people = [{"id": f"m{i}", "name": f"Guest {i}", "tags": [i]} for i in range(500)]
    ack = CheckedPacket(sio_packet.ACK, data=[{"snapshot": {"participants": people}}], id=1)
    assert ack.packet_type == sio_packet.ACK
    assert ack.encode().startswith("31[")
    with pytest.raises(TypeError):
        CheckedPacket(sio_packet.EVENT, data=["x", {"audio": b"\x00"}]).encode()
