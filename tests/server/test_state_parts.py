"""A room's state kept in parts in Redis: a change writes what it changed, not the room.

Measured on a real redis-server: the bytes a chat sends Redis stay the same whether 10
or 300 people sit in the room, and a process that follows the room (hears each commit's
delta on its channel) commits its next chat in one round trip, reading nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from typing import Any

import pytest
from redis.asyncio import Redis

from moderation import standing
from moderation.bans import Ban, BanScope
from rooms import primitives
from rooms.attendance import accounted
from rooms.change import Change
from rooms.identity import Identity, Role
from rooms.ports import Rule
from rooms.room import RoomInfo
from rooms.state import CHAT_HISTORY, Connection, RoomState
from server import codec
from server.app import frame_event
from server.channels import room_channel
from server.stores import redis_parts
from server.stores.redis import RedisStore
from tests.conftest import OPEN, flush
from tests.server.slow_redis import SlowRedis, round_trips
from tests.support import RedisServer, running_app, settings, token

ROOM = RoomInfo("big", "Big meeting", capacity=500)
NOW = 1_795_000_000_000
FIVE = Identity("sub-5", "Person 5", Role.PARTICIPANT, frozenset({"*"}))  # in another tab


def _join(i: int, process: str = "p1") -> Rule:
    who = Identity(f"sub-{i}", f"Person {i}", Role.PARTICIPANT, frozenset({"*"}))

    def rule(state: RoomState, info: RoomInfo) -> Change:
        change = primitives.join(state, info, who, f"m{i}", Connection(process, f"s{i}"), NOW)
        return replace(change, state=accounted(state, change.state, NOW))

    return rule


def _chat(sid: str, text: str = "hello everyone") -> Rule:
    return lambda state, _info: primitives.post_chat(state, sid, text, NOW)


def _room(members: int, chats: int) -> RoomState:
    state = RoomState("big", opening="o1")
    for i in range(members):
        state = _join(i)(state, ROOM).state
    for i in range(chats):
        state = _chat("s0", f"message {i}")(state, ROOM).state
    return standing.keep(state, "m1", chat_muted=True)


def test_parts_read_back_as_the_same_state() -> None:
    state = _room(members=30, chats=CHAT_HISTORY + 5)
    fields = dict(redis_parts.opened(state))
    assert redis_parts.read(fields, None).state == state


def test_a_chat_writes_its_message_and_the_seq_only() -> None:
    """Posting into a full chat history sets the seq and the new message and deletes the
    oldest: nothing of the 200 seats, the head or the rest of the history."""
    state = _room(members=200, chats=CHAT_HISTORY)
    parts = redis_parts.read(dict(redis_parts.opened(state)), None)
    after = _chat("s5")(parts.state, ROOM).state
    write = redis_parts.written(parts, after)
    newest, oldest = after.chat[-1].message_id, state.chat[0].message_id
    assert sorted(name for name, _ in write.sets) == [b"c:%d" % newest, redis_parts.SEQ]
    assert write.deletes == [b"c:%d" % oldest]
    assert sum(len(value) for _, value in write.sets) < 200


def test_deltas_rebuild_the_state_in_order_whatever_the_rule_did() -> None:
    """A copy patched with each commit's delta equals the state committed, and equals a
    fresh read of all fields: through joins, leaves, a seat changed in place, a standing
    moved to the end of its order, and a legacy whole-state blob replaced by parts."""
    state = _room(members=12, chats=3)
    legacy = redis_parts.read({redis_parts.LEGACY: codec.pack(state)}, None)
    assert legacy.state == state
    assert legacy.legacy
    redis = {redis_parts.LEGACY: codec.pack(state)}
    parts = legacy
    follower: redis_parts.Parts | None = None
    steps: list[Callable[[RoomState], RoomState]] = [
        lambda s: _join(40)(s, ROOM).state,
        lambda s: primitives.step_away(s, "s3", NOW + 1000).state,
        lambda s: primitives.leave_overdue(s, NOW + 1000).state,
        lambda s: primitives.raise_hand(s, "s7").state,
        lambda s: standing.keep(standing.keep(s, "m2", audio_held=True), "m1", audio_held=True),
        lambda s: _chat("s40")(s, ROOM).state,
        lambda s: primitives.join(s, ROOM, FIVE, "m5", Connection("p2", "tab"), NOW).state,
    ]
    for step in steps:
        after = step(parts.state)
        write = redis_parts.written(parts, after)
        for name in write.deletes:
            redis.pop(name, None)
        redis.update(write.sets)
        assert redis_parts.LEGACY not in redis
        follower = (
            redis_parts.read(redis, None)
            if follower is None
            else redis_parts.patched(follower, write.sets, write.deletes)
        )
        assert follower.state == after
        assert redis_parts.read(redis, None).state == after
        assert redis_parts.read(redis, parts).state == after
        parts = write.parts


@pytest.fixture
async def stores(redis_server: RedisServer) -> AsyncIterator[tuple[RedisStore, RedisStore, Redis]]:
    """Two processes' stores on one redis-server, and a client to look at it."""
    await flush(redis_server.url)
    made = [
        RedisStore(Redis.from_url(redis_server.url), prefix="t:", channel="t:c", frame=frame_event)
        for _ in range(2)
    ]
    look = Redis.from_url(redis_server.url)
    yield made[0], made[1], look
    for store in made:
        await store.close()
    await look.aclose()


