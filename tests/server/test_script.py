"""The meeting script across two server processes on one Redis: a facilitator on A pins
it, everyone on B sees it at once, a newcomer reads it before consenting, and it is gone
when the room closes."""

from __future__ import annotations

from typing import Any

from rooms.identity import Role
from tests.support import Client, ServerProcess, after_everything_sent, token

ROOM = "demo"


async def seated(
    clients: Any, process: ServerProcess, name: str, role: Role = Role.PARTICIPANT
) -> Client:
    client = await clients(process.url, {"token": token(name, role)})
    await client.join(ROOM)
    return client


async def test_a_pinned_script_reaches_the_other_process_and_newcomers_before_joining(
    redis_url: str, processes: Any, clients: Any
) -> None:
    a = processes(redis_url, HEARTH_DEMO_ROOM=ROOM)
    b = processes(redis_url, HEARTH_DEMO_ROOM=ROOM)
    fay = await seated(clients, a, "Fay", Role.FACILITATOR)
    sam = await seated(clients, b, "Sam")
    refused = await sam.call("script:pin", {"text": "my format"})
    assert refused["error"]["code"] == "not_a_facilitator"
    ack = await fay.call("script:pin", {"text": "Welcome. We share for three minutes."})
    assert ack["ok"], ack
    pinned = await sam.wait_for("room:script")
    assert pinned["script"] == "Welcome. We share for three minutes."
    assert pinned["seq"] == ack["seq"]
    newcomer = await clients(b.url, {"token": token("Ann")})
    info = await newcomer.call("room:info", {"room": ROOM})
    assert info["script"] == "Welcome. We share for three minutes."
    joined = await newcomer.join(ROOM)
    assert joined["snapshot"]["script"] == "Welcome. We share for three minutes."
    await after_everything_sent(fay, sam)
    assert len(sam.events("room:script")) == 1
    bad = await fay.call("script:pin", {"text": "x" * 4001})
    assert bad["error"]["code"] == "invalid_payload"
