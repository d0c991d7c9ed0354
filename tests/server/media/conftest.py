"""Fixtures for the audio tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import pytest

from rooms.state import AudioState, RoomState

if TYPE_CHECKING:  # aiortc is imported by the tests that use the room, not by every one here
    from tests.server.media.peers import Room


@pytest.fixture
async def room() -> AsyncIterator[Room]:
    """A mixer hosting Ann, Bo and Fay, each a real aiortc peer playing a tone of its own
    (``peers.NAMES``)."""
    from server.media.host import RoomMixer
    from tests.server.media.peers import NAMES, Participant, Room, seat

    state = RoomState("circle", members=tuple(seat(n) for n in NAMES))
    reports: list[tuple[str, AudioState]] = []
    speakers: list[tuple[str, ...]] = []
    mixer = RoomMixer("circle", state, [], lambda m, a: reports.append((m, a)), speakers.append)
    people = {}
    for name, freq in NAMES.items():
        people[name] = await Participant.connect(
            freq, lambda sdp, name=name: mixer.answer(f"id-{name}", sdp)
        )
    yield Room(mixer, people, reports, speakers)
    for person in people.values():
        await person.close()
    await mixer.close()
