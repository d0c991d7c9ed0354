"""During a sharing round that lets only the sharer speak, the media host carries the
sharer's and the facilitators' voices and nobody else's, and everyone again after it:
real aiortc peers, tones in, mixes out (the ``room`` fixture of ``conftest``)."""

from __future__ import annotations

import time

import pytest

from moderation import controls, floor, rounds
from rooms.meeting import RoundOrder
from tests.server.media.peers import Room

pytestmark = pytest.mark.audio

ANN, BO, FAY = 440, 660, 880


async def test_only_the_sharer_and_the_facilitator_are_heard_during_a_round(room: Room) -> None:
    await room.people["fay"].ear.hears({ANN, BO})
    state = room.mixer.state
    for sid in ("sid-ann", "sid-bo"):
        state = floor.raise_hand(state, sid).state
    on = {"round_sharer_only_audio": True}
    state = controls.set_controls(state, "sid-fay", on, now=0).change.state
    room.mixer.update(state)
    await room.people["fay"].ear.hears({ANN, BO})  # no round yet: the control waits for one

    started_at = time.monotonic()
    state = rounds.start(
        state, "sid-fay", order=RoundOrder.HANDS, share_ms=60_000, warn_ms=0,
        members=(), seed=0, now=0,
    ).change.state  # fmt: skip
    room.mixer.update(state)
    await room.people["fay"].ear.misses(BO, since=started_at + 0.1)
    await room.people["fay"].ear.hears({ANN})
    await room.people["ann"].ear.hears({FAY})  # the facilitator is still heard

    passed_at = time.monotonic()
    state = rounds.pass_turn(state, "sid-ann", now=1000).state  # Bo shares now
    room.mixer.update(state)
    await room.people["fay"].ear.misses(ANN, since=passed_at + 0.1)
    await room.people["fay"].ear.hears({BO})

    state = rounds.end(state, "sid-fay", now=2000).change.state
    room.mixer.update(state)
    await room.people["fay"].ear.hears({ANN, BO})
