"""Nothing lost to a reconnect, a cut subscription or a rollback: every acked room event
reaches every client present exactly once, in seq order (``server.socket.resume``, the
room log in ``server.stores``, the manager's catch-up in ``server.socket.fanout``)."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

import pytest
from redis.asyncio import Redis

from moderation import bans
from rooms import primitives
from rooms.change import Change
from rooms.identity import Identity, Role
from rooms.ports import Rule
from rooms.room import History, RoomInfo
from rooms.state import Connection, RoomState
from server.app import CHANNEL, frame_event
from server.codec import MsgpackJson
from server.stores.redis import RedisStore
from tests.conftest import CIRCLE, ON_REDIS_AND_CLUSTER, Pair
from tests.support import RunningHub, seat, token

# Opened again showing latecomers the recent chat (``rooms.history``): the snapshot's chat
# then says which opening it is, and a resume within the second opening is served from its
# log whoever sat when (by default a latecomer sees, and resumes, only since they sat).
REOPENED = replace(CIRCLE, history=History.RECENT)


def _seqs(client: Any, after: int) -> list[int]:
    """The seqs of the room events the client received live, as a client keeps them."""
    seen = [d["seq"] for _, d in client.received if isinstance(d, dict) and "seq" in d]
    return [s for s in seen if s > after]


@ON_REDIS_AND_CLUSTER
async def test_a_dropped_client_resumes_through_the_other_process_with_exactly_what_it_missed(
    two_processes: Any, clients: Any
) -> None:
    pair: Pair = await two_processes(HEARTH_CHAT_LIMIT="100")
    cy = await clients(pair.a.url, {"token": token("Cy")})
    joined = await cy.join("circle")
    last, opening = joined["snapshot"]["seq"], joined["opening"]
    await cy.close()  # the transport drops
    sent_away = [(await pair.ann.call("chat:send", {"text": f"away {i}"})) for i in range(5)]
    assert all(ack["ok"] for ack in sent_away)

    back = await clients(pair.b.url, {"token": token("Cy")})
    ack = await back.call("room:join", {"room": "circle", "since": last, "opening": opening})
    assert ack["ok"], ack
    assert "snapshot" not in ack
    missed = [m["data"]["seq"] for m in ack["missed"]]
    assert missed == list(range(last + 1, ack["seq"] + 1))
    texts = [m["data"]["message"]["text"] for m in ack["missed"] if m["event"] == "chat:message"]
    assert texts == [f"away {i}" for i in range(5)]

    sent_live = [(await pair.ann.call("chat:send", {"text": f"live {i}"})) for i in range(3)]
    final = sent_live[-1]["message"]["id"]
    await back.wait_for("chat:message", lambda d: d["seq"] == final)
    # Missed, then live with no gap and no duplicate (a client drops seq it has applied).
    assert missed + _seqs(back, ack["seq"]) == list(range(last + 1, final + 1))


async def test_a_resume_the_log_cannot_serve_gets_a_snapshot(hub: RunningHub, clients: Any) -> None:
    ann = await clients(hub.url, {"token": token("Ann")})
    joined = await ann.join("circle")
    seq, opening = joined["snapshot"]["seq"], joined["opening"]
    bo = await clients(hub.url, {"token": token("Bo")})
    ahead = await bo.call("room:join", {"room": "circle", "since": seq + 50, "opening": opening})
    assert ahead["snapshot"]["seq"] == ahead["seq"]
    assert "missed" not in ahead
    again = await bo.call("room:join", {"room": "circle", "since": seq, "opening": opening})
    assert [m["data"]["seq"] for m in again["missed"]] == list(range(seq + 1, again["seq"] + 1))
    bad = await bo.call("room:join", {"room": "circle", "since": -1})
    assert bad["error"]["code"] == "invalid_payload"


async def _chat(client: Any, *texts: str) -> int:
    """Send each text; the seq of the last."""
    for text in texts:
        ack = await client.call("chat:send", {"text": text})
        assert ack["ok"], ack
    return int(ack["message"]["id"])


def _texts(missed: list[dict[str, Any]]) -> list[str]:
    return [m["data"]["message"]["text"] for m in missed if m["event"] == "chat:message"]


async def test_a_resume_never_replays_the_text_of_a_message_deleted_since(
    hub: RunningHub, clients: Any
) -> None:
    """Sam drops; Fay posts three messages and deletes the middle one. Sam's resume
    carries the other two and the deletion, never the deleted text (on both stores)."""
    fay, _ = await seat(hub, clients, "Fay", Role.FACILITATOR, room="circle")
    sam = await clients(hub.url, {"token": token("Sam")})
    joined = await sam.join("circle")
    last, opening = joined["seq"], joined["opening"]
    await sam.close()
    await _chat(fay, "before")
    secret = await _chat(fay, "the secret")
    await _chat(fay, "after")
    deleted = await fay.call("moderation:delete-message", {"message": secret})
    assert deleted["ok"], deleted

    back = await clients(hub.url, {"token": token("Sam")})
    ack = await back.call("room:join", {"room": "circle", "since": last, "opening": opening})
    assert ack["ok"], ack
    assert "snapshot" not in ack
    assert "the secret" not in repr(ack)
    assert _texts(ack["missed"]) == ["before", "after"]
    gone_ids = [m["data"]["message"] for m in ack["missed"] if m["event"] == "chat:deleted"]
    assert gone_ids == [secret]
    seqs = [m["data"]["seq"] for m in ack["missed"]]
    assert seqs == [s for s in range(last + 1, ack["seq"] + 1) if s != secret]


async def test_a_resume_through_the_other_process_drops_a_message_deleted_since(
    two_processes: Any, clients: Any
) -> None:
    pair: Pair = await two_processes(HEARTH_CHAT_LIMIT="100")
    fay = await clients(pair.a.url, {"token": token("Fay", Role.FACILITATOR)})
    await fay.join("circle")
    snap = (await pair.bo.call("room:snapshot"))["snapshot"]
    await pair.bo.close()
    secret = await _chat(pair.ann, "ann's secret")
    await _chat(pair.ann, "ann kept")
    assert (await fay.call("moderation:delete-message", {"message": secret}))["ok"]

    back = await clients(pair.b.url, {"token": token("Bo")})
    since = {"since": snap["seq"], "opening": snap["opening"]}
    ack = await back.call("room:join", {"room": "circle", **since})
    assert ack["ok"], ack
    assert "secret" not in repr(ack)
    assert _texts(ack["missed"]) == ["ann kept"]
    assert [m["data"]["message"] for m in ack["missed"] if m["event"] == "chat:deleted"] == [secret]


async def test_a_since_from_an_earlier_opening_of_the_room_gets_a_snapshot(
    hub: RunningHub, clients: Any
) -> None:
    """The room closes and opens again, and seq counts afresh: Ann's last seq from the
    first opening names an event of the second. Her rejoin gets the second opening's
    snapshot, never its events replayed as what she missed."""
    ann = await clients(hub.url, {"token": token("Ann")})
    first = (await ann.join("circle"))["opening"]
    last = await _chat(ann, "first 1", "first 2", "first 3")
    await hub.store.close_room("circle")
    await ann.wait_for("room:closed")
    await hub.store.open_room(REOPENED)
    bo = await clients(hub.url, {"token": token("Bo")})
    second = (await bo.join("circle"))["opening"]
    assert second
    assert second != first
    assert await _chat(bo, *(f"second {i}" for i in range(4))) > last

    ack = await ann.call("room:join", {"room": "circle", "since": last, "opening": first})
    assert ack["ok"], ack
    assert "missed" not in ack
    assert ack["opening"] == ack["snapshot"]["opening"] == second
    assert [m["text"] for m in ack["snapshot"]["chat"]] == [f"second {i}" for i in range(4)]

    # The same seq with this opening's id is resumed as usual; with none, a snapshot.
    cy = await clients(hub.url, {"token": token("Cy")})
    resumed = await cy.call("room:join", {"room": "circle", "since": last, "opening": second})
    assert [m["data"]["seq"] for m in resumed["missed"]] == list(
        range(last + 1, resumed["seq"] + 1)
    )
    bare = await bo.call("room:join", {"room": "circle", "since": resumed["seq"]})
    assert "missed" not in bare
    assert bare["snapshot"]["seq"] == bare["seq"]
    wrong = await bo.call("room:join", {"room": "circle", "since": 1, "opening": 7})
    assert wrong["error"]["code"] == "invalid_payload"


async def test_a_since_from_an_earlier_opening_gets_a_snapshot_through_the_other_process(
    two_processes: Any, clients: Any
) -> None:
    """Two processes on one Redis: the opening id lives in the room's state there, so the
    process Bo rejoins through tells the openings apart though it never saw the first."""
    pair: Pair = await two_processes(HEARTH_CHAT_LIMIT="100")
    first = (await pair.bo.call("room:snapshot"))["snapshot"]["opening"]
    last = await _chat(pair.ann, "first 1", "first 2")
    await pair.bo.wait_for("chat:message", lambda d: d["seq"] == last)
    await pair.store.close_room("circle")
    await pair.bo.wait_for("room:closed")
    await pair.store.open_room(REOPENED)
    await pair.ann.join("circle")
    assert await _chat(pair.ann, *(f"second {i}" for i in range(4))) > last

    back = await clients(pair.b.url, {"token": token("Bo")})
    ack = await back.call("room:join", {"room": "circle", "since": last, "opening": first})
    assert ack["ok"], ack
    assert "missed" not in ack
    assert ack["opening"] != first
    assert [m["text"] for m in ack["snapshot"]["chat"]] == [f"second {i}" for i in range(4)]
    # Ann, on the other process, resumes within the second opening as usual.
    opening, seq = ack["opening"], ack["seq"]
    await _chat(back, "bo is back")
    again = await clients(pair.a.url, {"token": token("Ann")})
    resumed = await again.call("room:join", {"room": "circle", "since": seq, "opening": opening})
    missed = resumed["missed"]
    assert [m["data"]["message"]["text"] for m in missed if m["event"] == "chat:message"] == [
        "bo is back"
    ]


async def test_a_resume_from_before_the_log_gets_a_snapshot(
    two_processes: Any, redis_url: str
) -> None:
    pair: Pair = await two_processes()
    for i in range(3):
        assert (await pair.ann.call("chat:send", {"text": f"m {i}"}))["ok"]
    redis = Redis.from_url(redis_url)
    # What 1000 later events do: the log no longer reaches back to seq 2.
    await redis.xtrim("hearth:room:{circle}:log", maxlen=1, approximate=False)
    await redis.aclose()
    opening = (await pair.bo.call("room:snapshot"))["snapshot"]["opening"]
    ack = await pair.bo.call("room:join", {"room": "circle", "since": 1, "opening": opening})
    assert ack["ok"]
    assert "missed" not in ack
    assert [m["text"] for m in ack["snapshot"]["chat"]][-3:] == ["m 0", "m 1", "m 2"]


async def test_a_cut_subscription_loses_no_acked_chat(two_processes: Any, redis_url: str) -> None:
    """CLIENT KILL TYPE pubsub while chats are acked: both processes' clients still get
    each exactly once, in order (caught up from the room's log)."""
    pair: Pair = await two_processes(HEARTH_CHAT_LIMIT="200")
    start = (await pair.bo.call("room:snapshot"))["snapshot"]["seq"]
    redis = Redis.from_url(redis_url)
    acked: list[int] = []
    try:
        for i in range(40):
            if i % 4 == 0:
                await redis.execute_command("CLIENT", "KILL", "TYPE", "pubsub")
            ack = await pair.ann.call("chat:send", {"text": f"c {i}"})
            if ack["ok"]:
                acked.append(ack["message"]["id"])
            await asyncio.sleep(0.02)
        await asyncio.sleep(1.5)  # python-socketio's listener resubscribes after 1 s
        ack = await pair.bo.call("chat:send", {"text": "after"})
        assert ack["ok"], ack
        acked.append(ack["message"]["id"])
    finally:
        await redis.aclose()
    assert len(acked) > 30
    for client in (pair.ann, pair.bo):
        await client.wait_for("chat:message", lambda d: d["seq"] == acked[-1])
        chats = [d["seq"] for d in client.events("chat:message") if d["seq"] > start]
        assert chats == acked, client
        assert _seqs(client, start) == list(range(start + 1, acked[-1] + 1))


async def test_a_rollback_is_read_not_overwritten(two_processes: Any, redis_url: str) -> None:
    """Redis restores an older copy of the room; the other process writes it up to the
    version process A last wrote. A's cached state must not pass for current."""
    pair: Pair = await two_processes()
    redis = Redis.from_url(redis_url)
    key = "hearth:room:{circle}:live"
    try:
        assert (await pair.ann.call("chat:send", {"text": "kept"}))["ok"]
        older = await redis.hgetall(key)
        for text in ("lost 1", "lost 2"):
            assert (await pair.ann.call("chat:send", {"text": text}))["ok"]
        await redis.delete(key)
        await redis.hset(key, mapping=older)  # the rollback
        for text in ("bo 1", "bo 2"):
            assert (await pair.bo.call("chat:send", {"text": text}))["ok"]
        assert (await pair.ann.call("chat:send", {"text": "ann after"}))["ok"]
    finally:
        await redis.aclose()
    chat = [m.text for m in (await pair.store.snapshot("circle")).chat]
    assert chat[-4:] == ["kept", "bo 1", "bo 2", "ann after"]
    for client in (pair.ann, pair.bo):
        await client.wait_for("room:rewound")
        snap = (await client.call("room:snapshot"))["snapshot"]
        assert [m["text"] for m in snap["chat"]][-4:] == chat[-4:]


async def test_a_resume_across_a_rollback_gets_a_snapshot_of_the_history_the_room_now_has(
    two_processes: Any, clients: Any, redis_url: str
) -> None:
    """Cy is away while Redis rolls back (the room's state and its log, as a restored
    RDB does) past what she saw, and the room is written on past her seq. Her ``since``
    names an event of a history the room no longer has: the rollback gave the room a new
    opening, so her resume gets a snapshot, never the new history's events after it."""
    pair: Pair = await two_processes()
    redis = Redis.from_url(redis_url)
    live, log = "hearth:room:{circle}:live", "hearth:room:{circle}:log"
    try:
        cy = await clients(pair.a.url, {"token": token("Cy")})
        opening = (await cy.join("circle"))["opening"]
        await _chat(pair.ann, "kept")
        older, older_log = await redis.hgetall(live), await redis.dump(log)
        seen = await _chat(pair.ann, "lost 1", "lost 2")
        await cy.wait_for("chat:message", lambda d: d["seq"] == seen)
        await cy.close()
        await pair.ann.wait_for("participant:away")
        await redis.delete(live, log)  # the rollback
        await redis.hset(live, mapping=older)
        await redis.restore(log, 0, older_log)
        assert await _chat(pair.bo, "bo 1", "bo 2", "bo 3") > seen
        for client in (pair.ann, pair.bo):
            await client.wait_for("room:rewound")
    finally:
        await redis.aclose()

    back = await clients(pair.b.url, {"token": token("Cy")})
    ack = await back.call("room:join", {"room": "circle", "since": seen, "opening": opening})
    assert ack["ok"], ack
    assert "missed" not in ack
    assert ack["opening"] != opening
    assert [m["text"] for m in ack["snapshot"]["chat"]][-4:] == ["kept", "bo 1", "bo 2", "bo 3"]


async def test_an_event_acked_while_a_subscription_is_down_arrives_though_the_room_goes_quiet(
    two_processes: Any, redis_url: str
) -> None:
    """The last chat before silence is published while both processes' subscriptions are
    cut: each process reads it from the room's log as it subscribes again, with no later
    event to reveal the gap (found by the AOF chaos test)."""
    pair: Pair = await two_processes()
    redis = Redis.from_url(redis_url)
    try:
        await redis.execute_command("CLIENT", "KILL", "TYPE", "pubsub")
        ack = await pair.ann.call("chat:send", {"text": "the last word"})
        assert ack["ok"], ack
    finally:
        await redis.aclose()
    seq = ack["message"]["id"]
    for client in (pair.ann, pair.bo):
        await client.wait_for("chat:message", lambda d: d["seq"] == seq)
        assert [d["seq"] for d in client.events("chat:message")].count(seq) == 1


async def test_the_log_keeps_the_very_bytes_published_to_the_room(
    shared_store: RedisStore, redis_url: str
) -> None:
    """Each public event is dumped once: what a process replays from the room's log (a
    resume, a catch-up) is byte for byte the frame the commit published on the room's own
    channel; a private event (Ann's removal notice, and her disconnect) is published on
    the channel of the process holding her connection, never logged. Each commit's state
    delta goes on the room's channel too, and is not logged."""
    fay = Identity("sub-fay", "Fay", Role.FACILITATOR, frozenset({"*"}))
    ann = Identity("sub-ann", "Ann", Role.PARTICIPANT, frozenset({"*"}))

    def hello(state: RoomState, _room: RoomInfo) -> Change:
        return primitives.post_chat(state, "s-Ann", "hi", 0)

    def seat(who: Identity) -> Rule:
        sid = f"s-{who.display_name}"
        return lambda s, room: primitives.join(s, room, who, f"id-{sid}", Connection("p", sid), 0)

    listener = Redis.from_url(redis_url)
    pubsub = listener.pubsub(ignore_subscribe_messages=True)
    # The room's own channel, and process p's, which holds both seats.
    await pubsub.subscribe(f"hearth:{CHANNEL}", "hearth:process:p")
    await pubsub.ssubscribe("hearth:room:{circle}")  # a shard channel
    try:
        changes = [
            await shared_store.apply("circle", seat(fay)),
            await shared_store.apply("circle", seat(ann)),
            await shared_store.apply("circle", hello),
        ]
        removal = await shared_store.moderate(
            "circle",
            lambda s, _: bans.remove(s, "s-Fay", "id-s-Ann", 0),
            keep_ms=60_000,
            max_entries=10,
        )
        changes.append(removal.change)
        events = [event for change in changes for event in change.events]
        published: list[bytes] = []
        channels: list[bytes] = []
        async with asyncio.timeout(5):
            while len(published) < sum(len(frame_event("circle", e).frames) for e in events):
                message = await pubsub.get_message(timeout=1)
                if message is None:  # the subscription's own confirmation
                    continue
                if MsgpackJson.loads(message["data"]).get("method") == "state":
                    # Each commit's state delta, for the processes that follow the room.
                    assert message["channel"] == b"hearth:room:{circle}"
                    continue
                published.append(message["data"])
                channels.append(message["channel"])
    finally:
        await pubsub.aclose()
        await listener.aclose()
    logged = await shared_store.events_after("circle", 0)
    assert [seq for seq, _ in logged] == list(range(1, removal.change.state.seq + 1))
    to_room = [m for m in published if MsgpackJson.loads(m).get("room") == "room:circle"]
    assert [framed for _, framed in logged] == to_room
    assert len(published) == len(to_room) + 2  # the notice and the disconnect, to Ann
    on_room = [m for m, c in zip(published, channels, strict=True) if c == b"hearth:room:{circle}"]
    assert on_room == to_room
    assert channels.count(b"hearth:process:p") == 2


@pytest.mark.parametrize("written_again", [0, 2], ids=["lower-seq", "same-version"])
async def test_a_process_that_finds_the_room_rolled_back_commits_it_under_a_new_opening(
    shared_store: RedisStore, redis_url: str, written_again: int
) -> None:
    """This process last wrote seq 3; Redis restores the room at seq 1, and another process
    may write it up to the same version again. The next change here finds the rollback
    (a lower seq, or the same version written by another attempt) and commits the room
    under a new opening, so no resume is served from the history it lost."""
    ann = Identity("sub-ann", "Ann", Role.PARTICIPANT, frozenset({"*"}))
    sid = "s-Ann"

    def hello(state: RoomState, _room: RoomInfo) -> Change:
        return primitives.post_chat(state, sid, "hi", 0)

    other = RedisStore(
        Redis.from_url(redis_url), prefix="hearth:", channel=f"hearth:{CHANNEL}", frame=frame_event
    )
    redis = Redis.from_url(redis_url)
    live = "hearth:room:{circle}:live"
    try:
        await shared_store.apply(
            "circle", lambda s, room: primitives.join(s, room, ann, "id-a", Connection("p", sid), 0)
        )
        opening = (await shared_store.apply("circle", hello)).state.opening
        older = await redis.hgetall(live)
        await shared_store.apply("circle", hello)
        await shared_store.apply("circle", hello)
        await redis.delete(live)  # the rollback
        await redis.hset(live, mapping=older)
        for _ in range(written_again):
            assert (await other.apply("circle", hello)).state.opening == opening
        after = await shared_store.apply("circle", hello)
    finally:
        await other.close()
        await redis.aclose()
    assert after.state.opening != opening
    assert (await shared_store.snapshot("circle")).opening == after.state.opening
