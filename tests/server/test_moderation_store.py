"""The moderation parts of both stores: an action committed with its audit entry and ban
record as one step, audit log bounds and retention, bans, counters."""

from __future__ import annotations

from dataclasses import replace

import pytest
from redis.asyncio import Redis

from moderation.audit import Action, AuditEntry, Moderated
from moderation.bans import Ban, BanScope
from moderation.ports import RoomStore
from rooms.change import Change
from rooms.errors import ErrorCode, Refused
from rooms.room import RoomInfo
from rooms.state import RoomState
from server.stores.redis import RedisStore
from tests.support import RunningHub

NOW = 1_700_000_000_000
DAY_MS = 24 * 3600 * 1000


def entry(at: int, n: int = 0) -> AuditEntry:
    return AuditEntry(at, "id-fay", "Fay", Action.MUTE, f"id-{n}", f"Person {n}", "because")


async def record(
    store: RoomStore,
    line: AuditEntry,
    *,
    keep_ms: int = DAY_MS,
    max_entries: int = 100,
    keeps: Ban | None = None,
    lifts: Ban | None = None,
    paused: bool | None = None,
) -> Moderated:
    """An action on 'circle' with its entry: it pauses the room when ``paused`` says so."""

    def decide(state: RoomState, _room: RoomInfo) -> Moderated:
        if paused is None:
            return Moderated(Change(state), line, keeps, lifts)
        return Moderated(Change(replace(state, paused=paused), quiet=True), line, keeps, lifts)

    return await store.moderate("circle", decide, keep_ms=keep_ms, max_entries=max_entries)


async def test_an_action_and_its_entry_are_written_together(hub: RunningHub) -> None:
    done = await record(hub.store, entry(NOW), paused=True)
    assert done.entry == entry(NOW)
    assert (await hub.store.snapshot("circle")).paused
    assert await hub.store.audit_log("circle", since=0, limit=10) == [entry(NOW)]


async def test_an_entry_is_written_when_the_state_stays_the_same(hub: RunningHub) -> None:
    before = await hub.store.snapshot("circle")
    await record(hub.store, entry(NOW))
    assert await hub.store.snapshot("circle") == before
    assert await hub.store.audit_log("circle", since=0, limit=10) == [entry(NOW)]


async def test_a_refused_action_writes_nothing(hub: RunningHub) -> None:
    ban = Ban("id-sam", "sub-sam", "Sam", BanScope.ROOM, "circle", NOW, "Fay")

    def refuse(state: RoomState, _room: RoomInfo) -> Moderated:
        raise Refused("no", ErrorCode.TARGET_PROTECTED)

    with pytest.raises(Refused):
        await hub.store.moderate("circle", refuse, keep_ms=DAY_MS, max_entries=10)
    assert await hub.store.audit_log("circle", since=0, limit=10) == []
    assert await hub.store.bans([ban.key]) == []


async def test_a_ban_is_kept_and_lifted_with_its_entries(hub: RunningHub) -> None:
    ban = Ban("id-sam", "sub-sam", "Sam", BanScope.ROOM, "circle", NOW, "Fay", "threats")
    await record(hub.store, entry(NOW), keeps=ban)
    assert await hub.store.bans(["room:circle"]) == [ban]
    stale = replace(ban, at=NOW - 1)  # a ban read before this one replaced it
    await record(hub.store, entry(NOW + 1), lifts=stale)
    assert await hub.store.bans(["room:circle"]) == [ban]
    await record(hub.store, entry(NOW + 2), lifts=ban)
    assert await hub.store.bans(["room:circle"]) == []
    logged = await hub.store.audit_log("circle", since=0, limit=10)
    assert [e.at for e in logged] == [NOW + 2, NOW + 1, NOW]


@pytest.mark.redis
async def test_a_redis_write_that_fails_leaves_neither_action_nor_entry_nor_ban(
    redis_url: str, shared_store: RedisStore
) -> None:
    """Redis keeps a script's writes made before a failing command, so the commit checks
    every key first: with the audit key of the wrong type nothing at all is written."""
    redis = Redis.from_url(redis_url)
    await redis.set("hearth:room:{circle}:audit", b"not a stream")
    ban = Ban("id-sam", "sub-sam", "Sam", BanScope.ROOM, "circle", NOW, "Fay")
    before = await shared_store.snapshot("circle")
    with pytest.raises(RuntimeError):
        await record(shared_store, entry(NOW), keeps=ban, paused=True)
    assert await shared_store.snapshot("circle") == before
    assert await shared_store.bans([ban.key]) == []
    await redis.aclose()


async def test_audit_log_is_bounded_and_newest_first(hub: RunningHub) -> None:
    for n in range(500):
        await record(hub.store, entry(NOW + n, n))
    kept = await hub.store.audit_log("circle", since=NOW - DAY_MS, limit=1000)
    assert 100 <= len(kept) <= 200  # Redis trims by whole nodes (MAXLEN ~): near the bound
    assert kept[0] == entry(NOW + 499, 499)
    assert [e.at for e in kept] == sorted((e.at for e in kept), reverse=True)
    assert len(await hub.store.audit_log("circle", since=0, limit=5)) == 5
    assert await hub.store.audit_log("open", since=0, limit=5) == []


async def test_audit_entries_older_than_retention_are_not_read(hub: RunningHub) -> None:
    keep = 30 * DAY_MS
    await record(hub.store, entry(NOW - 31 * DAY_MS), keep_ms=keep, max_entries=9)
    await record(hub.store, entry(NOW), keep_ms=keep, max_entries=9)
    assert await hub.store.audit_log("circle", since=NOW - keep, limit=10) == [entry(NOW)]


async def test_bans_are_kept_per_room_and_series(hub: RunningHub) -> None:
    room = Ban("id-sam", "sub-sam", "Sam", BanScope.ROOM, "circle", NOW, "Fay")
    series = Ban("id-kim", "sub-kim", "Kim", BanScope.SERIES, "tuesdays", NOW, "Fay", "threats")
    await record(hub.store, entry(NOW), keeps=room)
    await record(hub.store, entry(NOW), keeps=series)
    assert await hub.store.bans(["room:circle", "series:tuesdays"]) == [room, series]
    assert await hub.store.bans(["room:open"]) == []
    await record(hub.store, entry(NOW), lifts=series)
    assert await hub.store.bans(["room:circle", "series:tuesdays"]) == [room]
