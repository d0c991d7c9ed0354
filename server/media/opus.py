"""Opus streams of mixes (needs PyAV): one encoder per distinct mix, and no encode for
silence.

Every encoder stamps its packets on one timeline (the mixer's tick), so a listener moving
between the shared mix and their own mix-minus keeps a continuous RTP timestamp.
"""

from __future__ import annotations

import fractions
from typing import Any

import av

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
    """What libopus sends for silence once its lookahead is flushed (the same bytes from
    the third silent frame on)."""
    codec = opus_encoder()
    return bytes([encode(codec, mixing.SILENCE, tick) for tick in range(SILENT_FLUSH + 2)][-1])


class Voice:
    """One Opus stream of mixes: encodes each, except silence. A silent mix (nobody
    voiced, or a lone speaker's own mix-minus) is the one packet libopus would send for
    it, not encoded again: encoding 20 ms of silence costs libopus more than a voice
    does, and a quiet room was one such encode per tick. The encoder still takes
    ``SILENT_FLUSH`` silent frames after a sound, so no stale voice in its lookahead
    leaks into the next word."""

    silent_bytes: bytes | None = None  # made once, on first use (needs libopus)

    def __init__(self) -> None:
        self.codec = opus_encoder()
        self.flushed = SILENT_FLUSH  # silent frames encoded since the last sound (none yet)
        self.encoded = 0  # frames encoded

    def packet(self, samples: mixing.Samples, tick: int) -> Any:
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
