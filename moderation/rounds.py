"""Sharing rounds, held by the room's state.

- A facilitator, co-facilitator or the room's timekeeper **starts** a round (one at a
  time: ``round_running``): its order from the hand queue (the hands come down), from
  everyone present in the order they joined or shuffled (the seed is passed in), or an
  explicit list; the length of a share; and a warning point before each share's end (0:
  none). Nobody in line is refused (``round_empty``).
- The round holds **the current share**: who shares (they have the floor,
  ``moderation.floor``), ``started_at`` and ``ends_at`` on the server's clock, and
  whether its warning and its end were announced. Every client counts down to the same
  ``ends_at``.
- **Time** is one rule, ``tick``, which any process may apply at any moment, as often as
  it likes: it announces a share's warning (``ShareWarning``) once the warning point has
  passed and its end (``ShareTimeUp``) once ``ends_at`` has, each only if the state does
  not already record it, and records it in the same change. Applied through the store's
  atomic ``apply``, each is announced exactly once, whichever process applies it first
  and whichever processes died. At the end a hard round moves the floor on; a soft one
  only tells the sharer, who finishes (passes) or is moved on by the timekeeper.
- ``tick`` also brings the round up to date with the room: someone who left leaves the
  line (a sharer who left ends their share), people who joined late go to the end of a
  round ordered from the roster if the room's control says so, and someone **away**
  (dropped, within the seat grace) keeps their place and their turn: they are passed
  over while away and are next when back; a sharer who drops keeps sharing.
- The sharer, or anyone in line, may **pass**. The timekeeper **skips** the sharer,
  **extends** the share, **moves** someone to a place in line (adding them if they were
  not in it) or **ends** the round. Each of these is in the audit log.
- Room controls (``RoomControls.round_*``): the hard or soft end; whether chat waits
  during shares (``share_in_progress``; moderators may still write); whether only the
  sharer and moderators are heard during a round (``may_speak``, which the mixer asks
  through ``moderation.audio.may_be_heard`` every tick); late joiners added or not.
"""

from __future__ import annotations

import random
from dataclasses import replace

from moderation import floor, roles, service
from moderation.audit import Action, Moderated, entry
from rooms.change import Change, Recorder
from rooms.errors import ErrorCode, InvalidPayload, Refused
from rooms.events import HandQueueChanged, RoundChanged, ShareTimeUp, ShareWarning
from rooms.meeting import Duty, RoundOrder, SharingRound
from rooms.state import Member, RoomState


def start(
    state: RoomState,
    sid: str,
    *,
    order: RoundOrder,
    share_ms: int,
    warn_ms: int,
    members: tuple[str, ...],
    seed: int,
    now: int,
) -> Moderated:
    actor = service.acting_as(state, sid, Duty.TIMEKEEPER)
    if state.round is not None:
        raise Refused("a sharing round is under way", ErrorCode.ROUND_RUNNING)
    queue = _line(state, order, members, seed)
    if not queue:
        raise Refused("nobody is in line to share", ErrorCode.ROUND_EMPTY)
    rnd = SharingRound(order, share_ms, warn_ms, now, queue=queue)
    rec = Recorder(state)
    if order is RoundOrder.HANDS and state.hands:
        rec.events.append(HandQueueChanged(rec.next_seq(), ()))
        state = replace(state, hands=())
    detail = f"started: {order}, {len(queue)} in line, {share_ms // 1000} s each"
    record = entry(actor, Action.ROUND, now, detail=detail)
    return Moderated(rec.done(_advance(state, rnd, rec, now)), record)


def _line(
    state: RoomState, order: RoundOrder, members: tuple[str, ...], seed: int
) -> tuple[str, ...]:
    if order is RoundOrder.LIST:
        if len(set(members)) != len(members):
            raise InvalidPayload("name each person once")
        if any(state.member(m) is None for m in members):
            raise Refused("someone named is not in this room", ErrorCode.TARGET_NOT_IN_ROOM)
        return members
    if order is RoundOrder.HANDS:
        return state.hands
    joined = [m.member_id for m in sorted(state.members, key=lambda m: m.joined_at)]
    if order is RoundOrder.SHUFFLED:
        random.Random(seed).shuffle(joined)
    return tuple(joined)


def _present(state: RoomState, member_id: str) -> bool:
    member = state.member(member_id)
    return member is not None and not member.away