async def _bytes_sent(look: Redis) -> int:
    return int((await look.info("stats"))["total_net_input_bytes"])


async def _sent_for_a_chat(store: RedisStore, look: Redis, members: int) -> int:
    for i in range(members):
        await store.apply("big", _join(i))
    for i in range(CHAT_HISTORY):  # a full history: the old blob's worst case
        await store.apply("big", _chat("s0", f"message {i}"))
    await store.apply("big", _chat("s1"))  # whatever a first chat after them costs
    before = await _bytes_sent(look)
    await store.apply("big", _chat("s1"))
    after = await _bytes_sent(look)
    await store.close_room("big")
    return after - before


async def test_the_bytes_a_chat_sends_redis_do_not_grow_with_the_room(
    stores: tuple[RedisStore, RedisStore, Redis],
) -> None:
    """Whole-room blobs made a chat send 17 KB at 10 members and over 100 KB at 300; in
    parts it sends its own message whatever the room's size."""
    store, _, look = stores
    await store.open_room(ROOM)
    small = await _sent_for_a_chat(store, look, 10)
    await store.open_room(ROOM)
    large = await _sent_for_a_chat(store, look, 300)
    assert small < 3000, small
    assert large < small + 500, (small, large)


async def _follow(store: RedisStore, url: str, heard: asyncio.Queue[int]) -> None:
    """What a process's manager does for its store: each delta on the room's channel."""
    listener = Redis.from_url(url)
    pubsub = listener.pubsub(ignore_subscribe_messages=True)
    await pubsub.ssubscribe(room_channel("t:", "big"))  # a room's frames are SPUBLISHed
    await heard.put(0)
    try:
        async for message in pubsub.listen():
            data = codec.MsgpackJson.loads(message["data"])
            if data.get("method") == "state":
                store.learn("big", data)
                await heard.put(1)
    finally:
        await pubsub.aclose()
        await listener.aclose()


async def _calls(look: Redis) -> dict[str, int]:
    stats = await look.info("commandstats")
    return {name: int(value["calls"]) for name, value in stats.items()}


