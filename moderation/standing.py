"""What facilitators decided about a person holds for that identity, not for one seat.

- A facilitator's **chat mute** and **audio hold** (a mute the person may not lift
  themselves), and a **co-facilitator promotion**, are kept on the room's state under the
  room-scoped member id (stable per identity per room) as a ``Standing``. They hold
  across ``room:leave`` / ``room:join``, reconnects and server processes, for as long as
  the room is open; a room that closes forgets them with everything else.
- Whoever takes a seat gets their standing back (``restore``): still muted, still held,
  still co-facilitator, and the room sees them join that way.
- The standing mirrors the seat: every rule that changes a seat's flags goes through
  ``moderation.roles.with_members``, which keeps the standing with it, so a mute stored
  is a standing stored, in the same commit. Only the rules that lift a decision clear
  it: a facilitator unmuting chat, the person
  accepting a facilitator's request to unmute (``unmute_self``), a demotion. A person's
  own mute (``mute_self``) is their choice, not a sanction, and is not kept.
- A **removal** takes the promotion away (someone taken out does not come back
  moderating) and keeps the mutes; a **ban** keeps the identity out altogether.
- What it cannot do: a guest without a key is a new identity on every connection, so
  they can come back under a new name with nothing held against them. The waiting room,
  the lock and ``mute_on_join`` stop that (see ``docs/facilitators.md``).

The number of standings is bounded (``MAX_STANDINGS``): past it, the oldest standing of
someone who is not in the room is forgotten first.
"""

from __future__ import annotations

from dataclasses import replace

from rooms.identity import Role
from rooms.state import MAX_STANDINGS, Member, RoomState, Standing


def keep(
    state: RoomState,
    member_id: str,
    *,
    chat_muted: bool | None = None,
    audio_held: bool | None = None,
    co_facilitator: bool | None = None,
) -> RoomState:
    """This state, remembering what was decided about ``member_id`` (None: unchanged)."""
    before = state.standing(member_id)
    after = replace(
        before,
        chat_muted=before.chat_muted if chat_muted is None else chat_muted,
        audio_held=before.audio_held if audio_held is None else audio_held,
        co_facilitator=before.co_facilitator if co_facilitator is None else co_facilitator,
    )
    if after == before:
        return state
    others = tuple(s for s in state.standings if s.member_id != member_id)
    kept = others if after.empty else (*others, after)
    return replace(state, standings=_bounded(state, kept))


def mirror(state: RoomState, *members: Member) -> RoomState:
    """This state, remembering what these seats hold now: a seat and its identity's
    standing always agree, so whatever rule changed the seat, leaving cannot undo it."""
    for member in members:
        state = keep(
            state,
            member.member_id,
            chat_muted=member.chat_muted,
            audio_held=member.audio_held,
            co_facilitator=member.co_facilitator,
        )
    return state


def _bounded(state: RoomState, standings: tuple[Standing, ...]) -> tuple[Standing, ...]:
    over = len(standings) - MAX_STANDINGS
    if over <= 0:
        return standings
    seated = {m.member_id for m in state.members}
    absent = [s.member_id for s in standings if s.member_id not in seated][:over]
    drop = set(absent)
    left = tuple(s for s in standings if s.member_id not in drop)
    return left[len(left) - MAX_STANDINGS :]


def restore(state: RoomState, member: Member) -> Member:
    """A newly seated member, with what facilitators decided about them before."""
    standing = state.standing(member.member_id)
    if standing.empty:
        return member
    if standing.chat_muted:
        member = replace(member, chat_muted=True)
    if standing.audio_held:
        member = replace(member, audio_muted=True, audio_held=True, unmute_asked=False)
    if standing.co_facilitator and member.role == Role.PARTICIPANT:
        member = replace(member, co_facilitator=True)
    return member
