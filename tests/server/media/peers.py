"""Real aiortc peers for audio tests: a microphone that plays a sine tone, and an ear that
records what arrives, with the time it arrived, and finds tones in it by FFT."""

from __future__ import annotations

import asyncio
import contextlib
import fractions
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import av
import numpy as np
from aiortc import MediaStreamTrack, RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError

from rooms.change import Change
from rooms.identity import Role
from rooms.state import AudioState, Connection, Member
from server.media import mixing
from server.media.host import RoomMixer
from server.media.receive import tune

AMPLITUDE = 6000
Answerer = Callable[[str], Awaitable[str]]


class Tone(MediaStreamTrack):  # type: ignore[misc]
    """A microphone playing one sine tone, paced in real time, 20 ms per frame. With
    ``gap_every``, every that many frames one is not sent (as a network would lose it)."""

    kind = "audio"

    def __init__(self, freq: float) -> None:
        super().__init__()
        self.freq = freq
        self.sent = 0
        self.gap_every: int | None = None
        self._start: float | None = None

    async def recv(self) -> Any:
        if self._start is None:
            self._start = time.monotonic()
        if self.gap_every is not None and self.sent % self.gap_every == self.gap_every - 1:
            self.sent += 1  # this frame's time passes with nothing sent
        wait = self._start + self.sent * mixing.TICK_S - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        n = np.arange(self.sent * 960, (self.sent + 1) * 960)
        mono = (AMPLITUDE * np.sin(2 * np.pi * self.freq * n / 48_000)).astype(np.int16)
        frame = av.AudioFrame.from_ndarray(
            np.repeat(mono, 2).reshape(1, -1), format="s16", layout="stereo"
        )
        frame.sample_rate = 48_000
        frame.pts = self.sent * 960
        frame.time_base = fractions.Fraction(1, 48_000)
        self.sent += 1
        return frame


@dataclass
class Ear:
    """Everything one listener received: (arrival time, mono samples) per frame."""

    frames: list[tuple[float, np.ndarray[Any, Any]]] = field(default_factory=list)

    async def listen(self, track: MediaStreamTrack) -> None:
        with contextlib.suppress(MediaStreamError):
            while True:
                frame = await track.recv()
                stereo = frame.to_ndarray().reshape(-1)
                self.frames.append((time.monotonic(), stereo[::2].copy()))

    def after(self, since: float, seconds: float = 0.2) -> np.ndarray[Any, Any]:
        chunks = [s for t, s in self.frames if since <= t < since + seconds]
        return np.concatenate(chunks) if chunks else np.zeros(0)

    def tones(self, since: float, seconds: float = 0.2) -> set[int]:
        """The test frequencies (440, 660, 880 Hz) clearly present after ``since``."""
        return tones_in(self.after(since, seconds))

    async def misses_after(
        self, freq: int, marker: int, frames: int = 12, heard_so_far: int = 0
    ) -> None:
        """Assert that ``freq`` is absent from the ``frames`` frames (240 ms) that follow the
        first sound of ``marker``, a tone its speaker began only once the change was acked:
        every frame after it was mixed after the change, however slow the way to this ear
        (a fixed wall-clock margin fails on a loaded machine, whose buffers grow).

        The marker is looked for after the first ``heard_so_far`` frames (``len(frames)``
        when the change was made), so a tone this ear heard before may mark too."""
        start: int | None = None
        scanned = heard_so_far
        deadline = time.monotonic() + 5.0
        while time.monotonic() < deadline:
            while start is None and scanned + 5 <= len(self.frames):
                window = np.concatenate([s for _, s in self.frames[scanned : scanned + 5]])
                if marker in tones_in(window):
                    start = scanned + 5  # the marker began at or before the window's end
                scanned += 1
            if start is not None and len(self.frames) >= start + frames:
                later = np.concatenate([s for _, s in self.frames[start : start + frames]])
                assert freq not in tones_in(later)
                return
            await asyncio.sleep(0.03)
        raise AssertionError(f"the marker {marker} Hz was never heard, or too few frames after")

    async def hears(self, expected: set[int], within: float = 3.0) -> float:
        """Wait until a fresh 200 ms window holds exactly ``expected``; returns its start."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            await asyncio.sleep(0.05)
            start = time.monotonic() - 0.2
            if len(self.after(start)) >= 8000 and self.tones(start) == expected:
                return start
        raise AssertionError(f"never heard exactly {expected}; last: {self.tones(start)}")


FREQS = (440, 660, 880)


def tones_in(samples: np.ndarray[Any, Any]) -> set[int]:
    if samples.size < 4800:
        return set()
    window = np.hanning(samples.size)
    spectrum = np.abs(np.fft.rfft(samples.astype(np.float64) * window)) * 2 / window.sum()
    bins = np.fft.rfftfreq(samples.size, 1 / 48_000)
    found = set()
    for freq in FREQS:
        near = (bins > freq - 15) & (bins < freq + 15)
        if spectrum[near].max() > AMPLITUDE / 10:
            found.add(freq)
    return found


@dataclass
class Participant:
    pc: RTCPeerConnection
    mic: Tone
    ear: Ear
    listening: list[asyncio.Task[None]] = field(default_factory=list)

    @classmethod
    async def connect(cls, freq: float, answer: Answerer) -> Participant:
        """Offer a tone and take the answer; the answerer is the media host or the hub."""
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        me = cls(pc, Tone(freq), Ear())
        pc.addTrack(me.mic)

        @pc.on("track")  # type: ignore[misc]
        def on_track(track: MediaStreamTrack) -> None:
            me.listening.append(asyncio.create_task(me.ear.listen(track)))

        await pc.setLocalDescription(await pc.createOffer())
        for transceiver in pc.getTransceivers():
            tune(transceiver.receiver)  # a low-latency client: one frame of jitter buffer
        sdp = await answer(pc.localDescription.sdp)
        await pc.setRemoteDescription(RTCSessionDescription(sdp, "answer"))
        return me

    async def close(self) -> None:
        await self.pc.close()
        for task in self.listening:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


def offer_through(client: Any) -> Any:
    async def answer(sdp: str) -> str:
        ack = await client.call("audio:start", {"type": "offer", "sdp": sdp})
        assert ack["ok"], ack
        return str(ack["answer"]["sdp"])

    return answer


NAMES = {"ann": 440, "bo": 660, "fay": 880}


def seat(name: str) -> Member:
    role = Role.FACILITATOR if name == "fay" else Role.PARTICIPANT
    return Member(f"id-{name}", f"sub-{name}", name, role, 0, Connection("p1", f"sid-{name}"))


@dataclass
class Room:
    mixer: RoomMixer
    people: dict[str, Participant]
    reports: list[tuple[str, AudioState]] = field(default_factory=list)
    speakers: list[tuple[str, ...]] = field(default_factory=list)

    def change(self, change: Change) -> None:
        self.mixer.update(change.state)
