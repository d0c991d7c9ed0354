"""The moderation parts of both stores: audit log bounds and retention, bans, counters."""

from __future__ import annotations

import asyncio

from moderation.audit import Action, AuditEntry
from moderation.bans import Ban, BanScope
from tests.support import RunningHub

NOW = 1_700_000_000_000
DAY_MS = 24 * 3600 * 1000


def entry(at: int, n: int = 0) -> AuditEntry:
    return AuditEntry(at, "id-fay", "Fay", Action.MUTE, f"id-{n}", f"Person {n}", "because")


async def test_audit_log_is_bounded_and_newest_first(hub: RunningHub) -> None:
    for n in range(500):
        await hub.store.record_action("circle", entry(NOW + n, n), keep_ms=DAY_MS, max_entries=100)
    kept = await hub.store.audit_log("circle", since=NOW - DAY_MS, limit=1000)
    assert 100 <= len(kept) <= 200  # Redis trims by whole nodes (MAXLEN ~): near the bound
    assert kept[0] == entry(NOW + 499, 499)
    assert [e.at for e in kept] == sorted((e.at for e in kept), reverse=True)
    assert len(await hub.store.audit_log("circle", since=0, limit=5)) == 5
    assert await hub.store.audit_log("open", since=0, limit=5) == []


async def test_audit_entries_older_than_retention_are_not_read(hub: RunningHub) -> None:
    keep = 30 * DAY_MS
    await hub.store.record_action("circle", entry(NOW - 31 * DAY_MS), keep_ms=keep, max_entries=9)
    await hub.store.record_action("circle", entry(NOW), keep_ms=keep, max_entries=9)
    assert await hub.store.audit_log("circle", since=NOW - keep, limit=10) == [entry(NOW)]


async def test_bans_are_kept_per_room_and_series(hub: RunningHub) -> None:
    room = Ban("id-sam", "sub-sam", "Sam", BanScope.ROOM, "circle", NOW, "Fay")
    series = Ban("id-kim", "sub-kim", "Kim", BanScope.SERIES, "tuesdays", NOW, "Fay", "threats")
    await hub.store.add_ban(room)
    await hub.store.add_ban(series)
    assert await hub.store.bans(["room:circle", "series:tuesdays"]) == [room, series]
    assert await hub.store.bans(["room:open"]) == []
    await hub.store.remove_ban("series:tuesdays", "id-kim")
    assert await hub.store.bans(["room:circle", "series:tuesdays"]) == [room]


async def test_counters_count_up_per_key(hub: RunningHub) -> None:
    assert [await hub.store.count("a", 60_000) for _ in range(3)] == [1, 2, 3]
    assert await hub.store.count("b", 60_000) == 1


async def test_a_counter_starts_again_after_its_window(hub: RunningHub) -> None:
    assert await hub.store.count("short", 50) == 1
    assert await hub.store.count("short", 50) == 2
    await asyncio.sleep(0.15)
    assert await hub.store.count("short", 50) == 1
