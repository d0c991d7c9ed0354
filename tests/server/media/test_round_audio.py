"""During a sharing round that lets only the sharer speak, the media host carries the
sharer's and the facilitators' voices and nobody else's, and everyone again after it:
real aiortc peers, tones in, mixes out (the ``room`` fixture of ``conftest``)."""

from __future__ import annotations

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

    state = rounds.start(
        state, "sid-fay", order=RoundOrder.HANDS, share_ms=60_000, warn_ms=0,
        members=(), seed=0, now=0,
    ).change.state  # fmt: skip
    room.mixer.update(state)
    # Each change is marked by a tone its sharer starts only once it is made: every frame
    # after the marker was mixed after the change.
    room.people["ann"].mic.freq = FAY
    await room.people["fay"].ear.misses_after(BO, marker=FAY)
    await room.people["fay"].ear.hears({FAY})  # Ann, the sharer
    await room.people["ann"].ear.hears({FAY})  # the facilitator is still heard

    state = rounds.pass_turn(state, "sid-ann", now=1000).state  # Bo shares now
    heard = len(room.people["fay"].ear.frames)
    room.mixer.update(state)
    room.people["bo"].mic.freq = ANN  # a tone Fay heard before the round: marks after `heard`
    await room.people["fay"].ear.misses_after(FAY, marker=ANN, heard_so_far=heard)
    await room.people["fay"].ear.hears({ANN})  # Bo, the sharer

    state = rounds.end(state, "sid-fay", now=2000).change.state
    room.mixer.update(state)
    await room.people["fay"].ear.hears({ANN, FAY})  # Bo and Ann again
