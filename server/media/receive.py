"""How one member's audio arrives over a home network: reordered, late or lost packets
put back in order, lost frames concealed, decoded on the event loop (needs aiortc).

aiortc's audio receiver is built for a clean network: no NACK, no in-band FEC, no packet
loss concealment, and a jitter buffer that, on one lost packet, stops releasing frames
until 16 more have arrived (320 ms) and then stays that far behind. Two of its internals
are replaced per receiver, before it starts:

- the jitter buffer becomes ``Arrivals``: frames are released as soon as they are in
  order; a missing one is waited for until ``PATIENCE`` later packets are in (a reordered
  or jittered packet usually is), then given up as lost, and everything behind it is
  released at once, so a loss never leaves the stream behind;
- the decoder queue becomes ``Inlet``: it decodes on the event loop straight into the
  caller (no decoder thread and its three hand-offs per frame), decodes nothing while the
  member may not be heard, and conceals each lost frame, up to ``MAX_CONCEALED`` in a row,
  with Opus's own packet loss concealment: a packet that is only a table-of-contents byte
  makes libopus extrapolate the last frames (RFC 6716, 4.4). A longer gap is silence.

A quiet frame is not decoded at all when the sender says it is quiet: browsers put the
frame's level in every packet (RFC 6464, the ``ssrc-audio-level`` header extension, which
aiortc negotiates), and a frame below ``QUIET_DBOV`` goes to ``accept_quiet`` undecoded.
In a support group most people are silent most of the time; their decodes were most of
the media host's decoding.
"""

from __future__ import annotations

import logging
import queue
from collections.abc import Callable
from typing import Any

import av
from aiortc import RTCRtpReceiver
from aiortc.codecs.opus import OpusDecoder
from aiortc.jitterbuffer import JitterBuffer, JitterFrame
from aiortc.rtp import RtpPacket

log = logging.getLogger(__name__)

PATIENCE = 3  # later packets (60 ms) to wait for a missing one before it counts as lost
MAX_CONCEALED = 5  # frames (100 ms) of a gap filled by Opus's concealment; the rest is silence
MAX_AHEAD = 3000  # packets: a larger jump in sequence numbers is a restarted stream
MAX_LATE_RUN = 50  # packets in a row from the past (1 s): the stream restarted behind us
FRAME_TICKS = 960  # RTP timestamp units per 20 ms Opus frame at 48 kHz
QUIET_DBOV = -60  # a frame the sender measured below this is not decoded (the voice gate
# opens at -45 dBFS and closes below -55)
_SEQ = 1 << 16
_MISSING = "_RTCRtpReceiver__jitter_buffer", "_RTCRtpReceiver__decoder_queue"


class Burst(JitterFrame):
    """The frames released by one arriving packet, in order; ``None`` for a lost frame;
    with each, the level its sender measured (dBov, RFC 6464), if it said."""

    def __init__(
        self, frames: list[bytes | None], timestamp: int, levels: list[int | None] | None = None
    ) -> None:
        super().__init__(b"", timestamp)
        self.frames = frames
        self.levels = levels if levels is not None else [None] * len(frames)


class Arrivals:
    """A jitter buffer that gives up on a lost packet instead of waiting for it."""

    def __init__(self, patience: int = PATIENCE) -> None:
        self.patience = patience
        self.lost = 0  # frames never received (given up on)
        self.late = 0  # packets that came after their frame was given up on
        self._held: dict[int, RtpPacket] = {}
        self._next: int | None = None
        self._timestamp = 0
        self._late_run = 0

    def add(self, packet: RtpPacket) -> tuple[bool, Burst | None]:
        """aiortc's jitter buffer interface: (send a picture loss indication?, frames)."""
        seq = packet.sequence_number
        if self._next is None:
            self._next = seq
        ahead = (seq - self._next) % _SEQ
        if ahead >= _SEQ // 2 and self._late_run < MAX_LATE_RUN:
            self.late += 1
            self._late_run += 1
            return False, None
        self._late_run = 0
        if ahead > MAX_AHEAD:
            self._held.clear()
            self._next = seq
        self._held[seq] = packet
        frames: list[bytes | None] = []
        levels: list[int | None] = []
        while self._held:
            found = self._held.pop(self._next, None)
            if found is not None:
                frames.append(getattr(found, "_data", found.payload))
                said = found.extensions.audio_level
                levels.append(-int(said[1]) if said is not None else None)
                self._timestamp = found.timestamp
                self._next = (self._next + 1) % _SEQ
                continue
            waiting = sorted((s - self._next) % _SEQ for s in self._held)
            if waiting[-1] < self.patience:
                break
            gap = waiting[0]
            self.lost += gap
            frames += [None] * min(gap, MAX_CONCEALED)
            levels += [None] * min(gap, MAX_CONCEALED)
            self._next = (self._next + gap) % _SEQ
        if not frames:
            return False, None
        first = self._timestamp - FRAME_TICKS * (len(frames) - 1)
        return False, Burst(frames, first % (1 << 32), levels)


