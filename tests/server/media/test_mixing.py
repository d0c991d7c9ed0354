"""The mixer's arithmetic: levels, mix-minus, speaking hysteresis, announcing on change."""

from __future__ import annotations

import numpy as np

from server.media import mixing
from server.media.mixing import Announcer, VoiceGate, level_dbfs, mix


def tone(freq: float, amplitude: int = 8000) -> mixing.Samples:
    t = np.arange(mixing.FRAME_SAMPLES) / mixing.SAMPLE_RATE
    mono = (amplitude * np.sin(2 * np.pi * freq * t)).astype(np.int16)
    return np.repeat(mono, mixing.CHANNELS)


def test_levels_tell_a_voice_from_silence() -> None:
    assert level_dbfs(mixing.SILENCE) == mixing.SILENCE_DBFS
    assert -16 < level_dbfs(tone(440, 8000)) < -15  # 8000/32768 peak sine: about -15.3 dBFS
    assert level_dbfs(tone(440, 30)) < mixing.CLOSE_DBFS


def test_each_speaker_hears_everyone_but_themselves() -> None:
    ann, bo, cy = tone(440), tone(660), tone(880)
    mixes = mix({"ann": ann, "bo": bo, "cy": cy}, frozenset({"ann", "bo"}))
    assert np.array_equal(mixes.shared, ann.astype(np.int32) + bo)
    assert np.array_equal(mixes.minus["ann"], bo)
    assert np.array_equal(mixes.minus["bo"], ann)
    assert set(mixes.minus) == {"ann", "bo"}  # cy is quiet: cy hears the shared mix


def test_a_loud_mix_clips_instead_of_wrapping() -> None:
    loud = np.full(mixing.FRAME_VALUES, 30000, dtype=np.int16)
    assert mix({"a": loud, "b": loud}, frozenset({"a", "b"})).shared.max() == 32767


def test_nobody_speaking_is_silence() -> None:
    assert mix({"a": tone(440)}, frozenset()).shared is mixing.SILENCE


def test_a_lone_speaker_hears_silence_itself_which_needs_no_encode() -> None:
    mixes = mix({"ann": tone(440)}, frozenset({"ann", "bo"}))  # bo: a pause, gate held
    assert np.array_equal(mixes.shared, tone(440))
    assert mixes.minus == {"ann": mixing.SILENCE}
    assert mixes.minus["ann"] is mixing.SILENCE


def test_the_gate_holds_through_short_pauses_and_closes_after_the_hold() -> None:
    gate = VoiceGate()
    assert gate.update({"ann": -20.0}) == {"ann"}
    for _ in range(mixing.HOLD_TICKS):
        assert gate.update({"ann": -80.0}) == {"ann"}
    assert gate.update({"ann": -80.0}) == frozenset()
    assert gate.update({"ann": -50.0}) == frozenset()  # between thresholds: stays closed


def test_a_muted_or_gone_input_closes_its_gate_at_once() -> None:
    gate = VoiceGate()
    gate.update({"ann": -20.0, "bo": -20.0})
    assert gate.update({"bo": -20.0}) == {"bo"}


def test_speakers_are_announced_on_change_at_most_once_per_interval() -> None:
    told = Announcer(interval=15)
    assert not told.due(0, frozenset())
    assert told.due(1, frozenset({"ann"}))
    assert not told.due(2, frozenset({"ann"}))
    assert not told.due(5, frozenset({"bo"}))  # too soon: waits
    assert told.due(16, frozenset({"bo"}))
