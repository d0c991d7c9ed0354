"""Audio over the real hub: Socket.IO signalling, real aiortc peers, presence, refusals."""

from __future__ import annotations

import base64
import hashlib
import hmac
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from rooms.identity import Role
from rooms.room import RoomInfo
from server.settings import IceServer
from tests.server.media.peers import Participant, offer_through
from tests.support import ROOT, RunningHub, ServerProcess, running_app, settings, token

AUDIO_ROOM = RoomInfo("voices", "Voices", audio=True, allow_guests=True)

pytestmark = pytest.mark.audio


async def test_audio_over_socketio_is_mixed_shown_in_presence_and_obeys_mute(
    hub: RunningHub, clients: Any
) -> None:
    await hub.store.open_room(AUDIO_ROOM)
    people: dict[str, tuple[Any, Participant]] = {}
    try:
        for name, freq in (("Ann", 440), ("Bo", 660), ("Cy", 880)):
            client = await clients(hub.url, {"token": token(name)})
            await client.join("voices")
            people[name] = (client, await Participant.connect(freq, offer_through(client)))
        ann, ann_peer = people["Ann"]
        await ann_peer.ear.hears({660, 880})
        await people["Bo"][1].ear.hears({440, 880})
        # Presence: everyone sees everyone's audio connected, and who speaks.
        await ann.wait_for("audio:state", lambda d: d["audio"]["state"] == "connected")
        await ann.wait_for("audio:speaking", lambda d: len(d["speakers"]) == 3)
        snapshot = (await ann.call("room:snapshot"))["snapshot"]
        assert {p["audio"]["state"] for p in snapshot["participants"]} == {"connected"}

        # A facilitator's mute, through the real moderation event.
        cy_id = next(p["id"] for p in snapshot["participants"] if p["name"] == "Cy")
        fay = await clients(hub.url, {"token": token("Fay", Role.FACILITATOR)})
        await fay.join("voices")
        assert (await fay.call("moderation:mute", {"target": cy_id, "audio": True}))["ok"]
        people["Bo"][1].mic.freq = 440  # Bo's new tone marks what was mixed after the mute
        await ann_peer.ear.misses_after(880, marker=440)
        await ann_peer.ear.hears({440})
        refused = await people["Cy"][0].call("audio:unmute")
        assert refused["error"]["code"] == "audio_held"

        # Self-mute: Bo mutes himself; Ann hears nobody, then Bo again.
        ack = await people["Bo"][0].call("audio:mute")
        assert ack["ok"]
        assert ack["audio_muted"]
        await ann_peer.ear.hears(set())
        assert (await people["Bo"][0].call("audio:unmute"))["ok"]
        await ann_peer.ear.hears({440})
    finally:
        for _, peer in people.values():
            await peer.close()


async def test_audio_refusals_are_coded_acks(hub: RunningHub, clients: Any) -> None:
    await hub.store.open_room(AUDIO_ROOM)
    offer = {"type": "offer", "sdp": "v=0\r\n"}
    ann = await clients(hub.url, {"token": token("Ann")})
    assert (await ann.call("audio:start", offer))["error"]["code"] == "not_in_room"
    assert (await ann.call("audio:mute"))["error"]["code"] == "not_in_room"
    await ann.join("circle")  # a room without audio
    assert (await ann.call("audio:start", offer))["error"]["code"] == "audio_disabled"
    bad = await ann.call("audio:start", {"type": "answer", "sdp": "v=0"})
    assert bad["error"]["code"] == "invalid_payload"
    assert (await ann.call("audio:mute"))["ok"]  # muting works in any room you are in


