"""The media host with real aiortc peers: tones in, mixes out, moderation obeyed."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from moderation import mute, pause
from rooms.state import AudioState, RoomState
from server.media.host import RoomMixer
from tests.server.media.peers import NAMES, Participant, Room, seat, tones_in

pytestmark = pytest.mark.audio


async def test_each_listener_hears_the_others_and_not_themselves(room: Room) -> None:
    for name, person in room.people.items():
        others = {f for n, f in NAMES.items() if n != name}
        await person.ear.hears(others)
    assert ("id-ann", AudioState.CONNECTED) in room.reports
    # Who speaks is told on change only, and at most every 300 ms.
    for _ in range(20):
        if room.speakers and set(room.speakers[-1]) == {"id-ann", "id-bo", "id-fay"}:
            break
        await asyncio.sleep(0.05)
    assert set(room.speakers[-1]) == {"id-ann", "id-bo", "id-fay"}
    assert len(room.speakers) <= 3


async def test_a_speaker_whose_frame_is_late_does_not_hear_their_own_voice(room: Room) -> None:
    """A speaker with no frame in a tick (lost, late) is not mixed in it; what they hear
    stays on their own stream: the shared mix's encoder still holds their voice."""
    ann = room.people["ann"]
    await ann.ear.hears({660, 880})
    ann.mic.gap_every = 7  # a frame of Ann's missing every 140 ms
    heard = len(ann.ear.frames)
    for _ in range(200):
        if len(ann.ear.frames) >= heard + 60:
            break
        await asyncio.sleep(0.05)
    later = ann.ear.frames[heard : heard + 60]
    assert len(later) == 60
    windows = [np.concatenate([s for _, s in later[i : i + 5]]) for i in range(0, 56)]
    assert not [i for i, w in enumerate(windows) if 440 in tones_in(w)], "Ann heard herself"


async def test_a_muted_voice_is_gone_from_every_listener_at_once(room: Room) -> None:
    for name, person in room.people.items():
        await person.ear.hears({f for n, f in NAMES.items() if n != name})
    muted = mute.mute(room.mixer.state, "sid-fay", "id-ann", chat=False, audio=True, now=0)
    room.mixer.update(muted.change.state)
    # What each listener heard after the mute is marked by a tone the other one starts
    # only now (one nobody heard before: each listener's own).
    room.people["bo"].mic.freq = 880  # Fay's marker
    room.people["fay"].mic.freq = 660  # Bo's marker
    await room.people["fay"].ear.misses_after(440, marker=880)
    await room.people["bo"].ear.misses_after(440, marker=660)
    await room.people["fay"].ear.hears({880})
    await room.people["bo"].ear.hears({660})
    # A muted input is not even decoded: its packets stop before the decoder thread.
    decoded = room.mixer.peers["id-ann"].received
    await asyncio.sleep(0.1)
    assert room.mixer.peers["id-ann"].received == decoded
    # Lifting a facilitator's mute takes the facilitator's ask and the person's yes.
    asked = mute.unmute(room.mixer.state, "sid-fay", "id-ann", chat=False, audio=True, now=0)
    room.mixer.update(mute.unmute_self(asked.change.state, "sid-ann").state)
    await room.people["bo"].ear.hears({440, 660})


async def test_pause_silences_everyone_but_facilitators_and_resume_brings_them_back(
    room: Room,
) -> None:
    await room.people["ann"].ear.hears({660, 880})
    room.mixer.update(pause.pause(room.mixer.state, "sid-fay", now=0).change.state)
    room.people["fay"].mic.freq = 440  # marks, for Ann, what was mixed after the pause
    await room.people["ann"].ear.misses_after(660, marker=440)
    await room.people["ann"].ear.hears({440})  # only the facilitator
    # Fay hears nobody now, so nothing can mark the moment for her: silence, in time.
    await room.people["fay"].ear.hears(set())
    room.mixer.update(pause.resume(room.mixer.state, "sid-fay", now=0).change.state)
    await room.people["fay"].ear.hears({440, 660})


async def test_a_silent_member_costs_no_decode_and_is_heard_as_soon_as_they_speak() -> None:
    """aiortc, like browsers, puts each frame's level in its packet (RFC 6464): frames
    said to be quiet are not decoded; the first loud one is, and the room hears it."""
    state = RoomState("circle", members=(seat("ann"), seat("bo")))
    mixer = RoomMixer("circle", state, [], lambda *_: None, lambda *_: None)
    ann = await Participant.connect(440, lambda sdp: mixer.answer("id-ann", sdp))
    bo = await Participant.connect(0, lambda sdp: mixer.answer("id-bo", sdp))  # silence
    try:
        await bo.ear.hears({440})
        await ann.ear.hears(set())
        assert mixer.peers["id-bo"].quiet > 10
        assert mixer.peers["id-bo"].received == 0
        assert mixer.peers["id-ann"].received > 10
        assert mixer.peers["id-ann"].quiet == 0
        bo.mic.freq = 660  # Bo speaks
        await ann.ear.hears({660})
        assert mixer.peers["id-bo"].received > 0
    finally:
        await ann.close()
        await bo.close()
        await mixer.close()


async def test_a_silent_mix_is_sent_every_tick_without_being_encoded() -> None:
    """Nobody speaking, or what a lone speaker hears: the same silent Opus packet, sent on
    time, not encoded (after a sound, only while the encoder flushes its lookahead)."""
    state = RoomState("circle", members=(seat("ann"), seat("bo")))
    mixer = RoomMixer("circle", state, [], lambda *_: None, lambda *_: None)
    ann = await Participant.connect(0, lambda sdp: mixer.answer("id-ann", sdp))  # silence
    bo = await Participant.connect(0, lambda sdp: mixer.answer("id-bo", sdp))
    try:
        await ann.ear.hears(set())
        heard, encoded = len(ann.ear.frames), mixer.shared.encoded
        assert encoded == 0
        for _ in range(100):  # ... and more silence keeps arriving, every 20 ms
            if len(ann.ear.frames) > heard + 25:
                break
            await asyncio.sleep(0.05)
        assert len(ann.ear.frames) > heard + 25
        assert mixer.shared.encoded == encoded
        bo.mic.freq = 660  # Bo speaks: the room hears him, and he hears silence, unencoded
        await ann.ear.hears({660})
        assert mixer.shared.encoded > encoded
        await bo.ear.hears(set())
        assert mixer.peers["id-bo"].voice.encoded == 0
    finally:
        await ann.close()
        await bo.close()
        await mixer.close()
