"""One room's media host: a WebRTC peer per member, mixed every 20 ms (needs aiortc).

The server is the only peer anyone talks to. Each member's RTCPeerConnection sends their
microphone here and receives one mixed stream back. Every tick the mixer takes at most one
decoded frame per input, **drops every input that ``may_be_heard`` refuses** (muted, paused,
no longer seated), measures levels, mixes (see ``server.media.mixing``) and hands each
listener an already-encoded Opus packet: one encode of the shared mix for everyone who is
not speaking, and one mix-minus encode per speaker, and none for a silent mix
(``server.media.opus``). aiortc's sender sends encoded packets
as they are (``Encoder.pack``), so the senders never encode.

Each receiver's jitter buffer and decoder queue are replaced (``server.media.receive``):
frames are released as soon as they are in order, lost ones are concealed with Opus's own
loss concealment, and they are decoded on the event loop straight into the mixer's inbox
(no thread hand-offs); the packets of anyone who may not be heard are dropped before
decoding, so a muted input costs no decode, and a frame its sender said was quiet (RFC
6464) is silence, undecoded (``docs/performance.md``, ``docs/audio.md``).

Everything is bounded: inputs keep at most ``MAX_BACKLOG`` frames (older ones are dropped,
which bounds the added latency), outputs at most ``MAX_BACKLOG`` packets.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import av
import numpy as np
from aiortc import (
    MediaStreamTrack,
    RTCConfiguration,
    RTCIceServer,
    RTCPeerConnection,
    RTCRtpReceiver,
    RTCSessionDescription,
)
from aiortc.mediastreams import MediaStreamError

from moderation.audio import may_be_heard
from rooms.errors import InvalidPayload
from rooms.state import AudioState, RoomState
from server.errors import ServerCode, ServerError
from server.media import mixing, receive
from server.media.opus import Voice
from server.ops import metrics

log = logging.getLogger(__name__)
_BACKLOG_SKIPS = metrics.MIXER_SKIPPED.labels("input_backlog")
_LATE_TICKS = metrics.MIXER_SKIPPED.labels("late_tick")
# What aiortc raises on an offer it cannot parse or answer (missing ICE credentials, a bad
# fingerprint or setup line, no audio section): the client's SDP, not our fault.
_UNUSABLE_OFFER = (ValueError, KeyError, IndexError, AssertionError, TypeError)

MAX_BACKLOG = 3
CLOSE_TIMEOUT_S = 5.0

ReportAudio = Callable[[str, AudioState], None]
ReportSpeakers = Callable[[tuple[str, ...]], None]


class AnswerAbandoned(ServerError):
    """The peer connection was closed while its offer was being answered: its person
    left, stopped their audio or offered again, or the room's mixer closed. Nothing of it
    is left running; offer again if you still want audio."""

    code = ServerCode.MEDIA_UNAVAILABLE


class MixedTrack(MediaStreamTrack):
    """What one listener hears: encoded packets from the mixer, a few at most in hand."""

    kind = "audio"

    def __init__(self) -> None:
        super().__init__()
        self._packets: asyncio.Queue[Any] = asyncio.Queue(MAX_BACKLOG)
        self.dropped = 0  # packets the sender did not take in time

    def push(self, packet: Any) -> None:
        if self._packets.full():
            self._packets.get_nowait()
            self.dropped += 1
        self._packets.put_nowait(packet)

    async def recv(self) -> Any:
        if self.readyState != "live":
            raise MediaStreamError
        return await self._packets.get()


@dataclass
class Peer:
    member_id: str
    pc: RTCPeerConnection
    out: MixedTrack
    voice: Voice = field(default_factory=Voice)  # their own mix-minus, while they speak
    inbox: deque[mixing.Samples] = field(default_factory=lambda: deque(maxlen=MAX_BACKLOG))
    inlet: receive.Inlet | None = None
    reader: asyncio.Task[None] | None = None
    received: int = 0  # frames decoded
    quiet: int = 0  # frames not decoded: their sender said they were quiet
    skipped: int = 0  # input frames dropped to keep latency bounded
    loudest: float = mixing.SILENCE_DBFS  # the loudest frame heard from them so far

    def accept(self, frame: Any) -> None:
        samples = frame.to_ndarray().reshape(-1)
        if samples.size == mixing.FRAME_VALUES and samples.dtype == np.int16:
            if len(self.inbox) == self.inbox.maxlen:
                self.skipped += 1
                _BACKLOG_SKIPS.inc()
            self.inbox.append(samples)
            self.received += 1

    def accept_quiet(self, _level: int) -> None:
        """A frame its sender said was quiet, not decoded: silence, at no cost."""
        if len(self.inbox) == self.inbox.maxlen:
            self.skipped += 1
            _BACKLOG_SKIPS.inc()
        self.inbox.append(mixing.SILENCE)
        self.quiet += 1

    def take(self) -> mixing.Samples | None:
        while len(self.inbox) > 2:  # arrived in a burst: catch up instead of lagging
            self.inbox.popleft()
            self.skipped += 1
            _BACKLOG_SKIPS.inc()
        return self.inbox.popleft() if self.inbox else None


class RoomMixer:
    """The media host of one room on this process."""

    def __init__(
        self,
        room_id: str,
        state: RoomState,
        ice_servers: Sequence[RTCIceServer],
        report_audio: ReportAudio,
        report_speakers: ReportSpeakers,
    ) -> None:
        self.room_id = room_id
        self.state = state
        self.heard = frozenset(
            m.member_id for m in state.members if may_be_heard(state, m.member_id)
        )
        self.ice_servers = list(ice_servers)
        self.report_audio = report_audio
        self.report_speakers = report_speakers
        self.peers: dict[str, Peer] = {}
        self.tick = 0
        self.late_ticks = 0  # ticks skipped because the loop fell far behind
        self.shared = Voice()  # what everyone who is not speaking hears
        self._gate = mixing.VoiceGate()
        self._announcer = mixing.Announcer()
        self._task: asyncio.Task[None] | None = None
        self._drops: set[asyncio.Task[None]] = set()
        self.closed = False
        self._answering = 0  # offers being answered now

    @property
    def idle(self) -> bool:
        """Nobody connected and no offer being answered: the mixer may close."""
        return not self.peers and not self._answering

    def update(self, state: RoomState) -> None:
        """A fresher room state (a room event arrived): the next tick obeys it, and
        members no longer seated lose their audio at once."""
        if state.seq < self.state.seq:
            return
        self.state = state
        self.heard = frozenset(
            m.member_id for m in state.members if may_be_heard(state, m.member_id)
        )
        for member_id, peer in list(self.peers.items()):
            if peer.inlet is not None:
                peer.inlet.open = member_id in self.heard
            if state.member(member_id) is None:
                task = asyncio.create_task(self.drop(member_id), name="audio-drop")
                self._drops.add(task)
                task.add_done_callback(self._drops.discard)

    async def answer(self, member_id: str, offer_sdp: str) -> str:
        """Connect a member: returns the SDP answer (all candidates inside, no trickle).

        Answering awaits aiortc (ICE gathering), and meanwhile the member may leave, stop,
        offer again, or the mixer close: each closes the new peer connection, and then
        ``AnswerAbandoned`` is raised, with nothing of it left running or reported."""
        if self.closed:
            raise AnswerAbandoned("the room's audio closed; offer again")
        self._answering += 1
        try:
            return await self._answer(member_id, offer_sdp)
        finally:
            self._answering -= 1

    def _abandoned(self, peer: Peer) -> bool:
        return self.closed or self.peers.get(peer.member_id) is not peer

    async def _answer(self, member_id: str, offer_sdp: str) -> str:
        while member_id in self.peers:  # another offer of theirs may land while one closes
            await self.drop(member_id)
        if self.closed:  # while the previous connection closed
            raise AnswerAbandoned("the room's audio closed; offer again")
        pc = RTCPeerConnection(RTCConfiguration(iceServers=self.ice_servers))
        peer = Peer(member_id, pc, MixedTrack())
        self.peers[member_id] = peer

        @pc.on("track")
        def on_track(track: MediaStreamTrack) -> None:
            if track.kind == "audio" and peer.reader is None and peer.inlet is None:
                peer.reader = asyncio.create_task(self._read(peer, track), name="audio-in")

        @pc.on("connectionstatechange")
        async def on_state() -> None:
            if self.peers.get(member_id) is not peer:
                return
            if pc.connectionState == "connected":
                self.report_audio(member_id, AudioState.CONNECTED)
            elif pc.connectionState in {"failed", "closed"}:
                await self.drop(member_id)

        try:
            await pc.setRemoteDescription(RTCSessionDescription(offer_sdp, "offer"))
            for transceiver in pc.getTransceivers():
                if transceiver.kind == "audio" and peer.inlet is None:
                    peer.inlet = self._receive(transceiver.receiver, peer)
                    if peer.inlet is not None:
                        peer.inlet.open = member_id in self.heard
            pc.addTrack(peer.out)
            await pc.setLocalDescription(await pc.createAnswer())
        except Exception as exc:
            # aiortc's errors on a connection closed under it ("RTCPeerConnection is
            # closed") say nothing about the offer.
            if self._abandoned(peer):
                raise AnswerAbandoned("your audio was closed while it connected") from None
            await self.drop(member_id)
            if not isinstance(exc, _UNUSABLE_OFFER):
                raise
            log.info("refused an audio offer aiortc could not use (%s)", type(exc).__name__)
            raise InvalidPayload("'sdp' is not an audio offer this server can answer") from None
        if self._abandoned(peer):
            raise AnswerAbandoned("your audio was closed while it connected")
        self.report_audio(member_id, AudioState.CONNECTING)
        self._start()
        return str(pc.localDescription.sdp)

    def _receive(self, receiver: RTCRtpReceiver, peer: Peer) -> receive.Inlet | None:
        return receive.install(receiver, peer.accept, peer.accept_quiet)

    async def _read(self, peer: Peer, track: MediaStreamTrack) -> None:
        """Only when the inlet could not be installed: read decoded frames the slow way."""
        with contextlib.suppress(MediaStreamError):
            while True:
                frame = await track.recv()
                if isinstance(frame, av.AudioFrame):
                    peer.accept(frame)

    def _start(self) -> None:
        if self._task is None and not self.closed:
            self._task = asyncio.create_task(self._run(), name=f"mixer:{self.room_id}")

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time()
        while True:
            deadline += mixing.TICK_S
            delay = deadline - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            elif delay < -10 * mixing.TICK_S:
                self.late_ticks += 1
                _LATE_TICKS.inc()
                deadline = loop.time()  # far behind: skip ahead instead of bursting
            try:
                with metrics.MIXER_FRAME_SECONDS.time():
                    self.mix_one_tick()
            except Exception:
                log.exception("mixer tick failed in a room")

    def mix_one_tick(self) -> None:
        self.tick += 1
        inputs: dict[str, mixing.Samples] = {}
        levels: dict[str, float] = {}
        for member_id, peer in self.peers.items():
            samples = peer.take()
            if member_id not in self.heard:  # may_be_heard, as of the latest room event
                continue  # enforcement: dropped before it is measured or mixed
            levels[member_id] = mixing.SILENCE_DBFS
            if samples is not None and samples is not mixing.SILENCE:
                inputs[member_id] = samples
                levels[member_id] = level = mixing.level_dbfs(samples)
                peer.loudest = max(peer.loudest, level)
        speakers = self._gate.update(levels)
        mixes = mixing.mix(inputs, speakers)
        shared = self.shared.packet(mixes.shared, self.tick)
        for member_id, peer in self.peers.items():
            own = mixes.minus.get(member_id)
            if own is None and member_id in speakers:
                # A speaker with no frame this tick stays on their own stream: the shared
                # encoder's last frames hold their voice, which they would hear.
                own = mixes.shared
            packet = shared if own is None else peer.voice.packet(own, self.tick)
            if packet is not None:
                peer.out.push(packet)
        if self._announcer.due(self.tick, speakers):
            self.report_speakers(mixing.loudest_first(speakers, levels))

    async def drop(self, member_id: str) -> None:
        """Close a member's peer connection (left, removed, stopped audio, failed)."""
        peer = self.peers.pop(member_id, None)
        if peer is None:
            return
        peer.out.stop()
        try:
            await asyncio.wait_for(peer.pc.close(), CLOSE_TIMEOUT_S)
        except TimeoutError:
            log.warning("a peer connection took over %ss to close", CLOSE_TIMEOUT_S)
        if peer.reader is not None:
            peer.reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await peer.reader
        self.report_audio(member_id, AudioState.OFF)

    async def close(self) -> None:
        self.closed = True  # an offer being answered now is abandoned, none is taken
        if self._drops:
            await asyncio.gather(*self._drops, return_exceptions=True)
        for member_id in list(self.peers):
            await self.drop(member_id)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
