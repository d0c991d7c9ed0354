"""Moderation rules as pure functions, with a fixed clock."""

from __future__ import annotations

import ast
from dataclasses import replace
from pathlib import Path

from moderation import admission, bans, controls, floor, handover, messages, mute, pause, roles
from moderation.audit import Action
from moderation.rate_limits import Activity, Limit, allowance, check
from rooms.change import Change
from rooms.errors import ErrorCode
from rooms.events import (
    Admitted,
    Denied,
    FacilitatorPresence,
    LeaveReason,
    MemberLeft,
    MutesChanged,
    Removed,
    Reported,
    RoomPaused,
    RoomResumed,
    UnmuteAsked,
    WaitingPlace,
    WaitingQueue,
)
from rooms.identity import Role
from rooms.room import RoomInfo
from rooms.state import Connection, RoomState
from tests.moderation.circle import NOW, ROOM, circle, enter, person, refused


def test_a_chat_muted_participant_cannot_chat_and_others_see_the_mute() -> None:
    state = circle("Sam")
    done = mute.mute(state, "sid-Fay", "id-Sam", chat=True, audio=False, now=NOW)
    (event,) = done.change.events
    assert isinstance(event, MutesChanged)
    assert event.members[0].chat_muted
    assert done.entry.action == Action.MUTE
    assert done.entry.target_name == "Sam"
    refused(ErrorCode.CHAT_MUTED, messages.post_chat, done.change.state, "sid-Sam", "hi", NOW)
    again = mute.unmute(done.change.state, "sid-Fay", "id-Sam", chat=True, audio=False, now=NOW)
    assert messages.post_chat(again.change.state, "sid-Sam", "hi", NOW).events


def test_unmuting_someone_elses_audio_only_asks_them() -> None:
    state = mute.mute(circle("Sam"), "sid-Fay", "id-Sam", chat=False, audio=True, now=NOW)
    held = state.change.state
    refused(ErrorCode.AUDIO_HELD, mute.unmute_self, held, "sid-Sam")
    asked = mute.unmute(held, "sid-Fay", "id-Sam", chat=False, audio=True, now=NOW).change
    (notice,) = asked.events
    assert notice == UnmuteAsked(("sid-Sam",), by="Fay")
    sam = asked.state.member("id-Sam")
    assert sam is not None
    assert sam.audio_muted  # still muted until Sam decides
    declined = mute.stay_muted(asked.state, "sid-Sam").state
    refused(ErrorCode.AUDIO_HELD, mute.unmute_self, declined, "sid-Sam")
    accepted = mute.unmute_self(asked.state, "sid-Sam").state
    sam = accepted.member("id-Sam")
    assert sam is not None
    assert not sam.audio_muted


def test_mute_everyone_spares_moderators_and_may_allow_self_unmute() -> None:
    state = circle("Sam", "Kim")
    state = roles.promote(state, "sid-Fay", "id-Kim", NOW).change.state
    done = mute.mute_all(
        state, "sid-Fay", chat=True, audio=True, allow_self_unmute=True, now=NOW
    ).change
    flags = {m.display_name: (m.chat_muted, m.audio_muted) for m in done.state.members}
    assert flags == {"Fay": (False, False), "Sam": (True, True), "Kim": (True, True)}
    assert not mute.unmute_self(done.state, "sid-Sam").state.member("id-Sam").audio_muted  # type: ignore[union-attr]
    held = mute.mute_all(state, "sid-Fay", chat=False, audio=True, allow_self_unmute=False, now=NOW)
    refused(ErrorCode.AUDIO_HELD, mute.unmute_self, held.change.state, "sid-Sam")


