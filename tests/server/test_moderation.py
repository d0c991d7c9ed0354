"""Facilitator moderation through real Socket.IO clients, on the embedded store and on a
real Redis (the ``hub`` fixture runs every test on both)."""

from __future__ import annotations

from typing import Any

import pytest

from rooms.identity import Role
from rooms.room import RoomInfo
from tests.conftest import OPEN
from tests.support import (
    PARTICIPANT_ATTEMPTS,
    RunningHub,
    after_everything_sent,
    gone,
    running_app,
    seat,
    settings,
    token,
)


async def test_muted_chat_is_refused_and_everyone_sees_the_mute(
    hub: RunningHub, clients: Any
) -> None:
    fay, _ = await seat(hub, clients, "Fay", Role.FACILITATOR)
    sam, sam_id = await seat(hub, clients, "Sam")
    ack = await fay.call("moderation:mute", {"target": sam_id, "chat": True, "reason": "spam"})
    assert ack["ok"], ack
    seen = await sam.wait_for("participant:mutes")
    mutes = {"chat_muted": True, "audio_muted": False, "audio_held": False}
    assert seen["participants"] == [{"id": sam_id, **mutes}]
    refused = await sam.call("chat:send", {"text": "hello?"})
    assert refused["error"]["code"] == "chat_muted"
    assert not fay.events("chat:message")
    assert (await fay.call("moderation:unmute", {"target": sam_id, "chat": True}))["ok"]
    assert (await sam.call("chat:send", {"text": "sorry"}))["ok"]


async def test_unmuting_audio_asks_the_participant_who_decides(
    hub: RunningHub, clients: Any
) -> None:
    fay, _ = await seat(hub, clients, "Fay", Role.FACILITATOR)
    sam, sam_id = await seat(hub, clients, "Sam")
    kim, _ = await seat(hub, clients, "Kim")
    await fay.call("moderation:mute", {"target": sam_id, "audio": True})
    assert (await sam.call("audio:unmute"))["error"]["code"] == "audio_held"
    await fay.call("moderation:unmute", {"target": sam_id, "audio": True})
    asked = await sam.wait_for("audio:unmute-requested")
    assert asked["by"] == "Fay"
    snap = (await sam.call("room:snapshot"))["snapshot"]
    assert next(p for p in snap["participants"] if p["id"] == sam_id)["audio_muted"] is True
    accepted = await sam.call("audio:unmute")
    assert accepted["audio_muted"] is False
    await kim.wait_for("participant:mutes", lambda d: d["participants"][0]["audio_muted"] is False)
    assert not kim.events("audio:unmute-requested")


async def test_mute_everyone_with_self_unmute_allowed(hub: RunningHub, clients: Any) -> None:
    fay, _ = await seat(hub, clients, "Fay", Role.FACILITATOR)
    sam, sam_id = await seat(hub, clients, "Sam")
    ack = await fay.call("moderation:mute-all", {"audio": True, "allow_self_unmute": True})
    assert ack["ok"]
    mutes = await sam.wait_for("participant:mutes")
    # Muted, but not held: each person may unmute themselves.
    muted = {"chat_muted": False, "audio_muted": True, "audio_held": False}
    assert mutes["participants"] == [{"id": sam_id, **muted}]
    assert (await sam.call("audio:unmute"))["audio_muted"] is False


async def test_mute_everyone_follows_the_rooms_setting_and_ask_everyone_undoes_it(
    hub: RunningHub, clients: Any
) -> None:
    """With "People may unmute themselves" off, mute everyone without saying holds
    everyone; "Ask everyone to unmute" lifts the chat mutes and asks each person, who
    decides; Fay herself is neither muted nor asked."""
    fay, _ = await seat(hub, clients, "Fay", Role.FACILITATOR)
    sam, sam_id = await seat(hub, clients, "Sam")
    kim, kim_id = await seat(hub, clients, "Kim")
    assert (await fay.call("moderation:controls", {"allow_self_unmute": False}))["ok"]
    ack = await fay.call("moderation:mute-all", {"chat": True, "audio": True})
    assert ack["ok"], ack
    mutes = await sam.wait_for("participant:mutes")
    held = {"chat_muted": True, "audio_muted": True, "audio_held": True}
    assert sorted(mutes["participants"], key=lambda p: p["id"]) == sorted(
        [{"id": sam_id, **held}, {"id": kim_id, **held}], key=lambda p: p["id"]
    )
    assert (await sam.call("audio:unmute"))["error"]["code"] == "audio_held"

    undone = await fay.call("moderation:unmute-all", {"chat": True, "audio": True})
    assert undone["ok"], undone
    assert (await sam.wait_for("audio:unmute-requested"))["by"] == "Fay"
    assert (await kim.wait_for("audio:unmute-requested"))["by"] == "Fay"
    assert (await sam.call("chat:send", {"text": "back"}))["ok"]
    assert (await sam.call("audio:unmute"))["audio_muted"] is False
    assert (await kim.call("audio:stay-muted"))["audio_muted"] is True
    snap = (await fay.call("room:snapshot"))["snapshot"]["participants"]
    flags = {p["id"]: (p["chat_muted"], p["audio_muted"]) for p in snap}
    assert flags[sam_id] == (False, False)
    assert flags[kim_id] == (False, True)
    assert not fay.events("audio:unmute-requested")
    assert (await sam.call("moderation:unmute-all", {}))["error"]["code"] == "not_a_facilitator"
    entries = (await fay.call("moderation:audit", {}))["entries"]
    assert [e["action"] for e in entries[:2]] == ["unmute_all", "mute_all"]


