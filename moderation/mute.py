"""Muting chat and audio.

- A facilitator (or co-facilitator) mutes a participant's chat, audio or both. A muted
  participant's chat is refused by the rule that posts it (``chat_muted``), so it holds
  on every server process the moment the mute is stored.
- A facilitator's chat mute and audio hold belong to the person, not the seat: leaving
  and joining again, or reconnecting through another process, brings them back muted
  (``moderation.standing``) until a facilitator unmutes them.
- **Mute everyone** mutes every member the actor outranks (chat, audio or both), and
  chooses whether they may unmute their own audio; unsaid, the room's
  ``allow_self_unmute`` decides, so "People may unmute themselves" holds for it too.
- **Ask everyone to unmute** undoes it in one step: every chat mute of a member the actor
  outranks is lifted at once, and everyone muted is *asked* to unmute (one request to
  all of them), never unmuted silently.
- **Mute on join** (a room control) starts newcomers' audio muted; ``allow_self_unmute``
  says whether they may unmute themselves.
- Unmuting someone else's **chat** is immediate. Unmuting someone else's **audio** is
  never silent: the participant is *asked* to unmute (``UnmuteAsked``) and decides; until
  they accept their microphone stays off. Declining keeps them muted.
- Anyone may mute their own audio. Unmuting it is refused while a facilitator holds the
  mute (``audio_held``), unless a facilitator asked them to unmute, or they have the
  floor (``moderation.floor``: the hold is lifted for the share and comes back after).

Audio flags are state only: the mixer reads them (``moderation.audio.may_be_heard``).
"""

from __future__ import annotations

from dataclasses import replace

from moderation import roles
from moderation.audit import Action, Moderated, entry
from moderation.pause import check_active
from moderation.rate_limits import Activity
from rooms.change import Change, Recorder
from rooms.errors import ErrorCode, Refused
from rooms.events import MutesChanged, UnmuteAsked
from rooms.state import Member, RoomControls, RoomState


def _detail(chat: bool, audio: bool) -> str:
    return "+".join(kind for kind, on in (("chat", chat), ("audio", audio)) if on)


def _announce(state: RoomState, changed: list[Member], rec: Recorder | None = None) -> Change:
    rec = rec or Recorder(state)
    public = [m for m in changed if _public(state.member(m.member_id)) != _public(m)]
    if public:
        rec.events.append(MutesChanged(rec.next_seq(), tuple(public)))
    if not changed:
        return rec.done(state)
    return replace(rec.done(roles.with_members(state, *changed)), quiet=True)


def _public(member: Member | None) -> tuple[bool, bool] | None:
    return (member.chat_muted, member.audio_muted) if member else None


def mute(
    state: RoomState,
    sid: str,
    member_id: str,
    *,
    chat: bool,
    audio: bool,
    now: int,
    reason: str = "",
) -> Moderated:
    actor = roles.acting(state, sid)
    member = roles.target(state, actor, member_id)
    record = entry(actor, Action.MUTE, now, member, reason=reason, detail=_detail(chat, audio))
    muted = _muted(member, chat=chat, audio=audio, held=True)
    return Moderated(_announce(state, [muted] if muted != member else []), record)


def _muted(member: Member, *, chat: bool, audio: bool, held: bool) -> Member:
    if chat:
        member = replace(member, chat_muted=True)
    if audio:
        member = replace(member, audio_muted=True, audio_held=held, unmute_asked=False)
    return member


def mute_all(
    state: RoomState,
    sid: str,
    *,
    chat: bool,
    audio: bool,
    allow_self_unmute: bool | None = None,
    now: int,
    reason: str = "",
) -> Moderated:
    """``allow_self_unmute`` None: as the room's control says."""
    actor = roles.acting(state, sid)
    if allow_self_unmute is None:
        allow_self_unmute = state.controls.allow_self_unmute
    detail = _detail(chat, audio) + ("" if allow_self_unmute else ", held")
    record = entry(actor, Action.MUTE_ALL, now, reason=reason, detail=detail)
    changed = []
    for member in state.members:
        if roles.rank(member) >= roles.rank(actor):
            continue
        muted = _muted(member, chat=chat, audio=audio, held=not allow_self_unmute)
        if muted != member:
            changed.append(muted)
    return Moderated(_announce(state, changed), record)


