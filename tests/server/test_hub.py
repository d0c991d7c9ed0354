"""The hub through real Socket.IO clients, on the embedded store and on a real Redis."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
import pytest
import socketio

from rooms.identity import Role
from tests.support import RunningHub, after_everything_sent, forgotten, token


async def test_join_ack_carries_a_complete_snapshot(hub: RunningHub, clients: Any) -> None:
    sam = await clients(hub.url, {"token": token("Sam")})
    await sam.call("chat:send", {"text": "too early"})  # refused: not in a room
    await sam.join("circle")
    await sam.call("chat:send", {"text": "hello"})
    await sam.call("hand:raise")
    kim = await clients(hub.url, {"token": token("Kim", Role.FACILITATOR)})
    ack = await kim.join("circle")
    snap = ack["snapshot"]
    assert snap["room"]["id"] == "circle"
    assert snap["room"]["name"] == "Tuesday circle"
    names = {p["name"]: p for p in snap["participants"]}
    assert set(names) == {"Sam", "Kim"}
    assert names["Kim"]["role"] == "facilitator"
    assert names["Sam"]["hand"] is True
    assert snap["hands"] == [names["Sam"]["id"]]
    assert [m["text"] for m in snap["chat"]] == ["hello"]
    assert snap["seq"] == 4  # Sam joined, chatted, raised a hand; Kim joined
    assert ack["you"] == names["Kim"]["id"]


async def test_join_and_leave_reach_the_room_in_sequence(hub: RunningHub, clients: Any) -> None:
    sam = await clients(hub.url, {"token": token("Sam")})
    await sam.join("circle")
    kim = await clients(hub.url, {"token": token("Kim")})
    kim_id = (await kim.join("circle"))["you"]
    joined = await sam.wait_for("participant:joined", lambda d: d["participant"]["id"] == kim_id)
    assert joined["participant"]["name"] == "Kim"
    assert (await kim.call("room:leave"))["ok"]
    left = await sam.wait_for("participant:left")
    assert left == {
        "room": "circle",
        "seq": joined["seq"] + 1,
        "participant": kim_id,
        "reason": "left",
    }
    kim_sid = kim.sio.get_sid()
    await kim.close()
    await forgotten(hub, kim_sid)  # its disconnect handled: nothing more to free
    await after_everything_sent(sam, sam)
    assert not sam.events("participant:left")[1:]


async def test_a_closed_connection_leaves_its_seat_away_not_free(
    hub: RunningHub, clients: Any
) -> None:
    sam = await clients(hub.url, {"token": token("Sam")})
    await sam.join("circle")
    kim = await clients(hub.url, {"token": token("Kim")})
    kim_id = (await kim.join("circle"))["you"]
    await kim.close()
    away = await sam.wait_for("participant:away")
    assert away["participant"] == kim_id
    snap = (await sam.call("room:snapshot"))["snapshot"]
    assert [(p["name"], p["away"]) for p in snap["participants"]] == [
        ("Sam", False),
        ("Kim", True),
    ]
    assert sam.events("participant:left") == []


async def test_a_leave_sent_just_before_closing_is_a_leave_not_an_away(
    hub: RunningHub, clients: Any
) -> None:
    """The browser's quick exit sends room:leave, DISCONNECT and closes at once, all in
    one go: the leave is handled first, and the room sees a leave, not an away."""
    sam = await clients(hub.url, {"token": token("Sam")})
    await sam.join("circle")
    async with aiohttp.ClientSession() as http:
        for n in range(5):
            ws = await http.ws_connect(f"{hub.url}/socket.io/?EIO=4&transport=websocket")
            assert (await ws.receive_str()).startswith("0{")
            await ws.send_str("40" + json.dumps({"token": token(f"Kim{n}")}))
            assert (await ws.receive_str()).startswith("40{")
            await ws.send_str('420["room:join",{"room":"circle"}]')
            ack = await ws.receive_str()
            while not ack.startswith("430"):
                ack = await ws.receive_str()
            kim_id = json.loads(ack[3:])[0]["you"]
            for frame in ('42["room:leave",{}]', "41", "1"):
                await ws.send_str(frame)
            await ws.close()
            gone = await sam.wait_for(
                "participant:left", lambda d, kim_id=kim_id: d["participant"] == kim_id
            )
            assert gone["reason"] == "left"
    assert sam.events("participant:away") == []


async def test_chat_reaches_everyone_with_the_sequence(hub: RunningHub, clients: Any) -> None:
    sam = await clients(hub.url, {"token": token("Sam")})
    kim = await clients(hub.url, {"token": token("Kim")})
    await sam.join("circle")
    await kim.join("circle")
    ack = await sam.call("chat:send", {"text": "  thank you all for coming  "})
    assert ack["ok"]
    assert ack["message"]["text"] == "thank you all for coming"
    for client in (sam, kim):
        got = await client.wait_for("chat:message")
        assert got["message"] == ack["message"]
        assert got["seq"] == ack["message"]["id"]


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({"text": "   "}, "chat_empty"),
        ({"text": "x" * 1001}, "chat_too_long"),
        ({"text": 5}, "invalid_payload"),
        ({"text": "hi", "room": "circle"}, "invalid_payload"),
        ("hello", "invalid_payload"),
        ([1, 2], "invalid_payload"),
    ],
)
async def test_bad_chat_is_refused_and_changes_nothing(
    hub: RunningHub, clients: Any, payload: Any, code: str
) -> None:
    sam = await clients(hub.url, {"token": token("Sam")})
    before = (await sam.join("circle"))["snapshot"]
    ack = await sam.call("chat:send", payload)
    assert ack["ok"] is False
    assert ack["error"]["code"] == code
    assert ack["error"]["message"]
    after = (await sam.call("room:snapshot"))["snapshot"]
    assert after == before


async def test_hand_queue_keeps_raise_order(hub: RunningHub, clients: Any) -> None:
    people = [await clients(hub.url, {"token": token(n)}) for n in ("Ann", "Bo", "Cy")]
    ids = [(await p.join("circle"))["you"] for p in people]
    for index in (2, 0, 1):
        assert (await people[index].call("hand:raise"))["ok"]
    again = await people[2].call("hand:raise")
    assert again["hands"] == [ids[2], ids[0], ids[1]]
    lowered = await people[0].call("hand:lower")
    assert lowered["hands"] == [ids[2], ids[1]]
    last = await people[1].wait_for("hand:queue", lambda d: d["seq"] == lowered["seq"])
    assert last["hands"] == [ids[2], ids[1]]
    assert (await people[2].call("room:leave"))["ok"]  # leaving takes the hand down
    queue = await people[1].wait_for("hand:queue", lambda d: d["hands"] == [ids[1]])
    assert queue["seq"] > lowered["seq"]


async def test_same_identity_twice_keeps_one_seat(hub: RunningHub, clients: Any) -> None:
    first = await clients(hub.url, {"token": token("Sam")})
    other = await clients(hub.url, {"token": token("Kim")})
    seat = (await first.join("circle"))["you"]
    first_sid = first.sio.get_sid()
    await other.join("circle")
    await first.call("hand:raise")
    second = await clients(hub.url, {"token": token("Sam")})
    ack = await second.join("circle")
    assert ack["you"] == seat
    assert [p["name"] for p in ack["snapshot"]["participants"]] == ["Sam", "Kim"]
    assert ack["snapshot"]["hands"] == [seat]  # the seat keeps its place in the queue
    replaced = await first.wait_for("session:replaced")
    assert replaced["message"]
    for _ in range(100):
        if not first.sio.connected:
            break
        await asyncio.sleep(0.05)
    assert not first.sio.connected
    # The old tab closing must not take the seat with it: once the server has handled
    # its disconnect, anything that did would reach the room before a later message.
    await forgotten(hub, first_sid)
    assert (await second.call("chat:send", {"text": "still here"}))["ok"]
    await other.wait_for("chat:message", lambda d: d["message"]["text"] == "still here")
    snap = (await second.call("room:snapshot"))["snapshot"]
    assert [p["name"] for p in snap["participants"]] == ["Sam", "Kim"]
    assert not other.events("participant:left")


async def test_capacity_is_enforced_but_facilitators_get_in(hub: RunningHub, clients: Any) -> None:
    for name in ("Ann", "Bo", "Cy"):
        await (await clients(hub.url, {"token": token(name)})).join("circle")
    late = await clients(hub.url, {"token": token("Dee")})
    ack = await late.call("room:join", {"room": "circle"})
    assert ack["error"]["code"] == "room_full"
    facilitator = await clients(hub.url, {"token": token("Fay", Role.FACILITATOR)})
    assert (await facilitator.call("room:join", {"room": "circle"}))["ok"]


async def test_invitations_and_guests(hub: RunningHub, clients: Any) -> None:
    other_room = await clients(hub.url, {"token": token("Sam", rooms=("elsewhere",))})
    assert (await other_room.call("room:join", {"room": "circle"}))["error"][
        "code"
    ] == "not_invited"
    guest = await clients(hub.url, {"name": "  River  "})
    assert (await guest.call("room:join", {"room": "circle"}))["error"][
        "code"
    ] == "guests_not_allowed"
    ack = await guest.join("open")
    me = next(p for p in ack["snapshot"]["participants"] if p["id"] == ack["you"])
    assert me == {**me, "name": "River", "guest": True, "role": "participant"}


async def test_a_guest_key_keeps_one_seat_across_reconnects(hub: RunningHub, clients: Any) -> None:
    key = "k" * 24
    first = await clients(hub.url, {"name": "River", "key": key})
    seat = (await first.join("open"))["you"]
    again = await clients(hub.url, {"name": "River", "key": key})
    ack = await again.join("open")
    assert ack["you"] == seat
    assert len(ack["snapshot"]["participants"]) == 1
    other = await clients(hub.url, {"name": "River"})  # no key: a guest of its own
    assert (await other.join("open"))["you"] != seat


async def test_one_room_per_connection(hub: RunningHub, clients: Any) -> None:
    sam = await clients(hub.url, {"token": token("Sam")})
    await sam.join("circle")
    assert (await sam.call("room:join", {"room": "open"}))["error"]["code"] == "already_in_room"
    assert (await sam.call("room:join", {"room": "circle"}))["ok"]  # joining again is harmless
    await sam.call("room:leave")
    assert (await sam.call("room:join", {"room": "open"}))["ok"]


@pytest.mark.parametrize(
    ("event", "payload", "code"),
    [
        ("room:join", {"room": "nowhere"}, "room_not_found"),
        ("room:join", {"room": "Not A Slug!"}, "invalid_payload"),
        ("room:join", {}, "invalid_payload"),
        ("room:join", None, "invalid_payload"),
        ("room:leave", None, "not_in_room"),
        ("room:snapshot", None, "not_in_room"),
        ("hand:raise", None, "not_in_room"),
        ("hand:raise", {"extra": 1}, "invalid_payload"),
        ("chat:send", {"text": "hi"}, "not_in_room"),
        ("no:such-event", {"x": 1}, "unknown_event"),
    ],
)
async def test_bad_events_get_coded_acks(
    hub: RunningHub, clients: Any, event: str, payload: Any, code: str
) -> None:
    sam = await clients(hub.url, {"token": token("Sam")})
    ack = await sam.call(event, payload)
    assert ack["ok"] is False
    assert ack["error"]["code"] == code
    assert (await sam.call("room:join", {"room": "circle"}))["ok"]  # the connection lives on


async def test_oversize_payload_is_dropped_and_the_server_lives(
    hub: RunningHub, clients: Any
) -> None:
    sam = await clients(hub.url, {"token": token("Sam")})
    await sam.join("circle")
    with pytest.raises(socketio.exceptions.TimeoutError):
        await sam.sio.call("chat:send", {"text": "x" * 200_000}, timeout=1)
    kim = await clients(hub.url, {"token": token("Kim")})
    snap = (await kim.join("circle"))["snapshot"]
    assert snap["chat"] == []


@pytest.mark.parametrize(
    ("auth", "code"),
    [
        (None, "unauthorized"),
        ({"token": "not-a-jwt"}, "unauthorized"),
        ({"token": token("Sam", ttl_s=-60)}, "token_expired"),
        ({"token": token("Sam")[:-4] + "AAAA"}, "unauthorized"),
        ({"name": ""}, "invalid_payload"),
        ({"name": "x" * 41}, "invalid_payload"),
        ({"name": "a\u202eb"}, "invalid_payload"),
        ({"name": "River", "key": "short"}, "invalid_payload"),
        ({"name": "River", "key": 12345678901234567890}, "invalid_payload"),
    ],
)
async def test_bad_credentials_are_refused_at_connect(
    hub: RunningHub, auth: Any, code: str
) -> None:
    client = socketio.AsyncClient(reconnection=False)
    reasons: list[Any] = []
    client.on("connect_error", reasons.append)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await client.connect(hub.url, auth=auth, transports=["websocket"], wait_timeout=5)
    assert reasons[0]["data"]["code"] == code
    assert reasons[0]["message"] == reasons[0]["data"]["message"]
    await client.disconnect()


async def test_closing_a_room_tells_everyone_and_deletes_chat(
    hub: RunningHub, clients: Any
) -> None:
    sam = await clients(hub.url, {"token": token("Sam")})
    await sam.join("circle")
    await sam.call("chat:send", {"text": "private words"})
    await hub.store.close_room("circle")
    closed = await sam.wait_for("room:closed")
    assert closed["room"] == "circle"
    # The close took the seat with it: the connection is in no room now.
    assert (await sam.call("chat:send", {"text": "anyone?"}))["error"]["code"] == "not_in_room"
    assert await hub.store.room_info("circle") is not None
    from tests.conftest import CIRCLE

    await hub.store.open_room(CIRCLE)
    fresh = (await sam.join("circle"))["snapshot"]
    assert fresh["chat"] == []
