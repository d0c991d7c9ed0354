"""Audio requests that race: offers for a room nobody hosts yet, and an offer being
answered (aiortc gathers its ICE candidates meanwhile) while its person leaves, stops
their audio, or the room's mixer closes. Each ends with one mixer per room, a coded
ack, and nothing left running."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import pytest

from rooms import primitives
from rooms.events import LeaveReason
from rooms.room import RoomInfo
from server.app import AUDIO
from server.media.gateway import AudioGateway
from tests.server.media.leaks import audio_tasks, settled, udp_sockets
from tests.server.media.peers import Tone
from tests.support import Client, RunningHub, running_app, settings, token

if TYPE_CHECKING:
    from aiortc import RTCPeerConnection

    from server.media.host import RoomMixer

ROOM = RoomInfo("voices", "Voices", audio=True)
WRITER_AND_LEASES = 2  # the embedded gateway's own tasks, always running

pytestmark = pytest.mark.audio


async def offer() -> tuple[RTCPeerConnection, dict[str, str]]:
    """A real aiortc microphone's offer (its candidates inside)."""
    from aiortc import RTCConfiguration, RTCPeerConnection

    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    pc.addTrack(Tone(440))
    await pc.setLocalDescription(await pc.createOffer())
    return pc, {"type": "offer", "sdp": pc.localDescription.sdp}


async def test_offers_racing_for_a_room_nobody_hosts_build_one_mixer(
    redis_url: str, clients: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """With Redis, looking the room up is a round trip: four people pressing "join audio"
    at once in each of three new rooms must start one mixer per room, holding all four."""
    caplog.set_level(logging.INFO, logger="server.media.gateway")
    pcs = []
    async with running_app(settings(redis_url)) as hub:
        gateway = hub.app[AUDIO]
        idle = len(audio_tasks())  # the gateway's writer, lease keeper and listener
        try:
            for n in range(3):
                room = f"voices{n}"
                await hub.store.open_room(RoomInfo(room, "Voices", audio=True))
                starts = []
                for name in ("Ann", "Bo", "Cy", "Di"):
                    client = await clients(hub.url, {"token": token(f"{name}{n}")})
                    member = (await client.join(room))["you"]
                    pc, sdp = await offer()
                    pcs.append(pc)
                    starts.append(gateway.start_audio(f"{name}{n}", room, member, sdp["sdp"]))
                await asyncio.gather(*starts)
                assert len(gateway.mixers[room].peers) == 4
            hosted = [r for r in caplog.records if r.getMessage() == "hosting a room's audio"]
            assert len(hosted) == 3, "a room's mixer was built more than once"
            assert len(gateway.mixers) == 3
        finally:
            for pc in pcs:
                await pc.close()
        for n in range(3):
            await hub.store.close_room(f"voices{n}")
        await settled(lambda: not gateway.mixers)
        await settled(lambda: len(audio_tasks()) == idle)


async def turns_until(check: Callable[[], bool]) -> None:
    """Turn the event loop until ``check`` holds, not sleeping longer: answering an offer
    takes about 16 turns, and each step of it is looked for while it is in progress."""
    deadline = time.monotonic() + 10.0
    while time.monotonic() < deadline:
        if check():
            return
        await asyncio.sleep(0)
    raise AssertionError("never came to pass")


async def answering(gateway: AudioGateway, member: str) -> RoomMixer:
    """Until the member's offer is being answered: their peer connection exists on the
    mixer, and aiortc is still gathering its candidates."""

    def there() -> bool:
        mixer = gateway.mixers.get(ROOM.room_id)
        return mixer is not None and member in mixer.peers

    await turns_until(there)
    return gateway.mixers[ROOM.room_id]


Interrupt = Callable[[RunningHub, Client, str], Awaitable[None]]


async def leave(hub: RunningHub, client: Client, member: str) -> None:
    state = await hub.store.snapshot(ROOM.room_id)
    seat = state.member(member)
    assert seat is not None
    assert seat.connection is not None
    sid = seat.connection.sid
    await hub.store.apply(ROOM.room_id, lambda s, _: primitives.leave(s, sid, LeaveReason.LEFT))


async def close_room(hub: RunningHub, client: Client, member: str) -> None:
    await hub.store.close_room(ROOM.room_id)


async def stop(hub: RunningHub, client: Client, member: str) -> None:
    await hub.app[AUDIO].stop_audio(client.sio.get_sid())


@pytest.mark.parametrize(
    ("interrupt", "code"),
    [(leave, "not_in_room"), (close_room, "not_in_room"), (stop, "media_unavailable")],
    ids=["the person leaves", "the room closes", "they stop their audio"],
)
async def test_an_offer_interrupted_while_answered_is_refused_with_a_code_and_leaves_nothing(
    clients: Any, interrupt: Interrupt, code: str
) -> None:
    udp_before = udp_sockets()
    async with running_app(settings()) as hub:
        await hub.store.open_room(ROOM)
        gateway = hub.app[AUDIO]
        ann = await clients(hub.url, {"token": token("Ann")})
        member = (await ann.join("voices"))["you"]
        pc, sdp = await offer()
        try:
            started = asyncio.create_task(ann.call("audio:start", sdp))
            mixer = await answering(gateway, member)
            await interrupt(hub, ann, member)
            ack = await started
            assert not ack["ok"], "an answer for a connection already closed"
            assert ack["error"]["code"] == code, ack
            await settled(lambda: member not in mixer.peers)
            if gateway.mixers:  # still hosted (they stopped): idle, and closed when checked
                assert mixer._task is None or mixer._task.done()
                await gateway._check_leases()
            assert not gateway.mixers
            assert mixer._task is None or mixer._task.done(), "a closed mixer still mixes"
            assert len(audio_tasks()) == WRITER_AND_LEASES
        finally:
            await pc.close()
    await settled(lambda: udp_sockets() == udp_before)


async def test_a_mixer_answering_an_offer_again_is_not_closed_as_idle(clients: Any) -> None:
    """Offering again closes the old connection first: for those turns the mixer has no
    peer, and the lease keeper's idle check must not close it under the new offer."""
    async with running_app(settings()) as hub:
        await hub.store.open_room(ROOM)
        gateway = hub.app[AUDIO]
        ann = await clients(hub.url, {"token": token("Ann")})
        member = (await ann.join("voices"))["you"]
        first, sdp = await offer()
        second, again = await offer()
        try:
            assert (await ann.call("audio:start", sdp))["ok"]
            mixer = gateway.mixers[ROOM.room_id]
            old = mixer.peers[member]
            restarted = asyncio.create_task(ann.call("audio:start", again))
            await turns_until(lambda: mixer.peers.get(member) is not old)
            assert member not in mixer.peers  # the old one is closing, the new one not in
            await gateway._check_leases()
            ack = await restarted
            assert ack["ok"], ack
            assert gateway.mixers.get(ROOM.room_id) is mixer
            assert member in mixer.peers
        finally:
            await first.close()
            await second.close()
