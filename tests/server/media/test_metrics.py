"""The media metrics move with real audio through real aiortc peers: a room hosted here,
one stream per peer, mixer frames timed, and the room's id in no label."""

from __future__ import annotations

from typing import Any

import pytest

from rooms.room import RoomInfo
from tests.server.media.peers import Participant, offer_through
from tests.server.scrapes import scrape, value
from tests.support import running_app, settings, token

pytestmark = pytest.mark.audio

ROOM = RoomInfo("voices-5512", "Voices", audio=True)


async def test_audio_moves_the_media_metrics(clients: Any) -> None:
    async with running_app(settings()) as hub:
        await hub.store.open_room(ROOM)
        _, before = await scrape(hub.url)
        peers: list[Participant] = []
        try:
            for name, freq in (("Ann", 440), ("Bo", 660)):
                client = await clients(hub.url, {"token": token(name)})
                await client.join(ROOM.room_id)
                peers.append(await Participant.connect(freq, offer_through(client)))
            await peers[0].ear.hears({660})
            text, during = await scrape(hub.url)
        finally:
            for peer in peers:
                await peer.close()
        assert value(during, "hearth_media_rooms") == 1
        assert value(during, "hearth_audio_streams") == 2
        frames = value(during, "hearth_mixer_frame_seconds_count") - value(
            before, "hearth_mixer_frame_seconds_count"
        )
        assert frames >= 10  # 20 ms each: hearing a tone takes more than 200 ms
        assert value(during, "hearth_mixer_frame_seconds_sum") > 0
        assert ROOM.room_id not in text