async def test_pause_then_resume_restores_prior_mutes(hub: RunningHub, clients: Any) -> None:
    fay, _ = await seat(hub, clients, "Fay", Role.FACILITATOR)
    sam, sam_id = await seat(hub, clients, "Sam")
    kim, _ = await seat(hub, clients, "Kim")
    await fay.call("moderation:mute", {"target": sam_id, "chat": True, "audio": True})
    before = (await kim.call("room:snapshot"))["snapshot"]["participants"]
    assert (await fay.call("moderation:pause"))["ok"]
    await kim.wait_for("room:paused")
    assert (await kim.call("chat:send", {"text": "hi"}))["error"]["code"] == "room_paused"
    assert (await kim.call("hand:raise"))["error"]["code"] == "room_paused"
    assert (await kim.call("room:snapshot"))["snapshot"]["paused"] is True
    assert (await fay.call("chat:send", {"text": "let's take a breath"}))["ok"]
    assert (await fay.call("moderation:resume"))["ok"]
    await sam.wait_for("room:resumed")
    after = (await kim.call("room:snapshot"))["snapshot"]
    assert after["paused"] is False
    assert after["participants"] == before
    assert (await sam.call("chat:send", {"text": "x"}))["error"]["code"] == "chat_muted"
    assert (await kim.call("chat:send", {"text": "thanks"}))["ok"]


async def test_remove_takes_someone_out_now(hub: RunningHub, clients: Any) -> None:
    fay, _ = await seat(hub, clients, "Fay", Role.FACILITATOR)
    sam, sam_id = await seat(hub, clients, "Sam")
    assert (await fay.call("moderation:remove", {"target": sam_id}))["ok"]
    notice = await sam.wait_for("moderation:removed")
    assert notice["reason"] == "removed"
    await gone(sam)
    left = await fay.wait_for("participant:left")
    assert left["reason"] == "removed"
    back = await clients(hub.url, {"token": token("Sam")})
    assert (await back.call("room:join", {"room": "open"}))["ok"]  # removal is not a ban


async def test_ban_refuses_the_identity_until_unbanned(hub: RunningHub, clients: Any) -> None:
    fay, _ = await seat(hub, clients, "Fay", Role.FACILITATOR)
    sam, sam_id = await seat(hub, clients, "Sam")
    ack = await fay.call("moderation:ban", {"target": sam_id, "reason": "threats"})
    assert ack["ok"], ack
    assert (await sam.wait_for("moderation:removed"))["reason"] == "banned"
    await gone(sam)
    again = await clients(hub.url, {"token": token("Sam")})
    assert (await again.call("room:join", {"room": "open"}))["error"]["code"] == "banned"
    listed = (await fay.call("moderation:bans"))["bans"]
    assert [(b["id"], b["name"], b["scope"]) for b in listed] == [(sam_id, "Sam", "room")]
    assert "subject" not in listed[0]
    assert (await fay.call("moderation:unban", {"ban": sam_id}))["ok"]
    assert (await again.call("room:join", {"room": "open"}))["ok"]


