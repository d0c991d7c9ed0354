"""Audio cleans up after itself: peer connections close when people leave, are removed,
or the room closes, and a stopped server leaves no task and no UDP socket behind."""

from __future__ import annotations

from typing import Any

import pytest

from rooms import primitives
from rooms.events import LeaveReason
from rooms.room import RoomInfo
from server.app import AUDIO
from tests.server.media.leaks import audio_tasks, settled, udp_sockets
from tests.server.media.peers import Participant, offer_through
from tests.support import running_app, settings, token

ROOM = RoomInfo("voices", "Voices", audio=True)

pytestmark = pytest.mark.audio


async def test_peers_close_on_leave_removal_and_room_close_and_nothing_leaks(
    clients: Any,
) -> None:
    assert audio_tasks() == []
    udp_before = udp_sockets()
    people: list[Participant] = []
    async with running_app(settings()) as hub:
        await hub.store.open_room(ROOM)
        gateway = hub.app[AUDIO]
        socks = []
        for name, freq in (("Ann", 440), ("Bo", 660), ("Cy", 880)):
            client = await clients(hub.url, {"token": token(name)})
            await client.join("voices")
            socks.append(client)
            people.append(await Participant.connect(freq, offer_through(client)))
        await people[2].ear.hears({440, 660})
        mixer = gateway.mixers["voices"]
        server_pcs = {m: p.pc for m, p in mixer.peers.items()}
        assert len(server_pcs) == 3
        udp_with_audio = udp_sockets()
        assert udp_with_audio > udp_before

        await socks[0].call("room:leave")  # Ann leaves
        await settled(lambda: len(mixer.peers) == 2)
        state = await hub.store.snapshot("voices")
        bo = next(m for m in state.members if m.display_name == "Bo")
        # Bo is removed from the room (as moderation would), not by his own client.
        await hub.store.apply(
            "voices", lambda s, _: primitives.leave(s, bo.connection.sid, LeaveReason.LEFT)
        )
        await settled(lambda: len(mixer.peers) == 1)
        await hub.store.close_room("voices")
        await settled(lambda: "voices" not in gateway.mixers)
        assert {pc.connectionState for pc in server_pcs.values()} == {"closed"}
        for person in people:
            await person.close()
        await settled(lambda: udp_sockets() == udp_before)
        assert len(audio_tasks()) == 2  # only the gateway's writer and lease keeper remain
        for client in socks:
            await client.close()
    assert audio_tasks() == []
    assert udp_sockets() == udp_before
