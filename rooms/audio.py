"""Who may be heard in a room, and the rules for audio presence.

- **Heard or not** is decided in one place, ``may_be_heard``: a member is heard only while
  they hold a seat, are not muted, and the room is not paused. A paused room is silent
  except for its facilitators (and admins), who keep the room safe. The server's mixer asks
  this for every input every 20 ms tick, so nothing a client does can get around it.
- **Self-mute** is always allowed. **Unmuting yourself** is refused with ``muted`` when a
  facilitator muted you: only a facilitator lifts that mute (they may ask you to unmute).
- **Audio presence** (off, connecting, connected; muted; speaking) is part of the room's
  state, so every client on every process sees it. Speaking is set by the media host, only
  when the set of speakers changes, and only for members who may be heard.
- Turning audio off clears ``speaking``. Leaving the room removes the seat and with it every
  audio flag.

Each rule returns a ``Change`` whose events carry the room's next sequence numbers; a rule
that changes nothing returns no events.
"""

from __future__ import annotations

from dataclasses import replace

from rooms.actions import Change
from rooms.errors import ErrorCode, Refused
from rooms.events import AudioChanged, PauseChanged, SpeakersChanged
from rooms.identity import Role
from rooms.state import AudioState, Member, RoomState

KEEPS_ROOM_SAFE = frozenset({Role.FACILITATOR, Role.ADMIN})


def may_be_heard(state: RoomState, member_id: str) -> bool:
    """True when this member's voice may reach anyone in the room right now."""
    member = state.member(member_id)
    if member is None or member.audio_muted:
        return False
    return not state.paused or member.role in KEEPS_ROOM_SAFE


def _with_member(state: RoomState, updated: Member) -> Change:
    members = tuple(updated if m.member_id == updated.member_id else m for m in state.members)
    seq = state.seq + 1
    return Change(replace(state, members=members, seq=seq), (AudioChanged(seq, updated),))


def _seated(state: RoomState, member_id: str) -> Member:
    member = state.member(member_id)
    if member is None:
        raise Refused("you are not in this room", ErrorCode.NOT_IN_ROOM)
    return member


def set_audio(state: RoomState, member_id: str, audio: AudioState) -> Change:
    """The media host reports a member's audio connection (a member who left is ignored)."""
    member = state.member(member_id)
    if member is None or member.audio is audio:
        return Change(state)
    speaking = member.speaking and audio is AudioState.CONNECTED
    return _with_member(state, replace(member, audio=audio, speaking=speaking))


def mute_self(state: RoomState, sid: str) -> Change:
    member = state.member_by_sid(sid)
    if member is None:
        raise Refused("you are not in this room", ErrorCode.NOT_IN_ROOM)
    if member.audio_muted:
        return Change(state)
    return _with_member(state, replace(member, audio_muted=True, speaking=False))


def unmute_self(state: RoomState, sid: str) -> Change:
    member = state.member_by_sid(sid)
    if member is None:
        raise Refused("you are not in this room", ErrorCode.NOT_IN_ROOM)
    if member.audio_held:
        raise Refused("a facilitator muted you; they can ask you to unmute", ErrorCode.AUDIO_HELD)
    if not member.audio_muted:
        return Change(state)
    return _with_member(state, replace(member, audio_muted=False))


def mute_member(state: RoomState, member_id: str, muted: bool) -> Change:
    """A facilitator mutes (or lifts their mute on) a member. Moderation decides who may."""
    member = _seated(state, member_id)
    if member.audio_muted == muted and member.audio_held == muted:
        return Change(state)
    updated = replace(
        member,
        audio_muted=muted,
        audio_held=muted,
        speaking=member.speaking and not muted,
    )
    return _with_member(state, updated)


def set_paused(state: RoomState, paused: bool) -> Change:
    if state.paused == paused:
        return Change(state)
    seq = state.seq + 1
    return Change(replace(state, paused=paused, seq=seq), (PauseChanged(seq, paused),))


def set_speakers(state: RoomState, speakers: tuple[str, ...]) -> Change:
    """The media host names who is speaking now; only members who may be heard count."""
    heard = tuple(s for s in dict.fromkeys(speakers) if may_be_heard(state, s))
    current = tuple(m.member_id for m in state.members if m.speaking)
    if set(heard) == set(current):
        return Change(state)
    members = tuple(replace(m, speaking=m.member_id in heard) for m in state.members)
    seq = state.seq + 1
    return Change(replace(state, members=members, seq=seq), (SpeakersChanged(seq, heard),))