def test_mute_everyone_follows_the_rooms_self_unmute_setting_unless_told() -> None:
    """Unsaid, "may unmute themselves" is the room's ``allow_self_unmute``: on (the
    default) nobody is held; off, everyone is; said, the facilitator's choice wins."""
    state = circle("Sam")
    free = mute.mute_all(state, "sid-Fay", chat=False, audio=True, now=NOW).change.state
    sam = free.member("id-Sam")
    assert sam is not None
    assert sam.audio_muted
    assert not sam.audio_held
    assert mute.unmute_self(free, "sid-Sam").state.member("id-Sam").audio_muted is False  # type: ignore[union-attr]
    strict = controls.set_controls(state, "sid-Fay", {"allow_self_unmute": False}, NOW)
    held = mute.mute_all(strict.change.state, "sid-Fay", chat=False, audio=True, now=NOW)
    refused(ErrorCode.AUDIO_HELD, mute.unmute_self, held.change.state, "sid-Sam")
    told = mute.mute_all(
        strict.change.state, "sid-Fay", chat=False, audio=True, allow_self_unmute=True, now=NOW
    )
    assert not mute.unmute_self(told.change.state, "sid-Sam").state.member("id-Sam").audio_muted  # type: ignore[union-attr]


def test_ask_everyone_to_unmute_undoes_mute_everyone_in_one_step() -> None:
    """Chat mutes are lifted at once; everyone muted is asked, in one request, and stays
    muted until they accept (a co-facilitator too: Fay outranks Lee); the audit log has
    one line; a participant may not do it."""
    state = circle("Sam", "Kim", "Lee")
    state = roles.promote(state, "sid-Fay", "id-Lee", NOW).change.state
    muted = mute.mute_all(
        state, "sid-Fay", chat=True, audio=True, allow_self_unmute=False, now=NOW
    ).change.state
    done = mute.unmute_all(muted, "sid-Fay", chat=True, audio=True, now=NOW)
    assert done.entry.action == Action.UNMUTE_ALL
    asked = [e for e in done.change.events if isinstance(e, UnmuteAsked)]
    assert asked == [UnmuteAsked(("sid-Sam", "sid-Kim", "sid-Lee"), by="Fay")]
    for name in ("Sam", "Kim"):
        member = done.change.state.member(f"id-{name}")
        assert member is not None
        assert (member.chat_muted, member.audio_muted, member.unmute_asked) == (False, True, True)
    assert messages.post_chat(done.change.state, "sid-Sam", "hello again", NOW).events
    accepted = mute.unmute_self(done.change.state, "sid-Kim").state.member("id-Kim")
    assert accepted is not None
    assert not accepted.audio_muted
    declined = mute.stay_muted(done.change.state, "sid-Sam").state
    refused(ErrorCode.AUDIO_HELD, mute.unmute_self, declined, "sid-Sam")
    refused(
        ErrorCode.NOT_A_FACILITATOR,
        lambda: mute.unmute_all(muted, "sid-Sam", chat=True, audio=True, now=NOW),
    )


def test_mute_on_join_starts_newcomers_muted() -> None:
    state = circle()
    state = controls.set_controls(state, "sid-Fay", {"mute_on_join": True}, NOW).change.state
    state = enter(state, "Sam")
    sam = state.member("id-Sam")
    assert sam is not None
    assert sam.audio_muted
    assert not sam.audio_held  # allow_self_unmute defaults on


def test_pause_freezes_participants_and_resume_restores_prior_mutes() -> None:
    state = circle("Sam", "Kim")
    state = mute.mute(state, "sid-Fay", "id-Sam", chat=True, audio=True, now=NOW).change.state
    before = state
    paused = pause.pause(state, "sid-Fay", NOW).change
    assert isinstance(paused.events[0], RoomPaused)
    refused(ErrorCode.ROOM_PAUSED, messages.post_chat, paused.state, "sid-Kim", "hi", NOW)
    refused(ErrorCode.ROOM_PAUSED, floor.raise_hand, paused.state, "sid-Kim")
    kim = paused.state.member("id-Kim")
    assert kim is not None
    assert not pause.audible(paused.state, kim)
    assert messages.post_chat(paused.state, "sid-Fay", "a moment, please", NOW).events
    resumed = pause.resume(paused.state, "sid-Fay", NOW).change
    assert isinstance(resumed.events[0], RoomResumed)
    assert resumed.state.members == before.members
    refused(ErrorCode.CHAT_MUTED, messages.post_chat, resumed.state, "sid-Sam", "hi", NOW)
    assert messages.post_chat(resumed.state, "sid-Kim", "hi", NOW).events


