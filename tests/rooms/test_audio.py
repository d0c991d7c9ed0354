"""Who may be heard, and the audio presence rules, as pure functions."""

from __future__ import annotations

import pytest

from rooms import audio
from rooms.errors import ErrorCode, HearthError
from rooms.events import AudioChanged, PauseChanged, SpeakersChanged
from rooms.identity import Role
from rooms.state import AudioState, Connection, Member, RoomState

NOW = 1_795_000_000_000


def member(name: str, role: Role = Role.PARTICIPANT, **fields: object) -> Member:
    return Member(
        f"id-{name}", f"sub-{name}", name, role, NOW, Connection("p1", f"sid-{name}"), **fields
    )  # type: ignore[arg-type]


def room(*members: Member, paused: bool = False) -> RoomState:
    return RoomState("circle", seq=3, members=members, paused=paused)


def test_a_seated_unmuted_member_is_heard_and_nobody_else() -> None:
    state = room(member("Ann"), member("Bo", audio_muted=True))
    assert audio.may_be_heard(state, "id-Ann")
    assert not audio.may_be_heard(state, "id-Bo")
    assert not audio.may_be_heard(state, "id-Gone")


def test_a_paused_room_hears_only_its_facilitators() -> None:
    state = room(member("Ann"), member("Fay", Role.FACILITATOR), member("Al", Role.ADMIN))
    paused = audio.set_paused(state, True)
    assert paused.events == (PauseChanged(4, True),)
    assert not audio.may_be_heard(paused.state, "id-Ann")
    assert audio.may_be_heard(paused.state, "id-Fay")
    assert audio.may_be_heard(paused.state, "id-Al")
    assert audio.may_be_heard(audio.set_paused(paused.state, False).state, "id-Ann")
    assert not audio.set_paused(paused.state, True).events


def test_self_mute_silences_and_clears_speaking() -> None:
    state = room(member("Ann", speaking=True))
    change = audio.mute_self(state, "sid-Ann")
    ann = change.state.member("id-Ann")
    assert ann is not None
    assert ann.audio_muted
    assert not ann.speaking
    assert change.events == (AudioChanged(4, ann),)
    assert not audio.mute_self(change.state, "sid-Ann").events
    unmuted = audio.unmute_self(change.state, "sid-Ann").state
    assert audio.may_be_heard(unmuted, "id-Ann")


def test_nobody_unmutes_themselves_after_a_facilitator_muted_them() -> None:
    state = audio.mute_member(room(member("Ann")), "id-Ann", True).state
    with pytest.raises(HearthError) as refused:
        audio.unmute_self(state, "sid-Ann")
    assert refused.value.code is ErrorCode.AUDIO_HELD
    lifted = audio.mute_member(state, "id-Ann", False).state
    assert audio.may_be_heard(lifted, "id-Ann")


def test_audio_rules_need_a_seat() -> None:
    with pytest.raises(HearthError) as refused:
        audio.mute_self(room(), "sid-Ann")
    assert refused.value.code is ErrorCode.NOT_IN_ROOM
    assert not audio.set_audio(room(), "id-Ann", AudioState.CONNECTED).events


def test_audio_state_changes_are_told_once_and_off_clears_speaking() -> None:
    state = room(member("Ann", audio=AudioState.CONNECTED, speaking=True))
    assert not audio.set_audio(state, "id-Ann", AudioState.CONNECTED).events
    off = audio.set_audio(state, "id-Ann", AudioState.OFF)
    ann = off.state.member("id-Ann")
    assert ann is not None
    assert ann.audio is AudioState.OFF
    assert not ann.speaking
    assert off.state.seq == 4


def test_speakers_are_told_on_change_and_only_if_they_may_be_heard() -> None:
    state = room(member("Ann"), member("Bo", audio_muted=True))
    change = audio.set_speakers(state, ("id-Ann", "id-Bo"))
    assert change.events == (SpeakersChanged(4, ("id-Ann",)),)
    assert [m.speaking for m in change.state.members] == [True, False]
    assert not audio.set_speakers(change.state, ("id-Ann",)).events
