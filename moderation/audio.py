"""Who may be heard in a room, and the rules for audio presence.

- **Heard or not** is decided in one place, ``may_be_heard``: a member is heard only while
  they hold a seat and ``moderation.pause.audible`` says so (not muted; the room not
  paused, or they keep it: facilitators, co-facilitators, admins), and, during a sharing
  round that lets only the sharer speak, they have the floor or moderate
  (``moderation.rounds.may_speak``). The server's mixer asks
  this for every input every 20 ms tick, so nothing a client does can get around it.
- Muting, unmuting and pausing are moderation's rules (``moderation.mute``,
  ``moderation.pause``); this module only reads their flags.
- **Audio presence** (off, connecting, connected; muted; speaking) is part of the room's
  state, so every client on every process sees it. Speaking is set by the media host, only
  when the set of speakers changes, and only for members who may be heard.
- Turning audio off clears ``speaking``. Leaving the room removes the seat and with it its
  audio presence; a facilitator's hold stays with the person (``moderation.standing``).

Each rule returns a ``Change`` whose events carry the room's next sequence numbers; a rule
that changes nothing returns no events.
"""

from __future__ import annotations

from dataclasses import replace

from moderation import pause, roles, rounds
from rooms.change import Change, Recorder
from rooms.events import AudioChanged, SpeakersChanged
from rooms.state import AudioState, Member, RoomState


def may_be_heard(state: RoomState, member_id: str) -> bool:
    """True when this member's voice may reach anyone in the room right now."""
    member = state.member(member_id)
    return member is not None and pause.audible(state, member) and rounds.may_speak(state, member)


def _with_member(state: RoomState, updated: Member) -> Change:
    rec = Recorder(state)
    rec.events.append(AudioChanged(rec.next_seq(), updated))
    return rec.done(roles.with_members(state, updated))


def set_audio(state: RoomState, member_id: str, audio: AudioState) -> Change:
    """The media host reports a member's audio connection (a member who left is ignored)."""
    member = state.member(member_id)
    if member is None or member.audio is audio:
        return Change(state)
    speaking = member.speaking and audio is AudioState.CONNECTED
    return _with_member(state, replace(member, audio=audio, speaking=speaking))


def set_speakers(state: RoomState, speakers: tuple[str, ...]) -> Change:
    """The media host names who is speaking now; only members who may be heard count."""
    heard = tuple(s for s in dict.fromkeys(speakers) if may_be_heard(state, s))
    current = tuple(m.member_id for m in state.members if m.speaking)
    if set(heard) == set(current):
        return Change(state)
    members = tuple(replace(m, speaking=m.member_id in heard) for m in state.members)
    rec = Recorder(state)
    rec.events.append(SpeakersChanged(rec.next_seq(), heard))
    return rec.done(replace(state, members=members))