def _finish(rnd: SharingRound, *, passed: bool) -> SharingRound:
    """The round without its current share, the sharer counted as shared or passed."""
    sharer = rnd.sharer
    done = (sharer,) if sharer is not None else ()
    return replace(
        rnd,
        sharer=None,
        started_at=None,
        ends_at=None,
        warned=False,
        time_up=False,
        shared=rnd.shared if passed else (*rnd.shared, *done),
        passed=(*rnd.passed, *done) if passed else rnd.passed,
    )


def _advance(state: RoomState, rnd: SharingRound, rec: Recorder, now: int) -> RoomState:
    """The next share of a round that has none: the first present person in line. With
    nobody left the round ends; with only people away it waits for them."""
    if not rnd.queue:
        return _close(state, rec, now)
    up = next((m for m in rnd.queue if _present(state, m)), None)
    if up is not None:
        rnd = replace(
            rnd,
            queue=tuple(m for m in rnd.queue if m != up),
            sharer=up,
            share=rnd.share + 1,
            started_at=now,
            ends_at=now + rnd.share_ms,
        )
    return _announce(floor.give(state, up, rec), rnd, rec, now)


def _announce(state: RoomState, rnd: SharingRound | None, rec: Recorder, now: int) -> RoomState:
    rec.events.append(RoundChanged(rec.next_seq(), rnd, now))
    return replace(state, round=rnd)


def _close(state: RoomState, rec: Recorder, now: int) -> RoomState:
    return _announce(floor.give(state, None, rec), None, rec, now)


def _running(state: RoomState) -> SharingRound:
    if state.round is None:
        raise Refused("no sharing round is under way", ErrorCode.NO_ROUND)
    return state.round


def tick(state: RoomState, now: int) -> Change:
    """Bring the round (and the floor) up to date with the room and the time ``now``:
    idempotent, so every process may apply it whenever it likes."""
    rec = Recorder(state)
    if state.round is None:
        if state.floor is not None and state.member(state.floor) is None:
            return rec.done(floor.give(state, None, rec))
        return Change(state)
    state = _tidy(state, state.round, rec, now)
    rnd = state.round
    if rnd is not None and rnd.sharer is not None and rnd.ends_at is not None:
        sharer, ends_at = rnd.sharer, rnd.ends_at
        if rnd.warn_ms and not rnd.warned and now >= ends_at - rnd.warn_ms:
            rec.events.append(ShareWarning(rec.next_seq(), rnd.share, sharer, ends_at))
            rnd = replace(rnd, warned=True)
        if not rnd.time_up and now >= ends_at:
            hard = state.controls.round_hard_end
            rec.events.append(ShareTimeUp(rec.next_seq(), rnd.share, sharer, ends_at, hard))
            rnd = replace(rnd, time_up=True)
            if hard:
                return rec.done(_advance(state, _finish(rnd, passed=False), rec, now))
        state = replace(state, round=rnd)
    return rec.done(state) if rec.events else Change(state)


def _tidy(state: RoomState, rnd: SharingRound, rec: Recorder, now: int) -> RoomState:
    # Sets, not scans: a tick looks at every seat of rooms of up to MAX_ROUND people.
    seated = {m.member_id: m for m in state.members}
    queue = tuple(m for m in rnd.queue if m in seated)
    if (
        rnd.order in (RoundOrder.JOINED, RoundOrder.SHUFFLED)
        and state.controls.round_add_late_joiners
    ):
        known = {*rnd.queue, *rnd.shared, *rnd.passed, rnd.sharer}
        joined = sorted(state.members, key=lambda m: m.joined_at)
        queue += tuple(m.member_id for m in joined if m.member_id not in known)
    tidied = replace(rnd, queue=queue)
    if rnd.sharer is not None and rnd.sharer not in seated:
        return _advance(state, _finish(tidied, passed=False), rec, now)
    if rnd.sharer is None and (not queue or any(not seated[m].away for m in queue)):
        return _advance(state, tidied, rec, now)
    return _announce(state, tidied, rec, now) if tidied != rnd else state


def due(state: RoomState, now: int) -> bool:
    """Whether ``tick`` would change anything at ``now``."""
    return tick(state, now).changed


def next_due(state: RoomState) -> int | None:
    """When the current share's next announcement is due (ms), if any is to come."""
    rnd = state.round
    if rnd is None or rnd.ends_at is None or rnd.time_up:
        return None
    if rnd.warn_ms and not rnd.warned:
        return rnd.ends_at - rnd.warn_ms
    return rnd.ends_at