async def test_a_series_ban_holds_in_every_room_of_the_series(
    hub: RunningHub, clients: Any
) -> None:
    for week in (1, 2):
        await hub.store.open_room(RoomInfo(f"week-{week}", f"Week {week}", series_id="tuesdays"))
    await hub.store.open_room(RoomInfo("other", "Another group"))
    fay, _ = await seat(hub, clients, "Fay", Role.FACILITATOR, room="week-1")
    _, sam_id = await seat(hub, clients, "Sam", room="week-1")
    ack = await fay.call("moderation:ban", {"target": sam_id, "scope": "series"})
    assert ack["ban"]["scope"] == "series"
    sam = await clients(hub.url, {"token": token("Sam")})
    for room in ("week-1", "week-2"):
        assert (await sam.call("room:join", {"room": room}))["error"]["code"] == "banned"
    assert (await sam.call("room:join", {"room": "other"}))["ok"]
    await sam.call("room:leave")
    facilitator_next_week, _ = await seat(hub, clients, "Flo", Role.FACILITATOR, room="week-2")
    listed = (await facilitator_next_week.call("moderation:bans"))["bans"]
    assert [b["name"] for b in listed] == ["Sam"]
    assert (await facilitator_next_week.call("moderation:unban", {"ban": listed[0]["id"]}))["ok"]
    assert (await sam.call("room:join", {"room": "week-2"}))["ok"]


async def test_a_banned_guest_is_disconnected(hub: RunningHub, clients: Any) -> None:
    fay, _ = await seat(hub, clients, "Fay", Role.FACILITATOR)
    river = await clients(hub.url, {"name": "River"})
    river_id = (await river.join("open"))["you"]
    assert (await fay.call("moderation:ban", {"target": river_id}))["ok"]
    await gone(river)
    snap = (await fay.call("room:snapshot"))["snapshot"]
    assert [p["name"] for p in snap["participants"]] == ["Fay"]


async def test_lock_and_waiting_room(hub: RunningHub, clients: Any) -> None:
    fay, _ = await seat(hub, clients, "Fay", Role.FACILITATOR)
    assert (await fay.call("moderation:controls", {"locked": True}))["ok"]
    late = await clients(hub.url, {"token": token("Late")})
    assert (await late.call("room:join", {"room": "open"}))["error"]["code"] == "room_locked"
    ack = await fay.call("moderation:controls", {"locked": False, "waiting_room": True})
    assert ack["controls"]["waiting_room"] is True
    ann = await clients(hub.url, {"token": token("Ann")})
    bo = await clients(hub.url, {"name": "Bo"})
    first = await ann.call("room:join", {"room": "open"})
    assert first["waiting"] == {"room": "open", "position": 1, "of": 1}
    assert "snapshot" not in first
    second = await bo.call("room:join", {"room": "open"})
    assert second["waiting"]["position"] == 2
    queue = await fay.wait_for("waiting:queue", lambda d: len(d["waiting"]) == 2)
    assert [w["name"] for w in queue["waiting"]] == ["Ann", "Bo"]
    await ann.wait_for("waiting:position", lambda d: d["of"] == 2)
    assert (await ann.call("chat:send", {"text": "hi"}))["error"]["code"] == "not_in_room"
    await fay.call("chat:send", {"text": "only for people inside"})
    assert (await fay.call("moderation:admit", {"target": first["you"]}))["ok"]
    await ann.wait_for("waiting:admitted")
    snap = (await ann.join("open"))["snapshot"]
    assert {p["name"] for p in snap["participants"]} == {"Fay", "Ann"}
    await bo.wait_for("waiting:position", lambda d: d == {"room": "open", "position": 1, "of": 1})
    assert (await fay.call("moderation:deny", {"all": True}))["ok"]
    await bo.wait_for("waiting:denied")
    assert not ann.events("chat:message")  # Fay chatted while Ann was waiting
    assert not bo.events("chat:message")
    assert (await fay.call("moderation:admit", {"all": True}))["ok"]  # nobody left: harmless


async def test_wait_for_a_facilitator_lets_people_in_when_one_arrives(
    hub: RunningHub, clients: Any
) -> None:
    fay, _ = await seat(hub, clients, "Fay", Role.FACILITATOR)
    await fay.call("moderation:controls", {"wait_for_facilitator": True})
    await fay.call("room:leave")
    sam = await clients(hub.url, {"token": token("Sam")})
    assert (await sam.call("room:join", {"room": "open"}))["waiting"]["position"] == 1
    ack = await fay.join("open")
    assert ack["moderation"]["waiting"] == []
    await sam.wait_for("waiting:admitted")
    snap = (await sam.join("open"))["snapshot"]
    assert {p["name"] for p in snap["participants"]} == {"Fay", "Sam"}


