"""A tile colour chosen when connecting (``auth.colour``) is the participant's ``colour``
for everyone in the room, in the snapshot and in ``participant:joined``, on both stores;
none chosen is ``null``; a colour that is not one of the set is refused at connect, and a
second tab with another colour does not change the seat's."""

from __future__ import annotations

from typing import Any

import pytest
import socketio

from rooms.identity import Role
from tests.support import RunningHub, token


async def test_a_chosen_colour_is_seen_by_everyone(hub: RunningHub, clients: Any) -> None:
    kim = await clients(hub.url, {"token": token("Kim", Role.FACILITATOR)})
    kim_id = (await kim.join("open"))["you"]
    river = await clients(hub.url, {"name": "River", "key": "k" * 24, "colour": "teal"})
    joined = await river.join("open")
    colours = {p["name"]: p["colour"] for p in joined["snapshot"]["participants"]}
    assert colours == {"Kim": None, "River": "teal"}
    arrived = await kim.wait_for("participant:joined", lambda d: d["participant"]["id"] != kim_id)
    assert arrived["participant"]["colour"] == "teal"

    # The same guest in a second tab, with another colour: the seat keeps its own.
    again = await clients(hub.url, {"name": "River", "key": "k" * 24, "colour": "rose"})
    seen = (await again.join("open"))["snapshot"]["participants"]
    assert {p["name"]: p["colour"] for p in seen} == {"Kim": None, "River": "teal"}


@pytest.mark.parametrize("colour", ["red", "Teal", 3, ["sage"]])
async def test_a_colour_outside_the_set_is_refused_at_connect(hub: RunningHub, colour: Any) -> None:
    client = socketio.AsyncClient(reconnection=False)
    reasons: list[Any] = []
    client.on("connect_error", reasons.append)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await client.connect(
            hub.url, auth={"name": "River", "colour": colour}, transports=["websocket"]
        )
    await client.disconnect()
    assert reasons[0]["data"]["code"] == "invalid_payload"