def test_participants_cannot_moderate_and_refusals_change_nothing() -> None:
    state = circle("Sam", "Kim")
    attempts = [
        lambda: mute.mute(state, "sid-Sam", "id-Kim", chat=True, audio=True, now=NOW),
        lambda: mute.mute_all(
            state, "sid-Sam", chat=True, audio=True, allow_self_unmute=1, now=NOW
        ),
        lambda: pause.pause(state, "sid-Sam", NOW),
        lambda: bans.remove(state, "sid-Sam", "id-Kim", NOW),
        lambda: bans.ban(state, ROOM, "sid-Sam", "id-Kim", bans.BanScope.ROOM, NOW),
        lambda: roles.promote(state, "sid-Sam", "id-Sam", NOW),
        lambda: controls.set_controls(state, "sid-Sam", {"locked": True}, NOW),
        lambda: admission.admit(state, ROOM, "sid-Sam", None, NOW),
        lambda: messages.delete_message(state, "sid-Sam", 1, NOW),
    ]
    for attempt in attempts:
        refused(ErrorCode.NOT_A_FACILITATOR, attempt)
    refused(ErrorCode.NOT_IN_ROOM, pause.pause, state, "sid-nobody", NOW)


def test_targets_must_be_in_the_room_and_outranked() -> None:
    state = circle("Sam")
    state = enter(state, "Flo", Role.FACILITATOR)
    refused(ErrorCode.TARGET_NOT_IN_ROOM, bans.remove, state, "sid-Fay", "id-elsewhere", NOW)
    refused(ErrorCode.TARGET_PROTECTED, bans.remove, state, "sid-Fay", "id-Flo", NOW)
    state = roles.promote(state, "sid-Fay", "id-Sam", NOW).change.state
    refused(ErrorCode.TARGET_PROTECTED, roles.promote, state, "sid-Fay", "id-Flo", NOW)
    # a co-facilitator moderates participants but cannot promote
    state = enter(state, "Kim")
    assert bans.remove(state, "sid-Sam", "id-Kim", NOW).change.events
    refused(ErrorCode.NOT_A_FACILITATOR, roles.promote, state, "sid-Sam", "id-Kim", NOW)


def test_remove_tells_the_person_and_frees_their_seat_and_hand() -> None:
    state = floor.raise_hand(circle("Sam"), "sid-Sam").state
    done = bans.remove(state, "sid-Fay", "id-Sam", NOW, reason="shouting")
    removed, left, _hands = done.change.events
    assert removed == Removed(("sid-Sam",), LeaveReason.REMOVED)
    assert isinstance(left, MemberLeft)
    assert done.change.state.hands == ()
    assert done.entry.reason == "shouting"
    assert enter(done.change.state, "Sam").member("id-Sam") is not None  # not banned


def test_ban_refuses_the_identity_on_rejoin() -> None:
    done = bans.ban(circle("Sam"), ROOM, "sid-Fay", "id-Sam", bans.BanScope.SERIES, NOW)
    assert done.keeps is not None
    assert done.keeps.where == "tuesdays"
    assert done.keeps.key == "series:tuesdays"
    assert done.change.events[0] == Removed(("sid-Sam",), LeaveReason.BANNED)
    state = done.change.state
    refused(ErrorCode.BANNED, enter, state, "Sam")
    refused(ErrorCode.BANNED, enter, circle(), "Sam", banned_elsewhere=True)
    unbanned = bans.unban(state, "sid-Fay", done.keeps, NOW)
    assert unbanned.lifts == done.keeps
    lifted = unbanned.change
    assert lifted.changed
    assert enter(lifted.state, "Sam").member("id-Sam") is not None
    lone = RoomInfo("lone", "No series")
    refused(
        ErrorCode.INVALID_PAYLOAD,
        bans.ban,
        circle("Sam"),
        lone,
        "sid-Fay",
        "id-Sam",
        bans.BanScope.SERIES,
        NOW,
    )
    assert bans.ban_keys(ROOM) == ["room:circle", "series:tuesdays"]


