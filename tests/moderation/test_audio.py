"""Who may be heard, and the audio presence rules, as pure functions."""

from __future__ import annotations

import pytest

from moderation import audio, mute
from rooms.errors import ErrorCode, HearthError
from rooms.events import SpeakersChanged
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


def test_a_paused_room_hears_only_those_who_keep_it_safe() -> None:
    people = (
        member("Ann"),
        member("Fay", Role.FACILITATOR),
        member("Al", Role.ADMIN),
        member("Co", co_facilitator=True),
    )
    state = room(*people, paused=True)
    assert not audio.may_be_heard(state, "id-Ann")
    assert audio.may_be_heard(state, "id-Fay")
    assert audio.may_be_heard(state, "id-Al")
    assert audio.may_be_heard(state, "id-Co")
    assert audio.may_be_heard(room(*people), "id-Ann")


def test_a_facilitators_mute_silences_until_lifted_by_both() -> None:
    state = room(member("Ann"), member("Fay", Role.FACILITATOR))
    muted = mute.mute(state, "sid-Fay", "id-Ann", chat=False, audio=True, now=NOW).change.state
    assert not audio.may_be_heard(muted, "id-Ann")
    with pytest.raises(HearthError) as refused:
        mute.unmute_self(muted, "sid-Ann")
    assert refused.value.code is ErrorCode.AUDIO_HELD
    asked = mute.unmute(muted, "sid-Fay", "id-Ann", chat=False, audio=True, now=NOW)
    assert not audio.may_be_heard(asked.change.state, "id-Ann")  # asked is not yet heard
    assert audio.may_be_heard(mute.unmute_self(asked.change.state, "sid-Ann").state, "id-Ann")


def test_presence_rules_ignore_someone_not_seated() -> None:
    assert not audio.set_audio(room(), "id-Ann", AudioState.CONNECTED).events
    assert not audio.may_be_heard(room(), "id-Ann")


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


def test_a_speakers_change_advances_the_rooms_sequence_to_its_own_number() -> None:
    """Clients drop an event whose seq their snapshot already holds: if the state kept the
    old seq, the next event would reuse this one's number and never be shown."""
    state = room(member("Ann"), member("Bo"))
    spoke = audio.set_speakers(state, ("id-Ann",))
    (event,) = spoke.events
    assert event.seq == spoke.state.seq == state.seq + 1
    quiet = audio.set_speakers(spoke.state, ())
    (after,) = quiet.events
    assert after.seq == quiet.state.seq == event.seq + 1
    joined = audio.set_audio(quiet.state, "id-Bo", AudioState.CONNECTED)
    assert [e.seq for e in joined.events] == [after.seq + 1]
