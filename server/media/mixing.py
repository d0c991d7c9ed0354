"""The mixer's arithmetic, one 20 ms tick at a time, in numpy (no codecs, no network).

Frames are 20 ms of 48 kHz interleaved stereo signed 16-bit samples (Opus's native shape,
so nothing is resampled). Each tick:

1. the host drops every input that may not be heard (``moderation.audio.may_be_heard``);
2. ``VoiceGate`` measures each remaining input's level and keeps a per-member speaking flag
   with hysteresis: it opens above ``OPEN_DBFS`` and closes only after ``HOLD_TICKS`` below
   ``CLOSE_DBFS``, so words and short pauses do not flap it;
3. ``mix`` sums the open inputs once (the *shared* mix, which everyone who is not speaking
   hears) and, for each speaker, the mix minus their own voice. A quiet room therefore
   needs one encode for all listeners plus one per speaker, not one per listener; and a
   mix that is silence (nobody voiced, or what a lone speaker hears) is ``SILENCE``
   itself, which the host sends without encoding;
4. ``Announcer`` decides when the room is told who speaks: on change only, at most once
   per ``ANNOUNCE_INTERVAL_TICKS``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

SAMPLE_RATE = 48_000
FRAME_SAMPLES = 960  # 20 ms
CHANNELS = 2
FRAME_VALUES = FRAME_SAMPLES * CHANNELS
TICK_S = FRAME_SAMPLES / SAMPLE_RATE

OPEN_DBFS = -45.0
CLOSE_DBFS = -55.0
HOLD_TICKS = 15  # 300 ms of quiet before a speaker counts as silent
ANNOUNCE_INTERVAL_TICKS = 15  # the room hears about speakers at most ~3 times a second
SILENCE_DBFS = -120.0

Samples = npt.NDArray[np.int16]
SILENCE: Samples = np.zeros(FRAME_VALUES, dtype=np.int16)
SILENCE.setflags(write=False)


def level_dbfs(samples: Samples) -> float:
    """RMS level relative to full scale; ``SILENCE_DBFS`` for digital silence."""
    if samples.size == 0:
        return SILENCE_DBFS
    wide = samples.astype(np.float32)
    rms = float(np.sqrt(np.mean(wide * wide))) / 32768.0
    return max(SILENCE_DBFS, 20.0 * float(np.log10(rms))) if rms > 0 else SILENCE_DBFS


@dataclass
class VoiceGate:
    """Per-member speaking flags with hysteresis, fed one level per tick."""

    quiet_ticks: dict[str, int] = field(default_factory=dict)  # open gates only

    def update(self, levels: Mapping[str, float]) -> frozenset[str]:
        """Feed this tick's levels of the heard inputs; returns who is speaking. A member
        missing from ``levels`` (muted, gone, no frame) closes at once."""
        for member_id in list(self.quiet_ticks):
            if member_id not in levels:
                del self.quiet_ticks[member_id]
        for member_id, level in levels.items():
            if level >= OPEN_DBFS:
                self.quiet_ticks[member_id] = 0
            elif member_id in self.quiet_ticks:
                quiet = self.quiet_ticks[member_id] + (level < CLOSE_DBFS)
                if quiet > HOLD_TICKS:
                    del self.quiet_ticks[member_id]
                else:
                    self.quiet_ticks[member_id] = quiet
        return frozenset(self.quiet_ticks)


@dataclass(frozen=True, slots=True)
class Mixes:
    shared: Samples  # every open input: what non-speakers hear
    minus: dict[str, Samples]  # per speaker: the shared mix without their own voice


def mix(inputs: Mapping[str, Samples], speakers: frozenset[str]) -> Mixes:
    """Sum the speakers' frames; each speaker also gets the sum without themselves."""
    voiced = {m: inputs[m] for m in speakers if m in inputs}
    if not voiced:
        return Mixes(SILENCE, {})
    total = np.zeros(FRAME_VALUES, dtype=np.int32)
    for samples in voiced.values():
        total += samples
    shared = np.clip(total, -32768, 32767).astype(np.int16)
    if len(voiced) == 1:  # a lone speaker hears nobody: silence, which needs no encode
        return Mixes(shared, dict.fromkeys(voiced, SILENCE))
    minus = {
        m: np.clip(total - samples, -32768, 32767).astype(np.int16) for m, samples in voiced.items()
    }
    return Mixes(shared, minus)


def loudest_first(speakers: frozenset[str], levels: Mapping[str, float]) -> tuple[str, ...]:
    return tuple(sorted(speakers, key=lambda m: (-levels.get(m, SILENCE_DBFS), m)))


@dataclass
class Announcer:
    """Tells the room who speaks only when that changes, and not more often than
    every ``interval`` ticks; a change inside the interval is told when it ends."""

    interval: int = ANNOUNCE_INTERVAL_TICKS
    told: frozenset[str] = frozenset()
    last_tick: int | None = None

    def due(self, tick: int, speakers: frozenset[str]) -> bool:
        if speakers == self.told:
            return False
        if self.last_tick is not None and tick - self.last_tick < self.interval:
            return False
        self.told, self.last_tick = speakers, tick
        return True