async def test_reports_reach_only_facilitators(hub: RunningHub, clients: Any) -> None:
    fay, _ = await seat(hub, clients, "Fay", Role.FACILITATOR)
    sam, sam_id = await seat(hub, clients, "Sam")
    kim, _ = await seat(hub, clients, "Kim")
    message = (await sam.call("chat:send", {"text": "something hurtful"}))["message"]
    ack = await kim.call("report:send", {"message": message["id"], "reason": "unkind"})
    assert ack == {"ok": True, "delivered": 1}
    report = await fay.wait_for("report:received")
    assert report["from"]["name"] == "Kim"
    assert report["participant"] == {"id": sam_id, "name": "Sam"}
    assert report["reason"] == "unkind"
    await after_everything_sent(kim, sam, kim)
    assert not sam.events("report:received")
    assert not kim.events("report:received")


async def test_facilitator_deletes_a_message_for_everyone(hub: RunningHub, clients: Any) -> None:
    fay, _ = await seat(hub, clients, "Fay", Role.FACILITATOR)
    sam, _ = await seat(hub, clients, "Sam")
    message = (await sam.call("chat:send", {"text": "my phone number is ..."}))["message"]
    ack = await fay.call("moderation:delete-message", {"message": message["id"]})
    assert ack["ok"]
    deleted = await sam.wait_for("chat:deleted")
    assert deleted["message"] == message["id"]
    assert (await sam.call("room:snapshot"))["snapshot"]["chat"] == []


async def test_audit_log_records_actions_without_text(hub: RunningHub, clients: Any) -> None:
    fay, _ = await seat(hub, clients, "Fay", Role.FACILITATOR)
    sam, sam_id = await seat(hub, clients, "Sam")
    message = (await sam.call("chat:send", {"text": "words to forget"}))["message"]
    await fay.call("moderation:mute", {"target": sam_id, "chat": True, "reason": "flooding"})
    await fay.call("moderation:delete-message", {"message": message["id"]})
    await fay.call("moderation:pause")
    ack = await fay.call("moderation:audit", {"limit": 10})
    actions = [(e["action"], e["actor"]["name"]) for e in ack["entries"]]
    assert actions == [("pause", "Fay"), ("delete_message", "Fay"), ("mute", "Fay")]
    mute_entry = ack["entries"][2]
    assert mute_entry["target"] == {"id": sam_id, "name": "Sam"}
    assert mute_entry["reason"] == "flooding"
    assert "words to forget" not in repr(ack)
    assert (await sam.call("moderation:audit"))["error"]["code"] == "not_a_facilitator"


async def test_last_facilitator_leaving_hands_over(hub: RunningHub, clients: Any) -> None:
    fay, _ = await seat(hub, clients, "Fay", Role.FACILITATOR)
    sam, sam_id = await seat(hub, clients, "Sam")
    kim, kim_id = await seat(hub, clients, "Kim")
    assert (await fay.call("moderation:promote", {"target": sam_id}))["ok"]
    role = await kim.wait_for("participant:role")
    assert role["participant"] == {"id": sam_id, "co_facilitator": True}
    assert (await fay.call("room:leave"))["ok"]
    presence = await kim.wait_for("room:facilitators")
    assert presence["present"] is False
    assert presence["covering"] == [sam_id]
    assert (await sam.call("moderation:mute", {"target": kim_id, "chat": True}))["ok"]
    assert (await sam.call("moderation:promote", {"target": kim_id}))["error"][
        "code"
    ] == "not_a_facilitator"
    back = await clients(hub.url, {"token": token("Fay", Role.FACILITATOR)})
    ack = await back.join("open")
    assert ack["moderation"]["unattended_since"] is not None
    await kim.wait_for("room:facilitators", lambda d: d["present"] is True)


async def test_unattended_room_pauses_when_set_to(hub: RunningHub, clients: Any) -> None:
    fay, _ = await seat(hub, clients, "Fay", Role.FACILITATOR)
    sam, _ = await seat(hub, clients, "Sam")
    await fay.call("moderation:controls", {"pause_when_unattended": True})
    assert (await fay.call("room:leave"))["ok"]
    paused = await sam.wait_for("room:paused")
    assert paused["automatically"] is True
    assert (await sam.call("chat:send", {"text": "hello?"}))["error"]["code"] == "room_paused"
    await seat(hub, clients, "Fay", Role.FACILITATOR)
    await sam.wait_for("room:resumed")
    assert (await sam.call("chat:send", {"text": "welcome back"}))["ok"]


