"""The meeting across server processes: ``hearth serve`` OS processes on one real Redis.

The round's clock lives in the room's state, so a share's warning and end are announced
exactly once even when the process that started the round is killed (SIGKILL) mid-share
and two other processes tick the room at once; a greeter on one process admits a person
waiting on another and is refused everything else; hands lowered and a call-on by a
facilitator on one process reach everyone on both, and a participant is refused them."""

from __future__ import annotations

from typing import Any

from rooms.identity import Role
from tests.conftest import ON_REDIS_AND_CLUSTER
from tests.support import Client, ServerProcess, after_everything_sent, token

ROOM = "demo"
QUICK = {"HEARTH_DEMO_ROOM": ROOM, "HEARTH_ROUND_TICK_MS": "50"}


async def _seat(clients: Any, process: ServerProcess, name: str, role: Role) -> tuple[Client, str]:
    client = await clients(process.url, {"token": token(name, role)})
    return client, (await client.join(ROOM))["you"]


def _per_share(client: Client, event: str) -> dict[int, int]:
    counts: dict[int, int] = {}
    for data in client.events(event):
        counts[data["share"]] = counts.get(data["share"], 0) + 1
    return counts


@ON_REDIS_AND_CLUSTER
async def test_a_rounds_warning_and_end_fire_once_after_its_starter_is_killed_mid_share(
    shared_url: str, processes: Any, clients: Any
) -> None:
    a, b, c = (processes(shared_url, **QUICK) for _ in range(3))
    fay, _ = await _seat(clients, a, "Fay", Role.FACILITATOR)
    bo, bo_id = await _seat(clients, b, "Bo", Role.PARTICIPANT)
    cy, cy_id = await _seat(clients, c, "Cy", Role.PARTICIPANT)
    assert (await fay.call("moderation:controls", {"round_hard_end": True}))["ok"]
    ack = await fay.call(
        "round:start",
        {"order": "list", "members": [bo_id, cy_id], "share_seconds": 3, "warn_seconds": 2},
    )
    assert ack["ok"], ack
    assert ack["round"]["sharer"] == bo_id
    assert ack["round"]["ends_at"] - ack["round"]["started_at"] == 3000
    a.kill()  # mid-share: one second before the warning, three before the end

    for listener in (bo, cy):
        warning = await listener.wait_for("round:warning", lambda d: d["share"] == 1)
        assert warning["participant"] == bo_id
        assert warning["ends_at"] == ack["round"]["ends_at"]
        up = await listener.wait_for("round:time-up", lambda d: d["share"] == 1)
        assert up == {**up, "participant": bo_id, "hard": True}
        moved_on = await listener.wait_for(
            "round:changed", lambda d: d["round"] is not None and d["round"]["sharer"] == cy_id
        )
        assert moved_on["round"]["share"] == 2
        assert moved_on["round"]["started_at"] >= ack["round"]["ends_at"]
        await listener.wait_for("round:time-up", lambda d: d["share"] == 2, within=10)
        await listener.wait_for("round:changed", lambda d: d["round"] is None)
    # Everything announced before this chat has reached both processes' clients by now.
    await after_everything_sent(bo, bo, cy)
    for listener in (bo, cy):
        assert _per_share(listener, "round:warning") == {1: 1, 2: 1}
        assert _per_share(listener, "round:time-up") == {1: 1, 2: 1}
        floors = [d["participant"] for d in listener.events("floor:changed")]
        assert floors == [bo_id, cy_id, None]
        seqs = [d["seq"] for event, d in listener.received if isinstance(d, dict) and "seq" in d]
        assert seqs == sorted(set(seqs))  # one order, nothing twice


async def test_a_greeter_on_one_process_admits_someone_waiting_on_another_but_cannot_mute(
    redis_url: str, processes: Any, clients: Any
) -> None:
    a, b = processes(redis_url, **QUICK), processes(redis_url, **QUICK)
    fay, _ = await _seat(clients, a, "Fay", Role.FACILITATOR)
    gus, gus_id = await _seat(clients, b, "Gus", Role.PARTICIPANT)
    sam, sam_id = await _seat(clients, b, "Sam", Role.PARTICIPANT)
    assert (await fay.call("moderation:controls", {"waiting_room": True}))["ok"]

    wes = await clients(a.url, {"token": token("Wes")})
    waiting = await wes.call("room:join", {"room": ROOM})
    assert waiting["waiting"]["position"] == 1
    refused = await gus.call("moderation:admit", {"target": waiting["you"]})
    assert refused["error"]["code"] == "not_a_facilitator"

    given = await fay.call("moderation:give-service", {"target": gus_id, "role": "greeter"})
    assert given["ok"], given
    shown = await sam.wait_for("service:changed")
    assert shown["service"] == [{"id": gus_id, "roles": ["greeter"]}]
    queue = await gus.wait_for("waiting:queue")  # on process B, the person waits on A
    assert [w["name"] for w in queue["waiting"]] == ["Wes"]
    assert (await gus.call("moderation:admit", {"target": waiting["you"]}))["ok"]
    await wes.wait_for("waiting:admitted")
    assert (await wes.join(ROOM))["snapshot"]["service"] == [{"id": gus_id, "roles": ["greeter"]}]

    for event, payload in (
        ("moderation:mute", {"target": sam_id, "chat": True}),
        ("moderation:remove", {"target": sam_id}),
        ("moderation:pause", {}),
        ("moderation:call-on", {"target": sam_id}),
        ("round:start", {"order": "joined", "share_seconds": 60}),
        ("moderation:give-service", {"target": sam_id, "role": "greeter"}),
    ):
        answer = await gus.call(event, payload)
        assert answer["error"]["code"] == "not_a_facilitator", (event, answer)
    assert (await sam.call("chat:send", {"text": "still here"}))["ok"]
    snapshot = (await sam.call("room:snapshot"))["snapshot"]
    assert snapshot["paused"] is False
    assert snapshot["round"] is None
    assert snapshot["floor"] is None
    entries = (await fay.call("moderation:audit"))["entries"]
    actions = [(e["action"], e["actor"]["name"], e["detail"]) for e in entries]
    assert ("give_service", "Fay", "greeter") in actions
    assert ("admit", "Gus", "") in actions


