"""Audio cleans up after itself: peer connections close when people leave, are removed,
or the room closes, and a stopped server leaves no task and no UDP socket behind."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import pytest

from rooms import primitives
from rooms.events import LeaveReason
from rooms.room import RoomInfo
from server import media
from server.app import AUDIO
from tests.server.media.peers import Participant, offer_through
from tests.support import running_app, settings, token

ROOM = RoomInfo("voices", "Voices", audio=True)
MEDIA = str(Path(media.__file__).parent)

pytestmark = pytest.mark.audio


def udp_sockets() -> int:
    """UDP sockets this process holds (its fds matched against /proc/net/udp{,6})."""
    inodes = set()
    for table in ("udp", "udp6"):
        for line in Path(f"/proc/self/net/{table}").read_text().splitlines()[1:]:
            inodes.add(line.split()[9])
    held = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:[") and target[8:-1] in inodes:
            held += 1
    return held


async def settled(check: Any, within: float = 3.0) -> None:
    for _ in range(int(within / 0.05)):
        if check():
            return
        await asyncio.sleep(0.05)
    assert check()


def audio_tasks() -> list[asyncio.Task[Any]]:
    """Live tasks running aiortc, aioice or our media code."""
    found = []
    for task in asyncio.all_tasks():
        code = getattr(task.get_coro(), "cr_code", None)
        name = code.co_filename if code is not None else ""
        if name.startswith(MEDIA) or any(p in name for p in ("/aiortc/", "/aioice/")):
            found.append(task)
    return found


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
