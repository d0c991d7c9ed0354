"""Arriving audio over a lossy network: the jitter buffer that gives up on lost packets,
and the inlet that conceals them with Opus's own loss concealment."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from aiortc.rtp import RtpPacket

from server.media import mixing
from server.media.opus import encode, opus_encoder
from server.media.receive import MAX_CONCEALED, MAX_LATE_RUN, PATIENCE, Arrivals, Burst, Inlet

pytestmark = pytest.mark.audio


def packet(seq: int, data: bytes | None = None) -> RtpPacket:
    rtp = RtpPacket(sequence_number=seq % 65536, timestamp=seq * 960)
    rtp._data = data if data is not None else bytes([seq % 256])  # type: ignore[attr-defined]
    return rtp


def released(arrivals: Arrivals, *seqs: int) -> list[int | None]:
    out: list[int | None] = []
    for seq in seqs:
        _, burst = arrivals.add(packet(seq))
        if burst is not None:
            out += [None if f is None else f[0] for f in burst.frames]
    return out


def test_in_order_packets_are_released_at_once() -> None:
    assert released(Arrivals(), 0, 1, 2) == [0, 1, 2]


def test_a_reordered_packet_is_waited_for_and_put_back_in_order() -> None:
    assert released(Arrivals(), 0, 2, 1, 3) == [0, 1, 2, 3]


def test_a_lost_packet_is_given_up_after_patience_and_nothing_stays_behind() -> None:
    arrivals = Arrivals()
    later = list(range(2, 2 + PATIENCE))
    assert released(arrivals, 0, *later) == [0, None, *later]
    assert arrivals.lost == 1
    # The stream is not left behind: the next packet comes out as it arrives.
    assert released(arrivals, 2 + PATIENCE) == [2 + PATIENCE]
    # The lost one arriving after all is too late, and changes nothing.
    assert released(arrivals, 1) == []
    assert arrivals.late == 1


def test_an_outage_is_concealed_briefly_then_skipped_and_sequence_numbers_wrap() -> None:
    arrivals = Arrivals()
    start = 65530
    after = [start + 100 + i for i in range(PATIENCE + 1)]
    got = released(arrivals, start, *after)
    assert got == [start % 256, *[None] * MAX_CONCEALED, *[s % 256 for s in after]]
    assert arrivals.lost == 99


def test_a_stream_that_restarts_behind_is_followed_after_a_second() -> None:
    arrivals = Arrivals()
    assert released(arrivals, 1000) == [1000 % 256]
    behind = list(range(500, 500 + MAX_LATE_RUN))
    assert released(arrivals, *behind) == []
    assert released(arrivals, 500 + MAX_LATE_RUN, 501 + MAX_LATE_RUN) == [
        (500 + MAX_LATE_RUN) % 256,
        (501 + MAX_LATE_RUN) % 256,
    ]


def test_the_inlet_conceals_a_lost_frame_with_opus_and_stops_when_closed() -> None:
    codec = opus_encoder()
    encoded = []
    for i in range(8):
        n = np.arange(i * 960, (i + 1) * 960)
        mono = (6000 * np.sin(2 * np.pi * 440 * n / 48_000)).astype(np.int16)
        made = encode(codec, np.repeat(mono, 2), i)
        if made is not None:
            encoded.append(bytes(made))
    heard: list[Any] = []
    inlet = Inlet(lambda frame: heard.append(frame.to_ndarray().reshape(-1)))

    class Opus:
        name = "opus"

    inlet.put((Opus(), Burst([encoded[0], encoded[1], None, encoded[3]], 0)))
    assert len(heard) == 4
    assert inlet.concealed == 1
    # The concealed frame carries on the voice instead of a hole of silence.
    assert mixing.level_dbfs(heard[2]) > -30
    inlet.open = False
    inlet.put((Opus(), Burst([encoded[4]], 0)))
    assert len(heard) == 4


def test_the_level_a_sender_measured_travels_with_its_frame() -> None:
    arrivals = Arrivals()
    loud, quiet, unsaid = packet(0), packet(1), packet(2)
    loud.extensions.audio_level = (True, 20)  # -20 dBov, voice activity
    quiet.extensions.audio_level = (False, 127)
    said = []
    for rtp in (loud, quiet, unsaid):
        _, burst = arrivals.add(rtp)
        assert burst is not None
        said += burst.levels
    assert said == [-20, -127, None]


def test_a_frame_its_sender_said_was_quiet_is_not_decoded() -> None:
    codec = opus_encoder()
    made = [encode(codec, mixing.SILENCE, i) for i in range(4)]
    encoded = [bytes(p) for p in made if p is not None]
    decoded: list[Any] = []
    quiet: list[int] = []

    class Opus:
        name = "opus"

    inlet = Inlet(decoded.append, quiet.append)
    inlet.put((Opus(), Burst([encoded[0], encoded[1], encoded[2]], 0, [-127, -20, None])))
    assert quiet == [-127]
    assert inlet.quiet == 1
    assert len(decoded) == 2  # the loud one and the one whose level nobody said
    # Without a place for quiet frames, everything is decoded.
    everything: list[Any] = []
    Inlet(everything.append).put((Opus(), Burst([encoded[0]], 0, [-127])))
    assert len(everything) == 1