def test_lock_refuses_new_joins_but_not_facilitators() -> None:
    state = controls.set_controls(circle(), "sid-Fay", {"locked": True}, NOW).change.state
    refused(ErrorCode.ROOM_LOCKED, enter, state, "Sam")
    assert enter(state, "Flo", Role.FACILITATOR).member("id-Flo") is not None


def test_waiting_room_queues_in_order_and_admits_or_denies() -> None:
    state = controls.set_controls(circle(), "sid-Fay", {"waiting_room": True}, NOW).change.state
    change = admission.join(
        state, ROOM, person("Sam"), "id-Sam", Connection("p", "sid-Sam"), NOW
    ).change
    assert change.state.member("id-Sam") is None
    queue, place = change.events
    assert isinstance(queue, WaitingQueue)
    assert queue.audience == ("sid-Fay",)
    assert [w.display_name for w in queue.waiting] == ["Sam"]
    assert place == WaitingPlace(("sid-Sam",), 1, 1)
    state = enter(enter(change.state, "Kim"), "Lee")
    assert admission.position(state, "sid-Lee") == (3, 3)
    admitted = admission.admit(state, ROOM, "sid-Fay", "id-Kim", NOW).change
    assert admitted.state.member("id-Kim") is not None
    assert Admitted(("sid-Kim",)) in admitted.events
    assert WaitingPlace(("sid-Lee",), 2, 2) in admitted.events
    denied = admission.deny(admitted.state, "sid-Fay", "id-Sam", NOW).change
    assert Denied(("sid-Sam",)) in denied.events
    assert [w.display_name for w in denied.state.waiting] == ["Lee"]
    everyone = admission.admit(denied.state, ROOM, "sid-Fay", None, NOW).change
    assert everyone.state.waiting == ()
    assert everyone.state.member("id-Lee") is not None
    refused(ErrorCode.NOT_WAITING, admission.deny, everyone.state, "sid-Fay", "id-Lee", NOW)
    gone = admission.leave(denied.state, "sid-Lee", LeaveReason.LEFT, NOW)
    assert gone.state.waiting == ()


def test_wait_for_a_facilitator_holds_joins_while_none_is_present() -> None:
    state = RoomState("circle", controls=controls.RoomControls(wait_for_facilitator=True))
    state = enter(state, "Sam")
    assert state.member("id-Sam") is None
    assert admission.position(state, "sid-Sam") == (1, 1)
    state = enter(state, "Fay", Role.FACILITATOR)
    assert state.member("id-Fay") is not None
    assert state.member("id-Sam") is not None  # let in as the facilitator arrived
    assert state.waiting == ()
    assert enter(state, "Kim").member("id-Kim") is not None  # a facilitator is present now


def test_with_the_waiting_room_on_a_facilitator_arriving_still_decides() -> None:
    held = controls.RoomControls(wait_for_facilitator=True, waiting_room=True)
    state = enter(RoomState("circle", controls=held), "Sam")
    state = enter(state, "Fay", Role.FACILITATOR)
    assert state.member("id-Sam") is None
    assert admission.position(state, "sid-Sam") == (1, 1)


def test_a_new_co_facilitator_sees_the_waiting_queue() -> None:
    state = circle("Kim")
    state = controls.set_controls(state, "sid-Fay", {"waiting_room": True}, NOW).change.state
    state = enter(state, "Sam")
    promoted = roles.promote(state, "sid-Fay", "id-Kim", NOW).change
    assert WaitingQueue(("sid-Kim",), state.waiting) in promoted.events