async def test_a_server_without_the_webrtc_extra_names_the_install_command(
    hub: RunningHub, clients: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    await hub.store.open_room(AUDIO_ROOM)
    monkeypatch.setitem(sys.modules, "aiortc", None)  # as if it were not installed
    ann = await clients(hub.url, {"token": token("Ann")})
    await ann.join("voices")
    ack = await ann.call("audio:start", {"type": "offer", "sdp": "v=0\r\n"})
    assert ack["error"]["code"] == "media_unavailable"
    assert "pip install" in ack["error"]["message"]
    assert "webrtc" in ack["error"]["message"]


def test_the_server_starts_without_the_webrtc_extra() -> None:
    """`make run` installs no aiortc or numpy: the app must build without them."""
    blocked = "import sys; sys.modules.update(aiortc=None, numpy=None, av=None)"
    build = "from server.app import create_app; from tests.support import settings; "
    build += "create_app(settings()); print('ok')"
    done = subprocess.run(
        [sys.executable, "-c", f"{blocked}; {build}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.stdout.strip() == "ok", done.stderr


async def test_the_demo_room_offers_audio_only_where_the_server_can_host_it(
    tmp_path: Path, clients: Any
) -> None:
    """`make run` installs no webrtc extra: there the demo room has no audio (so nobody is
    offered a Join audio that can only fail); with the extra, it has audio."""
    blocked = tmp_path / "without-webrtc"
    blocked.mkdir()
    (blocked / "sitecustomize.py").write_text(
        "import sys\nsys.modules.update(aiortc=None, numpy=None, av=None)\n"
    )
    plain = ServerProcess(None, {"HEARTH_DEMO_ROOM": "demo", "PYTHONPATH": str(blocked)})
    full = ServerProcess(None, {"HEARTH_DEMO_ROOM": "demo"})
    try:
        for server, audio in ((plain.start(), False), (full.start(), True)):
            ann = await clients(server.url, {"token": token("Ann")})
            info = await ann.call("room:info", {"room": "demo"})
            assert info["room"]["audio"] is audio, server.extra_env
    finally:
        plain.stop()
        full.stop()


async def test_joining_an_audio_room_tells_the_browser_its_public_ice_servers(
    clients: Any,
) -> None:
    """The join ack of a room with audio lists the ICE servers the media host uses, by
    their public URLs only: a TURN server with long-lived credentials is not handed out.
    A room without audio gets none."""
    ice = (
        IceServer(("stun:stun.example.org:3478",)),
        IceServer(("turn:turn.example.org:3478",), "hearth", "long-lived-secret"),
    )
    async with running_app(settings(ice_servers=ice)) as hub:
        await hub.store.open_room(AUDIO_ROOM)
        await hub.store.open_room(RoomInfo("quiet", "Quiet", allow_guests=True))
        ann = await clients(hub.url, {"token": token("Ann")})
        ack = await ann.join("voices")
        assert ack["ice_servers"] == [{"urls": ["stun:stun.example.org:3478"]}]
        assert "long-lived-secret" not in str(ack)
        await ann.call("room:leave")
        assert "ice_servers" not in await ann.join("quiet")


async def test_a_turn_secret_gives_each_browser_short_lived_credentials(clients: Any) -> None:
    """With HEARTH_TURN_SECRET the join ack carries TURN credentials in the scheme coturn
    checks (expiry:member id, HMAC-SHA1): valid for a while, never the secret itself."""
    secret = "turn-shared-secret-known-to-coturn"
    made = settings(turn_urls=("turn:turn.example.org:3478",), turn_secret=secret)
    async with running_app(made) as hub:
        await hub.store.open_room(AUDIO_ROOM)
        ann = await clients(hub.url, {"token": token("Ann")})
        ack = await ann.join("voices")
    (turn,) = ack["ice_servers"]
    assert turn["urls"] == ["turn:turn.example.org:3478"]
    expires, member = turn["username"].split(":")
    assert member == ack["you"]
    assert time.time() + made.turn_ttl_s - 60 < int(expires) <= time.time() + made.turn_ttl_s
    expected = hmac.new(secret.encode(), turn["username"].encode(), hashlib.sha1).digest()
    assert turn["credential"] == base64.b64encode(expected).decode()
    assert secret not in str(ack)
