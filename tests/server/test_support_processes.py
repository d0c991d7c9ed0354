"""The crisis path across server processes: two ``hearth serve`` OS processes on one real
Redis, the facilitators on process A and the participants on process B."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from rooms.identity import Role
from tests.support import Client, ServerProcess, after_everything_sent, token

ROOM = "demo"
CRISIS_LINE = {"title": "Samaritans", "category": "crisis", "phone": "116 123", "language": "en"}


@pytest.fixture
def pair(redis_url: str, processes: Any, tmp_path: Path) -> tuple[ServerProcess, ServerProcess]:
    """Processes A and B sharing one Redis, both serving 'demo', with one crisis line."""
    listed = tmp_path / "resources.json"
    listed.write_text(json.dumps([CRISIS_LINE, {"title": "Reading", "category": "reading"}]))
    env = {"HEARTH_DEMO_ROOM": ROOM, "HEARTH_RESOURCES_FILE": str(listed)}
    return processes(redis_url, **env), processes(redis_url, **env)


async def seated(
    clients: Any, process: ServerProcess, name: str, role: Role = Role.PARTICIPANT
) -> tuple[Client, str]:
    client = await clients(process.url, {"token": token(name, role)})
    return client, (await client.join(ROOM))["you"]


async def test_a_request_on_b_alerts_the_facilitators_on_a_within_a_second_and_only_them(
    pair: tuple[ServerProcess, ServerProcess], clients: Any
) -> None:
    a, b = pair
    fay, _ = await seated(clients, a, "Fay", Role.FACILITATOR)
    kim, _ = await seated(clients, a, "Kim", Role.FACILITATOR)
    sam, sam_id = await seated(clients, b, "Sam")
    ann, _ = await seated(clients, b, "Ann")
    started = time.perf_counter()
    ack = await sam.call("support:request", {})
    assert ack["ok"], ack
    assert ack["reached"] == 2
    assert ack["resources"] == [{**CRISIS_LINE, "description": "", "link": ""}]
    alert = await fay.wait_for("support:requested", within=1.0)
    assert time.perf_counter() - started < 1.0
    assert alert["participant"] == {"id": sam_id, "name": "Sam"}
    assert alert["seen_by"] is None
    await kim.wait_for("support:requested", within=1.0)

    seen = await kim.call("support:acknowledge", {"target": sam_id})
    assert seen["ok"]
    assert seen["request"]["seen_by"]["name"] == "Kim"
    told = await sam.wait_for("support:seen")
    assert told["seen_by"]["name"] == "Kim"
    await fay.wait_for("support:seen", lambda d: d["seen_by"]["name"] == "Kim")
    later = await fay.call("support:acknowledge", {"target": sam_id})
    assert later["request"]["seen_by"]["name"] == "Kim"  # the first stays the one named

    await after_everything_sent(fay, ann, sam)
    assert not ann.events("support:requested")
    assert not ann.events("support:seen")
    assert "seq" not in alert  # a private notice, not part of the room's history
    entries = (await fay.call("moderation:audit", {}))["entries"]
    actions = [e["action"] for e in entries]
    assert actions.count("support_request") == 1
    assert actions.count("support_seen") == 2


async def test_with_no_facilitator_present_the_person_is_told_at_once_with_resources(
    pair: tuple[ServerProcess, ServerProcess], clients: Any
) -> None:
    _, b = pair
    sam, _ = await seated(clients, b, "Sam")
    ack = await sam.call("support:request", {})
    assert ack["ok"]
    assert ack["reached"] == 0
    assert [r["title"] for r in ack["resources"]] == ["Samaritans"]


async def test_private_messages_reach_only_their_two_people_across_processes(
    pair: tuple[ServerProcess, ServerProcess], clients: Any
) -> None:
    a, b = pair
    fay, fay_id = await seated(clients, a, "Fay", Role.FACILITATOR)
    sam, sam_id = await seated(clients, b, "Sam")
    ann, ann_id = await seated(clients, b, "Ann")
    kim, _ = await seated(clients, a, "Kim", Role.FACILITATOR)
    refused = await sam.call("private:send", {"to": ann_id, "text": "psst"})
    assert refused["error"]["code"] == "private_messages_off"
    assert (await sam.call("private:send", {"to": fay_id, "text": "first?"}))["error"]["code"] == (
        "private_messages_off"
    )
    assert (await fay.call("private:send", {"to": sam_id, "text": "I am here for you"}))["ok"]
    got = await sam.wait_for("private:message")
    assert got["from"] == {"id": fay_id, "name": "Fay"}
    assert got["text"] == "I am here for you"
    assert (await sam.call("private:send", {"to": fay_id, "text": "thank you"}))["ok"]
    answer = await fay.wait_for("private:message", lambda d: d["from"]["id"] == sam_id)
    assert answer["text"] == "thank you"
    assert answer["to"] == fay_id
    await after_everything_sent(fay, ann, sam, kim)
    assert not ann.events("private:message")
    assert not kim.events("private:message")
    snapshot = (await ann.call("room:snapshot", {}))["snapshot"]
    assert all("thank" not in m["text"] for m in snapshot["chat"])


async def test_a_facilitator_arriving_later_sees_the_open_request_of_someone_still_here(
    pair: tuple[ServerProcess, ServerProcess], clients: Any
) -> None:
    a, b = pair
    sam, sam_id = await seated(clients, b, "Sam")
    ann, _ = await seated(clients, b, "Ann")
    assert (await sam.call("support:request", {}))["reached"] == 0
    assert (await ann.call("support:request", {}))["reached"] == 0
    assert (await ann.call("room:leave"))["ok"]
    kim = await clients(a.url, {"token": token("Kim", Role.FACILITATOR)})
    joined = await kim.join(ROOM)
    waiting = joined["moderation"]["support"]
    assert [r["participant"]["id"] for r in waiting] == [sam_id]
    assert waiting[0]["seen_by"] is None
    participant_view = await sam.call("room:snapshot")
    assert "moderation" not in participant_view