class Inlet(queue.Queue[Any]):
    """Stands in for a receiver's decoder queue: decodes on the event loop into ``accept``,
    conceals lost frames, and decodes nothing while closed (the member may not be heard).
    With ``accept_quiet``, a frame its sender measured below ``QUIET_DBOV`` goes there,
    with that level, undecoded."""

    def __init__(
        self,
        accept: Callable[[av.AudioFrame], None],
        accept_quiet: Callable[[int], None] | None = None,
    ) -> None:
        super().__init__()
        self.accept = accept
        self.accept_quiet = accept_quiet
        self.open = True
        self.concealed = 0  # frames made up by Opus's loss concealment
        self.quiet = 0  # frames not decoded: their sender said they were quiet
        self._decoder: OpusDecoder | None = None
        self._toc: int | None = None  # the last packet's table-of-contents byte

    def put(self, item: Any, block: bool = True, timeout: float | None = None) -> None:
        if item is None:  # stops aiortc's (idle) decoder thread
            super().put(item, block, timeout)
            return
        codec, encoded = item
        if not self.open or codec.name.lower() != "opus":
            return
        if self._decoder is None:
            self._decoder = OpusDecoder()
        burst = encoded if isinstance(encoded, Burst) else Burst([encoded.data], 0)
        for data, level in zip(burst.frames, burst.levels, strict=True):
            if self.accept_quiet is not None and level is not None and level < QUIET_DBOV:
                self.quiet += 1
                self.accept_quiet(level)
                continue
            if data is None:
                if self._toc is None:
                    continue
                data = bytes([self._toc & 0xFC])  # one frame, no payload: conceal it
                self.concealed += 1
            elif data:
                self._toc = data[0]
            else:
                continue
            try:
                decoded = self._decoder.decode(JitterFrame(data, encoded.timestamp))
            except av.FFmpegError:
                log.warning("an audio frame failed to decode")
                continue
            for frame in decoded:
                if isinstance(frame, av.AudioFrame):
                    self.accept(frame)


def tune(receiver: RTCRtpReceiver) -> bool:
    """For a plain aiortc peer (its own decoder thread): hold one frame in the receiver's
    audio jitter buffer instead of four (80 ms)."""
    if not hasattr(receiver, _MISSING[0]):
        log.warning("aiortc internals changed: receivers keep their default buffering")
        return False
    setattr(receiver, _MISSING[0], JitterBuffer(capacity=16, prefetch=1))
    return True


def install(
    receiver: RTCRtpReceiver,
    accept: Callable[[av.AudioFrame], None],
    accept_quiet: Callable[[int], None] | None = None,
    *,
    arrivals: bool = True,
) -> Inlet | None:
    """Give a receiver ``Arrivals`` and an ``Inlet`` feeding ``accept``; None (and aiortc's
    own path) if its internals are not what this was written for. Call it before the
    receiver starts (it starts once DTLS is up), so its thread uses the inlet.

    ``arrivals=False`` keeps aiortc's jitter buffer (holding one frame, see ``tune``): the
    path before ``Arrivals``, which ``bench.homenet --reference`` measures alongside."""
    if not all(hasattr(receiver, name) for name in _MISSING):
        log.warning("aiortc internals changed: a receiver keeps aiortc's own path")
        return None
    inlet = Inlet(accept, accept_quiet)
    if arrivals:
        setattr(receiver, _MISSING[0], Arrivals())
    else:
        tune(receiver)
    setattr(receiver, _MISSING[1], inlet)
    return inlet