async def test_a_process_following_the_room_commits_a_chat_in_one_round_trip(
    stores: tuple[RedisStore, RedisStore, Redis], redis_server: RedisServer
) -> None:
    """B holds seats of the room and hears its deltas: after A's chats, B's own chat is
    one script call, with no read of the room and no commit refused as stale."""
    a, b, look = stores
    await a.open_room(ROOM)
    for i in range(50):
        await a.apply("big", _join(i, "pa" if i % 2 else "pb"))
    await b.apply("big", _chat("s0", "B reads the room once, here"))
    heard: asyncio.Queue[int] = asyncio.Queue()
    follower = asyncio.create_task(_follow(b, redis_server.url, heard))
    try:
        await heard.get()  # subscribed
        for i in range(5):
            await a.apply("big", _chat("s1", f"from A {i}"))
            await asyncio.wait_for(heard.get(), 10)
        before = await _calls(look)
        done = await b.apply("big", _chat("s2", "from B"))
        after = await _calls(look)
    finally:
        follower.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await follower
    assert done.state.seq == 50 + 1 + 5 + 1
    grew = {name: after[name] - before.get(name, 0) for name in after}
    grew = {name: n for name, n in grew.items() if n and name != "cmdstat_info"}
    # One EVALSHA (the commands the script ran count too: its one HMGET of the version,
    # HSET, PUBLISH, ...), no read of the room (HGETALL) and no second attempt.
    assert grew.get("cmdstat_evalsha") == 1, grew
    assert "cmdstat_hgetall" not in grew, grew
    assert grew.get("cmdstat_hmget") == 1, grew
    assert (await a.snapshot("big")).chat[-1].text == "from B"


# How long the proxy holds each answer back while the join is watched (``SlowRedis``).
ANSWER_DELAY_S = 0.4


async def _join_round_trips(
    url: str, hub_url: str, clients: Any, slow: SlowRedis
) -> list[list[str]]:
    """The commands Bo's join sent Redis, one list per round trip, as MONITOR on the real
    redis-server saw them: those naming the room, its bans or the join limits (with the
    commands a script ran), between a marker before the join and one after its ack. The
    app reaches Redis through ``slow``, which holds every answer back meanwhile: commands
    sent together (one pipeline, or two connections written at once) fall in one trip,
    one that waited for another's answer in the next."""
    bo = await clients(hub_url, {"token": token("Bo")})
    look = Redis.from_url(url)
    commands: list[tuple[float, list[str]]] = []
    try:
        async with look.monitor() as monitor:
            seen = monitor.listen()
            marker = Redis.from_url(url)
            await marker.get("marker:before")
            async for line in seen:
                if "marker:before" in line["command"]:
                    break
            slow.answer_delay_s = ANSWER_DELAY_S
            try:
                assert (await bo.join("open"))["ok"]
            finally:
                slow.answer_delay_s = 0
            await marker.get("marker:after")
            await marker.aclose()
            ours = False  # the last command sent was the join's: a script's commands go with it
            async for line in seen:
                command = line["command"]
                if "marker:after" in command:
                    break
                name = command.split()[0]
                if line.get("client_type") == "lua":
                    if ours:
                        commands[-1][1].append(name)
                    continue
                ours = any(k in command for k in ("room:{open}", ":bans", "{rate}:"))
                if ours:
                    commands.append((float(line["time"]), [name]))
    finally:
        await look.aclose()
    return round_trips(commands, ANSWER_DELAY_S)


async def test_a_join_is_two_round_trips_and_reads_no_roster(
    redis_server: RedisServer, clients: Any
) -> None:
    """Bo joins a room this process already holds: the join limit (one script) and the
    room's bans, sent together, then the commit that seats him. The roster is not read:
    the ack's snapshot is the state the commit wrote. (It was five: the limit, the
    settings, the bans, the whole room read and decoded, the commit; then three.)"""
    await flush(redis_server.url)
    # The clocks that read rooms on their own (sharing rounds, schedules) stay quiet.
    async with SlowRedis(redis_server.port).running() as slow:
        quiet = settings(slow.url, round_tick_ms=3_600_000, scheduler_tick_ms=3_600_000)
        async with running_app(quiet) as hub:
            await hub.store.open_room(OPEN)
            ann = await clients(hub.url, {"token": token("Ann")})
            await ann.join("open")
            trips = await _join_round_trips(redis_server.url, hub.url, clients, slow)
    assert len(trips) == 2, trips
    assert {"EVALSHA", "HVALS"} <= set(trips[0]), trips  # the limit, and the bans
    # The commit's script checks the version (HMGET); nothing reads the room's fields.
    assert [t for t in trips if "HGETALL" in t] == [], trips


