"""The Opus streams of mixes: a speaker's own stream, paused while they listened to the
shared one, opens again with nothing of what it carried before."""

from __future__ import annotations

from typing import Any

import av
import numpy as np
import pytest

from server.media import mixing
from server.media.opus import Voice

pytestmark = pytest.mark.audio


def tone(tick: int, freq: float = 440.0) -> mixing.Samples:
    n = np.arange(tick * mixing.FRAME_SAMPLES, (tick + 1) * mixing.FRAME_SAMPLES)
    mono = (6000 * np.sin(2 * np.pi * freq * n / mixing.SAMPLE_RATE)).astype(np.int16)
    return np.repeat(mono, mixing.CHANNELS)


def loudest(decoder: Any, packet: Any) -> int:
    """The peak of what a listener's decoder plays for ``packet``."""
    frames = decoder.decode(av.Packet(bytes(packet)))
    return max(int(np.abs(frame.to_ndarray()).max()) for frame in frames)


def test_a_stream_paused_mid_sound_does_not_open_with_its_tail() -> None:
    """Bo's own stream carried Ann's voice until his gate closed (no silence after it);
    two seconds later he starts to speak alone, so his stream is silence again: what his
    decoder plays then is silence, not the last milliseconds of Ann."""
    own = Voice()
    decoder = av.CodecContext.create("libopus", "r")
    decoder.sample_rate = mixing.SAMPLE_RATE
    decoder.layout = "stereo"
    for tick in range(5):
        assert loudest(decoder, own.packet(tone(tick), tick)) > 3000
    # Ticks 5 to 99: Bo hears the shared stream, silence now; his own encoder is idle.
    shared = Voice()
    for tick in range(5, 100):
        loudest(decoder, shared.packet(mixing.SILENCE, tick))
    assert loudest(decoder, own.packet(mixing.SILENCE, 100)) < 100
    assert loudest(decoder, own.packet(mixing.SILENCE, 101)) < 100


def test_a_stream_used_every_tick_keeps_its_encoder() -> None:
    """Only a pause starts the encoder afresh: a stream used tick after tick keeps one
    encoder (a fresh one each tick would restart the codec's prediction every 20 ms)."""
    voice = Voice()
    voice.packet(tone(0), 0)
    codec = voice.codec
    for tick in range(1, 10):
        voice.packet(tone(tick) if tick < 5 else mixing.SILENCE, tick)
    assert voice.codec is codec