def pass_turn(state: RoomState, sid: str, now: int) -> Change:
    """The sharer ends their share, or someone in line gives up their turn."""
    member = state.seated(sid)
    rnd = _running(state)
    rec = Recorder(state)
    if rnd.sharer == member.member_id:
        return rec.done(_advance(state, _finish(rnd, passed=True), rec, now))
    if member.member_id not in rnd.queue:
        raise Refused("you are not in line in this round", ErrorCode.NOT_IN_ROUND)
    rnd = replace(
        rnd,
        queue=tuple(m for m in rnd.queue if m != member.member_id),
        passed=(*rnd.passed, member.member_id),
    )
    if rnd.sharer is None:
        return rec.done(_advance(state, rnd, rec, now))
    return rec.done(_announce(state, rnd, rec, now))


def skip(state: RoomState, sid: str, now: int) -> Moderated:
    """Move the floor on to the next person (the sharer counts as having shared)."""
    actor = service.acting_as(state, sid, Duty.TIMEKEEPER)
    rnd = _running(state)
    sharer = state.member(rnd.sharer) if rnd.sharer is not None else None
    record = entry(actor, Action.ROUND, now, sharer, detail="skipped")
    rec = Recorder(state)
    return Moderated(rec.done(_advance(state, _finish(rnd, passed=False), rec, now)), record)


def extend(state: RoomState, sid: str, by_ms: int, now: int) -> Moderated:
    """Give the current share ``by_ms`` more; a warning point still ahead is announced
    again when it comes, and so is the new end."""
    actor = service.acting_as(state, sid, Duty.TIMEKEEPER)
    rnd = _running(state)
    if rnd.sharer is None or rnd.ends_at is None:
        raise Refused("nobody is sharing now", ErrorCode.NO_ROUND)
    sharer = state.member(rnd.sharer)
    ends_at = rnd.ends_at + by_ms
    rnd = replace(
        rnd,
        ends_at=ends_at,
        warned=rnd.warned and now >= ends_at - rnd.warn_ms,
        time_up=rnd.time_up and now >= ends_at,
    )
    record = entry(actor, Action.ROUND, now, sharer, detail=f"extended: {by_ms // 1000} s")
    rec = Recorder(state)
    return Moderated(rec.done(_announce(state, rnd, rec, now)), record)


def move(state: RoomState, sid: str, member_id: str, position: int, now: int) -> Moderated:
    """Put ``member_id`` at ``position`` in line (0 is next), adding them if need be."""
    actor = service.acting_as(state, sid, Duty.TIMEKEEPER)
    rnd = _running(state)
    member = state.member(member_id)
    if member is None:
        raise Refused("that person is not in this room", ErrorCode.TARGET_NOT_IN_ROOM)
    if rnd.sharer == member_id:
        raise InvalidPayload("they are sharing now")
    rest = [m for m in rnd.queue if m != member_id]
    rest.insert(min(position, len(rest)), member_id)
    rnd = replace(
        rnd,
        queue=tuple(rest),
        shared=tuple(m for m in rnd.shared if m != member_id),
        passed=tuple(m for m in rnd.passed if m != member_id),
    )
    record = entry(actor, Action.ROUND, now, member, detail=f"moved to place {position + 1}")
    rec = Recorder(state)
    if rnd.sharer is None:
        return Moderated(rec.done(_advance(state, rnd, rec, now)), record)
    return Moderated(rec.done(_announce(state, rnd, rec, now)), record)


def end(state: RoomState, sid: str, now: int) -> Moderated:
    actor = service.acting_as(state, sid, Duty.TIMEKEEPER)
    _running(state)
    record = entry(actor, Action.ROUND, now, detail="ended")
    rec = Recorder(state)
    return Moderated(rec.done(_close(state, rec, now)), record)


def may_speak(state: RoomState, member: Member) -> bool:
    """During a round that allows only the sharer, whether this member may be heard."""
    if state.round is None or not state.controls.round_sharer_only_audio:
        return True
    return member.member_id == state.floor or roles.is_moderator(member)


def check_chat(state: RoomState, member: Member) -> None:
    """Refused while someone shares, if the room's control says chat waits."""
    rnd = state.round
    if rnd is None or rnd.sharer is None or not state.controls.round_pause_chat:
        return
    if not roles.is_moderator(member):
        raise Refused("chat waits while someone shares", ErrorCode.SHARE_IN_PROGRESS)