async def test_a_room_kept_whole_by_the_layout_before_is_rewritten_in_parts(
    stores: tuple[RedisStore, RedisStore, Redis],
) -> None:
    """A room Redis still holds as one blob (``s``, an older release's) is read from it,
    and its next commit writes every part (here 1,500 fields, in chunks) and deletes
    the blob: the room is the same, seats, chat and all."""
    store, other, look = stores
    await store.open_room(ROOM)
    state = replace(_room(members=300, chats=CHAT_HISTORY), opening="kept")
    live = "t:room:{big}:live"
    await look.delete(live)
    await look.hset(live, mapping={"v": "7", "s": codec.pack(state)})
    assert await store.snapshot("big") == state
    done = await store.apply("big", _chat("s9", "after the upgrade"))
    assert not await look.hexists(live, "s")
    assert await look.hlen(live) > 2 * 300 + CHAT_HISTORY
    assert await other.snapshot("big") == done.state
    assert done.state.members == state.members


async def test_a_join_on_settings_remembered_from_before_a_series_moved_still_meets_its_bans(
    redis_server: RedisServer, clients: Any
) -> None:
    """The join looks bans up where the settings this process last saw say they are
    kept. Another process then puts the room in a series whose ban names Bo: his join is
    refused (``banned``), not seated on the room-only lookup."""
    await flush(redis_server.url)
    elsewhere = RedisStore(
        Redis.from_url(redis_server.url), prefix="hearth:", channel="hearth:x", frame=frame_event
    )
    look = Redis.from_url(redis_server.url)
    try:
        async with running_app(settings(redis_server.url)) as hub:
            await hub.store.open_room(OPEN)
            ann = await clients(hub.url, {"token": token("Ann")})
            await ann.join("open")  # this process holds the room, remembering its settings
            await elsewhere.open_room(replace(OPEN, series_id="tuesdays"))
            ban = Ban("m-bo", "sub-bo", "Bo", BanScope.SERIES, "tuesdays", NOW, "Fay")
            await look.hset("hearth:series:{tuesdays}:bans", "sub-bo", codec.pack(ban))
            bo = await clients(hub.url, {"token": token("Bo", subject="sub-bo")})
            refused = await bo.call("room:join", {"room": "open"})
    finally:
        await elsewhere.close()
        await look.aclose()
    assert refused["ok"] is False
    assert refused["error"]["code"] == "banned"


async def _bytes_received(look: Redis) -> int:
    return int((await look.info("stats"))["total_net_output_bytes"])


async def test_a_snapshot_of_a_room_unchanged_since_it_was_read_sends_nothing_of_it(
    stores: tuple[RedisStore, RedisStore, Redis],
) -> None:
    """A snapshot is read from Redis every time, but a copy at the version and epoch
    Redis holds is confirmed in one small step (the sharing rounds' clock asks for one
    every second per room): the 300 seats come across only when something changed."""
    store, _, look = stores
    await store.open_room(ROOM)
    for i in range(300):
        await store.apply("big", _join(i))
    before = await _bytes_received(look)
    unchanged = await store.snapshot("big")
    sent = await _bytes_received(look) - before
    assert len(unchanged.members) == 300
    assert sent < 2000, sent
    await store.close_room("big")  # and one closed and opened again is read afresh
    await store.open_room(ROOM)
    assert (await store.snapshot("big")).members == ()