def test_last_facilitator_leaving_hands_over_to_a_co_facilitator() -> None:
    state = roles.promote(circle("Sam", "Kim"), "sid-Fay", "id-Sam", NOW).change.state
    gone = admission.leave(state, "sid-Fay", LeaveReason.LEFT, NOW + 5)
    presence = gone.events[-1]
    assert presence == FacilitatorPresence(gone.state.seq, present=False, covering=("id-Sam",))
    assert gone.state.unattended_since == NOW + 5
    assert not gone.state.paused
    assert bans.remove(gone.state, "sid-Sam", "id-Kim", NOW).change.events


def test_the_last_covering_co_facilitator_leaving_may_pause_the_room() -> None:
    state = controls.set_controls(
        circle("Sam", "Kim"), "sid-Fay", {"pause_when_unattended": True}, NOW
    ).change.state
    state = roles.promote(state, "sid-Fay", "id-Sam", NOW).change.state
    covered = admission.leave(state, "sid-Fay", LeaveReason.LEFT, NOW).state
    assert not covered.paused
    alone = admission.leave(covered, "sid-Sam", LeaveReason.LEFT, NOW + 9)
    assert FacilitatorPresence(alone.state.seq - 1, present=False, covering=()) in alone.events
    assert alone.state.paused
    assert alone.state.unattended_since == NOW  # since the last facilitator left
    quiet = admission.leave(alone.state, "sid-Kim", LeaveReason.LEFT, NOW)
    assert not any(isinstance(e, FacilitatorPresence) for e in quiet.events)


def test_unattended_room_may_pause_until_a_facilitator_is_back() -> None:
    state = controls.set_controls(
        circle("Sam"), "sid-Fay", {"pause_when_unattended": True}, NOW
    ).change.state
    gone = admission.leave(state, "sid-Fay", LeaveReason.LEFT, NOW)
    assert gone.state.paused
    assert gone.state.paused_automatically
    refused(ErrorCode.ROOM_PAUSED, messages.post_chat, gone.state, "sid-Sam", "hello?", NOW)
    back = enter(gone.state, "Fay", Role.FACILITATOR)
    assert not back.paused
    assert back.unattended_since is None


def test_without_the_setting_an_unattended_room_continues() -> None:
    state = circle("Sam")
    gone = admission.leave(state, "sid-Fay", LeaveReason.LEFT, NOW)
    assert not gone.state.paused
    assert messages.post_chat(gone.state, "sid-Sam", "still here", NOW).events
    back = handover.arrive(
        admission.join(
            gone.state, ROOM, person("Fay", Role.FACILITATOR), "id-Fay", Connection("p", "x"), NOW
        ).change
    )
    assert FacilitatorPresence(back.state.seq, present=True) in back.events


def test_reports_go_to_moderators_only() -> None:
    state = messages.post_chat(circle("Sam", "Kim"), "sid-Sam", "something hurtful", NOW).state
    message_id = state.chat[-1].message_id
    change = messages.report(
        state, "sid-Kim", message_id=message_id, member_id=None, reason="unkind", now=NOW
    )
    (notice,) = change.events
    assert isinstance(notice, Reported)
    assert notice.audience == ("sid-Fay",)
    assert (notice.member_name, notice.reason, notice.reporter_name) == ("Sam", "unkind", "Kim")
    assert change.state == state  # nothing about a report enters the room's shared state
    refused(
        ErrorCode.TARGET_NOT_IN_ROOM,
        messages.report,
        state,
        "sid-Kim",
        message_id=None,
        member_id="nobody",
        reason="",
        now=NOW,
    )


def test_a_report_never_goes_back_to_the_moderator_who_made_it() -> None:
    """A facilitator who reports reaches the other moderators, not themself; alone, nobody."""
    state = enter(circle("Sam"), "Gus", Role.FACILITATOR)
    state = messages.post_chat(state, "sid-Sam", "something hurtful", NOW).state
    message_id = state.chat[-1].message_id
    change = messages.report(
        state, "sid-Gus", message_id=message_id, member_id=None, reason="", now=NOW
    )
    (notice,) = change.events
    assert isinstance(notice, Reported)
    assert notice.audience == ("sid-Fay",)
    alone = messages.report(
        circle("Sam"), "sid-Fay", message_id=None, member_id="id-Sam", reason="", now=NOW
    )
    assert alone.events == ()


