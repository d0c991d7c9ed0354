"""Guests cannot pass for the people who keep a room safe, nor hide behind a blank name:
the names of issue #9, through real Socket.IO clients on both stores."""

from __future__ import annotations

from typing import Any

import pytest
import socketio

from rooms.identity import Role
from tests.support import RunningHub, seat, token

CYRILLIC_S = "\N{CYRILLIC CAPITAL LETTER DZE}"
WIDE_SAM = "\uff33\uff41\uff4d"  # full-width letters: NFKC reads them as "Sam"
WIDE_RIVER = "\uff32\uff49\uff56\uff45\uff52"


async def refused_at_connect(hub: RunningHub, name: str) -> dict[str, Any]:
    client = socketio.AsyncClient(reconnection=False)
    reasons: list[Any] = []
    client.on("connect_error", reasons.append)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await client.connect(hub.url, auth={"name": name}, transports=["websocket"])
    await client.disconnect()
    return reasons[0]["data"]  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    "name",
    [
        "Sam (facilitator)",
        "Host Sam",
        "the moderator",
        "ADMIN",
        "Staff",
        "co-host Ana",
        "Moderadora Ana",
        "Anfitrión",
        "Animateur Luc",
        "Hôte",
        "Gastgeber",
        "Anfitrião",
        "f.a.c.i.l.i.t.a.t.o.r",
        f"{CYRILLIC_S}taff",
    ],
)
async def test_a_guest_name_claiming_a_role_is_refused(hub: RunningHub, name: str) -> None:
    refusal = await refused_at_connect(hub, name)
    assert refusal["code"] == "name_not_allowed"
    assert "choose another name" in refusal["message"]


@pytest.mark.parametrize(
    "name",
    ["\u3164", "\u2800", "\u115f\u1160", "\uffa0", "\u0301\u0302", "River\u3164", "\u2800\u2800"],
)
async def test_a_blank_looking_guest_name_is_refused(hub: RunningHub, name: str) -> None:
    assert (await refused_at_connect(hub, name))["code"] == "name_not_allowed"


@pytest.mark.parametrize("name", ["\u200b", "Sam\u200b", "\u202eRiver", "Ri\u0000ver"])
async def test_an_invisible_or_control_character_is_refused(hub: RunningHub, name: str) -> None:
    assert (await refused_at_connect(hub, name))["code"] == "invalid_payload"


@pytest.mark.parametrize("name", ["Sam", "sam", "S a m", "5am", f"{CYRILLIC_S}am", WIDE_SAM])
async def test_a_guest_cannot_take_a_facilitators_name(
    hub: RunningHub, clients: Any, name: str
) -> None:
    await seat(hub, clients, "Sam", Role.FACILITATOR)
    guest = await clients(hub.url, {"name": name})
    ack = await guest.call("room:join", {"room": "open"})
    assert ack["ok"] is False
    assert ack["error"]["code"] == "name_not_allowed", ack
    # A name of their own gets them in: the refusal was about the name only.
    river = await clients(hub.url, {"name": "River"})
    snap = (await river.join("open"))["snapshot"]
    assert sorted(p["name"] for p in snap["participants"]) == ["River", "Sam"]


async def test_a_hosts_name_stays_taken_while_they_are_away(hub: RunningHub, clients: Any) -> None:
    fay, _ = await seat(hub, clients, "Fay", Role.FACILITATOR)
    kim, kim_id = await seat(hub, clients, "Kim")
    assert (await fay.call("moderation:promote", {"target": kim_id}))["ok"]
    await fay.close()
    await kim.close()
    for name in ("Fay", "Kim"):
        guest = await clients(hub.url, {"name": name})
        assert (await guest.call("room:join", {"room": "open"}))["error"][
            "code"
        ] == "name_not_allowed"


async def test_names_are_normalised_and_token_names_are_never_refused(
    hub: RunningHub, clients: Any
) -> None:
    wide = await clients(hub.url, {"name": WIDE_RIVER})
    assert (await wide.join("open"))["snapshot"]["participants"][0]["name"] == "River"
    await seat(hub, clients, "Sam", Role.FACILITATOR)
    # Set by an admin: a second Sam, even "Sam (facilitator)", is theirs to give.
    invited = await clients(hub.url, {"token": token("Sam (facilitator)", subject="other")})
    assert (await invited.call("room:join", {"room": "open"}))["ok"]


async def test_chat_carries_the_speakers_role_at_the_time_of_speaking(
    hub: RunningHub, clients: Any
) -> None:
    fay, _ = await seat(hub, clients, "Fay", Role.FACILITATOR)
    kim, kim_id = await seat(hub, clients, "Kim")
    river = await clients(hub.url, {"name": "River"})
    await river.join("open")

    said = await fay.call("chat:send", {"text": "welcome"})
    assert (said["message"]["role"], said["message"]["co_facilitator"]) == ("facilitator", False)
    assert (await fay.call("moderation:promote", {"target": kim_id}))["ok"]
    assert (await kim.call("chat:send", {"text": "as co"}))["message"]["co_facilitator"] is True
    assert (await fay.call("moderation:demote", {"target": kim_id}))["ok"]
    assert (await river.call("chat:send", {"text": "hi"}))["message"]["role"] == "participant"

    heard = await river.wait_for("chat:message", lambda d: d["message"]["text"] == "welcome")
    assert heard["message"]["role"] == "facilitator"
    chat = (await river.call("room:snapshot"))["snapshot"]["chat"]
    roles = [(m["text"], m["role"], m["co_facilitator"]) for m in chat]
    # Kim was demoted after speaking: the message keeps the role it was said with.
    assert roles == [
        ("welcome", "facilitator", False),
        ("as co", "participant", True),
        ("hi", "participant", False),
    ]
