"""Audio over a home network: a call through the media host across a lossy link.

    .venv/bin/python -m bench.homenet [--seconds 8] [--rounds 1] [--reference]   # as root
    .venv/bin/python -m bench.homenet --only loss outage

A speaker and a listener, real aiortc peers in the ``home`` namespace, call Hearth's media
host (``RoomMixer``) in the ``hall`` namespace; every packet crosses the link of
``bench.netns`` both ways (the speaker's voice twice: up to the host and down to the
listener). The speaker sends a speech-like signal: syllables of a voiced tone (180 Hz and
two harmonics) 100 to 300 ms long at varying loudness, with pauses, in a fixed 4 s pattern.
For each link condition:

- **quality**: the correlation of the listener's frame-by-frame loudness envelope with the
  envelope sent (each 1 s window aligned on its best lag, then averaged): 1 is perfect,
  silence or noise is about 0;
- **added latency**: syllable onsets from sent to heard, median, minus the clean link's;
- **concealed**: frames Opus's loss concealment made up, at the host (the way up) and at
  the listener (the way down); **lost**: frames that never arrived;
- **recovery** (the outage): whether the call carries on by itself once the link is back,
  how long after it the first syllable is heard, with no reconnection, and the quality
  from 1 s after it (at least 2 s of speech).

``--reference`` also runs every condition with the receive path before ``Arrivals`` (aiortc's
jitter buffer holding one frame, no loss concealment) at the host and the listener,
interleaved with this tree's, for a side-by-side comparison in the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from aiortc import RTCConfiguration, RTCPeerConnection, RTCRtpReceiver, RTCSessionDescription

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.audio_clients import Mic, latency
from bench.contention import spread
from bench.netns import (
    CLEAN,
    CONDITIONS,
    OUTAGE,
    Condition,
    Link,
    home_network,
    inside,
    unavailable,
)
from rooms.identity import Role
from rooms.state import Connection, Member, RoomState
from server.media import mixing, receive
from server.media.host import Peer, RoomMixer
from server.media.opus import encode, opus_encoder

CYCLE = 200  # frames: the speech pattern repeats every 4 s
WINDOW = 50  # frames: quality is scored per second
OUTAGE_AT_S = 2.0  # into the measurement


def speech() -> tuple[list[bytes], np.ndarray[Any, Any], list[int]]:
    """The pattern pre-encoded, its per-frame loudness envelope, and its onsets (frames)."""
    rng = np.random.default_rng(7)
    gain = np.zeros(CYCLE)
    onsets, k = [], 0
    while k < CYCLE - 6:
        length = int(rng.integers(5, 16))
        onsets.append(k)
        gain[k : k + length] = rng.uniform(0.35, 1.0)
        k += length + int(rng.integers(3, 20))
    codec = opus_encoder()
    packets, envelope = [], np.zeros(CYCLE)
    for i in range(CYCLE * 2):  # twice round: the encoder's start-up delay wraps cleanly
        n = np.arange(i * 960, (i + 1) * 960) / 48_000
        voice = sum(np.sin(2 * np.pi * 180 * h * n) / h for h in (1, 2, 3))
        samples = (5000 * gain[i % CYCLE] * voice).astype(np.int16)
        envelope[i % CYCLE] = np.sqrt(np.mean(samples.astype(np.float64) ** 2))
        packet = encode(codec, np.repeat(samples, 2), i)
        if packet is not None and i >= CYCLE:
            packets.append(bytes(packet))
    while len(packets) < CYCLE:
        packets.append(packets[-1])
    return packets[:CYCLE], envelope, onsets


@dataclass
class Ear:
    """The listener's decoded frames, in order, with when each came out of the receiver."""

    times: list[float] = field(default_factory=list)
    levels: list[float] = field(default_factory=list)

    def accept(self, frame: Any) -> None:
        stereo = frame.to_ndarray().reshape(-1).astype(np.float64)
        self.times.append(time.monotonic())
        self.levels.append(float(np.sqrt(np.mean(stereo[::2] ** 2))))


def quality(levels: list[float], envelope: np.ndarray[Any, Any]) -> float:
    scores = []
    for start in range(0, len(levels) - WINDOW + 1, WINDOW):
        heard = np.array(levels[start : start + WINDOW])
        if heard.std() == 0:
            scores.append(0.0)
            continue
        best = -1.0
        for lag in range(CYCLE):
            sent = envelope[(np.arange(WINDOW) + lag) % CYCLE]
            best = max(best, float(np.corrcoef(heard, sent)[0, 1]))
        scores.append(best)
    return float(np.mean(scores)) if scores else float("nan")  # not even 1 s heard


def heard_onsets(ear: Ear) -> list[float]:
    found, loud = [], False
    for at, level in zip(ear.times, ear.levels, strict=True):
        db = 20 * np.log10(max(level, 1.0) / 32768)
        if db > -35 and not loud:
            found.append(at)
        loud = db > -50
    return found


class Speaker(Mic):
    """Sends the pattern; remembers when each syllable started."""

    def __init__(self, packets: list[bytes], onsets: list[int]) -> None:
        super().__init__(packets)
        self.starts = set(onsets)
        self.onsets: list[float] = []

    async def recv(self) -> Any:
        packet = await super().recv()
        if (self.sent - 1) % CYCLE in self.starts:
            self.onsets.append(self.start + (self.sent - 1) * 0.02)
        return packet


class ReferenceMixer(RoomMixer):
    """The media host with the receive path before ``Arrivals``."""

    def _receive(self, receiver: RTCRtpReceiver, peer: Peer) -> receive.Inlet | None:
        return receive.install(receiver, peer.accept, arrivals=False)


