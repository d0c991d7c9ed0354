"""Removing and banning.

- **Remove** takes a participant out of the room now: their seat goes, their hand comes
  down, they are told (``Removed``) and their connection is closed. They may join again.
- **Ban** removes them and refuses their identity (the token's subject) from then on:
  for this room, or for every room of the room's series. The ban is kept in the room's
  state while it is open (so a rejoin racing the ban is refused atomically, on any
  process) and in the store for later sessions and the series.
- A guest's identity lives only as long as their connection, so a banned guest's
  connection is closed; they cannot come back on it under another display name.
- **Unban** lifts a ban; bans are listed by the id the person had where they were banned.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from moderation import handover, roles, service, standing
from moderation.audit import Action, Moderated, entry
from rooms import attendance
from rooms.change import Change, Recorder
from rooms.errors import ErrorCode, InvalidPayload, Refused
from rooms.events import HandQueueChanged, LeaveReason, MemberLeft, Removed
from rooms.room import RoomInfo
from rooms.state import Member, RoomState


class BanScope(StrEnum):
    ROOM = "room"
    SERIES = "series"


@dataclass(frozen=True, slots=True)
class Ban:
    ban_id: str  # the member id the person had in the room where they were banned
    subject: str  # never sent to clients
    display_name: str
    scope: BanScope
    where: str  # the room id or the series id
    at: int
    by_name: str
    reason: str = ""

    @property
    def key(self) -> str:
        return ban_key(self.scope, self.where)


def ban_key(scope: BanScope, where: str) -> str:
    return f"{scope}:{where}"


def ban_keys(room: RoomInfo) -> list[str]:
    """Where bans that apply to ``room`` are kept."""
    keys = [ban_key(BanScope.ROOM, room.room_id)]
    if room.series_id:
        keys.append(ban_key(BanScope.SERIES, room.series_id))
    return keys


def check_not_banned(state: RoomState, subject: str, banned_elsewhere: bool) -> None:
    if banned_elsewhere or subject in state.banned:
        raise Refused("you cannot join this room", ErrorCode.BANNED)


def _take_out(state: RoomState, member: Member, reason: LeaveReason, now: int) -> Change:
    rec = Recorder(state)
    rec.events.append(Removed((member.connection.sid,), reason))
    rec.events.append(MemberLeft(rec.next_seq(), member, reason))
    hands = tuple(h for h in state.hands if h != member.member_id)
    if hands != state.hands:
        rec.events.append(HandQueueChanged(rec.next_seq(), hands))
    members = tuple(m for m in state.members if m.member_id != member.member_id)
    # Someone taken out does not come back moderating; their mutes stay theirs.
    state = standing.keep(state, member.member_id, co_facilitator=False)
    state = service.forget(state, member.member_id, rec)
    after = handover.oversee(rec.done(replace(state, members=members, hands=hands)), now)
    return replace(after, state=attendance.accounted(state, after.state, now))


def remove(state: RoomState, sid: str, member_id: str, now: int, reason: str = "") -> Moderated:
    actor = roles.acting(state, sid)
    member = roles.target(state, actor, member_id)
    record = entry(actor, Action.REMOVE, now, member, reason=reason)
    return Moderated(_take_out(state, member, LeaveReason.REMOVED, now), record)


def ban(
    state: RoomState,
    room: RoomInfo,
    sid: str,
    member_id: str,
    scope: BanScope,
    now: int,
    reason: str = "",
) -> Moderated:
    """Take them out and refuse them; the ban to keep is ``Moderated.keeps``."""
    actor = roles.acting(state, sid)
    member = roles.target(state, actor, member_id)
    if scope == BanScope.SERIES and not room.series_id:
        raise InvalidPayload("this room is not part of a series")
    where = room.series_id if scope == BanScope.SERIES and room.series_id else room.room_id
    record = entry(actor, Action.BAN, now, member, reason=reason, detail=str(scope))
    change = _take_out(state, member, LeaveReason.BANNED, now)
    banned = replace(change.state, banned=(*change.state.banned, member.subject))
    kept = Ban(
        ban_id=member.member_id,
        subject=member.subject,
        display_name=member.display_name,
        scope=scope,
        where=where,
        at=now,
        by_name=actor.display_name,
        reason=reason,
    )
    return Moderated(replace(change, state=banned), record, keeps=kept)


def unban(state: RoomState, sid: str, ban: Ban, now: int, reason: str = "") -> Moderated:
    actor = roles.acting(state, sid)
    record = replace(
        entry(actor, Action.UNBAN, now, reason=reason, detail=str(ban.scope)),
        target_id=ban.ban_id,
        target_name=ban.display_name,
    )
    if ban.subject not in state.banned:
        return Moderated(Change(state), record, lifts=ban)
    banned = tuple(s for s in state.banned if s != ban.subject)
    return Moderated(Change(replace(state, banned=banned), quiet=True), record, lifts=ban)