def test_admitting_from_the_waiting_room_respects_the_rooms_capacity() -> None:
    """Capacity 4: Fay and Sam are in, Kim, Lee and Ann wait. Two fit; a third is refused,
    and admitting everyone lets in only as many as fit, the rest keeping their places."""
    state = controls.set_controls(circle("Sam"), "sid-Fay", {"waiting_room": True}, NOW)
    waiting = state.change.state
    for name in ("Kim", "Lee", "Ann"):
        waiting = enter(waiting, name)
    assert [w.display_name for w in waiting.waiting] == ["Kim", "Lee", "Ann"]

    everyone = admission.admit(waiting, ROOM, "sid-Fay", None, NOW).change
    assert [m.display_name for m in everyone.state.members] == ["Fay", "Sam", "Kim", "Lee"]
    assert [w.display_name for w in everyone.state.waiting] == ["Ann"]
    refused(ErrorCode.ROOM_FULL, admission.admit, everyone.state, ROOM, "sid-Fay", "id-Ann", NOW)

    one_by_one = admission.admit(waiting, ROOM, "sid-Fay", "id-Kim", NOW).change.state
    one_by_one = admission.admit(one_by_one, ROOM, "sid-Fay", "id-Ann", NOW).change.state
    assert len(one_by_one.members) == ROOM.capacity
    refused(ErrorCode.ROOM_FULL, admission.admit, one_by_one, ROOM, "sid-Fay", "id-Lee", NOW)


def test_deleting_a_message_removes_it_for_everyone_and_audits_no_text() -> None:
    state = messages.post_chat(circle("Sam"), "sid-Sam", "secret words", NOW).state
    message_id = state.chat[-1].message_id
    done = messages.delete_message(state, "sid-Fay", message_id, NOW)
    assert done.change.state.chat == ()
    assert "secret" not in repr(done.entry)
    assert done.entry.target_name == "Sam"
    refused(ErrorCode.MESSAGE_NOT_FOUND, messages.delete_message, state, "sid-Fay", 999, NOW)


def test_rate_limit_counts_per_fixed_window() -> None:
    limit = Limit(count=2, window_ms=10_000)
    mine = allowance("circle", "id-Sam", Activity.CHAT, limit)
    assert (mine.count, mine.window_ms, mine.sliding) == (2, 10_000, False)
    assert mine.window_key(NOW) != mine.window_key(NOW + 10_000)
    assert mine != allowance("circle", "id-Kim", Activity.CHAT, limit)
    check(2, limit, Activity.CHAT)
    refused(ErrorCode.RATE_LIMITED, check, 3, limit, Activity.CHAT)


def test_no_op_moderation_changes_nothing() -> None:
    state = circle("Sam")
    assert pause.resume(state, "sid-Fay", NOW).change == Change(state)


def test_domain_imports_no_transport() -> None:
    banned = {"aiohttp", "socketio", "redis", "aiortc", "msgpack", "server"}
    root = Path(__file__).resolve().parents[2]
    for package in ("rooms", "moderation"):
        for path in (root / package).glob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                names = []
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module:
                    names = [node.module]
                assert not {n.split(".")[0] for n in names} & banned, path


def test_who_moderates_and_whether_a_facilitator_is_here_follow_the_ranks() -> None:
    """``is_moderator`` and ``facilitator_present`` skip ranking each seat; for every role,
    co-facilitator or not, they say what ``rank`` says."""
    for role in Role:
        for co in (False, True):
            seat = enter(RoomState(ROOM.room_id), "Ana", role).members[0]
            seat = replace(seat, co_facilitator=co)
            state = RoomState(ROOM.room_id, members=(seat,))
            assert roles.is_moderator(seat) == (roles.rank(seat) >= roles.Rank.CO_FACILITATOR)
            present = roles.rank(seat) >= roles.Rank.FACILITATOR
            assert roles.facilitator_present(state) == present