async def _connect(link: Link, mixer: RoomMixer, name: str, mic: Any, ear: Ear | None) -> Any:
    with inside(link.home):
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        pc.addTrack(mic)
        await pc.setLocalDescription(await pc.createOffer())
    accept = ear.accept if ear else _noop
    inlet = receive.install(
        pc.getTransceivers()[0].receiver, accept, arrivals=not isinstance(mixer, ReferenceMixer)
    )
    if inlet is not None and ear is None:
        inlet.open = False  # the speaker need not decode what they hear
    with inside(link.hall):
        sdp = await mixer.answer(name, pc.localDescription.sdp)
    await pc.setRemoteDescription(RTCSessionDescription(sdp, "answer"))
    return pc, inlet


async def call(
    link: Link, condition: Condition, seconds: float, reference: bool = False
) -> dict[str, Any]:
    """One call over ``condition``: the figures above, as a dict."""
    packets, envelope, onsets = speech()
    names = ("speaker", "listener")
    members = tuple(
        Member(n, f"s-{n}", n, Role.PARTICIPANT, 0, Connection("x", f"sid-{n}")) for n in names
    )
    kind = ReferenceMixer if reference else RoomMixer
    mixer = kind("home", RoomState("home", members=members), [], _noop, _noop)
    link.use(condition)
    speaker, ear = Speaker(packets, onsets), Ear()
    pcs = []
    try:
        pc, _ = await _connect(link, mixer, "speaker", speaker, None)
        pcs.append(pc)
        pc, heard = await _connect(link, mixer, "listener", Mic(_silence()), ear)
        pcs.append(pc)
        for _ in range(300):  # a lost DTLS handshake packet is resent after a second or more
            if all(p.connectionState == "connected" for p in pcs) and len(ear.levels) > 25:
                break
            await asyncio.sleep(0.05)
        else:
            raise RuntimeError(f"the call did not connect over {condition.name}")
        first = len(ear.levels)
        started = time.monotonic()
        ended_at = None
        if condition.outage_s:
            await asyncio.sleep(OUTAGE_AT_S)
            link.cut()
            ended_at = time.monotonic() + condition.outage_s
            # and at least 2 s after it, to score the speech once it is back
            await asyncio.sleep(max(seconds - OUTAGE_AT_S, condition.outage_s + 3))
        else:
            await asyncio.sleep(seconds)
        heard_at = heard_onsets(ear)
        sent_at = [s for s in speaker.onsets if s >= started]
        up = mixer.peers["speaker"]
        result = {
            "condition": condition.name,
            "receive": "reference" if reference else "this tree",
            "quality": round(quality(ear.levels[first:], envelope), 3),
            "latency_ms": round(latency(sent_at, [h for h in heard_at if h >= started]), 1),
            "concealed_up": up.inlet.concealed if up.inlet else None,
            "concealed_down": heard.concealed if heard else None,
            "connected": all(p.connectionState == "connected" for p in pcs),
        }
        if ended_at is not None:
            after = [h for h in heard_at if h > ended_at]
            result["recovered"] = bool(after) and result["connected"]
            result["recovery_ms"] = round((after[0] - ended_at) * 1000) if after else None
            tail = [lv for t, lv in zip(ear.times, ear.levels, strict=True) if t > ended_at + 1]
            result["quality_after"] = round(quality(tail, envelope), 3)
        return result
    finally:
        for pc in pcs:
            await pc.close()
        await mixer.close()
        link.stop_relay()


def _silence() -> list[bytes]:
    codec = opus_encoder()
    made = [encode(codec, mixing.SILENCE, i) for i in range(10)]
    return [bytes(p) for p in made if p is not None]


def _noop(*_: Any) -> None:
    return None


async def main(args: argparse.Namespace) -> int:
    why = unavailable()
    if why is not None:
        print(f"cannot make the home network: {why}")
        return 1
    print(f"load average at start: {os.getloadavg()}; {args.rounds} round(s) of {args.seconds}s")
    paths = [False, True] if args.reference else [False]
    rows: dict[tuple[str, bool], list[dict[str, Any]]] = {}
    with home_network() as link:
        for _ in range(args.rounds):
            for condition in CONDITIONS:
                if args.only and condition.key not in args.only:
                    continue
                for reference in paths:
                    r = await call(link, condition, args.seconds, reference)
                    rows.setdefault((condition.name, reference), []).append(r)
                    print(f"  {r}")
    print("\nmedian (min to max) per condition; added latency against the same path's clean link")
    for (name, reference), runs in rows.items():
        cleans = rows.get((CLEAN.name, reference), [])
        clean = statistics.median(r["latency_ms"] for r in cleans) if cleans else float("nan")
        added = [r["latency_ms"] - clean for r in runs]
        line = (
            f"{name} [{runs[0]['receive']}]: quality {_spread([r['quality'] for r in runs])},"
            f" latency {_spread([r['latency_ms'] for r in runs], 0)} ms"
            f" (added {_spread(added, 0)}), concealed up"
            f" {_spread([r['concealed_up'] for r in runs], 0)}"
            f" down {_spread([r['concealed_down'] for r in runs], 0)}"
        )
        if name == OUTAGE.name:
            line += f", recovered {[r['recovered'] for r in runs]}"
            line += f" after {[r['recovery_ms'] for r in runs]} ms"
            line += f", quality after {_spread([r['quality_after'] for r in runs])}"
        print(line)
    print(f"load average at the end: {os.getloadavg()}")
    return 0


def _spread(values: list[Any], digits: int = 2) -> str:
    return spread([float(v) for v in values if v is not None], digits)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--reference", action="store_true", help="also the path before")
    parser.add_argument(
        "--only", nargs="+", choices=[c.key for c in CONDITIONS], help="these conditions only"
    )
    sys.exit(asyncio.run(main(parser.parse_args())))