def unmute(
    state: RoomState,
    sid: str,
    member_id: str,
    *,
    chat: bool,
    audio: bool,
    now: int,
    reason: str = "",
) -> Moderated:
    """Chat is unmuted at once; audio only when the participant accepts the request."""
    actor = roles.acting(state, sid)
    member = roles.target(state, actor, member_id)
    record = entry(actor, Action.UNMUTE, now, member, reason=reason, detail=_detail(chat, audio))
    changed = replace(member, chat_muted=False) if chat else member
    rec = Recorder(state)
    if audio and member.audio_muted:
        changed = replace(changed, unmute_asked=True)
        rec.events.append(UnmuteAsked((member.connection.sid,), by=actor.display_name))
    return Moderated(_announce(state, [changed] if changed != member else [], rec), record)


def unmute_all(
    state: RoomState,
    sid: str,
    *,
    chat: bool,
    audio: bool,
    now: int,
    reason: str = "",
) -> Moderated:
    """Undo a mute of everyone: chat unmuted at once, microphones asked, never forced."""
    actor = roles.acting(state, sid)
    record = entry(actor, Action.UNMUTE_ALL, now, reason=reason, detail=_detail(chat, audio))
    changed: list[Member] = []
    asked: list[str] = []
    for member in state.members:
        if roles.rank(member) >= roles.rank(actor):
            continue
        unmuted = replace(member, chat_muted=False) if chat else member
        if audio and member.audio_muted:
            unmuted = replace(unmuted, unmute_asked=True)
            asked.append(member.connection.sid)
        if unmuted != member:
            changed.append(unmuted)
    rec = Recorder(state)
    if asked:
        rec.events.append(UnmuteAsked(tuple(asked), by=actor.display_name))
    return Moderated(_announce(state, changed, rec), record)


def mute_self(state: RoomState, sid: str) -> Change:
    member = state.seated(sid)
    muted = replace(member, audio_muted=True, unmute_asked=False)
    return _announce(state, [muted] if muted != member else [])


def unmute_self(state: RoomState, sid: str) -> Change:
    """Turn one's own microphone on; accepting a facilitator's request is the same act."""
    member = state.seated(sid)
    # The floor lifts a hold for the share, and the hold comes back after it
    # (``moderation.floor``); only accepting a facilitator's request ends it.
    for_the_share = member.audio_held and not member.unmute_asked
    if for_the_share and state.floor != member.member_id:
        raise Refused("a facilitator has muted you", ErrorCode.AUDIO_HELD)
    check_active(state, member, Activity.AUDIO)
    unmuted = replace(member, audio_muted=False, audio_held=for_the_share, unmute_asked=False)
    return _announce(state, [unmuted] if unmuted != member else [])


def stay_muted(state: RoomState, sid: str) -> Change:
    """Decline a facilitator's request to unmute."""
    member = state.seated(sid)
    declined = replace(member, unmute_asked=False)
    return _announce(state, [declined] if declined != member else [])


def on_join(member: Member, controls: RoomControls) -> Member:
    """A newcomer's flags under the room's controls."""
    if not controls.mute_on_join or roles.is_moderator(member):
        return member
    return _muted(member, chat=False, audio=True, held=not controls.allow_self_unmute)


def check_may_chat(state: RoomState, member: Member) -> None:
    if member.chat_muted:
        raise Refused("a facilitator has muted your chat", ErrorCode.CHAT_MUTED)
    check_active(state, member, Activity.CHAT)