async def test_someone_who_drops_keeps_their_place_and_turn_coming_back_through_another_process(
    redis_url: str, processes: Any, clients: Any
) -> None:
    a, b = processes(redis_url, **QUICK), processes(redis_url, **QUICK)
    fay, _ = await _seat(clients, a, "Fay", Role.FACILITATOR)
    cy, cy_id = await _seat(clients, a, "Cy", Role.PARTICIPANT)
    bo, bo_id = await _seat(clients, b, "Bo", Role.PARTICIPANT)
    dee, dee_id = await _seat(clients, b, "Dee", Role.PARTICIPANT)
    ack = await fay.call(
        "round:start", {"order": "list", "members": [cy_id, bo_id, dee_id], "share_seconds": 600}
    )
    assert ack["round"]["queue"] == [bo_id, dee_id]

    await bo.close()  # the connection drops: no room:leave
    await fay.wait_for("participant:away", lambda d: d["participant"] == bo_id)
    assert (await cy.call("round:pass"))["ok"]
    passed_over = await fay.wait_for(
        "round:changed", lambda d: d["round"] is not None and d["round"]["sharer"] == dee_id
    )
    assert passed_over["round"]["queue"] == [bo_id]  # still in line, first

    bo = await clients(a.url, {"token": token("Bo")})  # back, through the other process
    rejoined = await bo.join(ROOM)
    assert rejoined["you"] == bo_id
    assert rejoined["snapshot"]["round"]["queue"] == [bo_id]
    await fay.wait_for("participant:back", lambda d: d["participant"] == bo_id)
    assert (await dee.call("round:pass"))["ok"]
    turn = await bo.wait_for(
        "round:changed", lambda d: d["round"] is not None and d["round"]["sharer"] == bo_id
    )
    assert turn["round"]["share"] == 3
    assert turn["round"]["passed"] == [cy_id, dee_id]


async def test_hands_lowered_and_a_call_on_across_processes_reach_everyone_and_refuse_others(
    redis_url: str, processes: Any, clients: Any
) -> None:
    """A facilitator on one process lowers a hand, calls on someone and lowers every hand:
    everyone on both processes sees the queue and the floor change. A participant on the
    other process is refused each (``not_a_facilitator``) and nothing changes."""
    a, b = processes(redis_url, **QUICK), processes(redis_url, **QUICK)
    fay, _ = await _seat(clients, a, "Fay", Role.FACILITATOR)
    ann, ann_id = await _seat(clients, a, "Ann", Role.PARTICIPANT)
    bo, bo_id = await _seat(clients, b, "Bo", Role.PARTICIPANT)
    cy, cy_id = await _seat(clients, b, "Cy", Role.PARTICIPANT)
    everyone = (fay, ann, bo, cy)
    for raiser in (ann, bo, cy):
        assert (await raiser.call("hand:raise"))["ok"]
    for listener in everyone:
        await listener.wait_for("hand:queue", lambda d: d["hands"] == [ann_id, bo_id, cy_id])

    queues_before = {id(c): len(c.events("hand:queue")) for c in everyone}
    for event, payload in (
        ("moderation:lower-hand", {"target": ann_id}),
        ("moderation:lower-hands", {}),
        ("moderation:call-on", {"target": ann_id}),
    ):
        answer = await cy.call(event, payload)
        assert answer["error"]["code"] == "not_a_facilitator", (event, answer)
    await after_everything_sent(cy, *everyone)  # anything the refusals sent has arrived
    for listener in everyone:
        assert len(listener.events("hand:queue")) == queues_before[id(listener)]
        assert listener.events("floor:changed") == []
    for process_client in (fay, bo):  # the room as each process's store reads it
        snapshot = (await process_client.call("room:snapshot"))["snapshot"]
        assert (snapshot["hands"], snapshot["floor"]) == ([ann_id, bo_id, cy_id], None)

    lowered = await fay.call("moderation:lower-hand", {"target": bo_id})
    assert lowered["ok"], lowered
    for listener in everyone:
        await listener.wait_for("hand:queue", lambda d: d["hands"] == [ann_id, cy_id])

    called = await fay.call("moderation:call-on", {"target": cy_id})
    assert called["ok"], called
    assert called["floor"] == cy_id
    for listener in everyone:
        await listener.wait_for("floor:changed", lambda d: d["participant"] == cy_id)
        await listener.wait_for("hand:queue", lambda d: d["hands"] == [ann_id])

    assert (await bo.call("hand:raise"))["ok"]
    await fay.wait_for("hand:queue", lambda d: d["hands"] == [ann_id, bo_id])
    assert (await fay.call("moderation:lower-hands"))["ok"]
    for listener in everyone:
        await listener.wait_for("hand:queue", lambda d: d["hands"] == [])
    snapshot = (await bo.call("room:snapshot"))["snapshot"]
    assert (snapshot["hands"], snapshot["floor"]) == ([], cy_id)
    entries = (await fay.call("moderation:audit"))["entries"]  # newest first
    done = [(e["action"], (e["target"] or {}).get("id")) for e in entries]
    assert done == [("lower_hand", None), ("call_on", cy_id), ("lower_hand", bo_id)]
