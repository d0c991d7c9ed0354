"""The meeting's events over Socket.IO, on the embedded store and on a real Redis: bad
input is a coded ack that changes nothing, the server refuses whoever may not act, the
floor lifts a hold for the share, and a greeter's join shows them the waiting room."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from rooms.identity import Role
from tests.conftest import OPEN
from tests.support import (
    RunningHub,
    SetClock,
    after_everything_sent,
    running_app,
    seat,
    settings,
    token,
)


async def test_bad_meeting_payloads_get_coded_acks_and_change_nothing(
    hub: RunningHub, clients: Any
) -> None:
    fay, _ = await seat(hub, clients, "Fay", Role.FACILITATOR)
    sam, sam_id = await seat(hub, clients, "Sam")
    before = (await fay.call("room:snapshot"))["snapshot"]
    for event, payload in [
        ("round:start", {}),
        ("round:start", {"order": "alphabetical", "share_seconds": 60}),
        ("round:start", {"order": "joined", "share_seconds": 0}),
        ("round:start", {"order": "joined", "share_seconds": 3601}),
        ("round:start", {"order": "joined", "share_seconds": 60, "warn_seconds": 60}),
        ("round:start", {"order": "joined", "share_seconds": True}),
        ("round:start", {"order": "joined", "share_seconds": 60, "members": [sam_id]}),
        ("round:start", {"order": "list", "share_seconds": 60, "members": []}),
        ("round:start", {"order": "list", "share_seconds": 60, "members": [7]}),
        ("round:start", {"order": "joined", "share_seconds": 60, "minutes": 3}),
        ("round:extend", {"seconds": "60"}),
        ("round:move", {"target": sam_id, "position": -1}),
        ("round:pass", {"now": 1}),
        ("moderation:give-service", {"target": sam_id, "role": "chair"}),
        ("moderation:give-service", {"target": sam_id}),
        ("moderation:call-on", {}),
        ("moderation:lower-hand", {"target": ""}),
    ]:
        ack = await fay.call(event, payload)
        assert ack["error"]["code"] == "invalid_payload", (event, payload, ack)
    for event, payload, code in [
        ("round:skip", {}, "no_round"),
        ("round:end", {}, "no_round"),
        ("round:pass", {}, "no_round"),
        ("round:start", {"order": "hands", "share_seconds": 60}, "round_empty"),
        (
            "round:start",
            {"order": "list", "share_seconds": 60, "members": ["x"]},
            "target_not_in_room",
        ),
        ("moderation:call-on", {"target": "nobody"}, "target_not_in_room"),
        ("floor:release", {}, "not_a_facilitator"),  # Sam: neither the floor nor a moderator
    ]:
        who = sam if event == "floor:release" else fay
        ack = await who.call(event, payload)
        assert ack["error"]["code"] == code, (event, payload, ack)
    await after_everything_sent(fay, sam)
    after = (await fay.call("room:snapshot"))["snapshot"]
    assert after["seq"] == before["seq"] + 1  # the one chat message
    assert (after["round"], after["floor"], after["service"]) == (None, None, [])


async def test_a_participant_is_refused_every_facilitators_meeting_action(
    hub: RunningHub, clients: Any
) -> None:
    fay, fay_id = await seat(hub, clients, "Fay", Role.FACILITATOR)
    sam, _ = await seat(hub, clients, "Sam")
    lee, lee_id = await seat(hub, clients, "Lee")
    assert (await lee.call("hand:raise"))["ok"]
    for event, payload in [
        ("moderation:lower-hand", {"target": lee_id}),
        ("moderation:lower-hands", {}),
        ("moderation:call-on", {"target": lee_id}),
        ("moderation:give-service", {"target": lee_id, "role": "timekeeper"}),
        ("moderation:take-service", {"target": lee_id, "role": "timekeeper"}),
        ("round:start", {"order": "hands", "share_seconds": 60}),
    ]:
        ack = await sam.call(event, payload)
        assert ack["error"]["code"] == "not_a_facilitator", (event, ack)
    state = (await fay.call("room:snapshot"))["snapshot"]
    assert state["hands"] == [lee_id]
    assert (state["round"], state["floor"], state["service"]) == (None, None, [])
    # A co-facilitator moderates but gives no service roles.
    assert (await fay.call("moderation:promote", {"target": lee_id}))["ok"]
    ack = await lee.call("moderation:give-service", {"target": fay_id, "role": "greeter"})
    assert ack["error"]["code"] == "not_a_facilitator"


async def test_the_floor_lifts_a_hold_for_the_share_and_everyone_sees_who_has_it(
    hub: RunningHub, clients: Any
) -> None:
    fay, _ = await seat(hub, clients, "Fay", Role.FACILITATOR)
    sam, sam_id = await seat(hub, clients, "Sam")
    bo, _ = await seat(hub, clients, "Bo")
    assert (await fay.call("moderation:mute", {"target": sam_id, "audio": True}))["ok"]
    assert (await sam.call("audio:unmute"))["error"]["code"] == "audio_held"
    assert (await sam.call("hand:raise"))["ok"]

    ack = await fay.call("moderation:call-on", {"target": sam_id})
    assert ack["ok"], ack
    assert ack["floor"] == sam_id
    await bo.wait_for("floor:changed", lambda d: d["participant"] == sam_id)
    await bo.wait_for("hand:queue", lambda d: d["hands"] == [])
    unmuted = await sam.call("audio:unmute")
    assert unmuted == {**unmuted, "ok": True, "audio_muted": False}

    done = await sam.call("floor:release")
    assert done["ok"], done
    assert done["floor"] is None
    back = await bo.wait_for(
        "participant:mutes", lambda d: d["participants"][0]["audio_muted"] is True
    )
    assert back["participants"][0] == {**back["participants"][0], "id": sam_id, "audio_held": True}
    assert (await sam.call("audio:unmute"))["error"]["code"] == "audio_held"


async def test_a_greeter_sees_the_waiting_room_when_they_join_and_chat_waits_during_shares(
    hub: RunningHub, clients: Any
) -> None:
    fay, _ = await seat(hub, clients, "Fay", Role.FACILITATOR)
    gus, gus_id = await seat(hub, clients, "Gus")
    assert (await fay.call("moderation:give-service", {"target": gus_id, "role": "greeter"}))["ok"]
    assert (await fay.call("moderation:controls", {"waiting_room": True}))["ok"]
    wes = await clients(hub.url, {"token": token("Wes")})
    assert (await wes.call("room:join", {"room": "open"}))["waiting"]["position"] == 1
    # Another tab of theirs takes the seat over, and its join shows the waiting room.
    gus = await clients(hub.url, {"token": token("Gus")})
    again = await gus.join("open")
    assert [w["name"] for w in again["moderation"]["waiting"]] == ["Wes"]
    assert again["snapshot"]["service"] == [{"id": gus_id, "roles": ["greeter"]}]

    assert (await fay.call("moderation:controls", {"round_pause_chat": True}))["ok"]
    assert (await gus.call("hand:raise"))["ok"]
    assert (await fay.call("round:start", {"order": "hands", "share_seconds": 60}))["ok"]
    refused = await gus.call("chat:send", {"text": "me too"})
    assert refused["error"]["code"] == "share_in_progress"
    assert (await fay.call("chat:send", {"text": "welcome"}))["ok"]
    assert (await gus.call("round:pass"))["ok"]  # the round ends with its only sharer
    assert (await gus.call("chat:send", {"text": "thanks"}))["ok"]


async def test_the_join_and_snapshot_acks_carry_the_servers_clock(clients: Any) -> None:
    """The acks' ``now`` is the server's clock (the app's injected one, five minutes off
    the real time here), so a page can show a round's time left from it at once."""
    clock = SetClock(datetime.now(UTC) + timedelta(minutes=5))
    async with running_app(settings(), clock) as running:
        await running.store.open_room(OPEN)
        sam = await clients(running.url, {"token": token("Sam")})
        joined = await sam.call("room:join", {"room": "open"})
        assert joined["ok"], joined
        assert joined["now"] == clock.ms()
        clock.advance(timedelta(seconds=42))
        again = await sam.call("room:snapshot")
        assert again["now"] == clock.ms()
        resumed = await sam.call(
            "room:join", {"room": "open", "since": joined["seq"], "opening": joined["opening"]}
        )
        assert "missed" in resumed
        assert resumed["now"] == clock.ms()
