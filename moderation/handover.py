"""What happens when the last facilitator leaves, and when one comes back.

When the last facilitator (or admin) leaves the room:

- if co-facilitators are present, they take over: everyone is told who covers
  (``FacilitatorPresence(present=False, covering=...)``) and they keep moderating;
- with none, the room carries on, marked unattended since that moment, and the next
  facilitator to join is told how long it went unattended (their join ack);
- with the room control ``pause_when_unattended`` on and no co-facilitator, the room
  pauses instead, until a facilitator is back. The last covering co-facilitator leaving
  counts the same: everyone is told nobody covers any more, and the room may pause.

When a facilitator joins an unattended room, everyone is told a facilitator is present
again, and a pause made automatically is lifted (a pause a facilitator chose stays).

Whether a facilitator (or admin) was seated at some moment since an instant is known from
the same record: one is seated now, or the last one left at or after it (a facilitator's
arrival clears ``unattended_since``, and the last one's leaving sets it). The scheduler
asks it when a scheduled meeting ends (``schedule.missed``).
"""

from __future__ import annotations

from dataclasses import replace

from moderation import roles
from rooms.change import Change, Recorder
from rooms.events import FacilitatorPresence, MemberLeft, RoomPaused, RoomResumed
from rooms.state import RoomState


def oversee(change: Change, now: int) -> Change:
    """After people left (``change``): hand over if the last facilitator, or a covering
    co-facilitator, was among them."""
    state = change.state
    if roles.facilitator_present(state):
        return change
    left = [e.member for e in change.events if isinstance(e, MemberLeft)]
    if not any(roles.is_moderator(m) for m in left):
        return change
    if state.unattended_since is None and not any(
        roles.rank(m) >= roles.Rank.FACILITATOR for m in left
    ):
        return change
    rec = Recorder.following(change)
    covering = tuple(m.member_id for m in state.members if m.co_facilitator)
    rec.events.append(FacilitatorPresence(rec.next_seq(), present=False, covering=covering))
    state = replace(state, unattended_since=state.unattended_since or now)
    if not covering and state.controls.pause_when_unattended and not state.paused:
        rec.events.append(RoomPaused(rec.next_seq(), automatically=True))
        state = replace(state, paused=True, paused_automatically=True)
    return rec.done(state, change.replaced)


def arrive(change: Change) -> Change:
    """After someone joined (``change``): a facilitator's arrival ends the unattended time."""
    state = change.state
    if state.unattended_since is None or not roles.facilitator_present(state):
        return change
    rec = Recorder.following(change)
    rec.events.append(FacilitatorPresence(rec.next_seq(), present=True))
    state = replace(state, unattended_since=None)
    if state.paused_automatically:
        rec.events.append(RoomResumed(rec.next_seq()))
        state = replace(state, paused=False, paused_automatically=False)
    return rec.done(state, change.replaced)


def facilitated_since(state: RoomState, instant: int) -> bool:
    """Whether a facilitator or admin was seated here at some moment from ``instant`` (ms) on."""
    if roles.facilitator_present(state):
        return True
    return state.unattended_since is not None and state.unattended_since >= instant
