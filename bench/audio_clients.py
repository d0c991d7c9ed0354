"""The audio benchmark's clients: real aiortc peers that cost the load generator little.

A microphone sends Opus packets encoded once, up front (a tone burst cycle, or silence),
each with its level in the RFC 6464 header extension as browsers send it
(``send_levels``); only the measuring ear decodes what it receives.
"""

from __future__ import annotations

import asyncio
import contextlib
import fractions
import queue
import time
from collections.abc import Awaitable, Callable
from typing import Any

import av
import numpy as np
from aiortc import (
    MediaStreamTrack,
    RTCConfiguration,
    RTCPeerConnection,
    RTCRtpSender,
    RTCSessionDescription,
)
from aiortc.mediastreams import MediaStreamError

from server.media import mixing
from server.media.opus import encode, opus_encoder
from server.media.receive import tune

TB = fractions.Fraction(1, 48_000)
BURST_EVERY = 25  # frames: one burst each 500 ms
BURST_LEN = 5  # frames: 100 ms of tone
Answer = Callable[[str, str], Awaitable[str]]


def burst_packets(freq: float | None) -> list[Any]:
    """One burst cycle pre-encoded: a tone burst then silence (or all silence)."""
    return [packet for packet, _ in burst_cycle(freq)]


def burst_cycle(freq: float | None) -> list[tuple[bytes, int]]:
    """The cycle's packets, each with its frame's level in dBov (RFC 6464: -127 to 0)."""
    codec = opus_encoder()
    cycle = []
    for i in range(BURST_EVERY * 4):
        n = np.arange(i * 960, (i + 1) * 960)
        on = freq is not None and i % BURST_EVERY < BURST_LEN
        mono = (6000 * np.sin(2 * np.pi * (freq or 0) * n / 48_000)) if on else np.zeros(960)
        packet = encode(codec, np.repeat(mono.astype(np.int16), 2), i)
        if packet is not None:
            level = max(-127, round(mixing.level_dbfs(mono.astype(np.int16))))
            cycle.append((bytes(packet), level))
    return cycle


class Mic(MediaStreamTrack):
    """Sends pre-encoded packets in real time; remembers when each burst started. Given
    the packets' levels, ``level`` is the last one sent's (see ``send_levels``)."""

    kind = "audio"

    def __init__(
        self,
        cycle: list[bytes],
        bursts: list[float] | None = None,
        levels: list[int] | None = None,
    ) -> None:
        super().__init__()
        self.cycle, self.bursts, self.sent, self.start = cycle, bursts, 0, 0.0
        self.levels = levels
        self.level: int | None = None

    async def recv(self) -> Any:
        if self.sent == 0:
            self.start = time.monotonic()
        wait = self.start + self.sent * 0.02 - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        if self.bursts is not None and self.sent % BURST_EVERY == 0:
            self.bursts.append(time.monotonic())
        index = self.sent % len(self.cycle)
        packet = av.Packet(self.cycle[index])
        packet.pts, packet.time_base = self.sent * 960, TB
        if self.levels is not None:
            self.level = self.levels[index]
        self.sent += 1
        return packet


def send_levels() -> None:
    """Make this process's aiortc senders put each ``Mic`` packet's level in it (the RFC
    6464 header extension), as browsers do for every packet. aiortc does so only for the
    frames it encodes itself; our clients send packets encoded once, up front."""
    original = RTCRtpSender._next_encoded_frame

    async def with_level(self: RTCRtpSender, codec: Any) -> Any:
        frame = await original(self, codec)
        level = getattr(self.track, "level", None)
        if frame is not None and level is not None:
            frame.audio_level = level
        return frame

    RTCRtpSender._next_encoded_frame = with_level  # type: ignore[method-assign]


class _Discard(queue.Queue[Any]):
    def put(self, item: Any, block: bool = True, timeout: float | None = None) -> None:
        if item is None:
            super().put(item, block, timeout)


class Ear:
    def __init__(self) -> None:
        self.onsets: list[float] = []
        self.frames = 0
        self.counting = False
        self._loud = False

    async def listen(self, track: MediaStreamTrack) -> None:
        with contextlib.suppress(MediaStreamError):
            while True:
                frame = await track.recv()
                if self.counting:
                    self.frames += 1
                level = mixing.level_dbfs(frame.to_ndarray().reshape(-1).astype(np.int16))
                if level > -35 and not self._loud:
                    self.onsets.append(time.monotonic())
                self._loud = level > -50


async def connect(
    answer: Answer, name: str, mic: Mic, listen: Ear | None, receive: int
) -> RTCPeerConnection:
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    pc.addTrack(mic)
    for _ in range(receive - 1):
        pc.addTransceiver("audio", direction="recvonly")
    tasks: list[asyncio.Task[None]] = []

    @pc.on("track")
    def on_track(track: MediaStreamTrack) -> None:
        if listen is not None and not tasks:
            tasks.append(asyncio.create_task(listen.listen(track)))

    await pc.setLocalDescription(await pc.createOffer())
    for i, transceiver in enumerate(pc.getTransceivers()):
        tune(transceiver.receiver)
        if listen is None or i != 0:  # only the measuring ear decodes: clients stay cheap
            setattr(transceiver.receiver, "_RTCRtpReceiver__decoder_queue", _Discard())  # noqa: B010
    sdp = await answer(name, pc.localDescription.sdp)
    await pc.setRemoteDescription(RTCSessionDescription(sdp, "answer"))
    pc.__dict__["bench_tasks"] = tasks
    return pc


def latency(bursts: list[float], onsets: list[float], percentile: float = 50) -> float:
    """Burst to onset heard, in ms: the median, or another percentile, of the bursts."""
    found = []
    for onset in onsets:
        sent = [b for b in bursts if b <= onset and onset - b < 0.4]
        if sent:
            found.append(onset - sent[-1])
    return float(np.percentile(found, percentile)) * 1000 if found else float("nan")