@pytest.mark.parametrize(("event", "payload"), PARTICIPANT_ATTEMPTS)
async def test_a_participant_cannot_moderate(
    hub: RunningHub, clients: Any, event: str, payload: Any
) -> None:
    await seat(hub, clients, "Fay", Role.FACILITATOR)
    sam, _ = await seat(hub, clients, "Sam")
    kim, kim_id = await seat(hub, clients, "Kim")
    await sam.call("chat:send", {"text": "first"})
    before = (await kim.call("room:snapshot"))["snapshot"]
    if isinstance(payload, dict) and "target" in payload:
        payload = {**payload, "target": kim_id}
    if isinstance(payload, dict) and "ban" in payload:
        payload = {**payload, "ban": kim_id}
    ack = await sam.call(event, payload)
    assert ack["ok"] is False
    assert ack["error"]["code"] == "not_a_facilitator"
    assert (await kim.call("room:snapshot"))["snapshot"] == before


@pytest.mark.parametrize(
    ("event", "payload", "code"),
    [
        ("moderation:mute", {"target": "nobody-here", "chat": True}, "target_not_in_room"),
        ("moderation:remove", {"target": "nobody-here"}, "target_not_in_room"),
        ("moderation:remove", {"target": "FLO"}, "target_protected"),
        ("moderation:ban", {"target": "SAM", "scope": "series"}, "invalid_payload"),
        ("moderation:ban", {"target": "SAM", "scope": "planet"}, "invalid_payload"),
        ("moderation:mute", {"target": "SAM"}, "invalid_payload"),
        ("moderation:admit", {"target": "nobody-here"}, "not_waiting"),
        ("moderation:admit", {}, "invalid_payload"),
        ("moderation:delete-message", {"message": 999}, "message_not_found"),
        ("moderation:unban", {"ban": "nobody"}, "ban_not_found"),
        ("moderation:controls", {"volume": True}, "invalid_payload"),
        ("moderation:pause", {"reason": "x" * 201}, "invalid_payload"),
    ],
)
async def test_bad_moderation_is_refused_and_changes_nothing(
    hub: RunningHub, clients: Any, event: str, payload: Any, code: str
) -> None:
    fay, _ = await seat(hub, clients, "Fay", Role.FACILITATOR)
    _, flo_id = await seat(hub, clients, "Flo", Role.FACILITATOR)
    _, sam_id = await seat(hub, clients, "Sam")
    payload = {
        k: {"FLO": flo_id, "SAM": sam_id}.get(v, v) if isinstance(v, str) else v
        for k, v in payload.items()
    }
    before = (await fay.call("room:snapshot"))["snapshot"]
    ack = await fay.call(event, payload)
    assert ack["ok"] is False
    assert ack["error"]["code"] == code, ack
    assert (await fay.call("room:snapshot"))["snapshot"] == before
    assert (await fay.call("moderation:audit"))["entries"] == []


async def test_a_facilitator_of_one_room_cannot_moderate_another(
    hub: RunningHub, clients: Any
) -> None:
    fay = await clients(hub.url, {"token": token("Fay", Role.FACILITATOR, rooms=("circle",))})
    await fay.join("circle")
    sam, sam_id = await seat(hub, clients, "Sam", room="open")
    ack = await fay.call("moderation:mute", {"target": sam_id, "chat": True})
    assert ack["error"]["code"] == "target_not_in_room"
    assert (await fay.call("room:join", {"room": "open"}))["error"]["code"] == "already_in_room"
    assert (await sam.call("chat:send", {"text": "still free"}))["ok"]


@pytest.mark.parametrize("store", ["memory", "redis"])
async def test_rate_limits_refuse_participants_but_not_facilitators(
    redis_url: str, clients: Any, store: str
) -> None:
    url = redis_url if store == "redis" else None
    limited = settings(url, chat_limit=2, report_limit=1, rate_window_ms=60_000)
    async with running_app(limited) as hub:
        await hub.store.open_room(OPEN)
        fay, _ = await seat(hub, clients, "Fay", Role.FACILITATOR)
        sam, sam_id = await seat(hub, clients, "Sam")
        assert (await sam.call("chat:send", {"text": "1"}))["ok"]
        assert (await sam.call("chat:send", {"text": "2"}))["ok"]
        assert (await sam.call("chat:send", {"text": "3"}))["error"]["code"] == "rate_limited"
        for n in range(5):
            assert (await fay.call("chat:send", {"text": f"f{n}"}))["ok"]
        for _ in range(5):
            assert (await fay.call("moderation:mute", {"target": sam_id, "audio": True}))["ok"]
        assert (await sam.call("report:send", {"participant": sam_id}))["ok"]
        again = await sam.call("report:send", {"participant": sam_id})
        assert again["error"]["code"] == "rate_limited"
        await sam.close()  # before the server stops
        await fay.close()
