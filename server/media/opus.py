"""Opus streams of mixes (needs PyAV): one encoder per distinct mix, and no encode for
silence.

Every encoder stamps its packets on one timeline (the mixer's tick), so a listener moving
between the shared mix and their own mix-minus keeps a continuous RTP timestamp.
"""

from __future__ import annotations

import fractions
from typing import Any

import av
import numpy as np

from server.media import mixing

SILENT_FLUSH = 2  # silent frames still encoded after a sound (libopus looks 6.5 ms ahead)
TIME_BASE = fractions.Fraction(1, mixing.SAMPLE_RATE)
BITRATE = 32_000  # speech, mono content in a stereo frame


def opus_encoder() -> Any:
    codec = av.CodecContext.create("libopus", "w")
    codec.bit_rate = BITRATE
    codec.format = "s16"
    codec.layout = "stereo"
    codec.sample_rate = mixing.SAMPLE_RATE
    codec.time_base = TIME_BASE
    codec.options = {"application": "voip"}
    return codec


def encode(codec: Any, samples: mixing.Samples, tick: int) -> Any:
    frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout="stereo")
    frame.sample_rate = mixing.SAMPLE_RATE
    frame.pts = tick * mixing.FRAME_SAMPLES
    packets = codec.encode(frame)
    if not packets:
        return None
    packet = packets[-1]
    # One timeline for every encoder, so a listener moving between the shared mix and
    # their own keeps a continuous RTP timestamp.
    packet.pts = tick * mixing.FRAME_SAMPLES
    packet.time_base = TIME_BASE
    return packet


def _silent_packet() -> bytes:
    """The silence libopus sends after a tone, once its lookahead is flushed: a CELT frame
    with the silence flag set (3 bytes), which any decoder plays as silence whatever it
    decoded before. (What a fresh encoder sends for silence, a 39-byte hybrid frame, is
    coded against the frames before it, and a listener's decoder may have decoded another
    stream: the shared mix's or their own.)"""
    codec = opus_encoder()
    t = np.arange(5 * mixing.FRAME_SAMPLES) / mixing.SAMPLE_RATE
    voice = np.repeat((6000 * np.sin(2 * np.pi * 440 * t)).astype(np.int16), mixing.CHANNELS)
    for tick, frame in enumerate(np.split(voice, 5)):
        encode(codec, frame, tick)
    made = [b""]
    for tick in range(5, 55):
        made.append(bytes(encode(codec, mixing.SILENCE, tick)))
        if made[-1] == made[-2]:
            return made[-1]
    raise RuntimeError("libopus's silence did not settle")


class Voice:
    """One Opus stream of mixes: encodes each, except silence. A silent mix (nobody
    voiced, or a lone speaker's own mix-minus) is libopus's silence packet, made once,
    not encoded again: encoding 20 ms of silence costs libopus more than a voice
    does, and a quiet room was one such encode per tick. The encoder still takes
    ``SILENT_FLUSH`` silent frames after a sound, so no stale voice in its lookahead
    leaks into the next word."""

    silent_bytes: bytes | None = None  # made once, on first use (needs libopus)

    def __init__(self) -> None:
        self.codec = opus_encoder()
        self.flushed = SILENT_FLUSH  # silent frames encoded since the last sound (none yet)
        self.encoded = 0  # frames encoded
        self.last_tick: int | None = None

    def packet(self, samples: mixing.Samples, tick: int) -> Any:
        paused = self.last_tick is not None and tick != self.last_tick + 1
        if paused and self.flushed < SILENT_FLUSH:
            # The stream was paused (its listener heard another one: a speaker's own
            # mix-minus while they were not speaking). Its encoder's lookahead still holds
            # the end of the last mix it took, which would open the next packet: a few ms
            # of another voice at the moment the listener starts to speak, loud enough to
            # hear. A fresh encoder opens with nothing.
            self.codec = opus_encoder()
            self.flushed = SILENT_FLUSH
        self.last_tick = tick
        if samples is mixing.SILENCE:
            if self.flushed >= SILENT_FLUSH:
                if Voice.silent_bytes is None:
                    Voice.silent_bytes = _silent_packet()
                packet = av.Packet(Voice.silent_bytes)
                packet.pts = tick * mixing.FRAME_SAMPLES
                packet.time_base = TIME_BASE
                return packet
            self.flushed += 1
        else:
            self.flushed = 0
        self.encoded += 1
        return encode(self.codec, samples, tick)
